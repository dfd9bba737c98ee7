"""UN Comtrade: the recorded data response and bulk listing parsed exactly; strictness on derived
variants (built here from the recorded response, never stored as a source); request planning within
the API's limits; the bulk listing deciding whether to download; the key sent only as a header."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone

import pytest
from pydantic import SecretStr

from extractors import comtrade, comtrade_api as api
from extractors.base import Document, FetchError, FetchOptions, LayoutChanged
from tests.un_replay import REPLAY, ReplayClient, read, url_of

SRC = "un-comtrade"
DATA_FILE = "comtrade_v1_get_C_A_HS_reporter156_period2010_cmdTOTAL.json"
BULK_FILE = "comtrade_bulk_v1_get_C_A_HS_availability.json"
DATA_URL, BULK_URL = url_of(SRC, DATA_FILE), url_of(SRC, BULK_FILE)
PREVIEW_URL = DATA_URL.replace("/data/v1/get/", "/public/v1/preview/")


def doc(content: bytes | dict, url: str = DATA_URL) -> Document:
    body = content if isinstance(content, bytes) else json.dumps(content).encode()
    return Document.from_bytes(SRC, url, body)


def recorded() -> dict:
    return json.loads(read(SRC, DATA_FILE))


def test_recorded_response_gives_the_manifest_figures():
    parsed = comtrade.parse(doc(read(SRC, DATA_FILE)))
    values = {(r.flow, r.partner): r for r in parsed.records if r.indicator == "trade_value"}
    assert {k: r.value for k, r in values.items()} == {
        ("M", "32"): 6804128143.0, ("M", "276"): 74251272075.0,
        ("X", "32"): 6115764185.0, ("X", "276"): 68047133397.0}
    assert len(values) == recorded()["count"] == 4
    china_ar = values["M", "32"]
    assert (china_ar.geo, china_ar.commodity, china_ar.unit, china_ar.raw) == ("156", "TOTAL", "USD", "6804128143.0")
    assert (china_ar.period_start, china_ar.period_end) == (date(2010, 1, 1), date(2010, 12, 31))
    assert china_ar.locator == "json:/data/0/primaryValue" and china_ar.flags == ("classification=H3",)
    cif = {r.locator: r.value for r in parsed.records if r.indicator == "trade_value_cif"}
    fob = {r.locator: r.value for r in parsed.records if r.indicator == "trade_value_fob"}
    assert cif == {"json:/data/0/cifvalue": 6804128143.0, "json:/data/1/cifvalue": 74251272075.0}
    assert fob == {"json:/data/2/fobvalue": 6115764185.0, "json:/data/3/fobvalue": 68047133397.0}
    assert not [r for r in parsed.records if r.indicator in ("net_weight", "quantity")]  # null in the response
    assert not comtrade.check([parsed]).failed


def test_estimate_flags_weight_and_quantity():
    body = recorded()
    body["data"][0].update(isReported=False, legacyEstimationFlag=2, netWgt=1500.5, isNetWgtEstimated=True,
                           qty=12, qtyUnitAbbr="u", isQtyEstimated=False)
    records = {r.indicator: r for r in comtrade.parse(doc(body)).records if r.locator.startswith("json:/data/0/")}
    assert records["trade_value"].flags == ("classification=H3", "not_reported", "legacy_estimation=2")
    assert (records["net_weight"].value, records["net_weight"].unit) == (1500.5, "kg")
    assert "estimated" in records["net_weight"].flags and records["net_weight"].locator == "json:/data/0/netWgt"
    assert (records["quantity"].value, records["quantity"].unit, records["quantity"].flags) == (12.0, "u", records["trade_value"].flags)


@pytest.mark.parametrize("change,message", [
    (lambda b: b.update(count=5), "count says 5 rows but data holds 4"),
    (lambda b: b.update(error="Invalid subscription"), "error 'Invalid subscription'"),
    (lambda b: b["data"][1].pop("primaryValue"), "missing /data/1/primaryValue"),
    (lambda b: b["data"][1].update(primaryValue=None), "/data/1/primaryValue is null"),
    (lambda b: b["data"][2].update(primaryValue="12"), "/data/2/primaryValue is '12', not a number"),
    (lambda b: b["data"][0].update(motCode=2100), "/data/0/motCode is 2100: a breakdown"),
    (lambda b: b["data"][0].update(reporterCode=398), "/data/0/reporterCode is 398, not among the requested 156"),
    (lambda b: b["data"][3].update(period="2010-01"), "/data/3/period is '2010-01'"),
    (lambda b: b.pop("data"), "missing /data"),
])
def test_unknown_layouts_raise_naming_what_is_wrong(change, message):
    body = recorded()
    change(body)
    with pytest.raises(LayoutChanged, match="un-comtrade") as error:
        comtrade.parse(doc(body))
    assert message in str(error.value) and DATA_URL in str(error.value)


def test_monthly_rows_give_the_month():
    body = recorded()
    for row in body["data"]:
        row.update(freqCode="M", period="201002")
    record = comtrade.parse(doc(body)).records[0]
    assert (record.period_start, record.period_end) == (date(2010, 2, 1), date(2010, 2, 28))


def capped_preview(rows: int) -> Document:
    body = recorded()
    body["data"] = [dict(body["data"][0]) for _ in range(rows)]
    body["count"] = rows
    return doc(body, PREVIEW_URL)


def test_a_preview_reaching_its_cap_is_flagged_and_fails_the_run():
    parsed = comtrade.parse(capped_preview(api.PREVIEW_CAP))
    assert all("possibly_incomplete" in r.flags for r in parsed.records)
    result = comtrade.check([parsed])
    assert len(result.failed) == 1 and "500 rows reach the cap of 500" in result.failed[0]
    assert PREVIEW_URL in result.failed[0] and "possibly incomplete" in result.failed[0]
    below = comtrade.parse(capped_preview(api.PREVIEW_CAP - 1))
    assert not any("possibly_incomplete" in r.flags for r in below.records) and not comtrade.check([below]).failed


def test_a_data_call_reaching_its_max_records_is_capped_too():
    parsed = comtrade.parse(doc(read(SRC, DATA_FILE), DATA_URL + "&maxRecords=4"))
    assert all("possibly_incomplete" in r.flags for r in parsed.records)


def test_bulk_listing_gives_files_and_publication_dates():
    listing = doc(read(SRC, BULK_FILE), BULK_URL)
    files = api.availability(listing)
    assert [(f.reporter, f.period, f.classification, f.published, f.locator) for f in files] == [
        (32, "1962", "S1", datetime(2003, 4, 29, 11, 24, 10, tzinfo=timezone.utc), "json:/data/0/publicationDate")]
    assert comtrade.parse(listing).records == []
    broken = json.loads(read(SRC, BULK_FILE))
    broken["data"][0]["publicationDate"] = "soon"
    with pytest.raises(LayoutChanged, match="publicationDate is 'soon'"):
        comtrade.parse(doc(broken, BULK_URL))


def test_the_recorded_listing_decides_whether_to_download():
    files = api.availability(doc(read(SRC, BULK_FILE), BULK_URL))
    argentina_1962 = api.data_url([32], [0], ["TOTAL"], [1962], keyed=True)
    after, before = datetime(2024, 1, 1, tzinfo=timezone.utc), datetime(2001, 1, 1)  # naive = UTC
    assert api.needs_download(files, argentina_1962, None)  # never fetched
    assert not api.needs_download(files, argentina_1962, {"fetched_at": after})  # nothing published since
    assert api.needs_download(files, argentina_1962, {"fetched_at": before})  # published 2003, after our copy
    assert not api.needs_download(files, DATA_URL, {"fetched_at": before})  # listing names nothing for CHN 2010


class Recording:
    """The real replay client, remembering the headers each request carried."""

    def __init__(self):
        self.client, self.calls = ReplayClient(SRC), []

    def get(self, url, params=None, headers=None):
        self.calls.append((url, headers))
        return self.client.get(url, params, headers)


def test_fetch_runs_the_recorded_plan_sends_the_key_as_a_header_and_skips_what_is_current():
    key = SecretStr("test-key-0123456789abcdef")
    plan = api.recorded_plan(REPLAY)
    assert plan == {"availability": [BULK_URL], "data": [DATA_URL]}
    client = Recording()
    docs = list(comtrade.fetch(client, FetchOptions(extra={"comtrade_plan": plan, "comtrade_key": key})))
    assert [d.url for d in docs] == [BULK_URL, DATA_URL]
    assert all(h == {"Ocp-Apim-Subscription-Key": key.get_secret_value()} for _, h in client.calls)
    assert not any(key.get_secret_value() in url for url, _ in client.calls)
    state = {"documents": {DATA_URL: {"fetched_at": datetime.now(timezone.utc)}}}
    again = list(comtrade.fetch(Recording(), FetchOptions(extra={"comtrade_plan": plan}, state=state)))
    assert [d.url for d in again] == [BULK_URL]
    forced = list(comtrade.fetch(Recording(), FetchOptions(force=True, extra={"comtrade_plan": plan}, state=state)))
    assert [d.url for d in forced] == [BULK_URL, DATA_URL]


def test_fetch_without_a_plan_or_watch_list_says_what_it_needs():
    with pytest.raises(FetchError, match="comtrade_watch"):
        list(comtrade.fetch(Recording(), FetchOptions()))


WATCH = dict(reporters=[398, 417, 51, 268, 860, 792, 784, 156], partners=[643, 0], hs_codes=["8542", "8806"])


def test_watch_plan_batches_within_the_limits():
    years = api.default_years(None, None, date(2026, 3, 1))
    assert years == [2021, 2022, 2023, 2024, 2025]
    keyed = api.watch_plan(years=years, keyed=True, **WATCH)
    assert len(keyed["data"]) == 1 and keyed["data"][0].startswith(api.DATA.format(freq="A") + "?cmdCode=8542%2C8806")
    assert "reporterCode=398%2C417%2C51%2C268%2C860%2C792%2C784%2C156" in keyed["data"][0]
    assert keyed["availability"] == [api.BULK.format(freq="A") + "?reporterCode=398%2C417%2C51%2C268%2C860%2C792"
                                     "%2C784%2C156&period=2021%2C2022%2C2023%2C2024%2C2025"]
    keyless = api.watch_plan(years=list(range(2010, 2026)), keyed=False, **WATCH)
    assert keyless["availability"] == [] and all(api.is_preview(u) for u in keyless["data"])
    covered = set()
    for url in keyless["data"]:
        query = api.query_of(url)
        reporters, periods = query["reporterCode"].split(","), query["period"].split(",")
        assert len(periods) <= api.MAX_PERIODS
        assert len(reporters) * len(periods) * 2 * 2 * api.FLOWS_PER_PAIR <= api.PREVIEW_CAP
        covered |= {(r, p) for r in reporters for p in periods}
    assert len(covered) == 8 * 16


def test_a_listing_saved_to_a_file_is_recognised_without_its_url():
    assert comtrade.parse(doc(read(SRC, BULK_FILE), "/tmp/saved.json")).records == []


def test_the_trade_flow_turns_the_watch_list_into_comtrade_requests():
    from flows.trade import comtrade_extra

    replay = comtrade_extra({}, "replay")
    assert replay["comtrade_plan"] == api.recorded_plan(REPLAY)
    assert replay["comtrade_watch"] == {**WATCH, "reporters": WATCH["reporters"]}  # the settings' defaults
    narrowed = comtrade_extra({"reporters": ["KAZ"], "hs_codes": ["8542"]}, "replay")
    assert "comtrade_plan" not in narrowed  # a watch list given in replay asks for its own (unrecorded) URLs
    assert narrowed["comtrade_watch"] == {"reporters": [398], "partners": [643, 0], "hs_codes": ["8542"]}
    assert "comtrade_plan" not in comtrade_extra({}, "live")
