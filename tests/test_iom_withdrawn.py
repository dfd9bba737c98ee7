"""IOM DTM in the warehouse, on SQLite and PostgreSQL: round 3 (not 4), discovery across two real states
of the HDX dataset, and figures closed as withdrawn (issue 12 §1 and §6, issue 11 discovery).

How the old state is simulated (test_a_warehouse_loaded_under_the_round_4_label_...): today's main loads
the same workbook bytes (sha256 f283b2bb...) from its replay manifest, which maps them to the round-4
Google Sheet with the fragment "Round 4 IDP Estimation 3 May 2022" (``OLD_ROUND_4`` below is that
manifest entry, verbatim), with parser version 1; its parser reads round and date from that fragment.
The test builds an archive holding exactly main's manifest entries, runs the source with parser version
1, and deletes the discovered_document rows (main never wrote any for IOM). Then the next run replays
the real archive, as the next ``make run`` does.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import delete, event, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from extractors import hdx, iom_dtm
from extractors.base import Document
from extractors.dtm_rounds import candidates
from flows.report import change_rows
from sanctrace import pipeline, runs
from sanctrace.explain import explain, render
from warehouse.loader import STAGE_COLS, LoadContext, load_batch, load_observations
from warehouse.migrate import downgrade, upgrade
from warehouse.models import DiscoveredDocument, Observation, Series
from tests.un_replay import REPLAY, read, url_of

IOM = "iom-dtm-idps"
META, META_2022 = ("hdx_package_show_ukraine-idp-estimates_2023-10-18.json",
                   "hdx_package_show_ukraine-idp-estimates_2022-05-12.json")
R3, R13, R14 = ("round_3_idp_estimation_17_apr_2022.xlsx", "round_13_idp_estimation_25_may_2023.xlsx",
                "round_14_idp_estimation_25_september_2023.xlsx")
OLD_ROUND_4 = ("https://docs.google.com/spreadsheets/d/e/2PACX-1vR-979nIHciCm4QKU6A4TD8axbVKeYcsKLzsghxmyYLA5Da"
               "iQrV1PFGo42AktoBKVEPQ9zi8uwwaQ6c/pub?output=xlsx#hdx_resource=Round+4+IDP+Estimation+3+May+2022"
               "&last_modified=2022-05-11T08%3A34%3A39.567796")
APRIL_17, MAY_3, SEPT_30 = date(2022, 4, 17), date(2022, 5, 3), date(2023, 9, 30)
ROUND_13, ROUND_14 = "d6736bce-cb69-493b-8818-ce36ffc5e704", "b6f75de1-4b73-4870-9c30-0e3d1c919e76"


def archive(folder: Path, entries: list[tuple[str, str]]) -> Path:
    """A replay archive (manifest + byte copies of replay/iom-dtm-idps files) mapping each file to a URL."""
    (folder / IOM).mkdir(parents=True)
    for _, name in entries:
        shutil.copyfile(REPLAY / IOM / name, folder / IOM / name)
    manifest = {"source": IOM, "entries": [{"url": url, "file": name} for url, name in entries]}
    (folder / IOM / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    return folder


def runtime(rt: pipeline.Runtime, folder: Path, run_id: str) -> pipeline.Runtime:
    settings = rt.settings.model_copy(update={"replay_archive": folder})
    return pipeline.Runtime(settings, rt.engine, rt.store, run_id)


def versions(rt, **where) -> list[tuple[Observation, str, str]]:
    with Session(rt.engine, expire_on_commit=False) as session:
        query = select(Observation, Series.indicator, Series.geo).join(Series, Series.id == Observation.series_id)
        query = query.where(Observation.source_id == IOM, *(getattr(Observation, k) == v for k, v in where.items()))
        return list(session.execute(query.order_by(Observation.id)).all())


def current(rt, day: date) -> dict[tuple[str, str], Observation]:
    return {(ind, geo): o for o, ind, geo in versions(rt, period_end=day) if o.superseded_at is None}


def test_explain_of_an_east_figure_says_round_3_of_17_april_2022(rt):
    assert runs.run_source(rt, IOM).ok
    east = current(rt, APRIL_17)["idps", "UA-MACRO-EAST"]
    chain = explain(rt, east.id)
    assert chain["value"] == 1459000 and chain["period"] == ["2022-04-17", "2022-04-17"]
    assert chain["flags"] == "round=3" and chain["vintage"] == "2022-04-21" and chain["reproduced"]
    assert chain["snapshot"]["sha256"] == "f283b2bb36b6fca2598012f1842a7ebaa9e869b104f133c3397257952fad2725"
    assert "2PACX-1vSfneLQ38H" in chain["snapshot"]["url"]  # the round-3 sheet
    assert "hdx_resource=Round+3+IDP+Estimation+17+Apr+2022" in chain["snapshot"]["url"]
    assert chain["superseded_reason"] is None and chain["superseded_run_id"] is None
    shown = render(chain)
    assert "round=3" in shown and "2022-04-17 .. 2022-04-17" in shown and "(current)" in shown
    assert not current(rt, MAY_3)


def test_a_warehouse_loaded_under_the_round_4_label_is_corrected_by_the_next_run(rt, tmp_path, monkeypatch):
    main = archive(tmp_path / "main", [(url_of(IOM, META), META), (url_of(IOM, R14), R14),
                                       (url_of(IOM, R13), R13), (OLD_ROUND_4, R3)])
    with monkeypatch.context() as patch:
        patch.setattr(iom_dtm, "SOURCE", replace(iom_dtm.SOURCE, parser_version="1"))
        assert runs.run_source(runtime(rt, main, "run-main"), IOM).ok
    with rt.engine.begin() as conn:
        conn.execute(delete(DiscoveredDocument).where(DiscoveredDocument.source_id == IOM))
    wrong = current(rt, MAY_3)
    assert wrong["idps", "UA-MACRO-EAST"].value == 1459000 and wrong["idps", "UA-MACRO-EAST"].flags == "round=4"
    assert len(wrong) == 13 and wrong["idps", "UKR"].value == 7707000  # 6 + 6 macro-regions, 1 derived sum

    report = runs.run_source(runtime(rt, REPLAY, "run-next"), IOM)
    assert report.ok, report.failures
    assert report.withdrawn == 13 and not current(rt, MAY_3)
    closed = versions(rt, period_end=MAY_3)
    assert len(closed) == 13 and all(o.superseded_at is not None and o.superseded_reason == "withdrawn"
                                     and o.superseded_run_id == "run-next" for o, _, _ in closed)
    assert not [o for o, _, _ in versions(rt) if o.superseded_at is None and "round=4" in o.flags]
    right = current(rt, APRIL_17)
    assert len(right) == 13 and right["idps", "UA-MACRO-EAST"].flags == "round=3"
    assert right["idps", "UA-MACRO-WEST"].value == 2850000 and right["idps", "UKR"].value == 7707000
    assert current(rt, SEPT_30)["idps", "UA-12"].value == 498000  # rounds 13 and 14 unchanged, still current

    gone = [c for c in report.changes if c["action"] == "withdrawn"]
    assert len(gone) == 13 and all(c["value"] is None and str(c["period_start"]) == "2022-05-03" for c in gone)
    west = next(c for c in gone if c["geo"] == "UA-MACRO-WEST" and c["indicator"] == "idps")
    assert west["cur_value"] == 2850000 and west["locator"] == "cell:Current location of IDPs!C8"
    rows = change_rows([report.as_dict()])
    assert sum(r["change"] == "withdrawn" for r in rows) == 13
    assert {"change": "withdrawn", "old value": 2850000, "new value": None}.items() <= next(
        r for r in rows if r["series"] == "idps/UA-MACRO-WEST" and r["change"] == "withdrawn").items()

    chain = explain(rt, wrong["idps", "UA-MACRO-EAST"].id)
    assert chain["superseded_reason"] == "withdrawn" and chain["superseded_run_id"] == "run-next"
    assert not chain["reproduced"]  # the stored bytes now give round 3, 17 April: nothing on 3 May
    assert "WITHDRAWN" in render(chain) and "run-next" in render(chain)
    again = runs.run_source(runtime(rt, REPLAY, "run-3"), IOM)
    assert again.ok and again.withdrawn == 0 and again.new == 0


@pytest.mark.parametrize("how", ["force", "parser_version"])
def test_a_row_a_changed_parser_no_longer_reads_is_withdrawn(rt, monkeypatch, how):
    assert runs.run_source(rt, IOM).ok
    real = iom_dtm.parse

    def without_kharkivska(doc: Document):
        parsed = real(doc)
        return replace(parsed, records=[r for r in parsed.records if r.geo != "UA63|Kharkivska"])

    monkeypatch.setattr(iom_dtm, "parse", without_kharkivska)
    later = replace(pipeline.runtime(rt.settings), flow_run_id="run-reparse")
    if how == "force":
        report = runs.run_source(later, IOM, force=True)
    else:
        monkeypatch.setattr(iom_dtm, "SOURCE", replace(iom_dtm.SOURCE, parser_version="3"))
        report = runs.run_source(later, IOM)
    assert report.ok, report.failures
    assert report.withdrawn == 2 and report.revised == 1  # the derived national sum lost a part
    gone = {(c["indicator"], c["cur_value"]) for c in report.changes if c["action"] == "withdrawn"}
    assert gone == {("idps", 494000), ("returnees", 567000)}
    now = current(rt, SEPT_30)
    assert ("idps", "UA-63") not in now and ("returnees", "UA-63") not in now
    assert now["idps", "UKR"].value == 3674000 - 494000
    closed = [o for o, ind, geo in versions(rt, period_end=SEPT_30) if geo == "UA-63" and o.is_count]
    assert [(o.value, o.superseded_reason, o.superseded_run_id) for o in closed] == [
        (494000, "withdrawn", "run-reparse"), (567000, "withdrawn", "run-reparse")]
    revised = [o for o, ind, geo in versions(rt, period_end=SEPT_30) if geo == "UKR" and o.superseded_at]
    assert [(o.value, o.superseded_reason) for o in revised] == [(3674000, "revised")]


def test_discovery_across_two_states_of_the_hdx_dataset(rt, tmp_path):
    """May 2022 (4 resources) then October 2023 (14): the second run discovers exactly the 10 rounds
    added, fetches the two of them with a recorded workbook (13, 14) and reports 8 with no copy."""
    meta_2022 = Document.from_bytes(IOM, "https://data.humdata.org/m", read(IOM, META_2022))
    round_3 = next(c for c in candidates(hdx.resources(meta_2022), iom_dtm.DATASET) if c.round == 3)
    assert round_3.title == "Round 3 IDP Estimation 17 Apr 2022.xlsx"  # its May 2022 name
    may_2022 = archive(tmp_path / "2022-05-12", [(url_of(IOM, META), META_2022), (round_3.url, R3)])
    first = runs.run_source(runtime(rt, may_2022, "run-2022"), IOM)
    assert first.ok, first.failures
    assert {k: first.discovery[k] for k in ("discovered", "new", "changed", "known", "no_copy")} == {
        "discovered": 4, "new": 4, "changed": 0, "known": 0, "no_copy": 3}
    assert current(rt, APRIL_17)["idps", "UA-MACRO-EAST"].value == 1459000
    assert not current(rt, SEPT_30)

    second = runs.run_source(runtime(rt, REPLAY, "run-2023"), IOM)
    assert second.ok, second.failures
    assert {k: second.discovery[k] for k in ("discovered", "new", "changed", "known", "no_copy")} == {
        "discovered": 14, "new": 10, "changed": 0, "known": 4, "no_copy": 8}
    assert ROUND_13 not in second.discovery["no_copy_keys"] and ROUND_14 not in second.discovery["no_copy_keys"]
    with rt.engine.connect() as conn:
        loaded = dict(conn.execute(select(DiscoveredDocument.round, DiscoveredDocument.sha256).where(
            DiscoveredDocument.source_id == IOM, DiscoveredDocument.sha256.is_not(None))).all())
    assert sorted(loaded) == [3, 13, 14]
    assert loaded[3] == "f283b2bb36b6fca2598012f1842a7ebaa9e869b104f133c3397257952fad2725"
    assert current(rt, SEPT_30)["idps", "UA-12"].value == 498000
    assert current(rt, date(2023, 5, 25))["idps", "UA-63"].value == 689000
    assert second.withdrawn == 0 and len(current(rt, APRIL_17)) == 13


# --- the loader's withdrawn state, and the CHECKs on it -------------------------------------------

def frame(values: dict[str, float], sha: str) -> pd.DataFrame:
    """Two rows of a real UNHCR answer's shape (as tests/test_loader.py builds them)."""
    rows = [{"indicator": "refugees_from_ukraine_recorded", "geo": geo, "partner": "UKR", "commodity": "",
             "flow": "", "unit": "persons", "period_start": date(2022, 8, 1), "period_end": date(2022, 8, 1),
             "value": value, "is_count": True, "method": "published", "locator": f"json:/data/{i}/individuals",
             "raw": str(value), "published_unit": "persons", "cites_url": None, "vintage": None, "flags": "",
             "snapshot_sha256": sha} for i, (geo, value) in enumerate(values.items())]
    return pd.DataFrame(rows, columns=list(STAGE_COLS))


def snapshots(rt, *shas: str) -> None:
    with rt.engine.begin() as conn:
        for sha in shas:
            conn.execute(text("INSERT INTO snapshot (sha256, source_id, url, method, query, fetched_at, "
                              "http_status, content_type, headers, size_bytes, storage_uri) VALUES (:s, "
                              "'unhcr-ukraine-refugees', 'https://x', 'GET', '', '2022-08-05', 200, '', '{}', 1, 'x')"),
                         {"s": sha})


def test_a_row_dropped_from_a_later_version_of_the_same_document_is_withdrawn(rt):
    """The previous version's figures (snapshot S1) that the new version (S2) no longer holds."""
    s1, s2 = "1" * 64, "2" * 64
    snapshots(rt, s1, s2)
    ctx = LoadContext("unhcr-ukraine-refugees", "1", "run-1")
    load_observations(rt.engine, frame({"POL": 1256568, "DEU": 915000}, s1), ctx)
    with rt.engine.begin() as conn:
        result = load_batch(conn, [frame({"POL": 1256568}, s2)], replace(ctx, flow_run_id="run-2"), {s1, s2})
    assert (result.unchanged, result.withdrawn) == (1, 1)
    assert result.changes[0]["action"] == "withdrawn" and result.changes[0]["cur_value"] == 915000
    with rt.engine.connect() as conn:
        rows = conn.execute(select(Observation.value, Observation.superseded_reason, Observation.superseded_run_id)
                            .order_by(Observation.id)).all()
    assert sorted(tuple(r) for r in rows) == [(915000, "withdrawn", "run-2"), (1256568, None, None)]
    with rt.engine.begin() as conn:  # a snapshot not re-read keeps its figures current
        assert load_batch(conn, [frame({"POL": 1256568}, s2)], ctx, {s2}).withdrawn == 0


def test_documents_read_for_the_first_time_remember_no_keys_and_a_later_version_still_withdraws(rt):
    """A batch whose documents held no current figure before it can withdraw none (each figure it
    inserts, it yielded), so it writes no key per figure. Once they hold figures, a later version that
    drops one withdraws it all the same."""
    s1, s2 = "3" * 64, "4" * 64
    snapshots(rt, s1, s2)
    ctx = LoadContext("unhcr-ukraine-refugees", "1", "run-1")
    statements: list[str] = []

    def note(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(rt.engine, "before_cursor_execute", note)
    try:
        with rt.engine.begin() as conn:
            first = load_batch(conn, [frame({"POL": 1256568, "DEU": 915000}, s1)], ctx, {s1})
        assert (first.new, first.withdrawn) == (2, 0)
        assert not [s for s in statements if "seen_keys" in s]
        statements.clear()
        with rt.engine.begin() as conn:
            second = load_batch(conn, [frame({"POL": 1256568}, s2)], replace(ctx, flow_run_id="run-2"), {s1, s2})
        assert (second.unchanged, second.withdrawn) == (1, 1) and second.changes[0]["cur_value"] == 915000
        assert [s for s in statements if "INSERT INTO seen_keys" in s]
    finally:
        event.remove(rt.engine, "before_cursor_execute", note)


def test_revised_and_older_releases_say_why(rt):
    ctx = LoadContext("unhcr-ukraine-refugees", "1", "run-a")
    newer = frame({"POL": 2}, None).assign(vintage=date(2022, 9, 1))
    load_observations(rt.engine, newer, ctx)
    load_observations(rt.engine, frame({"POL": 1}, None).assign(vintage=date(2022, 8, 1)), replace(ctx, flow_run_id="run-b"))
    load_observations(rt.engine, frame({"POL": 3}, None).assign(vintage=date(2022, 10, 1)), replace(ctx, flow_run_id="run-c"))
    with rt.engine.connect() as conn:
        rows = conn.execute(select(Observation.value, Observation.superseded_reason, Observation.superseded_run_id)
                            .order_by(Observation.id)).all()
    assert rows == [(2, "revised", "run-c"), (1, "older_release", "run-b"), (3, None, None)]


def _one_observation(rt) -> None:
    load_observations(rt.engine, frame({"POL": 1256568}, None), LoadContext("unhcr-ukraine-refugees", "1"))


def _violate(rt, assignment: str) -> None:
    _one_observation(rt)
    with pytest.raises(IntegrityError, match="ck_obs_superseded|check"), rt.engine.begin() as conn:
        conn.execute(text(f"UPDATE observation SET {assignment}"))


def test_check_reason_is_one_of_three(rt):
    _violate(rt, "superseded_at = last_seen_at, superseded_reason = 'deleted'")


def test_check_a_closed_version_has_a_reason(rt):
    _violate(rt, "superseded_at = last_seen_at")


def test_check_a_current_version_has_no_reason(rt):
    _violate(rt, "superseded_reason = 'withdrawn'")


def test_check_a_current_version_has_no_closing_run(rt):
    _violate(rt, "superseded_run_id = 'run-x'")


def test_check_allows_each_reason(rt):
    _one_observation(rt)
    for reason in ("revised", "older_release", "withdrawn"):
        with rt.engine.begin() as conn:
            conn.execute(text("UPDATE observation SET superseded_at = last_seen_at, superseded_reason = :r, "
                              "superseded_run_id = 'run-x'"), {"r": reason})


def test_migration_0004_gives_versions_closed_before_it_their_reason(warehouse_url):
    downgrade(warehouse_url, "0003")
    from warehouse.engine import engine_for

    engine = engine_for(warehouse_url)
    obs = ("INSERT INTO observation (id, series_id, period_start, period_end, value, is_count, method, source_id, "
           "locator, raw, published_unit, parser_version, first_seen_at, last_seen_at, superseded_at, vintage, flags) "
           "VALUES (:id, 1, '2022-08-01', '2022-08-01', :v, TRUE, 'published', 'unhcr-ukraine-refugees', 'x', '', "
           "'', '1', :first, :first, :closed, :vintage, '')")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO source (id, family, publisher, name, homepage, licence, cadence, parser_version) "
                          "VALUES ('unhcr-ukraine-refugees', 'displacement', 'p', 'n', 'h', 'l', 'c', '1')"))
        conn.execute(text("INSERT INTO series (id, indicator, geo, partner, commodity, flow, unit) "
                          "VALUES (1, 'refugees', 'POL', '', '', '', 'persons')"))
        for row in ({"id": 1, "v": 1, "first": "2022-08-01 00:00:00", "closed": "2022-08-02 00:00:00", "vintage": "2022-08-01"},
                    {"id": 2, "v": 2, "first": "2022-08-02 00:00:00", "closed": None, "vintage": "2022-09-01"},
                    {"id": 3, "v": 0.5, "first": "2022-08-03 00:00:00", "closed": "2022-08-03 00:00:00", "vintage": "2022-07-01"}):
            conn.execute(text(obs), row)
    engine.dispose()
    upgrade(warehouse_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, superseded_reason, superseded_run_id FROM observation ORDER BY id")).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [(1, "revised", None), (2, None, None), (3, "older_release", None)]
