"""IOM DTM discovery on the real HDX metadata (replay/iom-dtm-idps, two states of the dataset): one
candidate per HDX resource (key = resource id, version = last_modified), which rounds a run fetches,
rounds with no recorded copy, a round that cannot be fetched, and the backfill parameters."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlsplit

import pytest
from pydantic import ValidationError

from extractors import hdx, iom_dtm
from extractors.base import Document, FetchError, FetchOptions
from extractors.discovery import DiscoveryLog
from extractors.dtm_rounds import candidates, hint, parse_round_name
from tests.un_replay import REPLAY, ReplayClient, read, url_of

SRC = "iom-dtm-idps"
META = "hdx_package_show_ukraine-idp-estimates_2023-10-18.json"
META_2022 = "hdx_package_show_ukraine-idp-estimates_2022-05-12.json"
ROUND_3, ROUND_13, ROUND_14 = ("3c082d35-bf2f-45ce-be2b-dd5aed92e47a", "d6736bce-cb69-493b-8818-ce36ffc5e704",
                               "b6f75de1-4b73-4870-9c30-0e3d1c919e76")


def listed(name: str):
    return candidates(hdx.resources(Document.from_bytes(SRC, "https://data.humdata.org/m", read(SRC, name))),
                      iom_dtm.DATASET)


def test_candidates_of_the_2023_metadata():
    found = listed(META)
    assert len(found) == 14 and len({c.key for c in found}) == 14
    by_round = {c.round: c for c in found}
    assert sorted(by_round) == list(range(1, 15))
    assert by_round[1].title == "Round 1 IDP Estimatation 16 03 2022"  # sic
    assert by_round[1].period_start == by_round[1].period_end == date(2022, 3, 16)
    assert by_round[3].key == ROUND_3 and by_round[3].period_start == date(2022, 4, 17)  # "17 Apr 2022"
    assert by_round[3].version == "2022-04-21T15:13:56.068263" and by_round[3].release_date == date(2022, 4, 21)
    assert by_round[14].period_start == date(2023, 9, 25) and by_round[14].key == ROUND_14
    assert by_round[13].version == "2023-07-04T17:18:43.525855"
    assert all(c.dataset == "ukraine-idp-estimates" for c in found)
    assert by_round[13].url == url_of(SRC, "round_13_idp_estimation_25_may_2023.xlsx")  # what replay holds


def test_identity_is_the_resource_not_its_name():
    """May 2022 named round 1 "[Update] IDP_estimation_16_03_2022.xlsx" (no round number): same resource."""
    old, new = {c.key: c for c in listed(META_2022)}, {c.key: c for c in listed(META)}
    assert len(old) == 4 and set(old) < set(new)
    first = old["7d11d17e-4b92-4d69-a5e8-981edfdc05ad"]
    assert first.title == "[Update] IDP_estimation_16_03_2022.xlsx" and first.round is None
    assert first.period_start == date(2022, 3, 16)
    assert new[first.key].title == "Round 1 IDP Estimatation 16 03 2022" and new[first.key].round == 1
    assert all(old[k].version == new[k].version for k in old)  # unchanged uploads: known, not fetched again
    assert old[ROUND_3].title == "Round 3 IDP Estimation 17 Apr 2022.xlsx" and old[ROUND_3].round == 3
    assert sorted(new[k].round for k in set(new) - set(old)) == list(range(5, 15))  # the 10 rounds added


@pytest.mark.parametrize("text,expected", [
    ("Round 14 IDP Estimation 25 September 2023", (14, date(2023, 9, 25))),
    ("Round 1 IDP Estimatation 16 03 2022", (1, date(2022, 3, 16))),
    ("round_3_idp_estimation_17_apr_2022.xlsx", (3, date(2022, 4, 17))),
    ("[Update] IDP_estimation_16_03_2022.xlsx", (None, date(2022, 3, 16))),
    ("data_-round-13-idp-report.xlsx", (13, None)),
    ("idp-estimates-r14.xlsx", (None, None)),
])
def test_parse_round_name(text, expected):
    assert parse_round_name(text) == expected


def test_first_run_fetches_every_recorded_round_and_reports_the_rest():
    client, options = ReplayClient(SRC), FetchOptions()
    docs = list(iom_dtm.fetch(client, options))
    assert client.requested[0] == "https://data.humdata.org/api/3/action/package_show?id=ukraine-idp-estimates"
    assert docs[0].url == client.requested[0]
    assert [hint(d.url).number for d in docs[1:]] == [14, 13, 3]  # HDX lists newest first
    assert all(urlsplit(u).hostname in iom_dtm.SOURCE.hosts for u in client.requested)
    assert options.discovery.counts() == {"discovered": 14, "new": 14, "changed": 0, "known": 0, "no_copy": 11}
    assert options.failures == []
    parsed = [iom_dtm.parse(d) for d in docs]
    assert [p.reference_date for p in parsed[1:]] == [date(2023, 9, 30), date(2023, 5, 25), date(2022, 4, 17)]
    assert iom_dtm.check(parsed).failed == []


def test_known_rounds_are_not_fetched_and_a_moved_one_is():
    every = {c.key: c.version for c in listed(META)}
    options = FetchOptions(discovery=DiscoveryLog({**every, ROUND_13: "2023-06-01T00:00:00"}))
    docs = list(iom_dtm.fetch(ReplayClient(SRC), options))
    assert [hint(d.url).number for d in docs[1:]] == [13]
    assert options.discovery.changed == [ROUND_13] and len(options.discovery.skipped) == 13


def test_rounds_parameter_fetches_known_rounds_again():
    every = {c.key: c.version for c in listed(META)}
    options = FetchOptions(discovery=DiscoveryLog(every), params=iom_dtm.Params(rounds=[3]))
    docs = list(iom_dtm.fetch(ReplayClient(SRC), options))
    assert [hint(d.url).number for d in docs[1:]] == [3] and options.discovery.again == [ROUND_3]
    options = FetchOptions(discovery=DiscoveryLog(every), params=iom_dtm.Params(all_rounds=True))
    docs = list(iom_dtm.fetch(ReplayClient(SRC), options))
    assert [hint(d.url).number for d in docs[1:]] == [14, 13, 3] and options.discovery.counts()["no_copy"] == 11


def test_a_round_not_listed_is_a_fetch_error_and_params_are_typed():
    with pytest.raises(FetchError, match=r"round\(s\) \[99\]"):
        list(iom_dtm.fetch(ReplayClient(SRC), FetchOptions(params=iom_dtm.Params(rounds=[99]))))
    with pytest.raises(ValidationError):
        iom_dtm.Params(rounds="all")
    with pytest.raises(ValidationError):
        iom_dtm.Params(watch=["KAZ"])  # another source's parameter is refused
    assert iom_dtm.replay_defaults(REPLAY) == {}
    assert iom_dtm.recorded_rounds(REPLAY) == [3, 13, 14]


class _Live(ReplayClient):
    """As a live client: every round is requested; one with no recorded copy fails like a dead link."""

    def has(self, url, params=None):
        return True


def test_a_round_that_cannot_be_fetched_is_reported_and_the_others_still_come():
    options = FetchOptions()
    docs = list(iom_dtm.fetch(_Live(SRC), options))
    assert [hint(d.url).number for d in docs[1:]] == [14, 13, 3]
    assert len(options.failures) == 11
    name, url, cause = next(f for f in options.failures if f.startswith("Round 12 ")).split(": ", 2)
    assert name == "Round 12 IDP Estimation 23 January 2023"
    assert url.startswith("https://data.humdata.org/dataset/0d36e8ad-d2e8-4646-babd-61a41f99159a/resource/"
                          "ef1802e8-b96f-4544-8527-52ee8cdff2c6/download/data_-round-12-idp-report.xlsx#")
    assert "not in the replay archive" in cause


def test_only_rounds_keeps_a_run_to_the_recorded_rounds():
    params = iom_dtm.Params(**iom_dtm.recorded_params(REPLAY))
    assert params.only_rounds == [3, 13, 14]
    options = FetchOptions(params=params)
    docs = list(iom_dtm.fetch(_Live(SRC), options))  # as live: no round outside the three is asked for
    assert [hint(d.url).number for d in docs[1:]] == [14, 13, 3] and options.failures == []
    assert options.discovery.counts()["discovered"] == 3
