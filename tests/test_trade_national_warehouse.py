"""Kazakhstan's five releases and Kyrgyzstan's table end to end from the recorded copies into the
warehouse, on SQLite and PostgreSQL: exact figures in USD with the published unit kept, revisions across
releases (both versions kept, the later current), the release date as vintage, idempotence, explain."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from sanctrace import runs
from sanctrace.explain import explain
from tests.conftest import snapshot_sha
from warehouse.models import Observation, Series

KZ, KG, TALDAU = "kz-stat-trade", "kg-stat-trade", "kz-taldau"
EXACT = dict(rel=1e-12)  # thousand USD x 1000 in floating point: exact to the last binary digits


def versions(rt, source: str, partner: str, flow: str, year: int) -> list[Observation]:
    """Every version of one figure, oldest first."""
    with Session(rt.engine, expire_on_commit=False) as session:
        return list(session.execute(
            select(Observation).join(Series, Series.id == Observation.series_id)
            .where(Observation.source_id == source, Series.partner == partner, Series.flow == flow,
                   Series.indicator == "trade_value", Observation.period_start == date(year, 1, 1))
            .order_by(Observation.id)).scalars())


def current(rt, source: str, partner: str, flow: str, year: int) -> Observation:
    [obs] = [o for o in versions(rt, source, partner, flow, year) if o.superseded_at is None]
    return obs


def test_kz_releases_load_with_exact_figures_in_usd(rt):
    report = runs.run_source(rt, KZ)
    assert report.ok, report.failures
    assert report.documents == 5 and report.new > 3000
    for year, thousand in ((2021, 7018745.76433), (2022, 9091390.9169), (2023, 10207415.70534)):
        obs = current(rt, KZ, "RUS", "X", year)
        assert obs.value == pytest.approx(thousand * 1000, **EXACT)
        assert obs.published_unit == "thousand USD" and float(obs.raw) == thousand
        assert (obs.period_start, obs.period_end) == (date(year, 1, 1), date(year, 12, 31))
    assert current(rt, KZ, "RUS", "X", 2022).value == pytest.approx(9_091_390_916.9, **EXACT)
    total = current(rt, KZ, "WLD", "X", 2022)
    assert total.value == pytest.approx(84593070.08131e3, **EXACT)
    # The 2023 release restates the same 2022 total: unchanged, so the 2022 release's row stays current.
    assert (total.locator, total.vintage) == ("cell:2022!D7", date(2023, 1, 1))
    assert current(rt, KZ, "AGG-CIS", "X", 2022).value == pytest.approx(15588121.37149e3, **EXACT)
    with Session(rt.engine) as session:
        series = session.execute(select(Series).where(Series.partner == "RUS", Series.flow == "X",
                                                      Series.geo == "KAZ")).scalar_one()
    assert (series.unit, series.commodity, series.indicator) == ("USD", "TOTAL", "trade_value")


def test_kz_2020_revision_keeps_both_versions_and_the_later_is_current(rt):
    assert runs.run_source(rt, KZ).ok
    old, new = versions(rt, KZ, "RUS", "X", 2020)
    assert old.value == pytest.approx(5007142500.0, **EXACT) and old.superseded_at is not None
    assert (old.raw, old.vintage, old.flags, old.locator) == ("5007142.5", date(2021, 1, 1), "vintage=inferred", "cell:12_2020!D12")
    assert new.value == pytest.approx(5007142523.35, **EXACT) and new.superseded_at is None
    assert (new.raw, new.vintage) == ("5007142.52335", date(2022, 1, 1))
    assert old.snapshot_id != new.snapshot_id
    assert snapshot_sha(rt.engine, old.snapshot_id) != snapshot_sha(rt.engine, new.snapshot_id)


def test_kz_2023_release_date_from_its_cover_is_the_vintage(rt):
    assert runs.run_source(rt, KZ).ok
    obs = current(rt, KZ, "RUS", "X", 2023)
    assert obs.vintage == date(2024, 7, 25) and obs.flags == "" and obs.locator == "cell:2023!D12"


def test_kg_table_loads_long_with_exact_figures(rt):
    report = runs.run_source(rt, KG)
    assert report.ok, report.failures
    assert current(rt, KG, "RUS", "X", 2021).value == pytest.approx(393340098.0, **EXACT)
    russia = current(rt, KG, "RUS", "X", 2022)
    assert russia.value == pytest.approx(1069691913.0, **EXACT) and russia.published_unit == "thousand USD"
    assert russia.locator == "cell:Лист1!AF38" and russia.vintage == date(2024, 1, 1)
    assert current(rt, KG, "WLD", "X", 2023).value == pytest.approx(3384856093.0, **EXACT)
    andorra = current(rt, KG, "AND", "X", 2022)
    assert andorra.value is None and andorra.raw == "-"


def test_second_run_adds_nothing(rt):
    assert runs.run_source(rt, KZ).ok and runs.run_source(rt, KG).ok
    for source in (KZ, KG):
        again = runs.run_source(rt, source)
        assert again.ok and again.new == 0 and again.revised == 0 and again.skipped_unchanged


def test_explain_reads_the_cell_and_reproduces_the_value(rt):
    assert runs.run_source(rt, KZ).ok and runs.run_source(rt, KG).ok
    old, new = versions(rt, KZ, "RUS", "X", 2020)
    chain = explain(rt, old.id)
    assert chain["reproduced"] and chain["text_at_locator"] == "5007142.5"
    assert chain["published_as"] == "5007142.5 thousand USD" and len(chain["versions"]) == 2
    assert chain["snapshot"]["url"].startswith("https://stat.gov.kz/api/iblock/element/not-kept-")  # see ORIGIN.md
    assert explain(rt, new.id)["text_at_locator"] == "5007142.52335" and explain(rt, new.id)["reproduced"]
    kg = explain(rt, current(rt, KG, "RUS", "X", 2022).id)
    assert kg["reproduced"] and kg["text_at_locator"] == "1069691.913"


def test_taldau_is_reported_as_not_run_in_replay(rt):
    report = runs.run_source(rt, TALDAU)
    assert report.ok and report.documents == 0 and "no recorded response" in report.note
