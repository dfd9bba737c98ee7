"""UN Comtrade, Eurostat Comext and Eurostat SDMX end to end from the recorded documents into the
warehouse, on SQLite and PostgreSQL: exact figures with ISO codes and locators, aggregates kept apart,
idempotence, `explain` reproducing a sample, and the Comtrade key never leaving the request header."""

from __future__ import annotations

import json
import logging
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import SQLModel

from extractors import comtrade_api
from sanctrace import pipeline, runs
from sanctrace.explain import explain
from tests.conftest import REPLAY, snapshot_sha
from tests.faults.server import FaultServer
from tests.faults.sources import light_params
from warehouse.models import Observation, Series

COMTRADE, COMEXT, SDMX = "un-comtrade", "eurostat-comext", "eurostat-sdmx"
TEST_KEY = "sanctrace-test-key-7f3a9c1e5b"
EU27, DEC21, DEC22 = "AGG-EU27_2020", date(2021, 12, 31), date(2022, 12, 31)


def current(rt, source: str, commodity: str | None = None) -> dict[tuple, Observation]:
    query = (select(Observation, Series).join(Series, Series.id == Observation.series_id)
             .where(Observation.source_id == source, Observation.superseded_at.is_(None)))
    if commodity is not None:
        query = query.where(Series.commodity == commodity)
    with Session(rt.engine, expire_on_commit=False) as session:
        rows = session.execute(query).all()
    return {(s.indicator, s.geo, s.partner, s.flow, o.period_end): o for o, s in rows}


def test_comtrade_figures_in_usd_with_iso_codes(rt):
    report = runs.run_source(rt, COMTRADE)
    assert report.ok, report.failures
    obs = current(rt, COMTRADE)
    end = date(2010, 12, 31)
    values = {(k[2], k[3]): o.value for k, o in obs.items() if k[0] == "trade_value" and k[1] == "CHN"}
    assert values == {("ARG", "M"): 6804128143.0, ("DEU", "M"): 74251272075.0,
                      ("ARG", "X"): 6115764185.0, ("DEU", "X"): 68047133397.0}
    count = json.loads((REPLAY / COMTRADE / "comtrade_v1_get_C_A_HS_reporter156_period2010_cmdTOTAL.json").read_text())["count"]
    assert len(values) == count == 4  # the response's count matches the rows loaded
    argentina = obs["trade_value", "CHN", "ARG", "M", end]
    assert (argentina.locator, argentina.raw, argentina.published_unit) == ("json:/data/0/primaryValue", "6804128143.0", "USD")
    assert (argentina.period_start, argentina.flags, argentina.is_count) == (date(2010, 1, 1), "classification=H3", False)
    assert obs["trade_value_cif", "CHN", "DEU", "M", end].value == 74251272075.0
    assert obs["trade_value_fob", "CHN", "DEU", "X", end].locator == "json:/data/3/fobvalue"
    assert len(obs) == 8
    chain = explain(rt, argentina.id)
    assert chain["reproduced"] and chain["text_at_locator"] == "6804128143.0"
    assert chain["series"]["commodity"] == "TOTAL"


def test_comtrade_second_run_adds_nothing_and_the_listing_skips_the_download(rt):
    first = runs.run_source(rt, COMTRADE)
    assert first.discovery["new"] == 1 and first.unread and "partnerDesc" in first.unread
    again = runs.run_source(rt, COMTRADE)
    assert again.ok and again.new == 0 and again.revised == 0
    assert again.discovery["known"] == 1 and again.discovery["new"] == 0
    shas = runs.fetch(rt, COMTRADE, "replay", False, None, None, None, None)["shas"]
    urls = {row["url"] for row in pipeline.wh.snapshot_rows(rt.engine, shas).values()}
    # the two reference lists and the bulk listing: it shows nothing newer than the stored data response
    assert len(shas) == 3 and not any("/data/v1/get/" in u for u in urls)


CSV_SHAS = {"b82207c5d5f9ea4279c3e894a196dcdd94c6f1cc965ab38184d0ec74e5590fcd",
            "0a5223c5ffe54eb22bd1287a0a98b549cbf6e40e632a437a6f618596a629e63c"}


def test_comext_figures_in_euros_with_aggregates_apart(rt):
    # the two CSVs; the CN8 workbook, loaded with them by default, has its own tests (tests/test_comext_cn8.py)
    report = runs.run_source(rt, COMEXT, params=light_params(COMEXT))
    assert report.ok, report.failures
    obs = current(rt, COMEXT, commodity="TOTAL")
    assert {snapshot_sha(rt.engine, i) for i in {o.snapshot_id for o in obs.values()}} == CSV_SHAS
    assert len(obs) == 60
    assert obs["trade_value", EU27, "KAZ", "X", DEC21].value == 562078864.0
    eu22 = obs["trade_value", EU27, "KAZ", "X", DEC22]
    assert (eu22.value, eu22.published_unit, eu22.flags) == (1371276014.0, "EUR", "aggregate")
    germany = obs["trade_value", "DEU", "KAZ", "X", DEC22]
    assert (germany.value, germany.locator, germany.period_start) == (365752435.0, "csv:row=27;col=VALUE_IN_EUR", date(2022, 12, 1))
    assert obs["trade_value", "DEU", "KAZ", "X", DEC21].value == 182526879.0
    aggregates = {k[1] for k in obs if k[1].startswith("AGG-")}
    assert aggregates == {"AGG-EA", "AGG-EA20", "AGG-EU", EU27}
    members = [o.value for k, o in obs.items() if k[4] == DEC22 and not k[1].startswith("AGG-")]
    assert len(members) == 26 and sum(members) == eu22.value  # summed apart, never with the aggregates
    assert runs.run_source(rt, COMEXT, params=light_params(COMEXT)).new == 0
    chain = explain(rt, germany.id)
    assert chain["reproduced"] and chain["text_at_locator"] == "365752435"


def test_sdmx_gdp_in_euros_with_the_prepared_vintage(rt):
    report = runs.run_source(rt, SDMX)
    assert report.ok, report.failures
    obs = current(rt, SDMX)
    got = {k[4].year: (o.value, o.raw, o.published_unit) for k, o in obs.items()}
    assert got == {2012: (46526.2e6, "46526.2", "million EUR"), 2013: (49094.5e6, "49094.5", "million EUR"),
                   2014: (51791.3e6, "51791.3", "million EUR"), 2015: (54142.3e6, "54142.3", "million EUR")}
    key = ("NAMA_10_GDP.na_item=B1GQ", "LUX", "", "", date(2015, 12, 31))
    assert obs[key].vintage == date(2022, 11, 11) and obs[key].value == 54142300000.0
    assert runs.run_source(rt, SDMX).new == 0
    chain = explain(rt, obs[key].id)
    assert chain["reproduced"] and chain["text_at_locator"] == "54142.3"


@pytest.fixture
def comtrade_server():
    server = FaultServer().start()
    for entry in json.loads((REPLAY / COMTRADE / "manifest.json").read_text())["entries"]:
        path = entry["url"].split("comtradeapi.un.org", 1)[1]  # the request line's path and query
        server.serve(path, (REPLAY / COMTRADE / entry["file"]).read_bytes(), "application/json")
    yield server
    server.stop()


def everything_stored(rt, store: Path) -> str:
    """Every byte of the snapshot store and every value of every warehouse table, as text."""
    texts = [p.read_bytes().decode("utf-8", "replace") for p in store.rglob("*") if p.is_file()]
    with rt.engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            texts += [repr(tuple(row)) for row in conn.execute(table.select())]
    return "\n".join(texts)


def test_the_comtrade_key_never_leaves_the_request_header(settings, comtrade_server, caplog, tmp_path, monkeypatch):
    monkeypatch.setenv("SANCTRACE_COMTRADE_KEY", TEST_KEY)  # SourceInfo.secrets: env first, then the block
    port = comtrade_server.httpd.server_address[1]
    live = settings.model_copy(update={"host_map": {"comtradeapi.un.org": f"127.0.0.1:{port}"},
                                       "private_hosts_allowed": ["127.0.0.1"], "min_host_interval": 0.0,
                                       "retry_total": 0})
    rt = pipeline.runtime(live)
    pipeline.register_sources(rt)
    plan = comtrade_api.recorded_plan(REPLAY)
    plan["data"].append(plan["data"][0].replace("period=2010", "period=2011"))  # not served: a 404 failure
    caplog.set_level(logging.DEBUG)
    report = runs.run_source(rt, COMTRADE, mode="live",
                             params={"requests": plan["data"], "listings": plan["availability"]})
    assert report.new == 8 and len(report.failures) == 1 and "HTTP 404" in report.failures[0]
    sent = {r["path"]: r["headers"].get("Ocp-Apim-Subscription-Key") for r in comtrade_server.requests}
    keyed = [k for p, k in sent.items() if "/files/v1/app/reference/" not in p]
    assert keyed == [TEST_KEY] * 3  # the key was used for the listing and the data ...
    assert [k for p, k in sent.items() if "/files/v1/app/reference/" in p] == [None, None]  # (public lists)
    stored = everything_stored(rt, Path(live.snapshot_store))
    assert "comtradeapi.un.org/data/v1/get/C/A/HS" in stored  # (the grep reads the real rows)
    for where, text in (("snapshot store and warehouse", stored), ("logs", caplog.text),
                        ("run report", json.dumps(report.as_dict(), default=str))):
        assert TEST_KEY not in text, f"the key leaked into the {where}"  # ... and is nowhere else


def test_a_capped_preview_response_is_not_loaded(settings, tmp_path):
    """A keyless preview reaching its 500-row cap fails the run with its URL; nothing of it is loaded.
    The document is derived here from the recorded data response (no preview response is recorded)."""
    body = json.loads((REPLAY / COMTRADE / "comtrade_v1_get_C_A_HS_reporter156_period2010_cmdTOTAL.json").read_text())
    rows = body["data"]
    body["data"] = [dict(rows[i % 4]) for i in range(comtrade_api.PREVIEW_CAP)]
    body["count"] = len(body["data"])
    archive = tmp_path / "replay"
    (archive / COMTRADE).mkdir(parents=True)
    (archive / COMTRADE / "preview.json").write_text(json.dumps(body))
    url = comtrade_api.recorded_plan(REPLAY)["data"][0].replace("/data/v1/get/", "/public/v1/preview/")
    (archive / COMTRADE / "manifest.json").write_text(json.dumps(
        {"source": COMTRADE, "entries": [{"url": url, "file": "preview.json", "content_type": "application/json"}]}))
    rt = pipeline.runtime(settings.model_copy(update={"replay_archive": archive}))
    pipeline.register_sources(rt)
    report = runs.run_source(rt, COMTRADE, params={"requests": [url], "check_reference": False})
    assert not report.ok and "possibly incomplete" in report.failures[0] and url in report.failures[0]
    assert current(rt, COMTRADE) == {}


def test_the_reference_lists_are_fetched_conditionally(settings, comtrade_server):
    """A second live run asks for UN Comtrade's reference lists with the ETag it stored: 304, reused."""
    port = comtrade_server.httpd.server_address[1]
    live = settings.model_copy(update={"host_map": {"comtradeapi.un.org": f"127.0.0.1:{port}"},
                                       "private_hosts_allowed": ["127.0.0.1"], "min_host_interval": 0.0,
                                       "retry_total": 0})
    rt = pipeline.runtime(live)
    pipeline.register_sources(rt)
    params = {"requests": comtrade_api.recorded_plan(REPLAY)["data"], "listings": []}
    first = runs.run_source(rt, COMTRADE, mode="live", params=params)
    assert first.ok and first.new == 8 and first.not_modified == 0
    comtrade_server.requests.clear()
    again = runs.run_source(rt, COMTRADE, mode="live", params=params)
    asked = {r["path"]: r["headers"].get("If-None-Match") for r in comtrade_server.requests}
    lists = [p for p in asked if "/files/v1/app/reference/" in p]
    assert len(lists) == 2 and all(asked[p] for p in lists)  # sent the stored ETags
    assert again.ok and again.not_modified == 3 and again.new == 0  # the lists and the data request: 304


def test_a_watch_list_the_publisher_does_not_list_is_refused_before_any_data_request(rt):
    watch = {"hs_codes": ["8542", "1299"], "reporters": ["KAZ", "XXX"], "partners": ["RUS", "WLD"]}
    report = runs.run_source(rt, COMTRADE, watch=watch, params={"check_reference": True})
    assert not report.ok and current(rt, COMTRADE) == {}
    failure = report.failures[0]
    assert "reporter 'XXX'" in failure and "HS code '1299'" in failure and "nothing was requested" in failure
    with rt.engine.connect() as conn:
        from sqlalchemy import text
        asked = [r[0] for r in conn.execute(text('SELECT url FROM "fetch" WHERE source_id = :s'), {"s": COMTRADE})]
    assert sorted(asked) == ["https://comtradeapi.un.org/files/v1/app/reference/HS.json",
                             "https://comtradeapi.un.org/files/v1/app/reference/Reporters.json"]
    good = {"hs_codes": ["8542"], "reporters": ["KAZ"], "partners": ["RUS"]}
    named = runs.run_source(rt, COMTRADE, watch=good, params={"check_reference": True})
    assert not named.ok and any("public/v1/preview/C/A/HS?cmdCode=8542&partnerCode=643&reporterCode=398" in f
                                and "not in the replay archive" in f for f in named.failures)
