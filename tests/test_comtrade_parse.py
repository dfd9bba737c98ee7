"""UN Comtrade: the recorded data response and bulk listing parsed exactly; strictness on derived
variants (built here from the recorded response, never stored as a source); request planning within
the API's limits; the bulk listing deciding whether to download; the key sent only as a header."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone

import pytest
from pydantic import SecretStr

from extractors import comtrade, comtrade_api as api, comtrade_reference as ref
from extractors.base import Document, FetchError, FetchOptions, LayoutChanged, WatchList
from extractors.discovery import DiscoveryLog
from tests.un_replay import REPLAY, ReplayClient, read, url_of

SRC = "un-comtrade"
DATA_FILE = "comtrade_v1_get_C_A_HS_reporter156_period2010_cmdTOTAL.json"
BULK_FILE = "comtrade_bulk_v1_get_C_A_HS_availability.json"
REPORTERS_FILE, HS_FILE = "comtrade_v1_reference_Reporters_2025-12-07.json", "comtrade_v1_reference_HS_2025-12-07.json"
DATA_URL, BULK_URL = url_of(SRC, DATA_FILE), url_of(SRC, BULK_FILE)
REFERENCE = [ref.REPORTERS_URL, ref.HS_URL]
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


def test_rows_report_the_fields_the_parser_does_not_read():
    unread = comtrade.parse(doc(read(SRC, DATA_FILE))).unread
    assert {"reporterDesc", "partnerDesc", "cmdDesc", "refYear", "grossWgt", "altQty"} <= set(unread)
    assert not {"primaryValue", "reporterCode", "motCode", "period"} & set(unread)


def test_an_area_neither_list_knows_fails_naming_it():
    body = recorded()
    body["data"][1].update(partnerCode=1, partnerDesc="Atlantis")
    with pytest.raises(LayoutChanged) as error:
        comtrade.parse(doc(body, DATA_URL.replace("partnerCode=32%2C280%2C276", "partnerCode=32%2C1%2C276")))
    assert "/data/1/partnerCode 1 ('Atlantis' in the row)" in str(error.value)
    body["data"][1].update(partnerCode=530, partnerDesc="Neth. Antilles")  # in the list, no current ISO code
    with pytest.raises(LayoutChanged, match="'Netherlands Antilles \\(...2010\\)'.*gives it 'ANT'"):
        comtrade.parse(doc(body, DATA_URL.replace("partnerCode=32%2C280%2C276", "partnerCode=32%2C530%2C276")))


def test_the_publishers_reference_lists_exactly():
    reporters = ref.read_reporters(doc(read(SRC, REPORTERS_FILE), ref.REPORTERS_URL))
    assert len(reporters.areas) == 255 and sum(a.is_group for a in reporters.areas.values()) == 3
    assert next(iter(reporters.areas.values())).name == "Afghanistan"
    assert {n: reporters.iso_of(n) for n in (398, 417, 860, 643, 112, 804)} == {
        398: "KAZ", 417: "KGZ", 860: "UZB", 643: "RUS", 112: "BLR", 804: "UKR"}
    assert reporters.areas[398].expired is None and reporters.areas[280].expired.year == 1990
    assert reporters.code_of("DEU") == 276 and reporters.iso_of(280) == "DEU"  # the current entry is requested
    assert reporters.iso_of(97) == "AGG-EU" and reporters.iso_of(975) == "AGG-ASEAN"  # groups never countries
    assert reporters.iso_of(58) == "AGG-BELGIUM-LUXEMBOURG"  # filed under BEL, but two countries
    assert reporters.iso_of(0) == "WLD" and reporters.code_of("WLD") == 0  # partner-only: the table answers
    hs = ref.read_hs(doc(read(SRC, HS_FILE), ref.HS_URL))
    levels = json.loads(read(SRC, HS_FILE))["results"]
    assert len(hs) == 8262 and [sum(r["aggrLevel"] == n for r in levels) for n in (2, 4, 6)] == [98, 1266, 6897]
    assert hs["8542"] == "8542 - Electronic integrated circuits" and "854231" in hs
    assert hs["8806"] == "8806 - Unmanned aircraft" and {"880621", "880622"} <= set(hs)
    assert hs["TOTAL"] == "Total - All H6 commodities"
    assert comtrade.parse(doc(read(SRC, HS_FILE), ref.HS_URL)).records == []
    assert "reporterCodeIsoAlpha2" in comtrade.parse(doc(read(SRC, REPORTERS_FILE), ref.REPORTERS_URL)).unread
    assert ref.bundled().areas == reporters.areas  # the shipped copy is the recorded list


class Recording:
    """The real replay client, remembering the headers each request carried."""

    def __init__(self):
        self.client, self.calls = ReplayClient(SRC), []

    def get(self, url, params=None, headers=None):
        self.calls.append((url, headers))
        return self.client.get(url, params, headers)

    def has(self, url, params=None):
        return self.client._client.has(url, params)


def replay_options(**kw) -> FetchOptions:
    return FetchOptions(params=comtrade.Params(**comtrade.replay_defaults(REPLAY)), **kw)


def test_fetch_reads_the_lists_then_the_recorded_plan_and_sends_the_key_only_as_a_header():
    key = SecretStr("test-key-0123456789abcdef")
    assert comtrade.replay_defaults(REPLAY) == {"requests": [DATA_URL], "listings": [BULK_URL]}
    client = Recording()
    options = replay_options(secrets={"comtrade_key": key})
    docs = list(comtrade.fetch(client, options))
    assert [d.url for d in docs] == REFERENCE + [BULK_URL, DATA_URL]
    sent = dict(client.calls)
    assert sent[ref.REPORTERS_URL] is None and sent[ref.HS_URL] is None  # public files: no key
    assert sent[BULK_URL] == sent[DATA_URL] == {"Ocp-Apim-Subscription-Key": key.get_secret_value()}
    assert not any(key.get_secret_value() in url for url, _ in client.calls)
    assert options.discovery.counts() == {"discovered": 1, "new": 1, "changed": 0, "known": 0, "no_copy": 0}


def test_the_listing_decides_which_data_requests_are_new():
    known = DiscoveryLog(known={DATA_URL: ""})  # fetched before; the listing names no file for CHN 2010
    again = replay_options(secrets={"comtrade_key": SecretStr("k")}, discovery=known)
    assert [d.url for d in comtrade.fetch(Recording(), again)] == REFERENCE + [BULK_URL]
    assert again.discovery.counts()["known"] == 1
    moved = DiscoveryLog(known={DATA_URL: "2003-04-29T11:24:10+00:00"})  # a version the listing no longer gives
    changed = replay_options(secrets={"comtrade_key": SecretStr("k")}, discovery=moved)
    assert [d.url for d in comtrade.fetch(Recording(), changed)][-1] == DATA_URL
    forced = replay_options(secrets={"comtrade_key": SecretStr("k")}, discovery=DiscoveryLog(known={DATA_URL: ""}, force=True))
    assert [d.url for d in comtrade.fetch(Recording(), forced)] == REFERENCE + [BULK_URL, DATA_URL]


def test_a_listing_file_published_later_is_the_candidates_version():
    files = api.availability(doc(read(SRC, BULK_FILE), BULK_URL))
    argentina_1962 = api.data_url([32], [0], ["TOTAL"], [1962], keyed=True)
    candidate = comtrade._candidate(argentina_1962, files)
    assert (candidate.key, candidate.version) == (argentina_1962, "2003-04-29T11:24:10+00:00")
    assert comtrade._candidate(DATA_URL, files).version == ""


def test_the_watch_list_is_checked_against_the_publishers_lists_before_any_request():
    client = Recording()
    watch = WatchList(hs_codes=("8542", "8806", "1299"), reporters=("KAZ", "XXX", "WLD"), partners=("RUS", "WLD", "ATL"))
    options = FetchOptions(params=comtrade.Params(), watch=watch)
    with pytest.raises(comtrade.WatchListRefused) as error:
        list(comtrade.fetch(client, options))
    message = str(error.value)
    for named in ("reporter 'XXX'", "reporter 'WLD' (0) is not in UN Comtrade's reporter list", "partner 'ATL'",
                  "HS code '1299'", "nothing was requested"):
        assert named in message
    assert [url for url, _ in client.calls] == REFERENCE  # nothing else was asked


WATCH = dict(reporters=[398, 417, 51, 268, 860, 792, 784, 156], partners=[643, 0], hs_codes=["8542", "8806"])
SETTINGS_WATCH = WatchList(("8542", "8806"), ("KAZ", "KGZ", "ARM", "GEO", "UZB", "TUR", "ARE", "CHN"), ("RUS", "WLD"))


def test_the_iso_watch_list_becomes_comtrade_requests_without_a_key():
    hs = ref.read_hs(doc(read(SRC, HS_FILE), ref.HS_URL))
    watch = comtrade.check_watch(SETTINGS_WATCH, ref.bundled(), hs)
    assert (watch.reporters, watch.partners, watch.hs_codes) == (WATCH["reporters"], WATCH["partners"], WATCH["hs_codes"])
    client = Recording()
    options = FetchOptions(params=comtrade.Params(), watch=SETTINGS_WATCH, start=date(2021, 1, 1), end=date(2023, 12, 31))
    docs = list(comtrade.fetch(client, options))
    assert [d.url for d in docs] == REFERENCE  # the preview requests are not recorded: reported, not empty
    asked = [url for url, _ in client.calls][2:]
    assert asked and all(api.is_preview(u) for u in asked)
    assert "reporterCode=398%2C417%2C51%2C268%2C860%2C792%2C784%2C156" in asked[0] and "partnerCode=643%2C0" in asked[0]
    assert len(options.failures) == len(asked) and "not in the replay archive" in options.failures[0]


def test_without_the_hs_list_nothing_is_requested():
    class NoHS(Recording):
        def get(self, url, params=None, headers=None):
            if url == ref.HS_URL:
                self.calls.append((url, headers))
                raise FetchError(SRC, url, "HTTP 503 after retries")
            return super().get(url, params, headers)

    client = NoHS()
    with pytest.raises(FetchError, match="watch list cannot be checked"):
        list(comtrade.fetch(client, FetchOptions(params=comtrade.Params(), watch=SETTINGS_WATCH)))
    assert [url for url, _ in client.calls] == REFERENCE


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




def test_without_the_reporter_list_the_shipped_copy_checks_the_watch_list_and_the_failure_is_reported():
    class NoReporters(Recording):
        def get(self, url, params=None, headers=None):
            if url == ref.REPORTERS_URL:
                self.calls.append((url, headers))
                raise FetchError(SRC, url, "HTTP 503 after retries")
            return super().get(url, params, headers)

    options = replay_options()
    docs = list(comtrade.fetch(NoReporters(), options))
    assert [d.url for d in docs] == [ref.HS_URL, BULK_URL, DATA_URL]
    assert options.failures == [f"Comtrade reporter list (using the shipped copy): {ref.REPORTERS_URL}: HTTP 503 after retries"]
