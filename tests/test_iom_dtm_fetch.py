"""IOM DTM discovery on the real HDX metadata (replay/iom-dtm-idps): round names, which rounds a run
fetches, and a round that cannot be fetched (only rounds 4, 13 and 14 are recorded: asking for
round 12 is a real "not in the archive" failure of the replay)."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlsplit

import pytest

from extractors import hdx, iom_dtm
from extractors.base import Document, FetchError, FetchOptions
from extractors.dtm_rounds import hint, loaded_rounds, parse_round_name, rounds_from_resources, select_rounds
from tests.un_replay import ReplayClient, read, url_of

SRC = "iom-dtm-idps"
META = "hdx_package_show_ukraine-idp-estimates_2023-10-18.json"


@pytest.fixture(scope="module")
def rounds():
    doc = Document.from_bytes(SRC, url_of(SRC, META), read(SRC, META))
    return rounds_from_resources(hdx.resources(doc))


def test_round_names_parse_in_every_format(rounds):
    assert [r.number for r in rounds] == list(range(1, 15))
    by_number = {r.number: r for r in rounds}
    assert by_number[1].name == "Round 1 IDP Estimatation 16 03 2022"  # sic
    assert by_number[1].survey_date == date(2022, 3, 16)
    assert by_number[3].survey_date == date(2022, 4, 17)  # "17 Apr 2022"
    assert by_number[14].survey_date == date(2023, 9, 25)
    assert by_number[13].last_modified == "2023-07-04T17:18:43.525855"
    assert by_number[14].locator == "json:/resources/0"
    assert all(r.survey_date for r in rounds)


@pytest.mark.parametrize("text,expected", [
    ("Round 14 IDP Estimation 25 September 2023", (14, date(2023, 9, 25))),
    ("Round 1 IDP Estimatation 16 03 2022", (1, date(2022, 3, 16))),
    ("round_4_idp_estimation_3_may_2022.xlsx", (4, date(2022, 5, 3))),
    ("data_-round-13-idp-report.xlsx", (13, None)),
    ("idp-estimates-r14.xlsx", (None, None)),
])
def test_parse_round_name(text, expected):
    assert parse_round_name(text) == expected


def test_round_13_already_loaded_fetches_only_round_14(rounds):
    loaded = {13: "2023-07-04T17:18:43.525855"}
    assert [r.number for r in select_rounds(rounds, loaded, None)] == [14]


def test_selection_rules(rounds):
    assert [r.number for r in select_rounds(rounds, {}, None)] == [14]
    assert [r.number for r in select_rounds(rounds, {"13": "2023-06-01T00:00:00"}, None)] == [13, 14]
    assert [r.number for r in select_rounds(rounds, {14: "2023-10-17T13:41:37.762683"}, None)] == [14]
    assert [r.number for r in select_rounds(rounds, {}, [13, 4])] == [4, 13, 14]
    assert len(select_rounds(rounds, {}, "all")) == 14
    assert [r.number for r in select_rounds(rounds, {99: "x"}, None)] == [14]  # no longer listed
    with pytest.raises(ValueError, match="99"):
        select_rounds(rounds, {}, [99])
    assert select_rounds([], {}, None) == []


def test_fetch_backfills_the_recorded_rounds_and_parses_them():
    client = ReplayClient(SRC)
    docs = list(iom_dtm.fetch(client, FetchOptions(extra={"rounds": [4, 13]})))
    assert client.requested[0] == "https://data.humdata.org/api/3/action/package_show?id=ukraine-idp-estimates"
    assert len(docs) == 4 and docs[0].url == client.requested[0]
    assert [hint(d.url).number for d in docs[1:]] == [4, 13, 14]
    assert all(urlsplit(u).hostname in iom_dtm.SOURCE.hosts for u in client.requested)
    parsed = [iom_dtm.parse(d) for d in docs]
    assert [p.reference_date for p in parsed[1:]] == [date(2022, 5, 3), date(2023, 5, 25), date(2023, 9, 30)]
    assert iom_dtm.check(parsed).failed == []


def test_fetch_skips_a_loaded_round_that_did_not_move():
    client = ReplayClient(SRC)
    state = {"loaded_rounds": {13: "2023-07-04T17:18:43.525855", 4: "2022-05-11T08:34:39.567796"}}
    docs = list(iom_dtm.fetch(client, FetchOptions(state=state)))
    assert len(docs) == 2 and hint(docs[1].url).number == 14


def test_loaded_rounds_are_read_from_the_urls_the_warehouse_holds():
    r13 = url_of(SRC, "round_13_idp_estimation_25_may_2023.xlsx")
    documents = {url_of(SRC, META): {}, r13: {}, r13.replace("2023-07-04T17", "2023-06-01T10"): {},
                 "https://data.humdata.org/x.xlsx": {}}
    assert loaded_rounds({"documents": documents}) == {13: "2023-07-04T17:18:43.525855"}
    assert loaded_rounds({"loaded_rounds": {"4": "x"}, "documents": documents}) == {4: "x"}
    docs = list(iom_dtm.fetch(ReplayClient(SRC), FetchOptions(state={"documents": documents})))
    assert [hint(d.url).number for d in docs[1:]] == [14]


def test_a_round_that_cannot_be_fetched_is_reported_and_the_others_still_come():
    options = FetchOptions(extra={"rounds": [12, 13]})
    docs = list(iom_dtm.fetch(ReplayClient(SRC), options))
    assert [hint(d.url).number for d in docs[1:]] == [13, 14]
    (failure,) = options.failures
    name, url, cause = failure.split(": ", 2)
    assert name == "Round 12 IDP Estimation 23 January 2023"
    assert url == ("https://data.humdata.org/dataset/0d36e8ad-d2e8-4646-babd-61a41f99159a/resource/"
                   "ef1802e8-b96f-4544-8527-52ee8cdff2c6/download/data_-round-12-idp-report.xlsx")
    assert "not in the replay archive" in cause


def test_a_round_not_listed_is_a_fetch_error():
    with pytest.raises(FetchError, match=r"round\(s\) \[99\]"):
        list(iom_dtm.fetch(ReplayClient(SRC), FetchOptions(extra={"rounds": [99]})))
