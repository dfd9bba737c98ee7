"""Comext at CN8 level end to end, SQLite and PostgreSQL: the recorded Data Browser XLSX download of
DS-045409 (replay/eurostat-comext/) loaded by the replay run, the MANIFEST's exact figures, ':' never a
figure, derived HS4 / yearly / EU totals linked to their inputs and flagged partial, `explain` of a
CN8 figure and of a derived HS4 total, and `trade-watch` at product level.

One load per database for the module (the workbook is ~750k cells; a load takes 15-25 s)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from sanctrace import cli, pipeline, runs
from sanctrace.explain import explain
from sanctrace.settings import Settings
from sanctrace.trade_watch import eu_product_rows
from tests.conftest import PG_ENV, REPLAY, _postgres_database
from warehouse.engine import engine_for
from warehouse.migrate import upgrade
from warehouse.models import Derivation, Observation, Series, Snapshot

COMEXT = "eurostat-comext"
SHA = "2bfce5da712444759f9d4d08076b486ab05f994f230c511e4aceb8d6e61ffc6f"
EU = "AGG-EU27_2020"


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def loaded(request, tmp_path_factory):
    """A warehouse of each kind after one replay run of eurostat-comext; (runtime, report)."""
    tmp = tmp_path_factory.mktemp(request.param)
    admin = name = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp / 'warehouse.db'}"
    else:
        import os
        if not os.environ.get(PG_ENV):
            pytest.skip(f"PostgreSQL tests need {PG_ENV}")
        admin, name, url = _postgres_database()
    upgrade(url)
    rt = pipeline.runtime(Settings(warehouse_url=url, snapshot_store=str(tmp / "snapshots"),
                                   replay_archive=REPLAY, fetch_mode="replay"))
    pipeline.register_sources(rt)
    report = runs.run_source(rt, COMEXT)
    yield rt, report
    engine_for(url).dispose()
    if admin is not None:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def figures(rt, **where) -> dict[tuple, Observation]:
    """Current observations of the workbook, keyed (geo, partner, commodity, period_start, period_end)."""
    query = (select(Observation, Series).join(Series, Series.id == Observation.series_id)
             .where(Observation.source_id == COMEXT, Observation.superseded_at.is_(None),
                    Observation.snapshot_id == select(Snapshot.id).where(Snapshot.sha256 == SHA).scalar_subquery()))
    for column, value in where.items():
        query = query.where(getattr(Series, column) == value)
    with Session(rt.engine, expire_on_commit=False) as session:
        rows = session.execute(query).all()
    return {(s.geo, s.partner, s.commodity, o.period_start, o.period_end): o for o, s in rows}


def month(year: int, number: int) -> tuple[date, date]:
    import calendar
    return date(year, number, 1), date(year, number, calendar.monthrange(year, number)[1])


def test_the_run_loads_every_published_cell_and_counts_the_missing(loaded):
    rt, report = loaded
    assert report.ok, report.failures
    assert report.missing_marks == 711_773  # ':' cells of the workbook: counted, never rows
    assert report.discovery["discovered"] == 0  # the API path: nothing recorded, so replay does not ask it
    assert any("sheet Summary" in u for u in report.unread)
    cn8 = figures(rt, commodity="85423190")
    published = [o for o in cn8.values() if o.method == "published"]
    assert published and all(o.published_unit == "EUR" and o.vintage == date(2023, 1, 13) for o in published)
    with rt.engine.connect() as conn:
        counts = dict(conn.execute(text(
            "SELECT o.method, COUNT(*) FROM observation o JOIN snapshot n ON n.id = o.snapshot_id "
            "WHERE n.sha256 = :sha GROUP BY o.method"),
            {"sha": SHA}).all())
    assert counts["published"] == 36_667  # every number in the 110 data sheets, nothing else


def test_manifest_figures_at_cn8(loaded):
    rt, _ = loaded
    cn8 = figures(rt, commodity="85423190", flow="X")
    germany_kz = {k[3]: o for k, o in cn8.items() if k[:2] == ("DEU", "KAZ") and o.method == "published"}
    assert germany_kz[date(2021, 1, 1)].value == 68934.0
    assert germany_kz[date(2021, 1, 1)].locator == "cell:Sheet 37!O51"
    assert germany_kz[date(2022, 11, 1)].value == 385709.0
    assert date(2022, 12, 1) not in germany_kz  # AL51 is ':': no figure, never a zero
    assert cn8[("DEU", "RUS", "85423190", *month(2022, 1))].value == 3_504_091.0
    assert cn8[("DEU", "RUS", "85423190", *month(2022, 4))].value == 6_720.0
    assert cn8[("DEU", "RUS", "85423190", *month(2022, 4))].locator == "cell:Sheet 37!AD52"
    assert cn8[("NLD", "KAZ", "85423190", *month(2022, 6))].value == 225_429.0
    assert cn8[("NLD", "KAZ", "85423190", *month(2022, 6))].locator == "cell:Sheet 37!AF156"


def test_manifest_sums_are_the_derived_eu_totals_flagged_partial(loaded):
    rt, _ = loaded
    eu = figures(rt, geo=EU, commodity="8542")
    year = lambda partner, y: eu[(EU, partner, "8542", date(y, 1, 1), date(y, 12, 31))]  # noqa: E731
    assert year("KAZ", 2021).value == 6_104_540.0
    assert year("KAZ", 2022).value == 14_680_782.0
    assert year("RUS", 2021).value == 622_191_497.0
    assert year("RUS", 2022).value == 119_388_632.0
    kz22 = year("KAZ", 2022)
    assert kz22.method == "derived"
    flags = kz22.flags.split(",")
    assert {"derived=sum_of_member_states", "cn8_codes=19", "partial", "months_unpublished=1"} <= set(flags)
    assert kz22.locator.startswith("sum:cell:Sheet 35!C12:N200|B=Kazakhstan".replace("C12:N200", "AA12:AL200"))
    assert kz22.locator.count(" + ") == 18  # the 19 sheets of HS 8542, one range each
    with Session(rt.engine) as session:
        inputs = session.execute(select(Observation.value, Observation.period_start, Series.partner,
                                        Series.commodity, Series.geo)
                                 .join(Derivation, Derivation.input_observation_id == Observation.id)
                                 .join(Series, Series.id == Observation.series_id)
                                 .where(Derivation.observation_id == kz22.id)).all()
    assert sum(v for v, *_ in inputs) == 14_680_782.0  # the links are exactly the published cells it adds
    assert {p for _, _, p, _, _ in inputs} == {"KAZ"} and all(c.startswith("8542") for *_, c, _ in inputs)
    assert all(d.year == 2022 for _, d, *_ in inputs) and len({g for *_, g in inputs}) > 1


def test_heading_and_year_totals_of_a_reporter(loaded):
    rt, _ = loaded
    hs4 = figures(rt, geo="DEU", partner="RUS", commodity="8542")
    jan = hs4[("DEU", "RUS", "8542", *month(2022, 1))]
    assert jan.method == "derived" and "derived=sum_of_cn8" in jan.flags
    assert jan.locator.startswith("sum:cell:Sheet 35!AA52 + cell:Sheet 36!AA52")
    year = figures(rt, geo="DEU", partner="KAZ", commodity="85423190")[
        ("DEU", "KAZ", "85423190", date(2022, 1, 1), date(2022, 12, 31))]
    assert year.locator == "sum:cell:Sheet 37!AA51:AL51"  # the sheet range it sums
    assert "partial" in year.flags and "months_unpublished=1" in year.flags  # December 2022: ':'


def test_explain_a_cn8_figure_and_a_derived_hs4_total(loaded):
    rt, _ = loaded
    cn8 = figures(rt, commodity="85423190")[("DEU", "RUS", "85423190", *month(2022, 1))]
    chain = explain(rt, cn8.id)
    assert chain["reproduced"] and chain["text_at_locator"] == "3504091.0"
    assert chain["snapshot"]["sha256"] == SHA and chain["series"]["partner"] == "RUS"
    total = figures(rt, geo="DEU", partner="RUS", commodity="8542")[("DEU", "RUS", "8542", *month(2022, 1))]
    chain = explain(rt, total.id)
    assert chain["reproduced"] and chain["method"] == "derived"
    assert cn8.id in chain["derived_from"]
    assert "3504091.0" in chain["text_at_locator"].split(" + ")


def test_trade_watch_at_product_level(loaded, monkeypatch, capsys):
    rt, _ = loaded
    rows = eu_product_rows(rt.engine, ["8542"], ["KAZ", "KGZ", "ARM"])
    kz = {r["year"]: r for r in rows if r["partner"] == "KAZ"}
    assert kz[2022]["eu_exports_eur"] == 14_680_782.0 and kz[2022]["partial"]
    assert round(kz[2022]["change_since_2021_pct"], 1) == round(100 * (14_680_782 / 6_104_540 - 1), 1)
    assert kz[2022]["eu_to_rus_eur"] == 119_388_632.0
    assert round(kz[2022]["rus_change_since_2021_pct"], 1) == round(100 * (119_388_632 / 622_191_497 - 1), 1)
    ids = [kz[2022][c] for c in ("eu_exports_obs_id", "base_2021_obs_id", "eu_to_rus_obs_id", "rus_base_2021_obs_id")]
    assert all(isinstance(i, int) for i in ids) and len(set(ids)) == 4  # every cell carries its observation id
    chain = explain(rt, kz[2022]["eu_to_rus_obs_id"])  # (one re-parse of the workbook: ~5 s)
    assert chain["reproduced"] and chain["method"] == "derived" and chain["value"] == 119_388_632.0
    assert {r["partner"] for r in rows} <= {"KAZ", "KGZ", "ARM"} and "RUS" not in {r["partner"] for r in rows}
    monkeypatch.setenv("SANCTRACE_WAREHOUSE_URL", rt.settings.warehouse_url)
    from sanctrace.settings import reset_settings
    reset_settings()
    try:
        assert cli.main(["trade-watch", "--hs", "8542", "--reporter", "KAZ"]) == 0
    finally:
        reset_settings()
    out = capsys.readouterr().out
    line = next(li for li in out.splitlines() if li.startswith("HS 8542") and " 2022 " in li and "KAZ" in li)
    assert "14,680,782" in line and "119,388,632" in line


def test_a_second_run_adds_nothing(loaded):
    rt, _ = loaded
    again = runs.run_source(rt, COMEXT)
    assert again.ok and again.new == 0 and again.revised == 0
