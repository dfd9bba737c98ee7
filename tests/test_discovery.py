"""The discovery log: which listed documents a run fetches, and what the warehouse then knows."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from extractors.base import Candidate, FetchError, FetchOptions
from extractors.discovery import DiscoveryLog, fetch_candidates
from warehouse import records as wh

A = Candidate("https://pub.example/a.xlsx", "res-a", "2023-10-18T10:00", "Round 13", round=13)
B = Candidate("https://pub.example/b.xlsx", "res-b", "2023-10-18T10:00", "Round 14", round=14)
C = Candidate("https://pub.example/c.xlsx", "res-c", "2022-05-12", "Round 3", release_date=date(2022, 4, 17))


def test_select_fetches_new_and_changed_and_skips_known():
    log = DiscoveryLog(known={"res-a": "2023-10-18T10:00", "res-b": "2023-05-01"})
    chosen = log.select([A, B, C])
    assert [c.key for c in chosen] == ["res-b", "res-c"]
    assert log.counts() == {"discovered": 3, "new": 1, "changed": 1, "known": 1, "no_copy": 0}


def test_force_fetches_known_documents_too():
    log = DiscoveryLog(known={"res-a": A.version}, force=True)
    assert log.select([A]) == [A]


class _Client:
    """Answers A, has no copy of B, fails on C: the three outcomes fetch_candidates reports."""

    def has(self, url, params=None):
        return url != B.url

    def get(self, url, params=None):
        if url == C.url:
            raise FetchError("test", url, "HTTP 500")
        from extractors.base import Document
        return Document.from_bytes("test", url, b"bytes of " + url.encode())


def test_fetch_candidates_reports_no_copy_and_failures_and_keeps_going():
    options = FetchOptions()
    docs = list(fetch_candidates(_Client(), options, [A, B, C]))
    assert [d.url for d in docs] == [A.url]
    assert options.discovery.no_copy == ["res-b"]
    assert options.failures == [f"Round 3: {C.url}: HTTP 500"]
    fetched = options.discovery.as_dict()["fetched"]
    assert [(f["key"], f["sha256"]) for f in fetched] == [("res-a", docs[0].sha256)]


def test_candidate_survives_the_trip_between_tasks():
    assert Candidate.from_dict(C.as_dict()) == C


def test_loaded_candidates_become_known_with_their_version(rt):
    now = datetime.now(timezone.utc)
    row = {**C.as_dict(), "sha256": "0" * 64}
    with rt.engine.begin() as conn:
        wh.mark_discovered(conn, "iom-dtm-idps", [row], now, "run-1")
    assert wh.known_candidates(rt.engine, "iom-dtm-idps") == {"res-c": "2022-05-12"}
    with rt.engine.begin() as conn:  # a new version of the same document replaces the old one
        wh.mark_discovered(conn, "iom-dtm-idps", [{**row, "version": "2022-06-01"}], now, "run-2")
    assert wh.known_candidates(rt.engine, "iom-dtm-idps") == {"res-c": "2022-06-01"}


def test_a_candidate_round_cannot_be_negative(rt):
    from sqlalchemy.exc import IntegrityError

    row = {**C.as_dict(), "round": -1}
    with pytest.raises(IntegrityError), rt.engine.begin() as conn:
        wh.mark_discovered(conn, "iom-dtm-idps", [row], datetime.now(timezone.utc), None)


def test_declared_assertions_fail_a_minimum_and_warn_a_maximum_and_unread_fields():
    from extractors.base import Assertions, CheckResult, Parsed, Record, SourceInfo
    from sanctrace.assertions import declared_checks

    rec = Record("idps", "UKR", date(2022, 4, 17), date(2022, 4, 17), 1.0, "persons", "A1")
    info = SourceInfo("t", "displacement", "p", "n", "h", "l", "c", (), (), "1",
                      assertions=Assertions(min_records=2, max_records=0, fill_rates=(("vintage", 0.5),)))
    result = declared_checks(info, [Parsed(records=[rec], unread=["col X"])], CheckResult())
    assert any("1 records >= 2" in f for f in result.failed)
    assert any("vintage filled in 0.0%" in f for f in result.failed)
    assert any("maximum 0" in w for w in result.warnings) and any("col X" in w for w in result.warnings)
