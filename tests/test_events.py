"""The events a run sends (sanctrace/events.py), built from real runs' reports on SQLite and PostgreSQL:
one per source and kind of news, never one per figure; nothing for an unchanged run.

The runs replay archives that hold one recorded state of a source, then a later one (as
tests/test_iom_withdrawn.py does): Kazakhstan's 2020 release, then the 2021 release, which restates 2020;
the HDX metadata of May 2022 with round 3, then of October 2023 with rounds 13 and 14.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from sanctrace import events, pipeline, runs
from tests.conftest import REPLAY

KZ, IOM, COUNCIL = "kz-stat-trade", "iom-dtm-idps", "eu-council-press"
KZ_2020, KZ_2021 = "kz_bns_foreign_trade_main_indicators_2020.xls", "kz_bns_foreign_trade_main_indicators_2021.xls"
URL_2021 = "https://stat.gov.kz/api/iblock/element/not-kept-2021/file/ru/"
SHA_2021 = "27d93ca182d76314ca67fe85077f7126cbc874fad03475ede22a492b0bcd6896"
META, META_2022 = ("hdx_package_show_ukraine-idp-estimates_2023-10-18.json",
                   "hdx_package_show_ukraine-idp-estimates_2022-05-12.json")
R3 = "round_3_idp_estimation_17_apr_2022.xlsx"


def archive(folder: Path, source_id: str, files: list[str], urls: dict[str, str] | None = None) -> Path:
    """A replay archive holding byte copies of these recorded files of replay/<source>/ (their recorded
    request, or the one ``urls`` gives: an older state of an index named a document differently)."""
    manifest = json.loads((REPLAY / source_id / "manifest.json").read_text("utf-8"))
    recorded = {e["file"]: e for e in manifest["entries"]}
    (folder / source_id).mkdir(parents=True)
    entries = []
    for name in files:
        shutil.copyfile(REPLAY / source_id / name, folder / source_id / name)
        entry = recorded.get(name, {"file": name})  # the May 2022 metadata is in no manifest
        entries.append({**entry, "url": (urls or {}).get(name) or entry["url"]})
    (folder / source_id / "manifest.json").write_text(json.dumps({"source": source_id, "entries": entries}), "utf-8")
    return folder


def run(rt: pipeline.Runtime, source_id: str, folder: Path, run_id: str) -> dict:
    settings = rt.settings.model_copy(update={"replay_archive": folder})
    report = runs.run_source(pipeline.Runtime(settings, rt.engine, rt.store, run_id), source_id)
    assert report.ok, report.failures
    return report.as_dict()


def by_kind(found: list[events.RunEvent]) -> dict[str, events.RunEvent]:
    kinds = [e.event for e in found]
    assert len(kinds) == len(set(kinds)), kinds  # one event per source and kind
    return {e.event: e for e in found}


def test_a_later_release_restating_a_year_gives_one_revised_and_one_new_document_event(rt, tmp_path):
    first = run(rt, KZ, archive(tmp_path / "a1", KZ, [KZ_2020]), "run-1")
    assert [e.event for e in events.run_events([first])] == [events.NEW_DOCUMENT]

    second = run(rt, KZ, archive(tmp_path / "a2", KZ, [KZ_2020, KZ_2021]), "run-2")
    assert second["revised"] == 21
    found = by_kind(events.run_events([second], "run-2", "brave-otter"))
    assert sorted(found) == [events.NEW_DOCUMENT, events.REVISED]
    new = found[events.NEW_DOCUMENT]
    assert new.resource["prefect.resource.id"] == "sanctrace.source.kz-stat-trade"
    assert new.related == [{"prefect.resource.id": "prefect.flow-run.run-2", "prefect.resource.role": "flow-run",
                            "prefect.resource.name": "brave-otter"}]
    # the 2020 release was parsed by run 1: only the 2021 release is new
    assert new.payload["count"] == 1 and new.payload["documents"] == [{"url": URL_2021, "sha256": SHA_2021}]
    revised = found[events.REVISED].payload
    assert (revised["source"], revised["revised"], revised["withdrawn"]) == (KZ, 21, 0)
    assert len(revised["examples"]) == events.EXAMPLES and revised["url"] == URL_2021
    # The examples in the order the document states them: the table's first row is the world total.
    assert [x["locator"] for x in revised["examples"]] == [
        "cell:12_2020!B6", "cell:12_2020!D6", "cell:12_2020!F6", "cell:12_2020!B7", "cell:12_2020!D7"]
    assert revised["examples"][0] == {
        "change": "revised", "series": "trade_value/KAZ/WLD/TOTAL/T", "unit": "USD",
        "period": "2020-01-01..2020-12-31", "old_value": 86469848800.0, "new_value": 86469848760.72,
        "locator": "cell:12_2020!B6", "sha256": SHA_2021, "document_url": URL_2021}
    assert revised["summary"].startswith("kz-stat-trade: 21 figure(s) revised, 0 withdrawn; e.g. ")
    json.dumps([e.payload for e in found.values()])  # what Prefect sends must be plain JSON
    # the run's changes artifact names each figure's own document (the 2020 release was read again too)
    from flows.report import change_rows

    assert {row["source document"] for row in change_rows([second])} == {URL_2021}


def test_an_unchanged_run_sends_nothing(rt, tmp_path):
    folder = archive(tmp_path / "a", KZ, [KZ_2020, KZ_2021])
    assert events.run_events([run(rt, KZ, folder, "run-1")])
    again = run(rt, KZ, folder, "run-2")
    assert again["skipped_unchanged"] and events.run_events([again]) == []


def test_a_new_iom_round_on_hdx_gives_one_document_event_listing_the_rounds(rt, tmp_path):
    """May 2022 (round 3), then October 2023: the rounds 13 and 14 with a recorded workbook are new
    documents, in one event; the HDX metadata (the index) is not announced."""
    may_2022 = archive(tmp_path / "2022", IOM, [META_2022, R3], {META_2022: _recorded_url(IOM, META),
                                                                 R3: round_3_in_may_2022()})
    first = by_kind(events.run_events([run(rt, IOM, may_2022, "run-2022")]))
    assert [d["round"] for d in first[events.NEW_DOCUMENT].payload["documents"]] == [3]

    second = run(rt, IOM, REPLAY, "run-2023")
    found = by_kind(events.run_events([second]))
    assert list(found) == [events.NEW_DOCUMENT]
    docs = found[events.NEW_DOCUMENT].payload["documents"]
    assert sorted(d["round"] for d in docs) == [13, 14]
    r14 = next(d for d in docs if d["round"] == 14)
    assert r14["title"].startswith("Round 14 IDP Estimation") and r14["key"] == "b6f75de1-4b73-4870-9c30-0e3d1c919e76"
    assert r14["url"] == _recorded_url(IOM, "round_14_idp_estimation_25_september_2023.xlsx")
    assert "round 14" in found[events.NEW_DOCUMENT].payload["summary"]


def test_new_notices_are_one_event_and_not_again(rt):
    first = run(rt, COUNCIL, REPLAY, "run-1")
    found = by_kind(events.run_events([first]))
    notices = found[events.NEW_NOTICE].payload
    assert notices["count"] == first["notices_new"] == 10 == len(notices["notices"])
    titles = {n["title"] for n in notices["notices"]}
    assert "Russia’s war of aggression against Ukraine: EU adopts 15th package of restrictive measures" in titles
    assert events.NEW_NOTICE not in by_kind(events.run_events([run(rt, COUNCIL, REPLAY, "run-2")]))


def round_3_in_may_2022() -> str:
    """Round 3's URL as the May 2022 metadata lists it (its name then)."""
    from extractors import hdx, iom_dtm
    from extractors.base import Document
    from extractors.dtm_rounds import candidates

    meta = Document.from_bytes(IOM, "https://data.humdata.org/m", (REPLAY / IOM / META_2022).read_bytes())
    return next(c.url for c in candidates(hdx.resources(meta), iom_dtm.DATASET) if c.round == 3)


def _recorded_url(source_id: str, name: str) -> str:
    manifest = json.loads((REPLAY / source_id / "manifest.json").read_text("utf-8"))
    return next(e["url"] for e in manifest["entries"] if e["file"] == name)


# --- the payloads as plain functions of a report ---------------------------------------------------

def report(**given) -> dict:
    base = pipeline.SourceReport("kz-stat-trade", "trade").as_dict()
    return {**base, **given}


def test_a_failed_source_sends_its_reason():
    [event] = events.run_events([report(failures=["[kz-stat-trade] listing: connection refused"], ok=False)])
    assert event.event == events.FAILED and event.payload["reason"] == "[kz-stat-trade] listing: connection refused"
    assert event.payload["summary"].startswith("kz-stat-trade failed: ")


def test_a_large_run_lists_a_few_and_counts_all():
    docs = [{"url": f"https://x/{i}", "sha256": f"{i:064d}", "round": i, "title": ""} for i in range(300)]
    change = {"action": "revised", "indicator": "idps", "geo": "UA-12", "partner": "", "commodity": "", "flow": "",
              "unit": "persons", "period_start": None, "period_end": None, "cur_value": 1, "value": 2,
              "locator": "cell:A1", "snapshot_sha256": "0" * 64}
    found = by_kind(events.run_events([report(new_documents=docs, revised=300, changes=[change] * 300)]))
    assert found[events.NEW_DOCUMENT].payload["count"] == 300
    assert len(found[events.NEW_DOCUMENT].payload["documents"]) == events.LISTED
    assert "title" not in found[events.NEW_DOCUMENT].payload["documents"][0]  # empty identity left out
    assert found[events.REVISED].payload["revised"] == 300 and len(found[events.REVISED].payload["examples"]) == 5


def test_nothing_new_nothing_sent():
    assert events.run_events([report(unchanged=1047, skipped_unchanged=True)]) == []


@pytest.mark.parametrize("value,shown", [(742202917.7399999, 742202917.74), (5007142.5, 5007142.5)])
def test_values_lose_their_binary_noise(value, shown):
    change = {"action": "revised", "indicator": "trade_value", "cur_value": value, "value": value, "unit": "USD",
              "period_start": None, "period_end": None, "locator": "", "snapshot_sha256": ""}
    [event] = events.run_events([report(revised=1, changes=[change])])
    assert event.payload["examples"][0]["new_value"] == shown
