"""The live fetcher against a real HTTP server on 127.0.0.1 serving the recorded UNHCR documents."""

import dataclasses
import time

import pytest

from extractors import unhcr
from extractors.base import FetchError
from extractors.client import LiveClient
from extractors.http import HttpConfig, HttpSession
from extractors.snapshots import SnapshotStore
from tests.conftest import replay_file
from tests.faults.server import FaultServer

DOC = replay_file(unhcr.SOURCE.id, "timeseries_widget283577_popgroup5478_2022-08-05.json").read_bytes()
SOURCE = dataclasses.replace(unhcr.SOURCE, hosts=("127.0.0.1",))


@pytest.fixture
def server():
    srv = FaultServer().start()
    yield srv
    srv.stop()


def session(**kw) -> HttpSession:
    config = dict(user_agent="sanctrace-test/1 (tests)", connect_timeout=2, read_timeout=2,
                  min_host_interval=0, retry_total=3, retry_backoff=0.01, max_response_bytes=1_000_000)
    config.update(kw)
    return HttpSession(HttpConfig(**config))


def client(store, records, http=None, previous=lambda url: None) -> LiveClient:
    return LiveClient(SOURCE, http or session(), store, previous, records.append)


def test_retries_after_503_then_stores_the_body(server, tmp_path):
    url = server.serve("/ts", DOC, "application/json", [("status", 503), ("status", 502)])
    records = []
    doc = client(SnapshotStore(tmp_path), records).get(url)
    assert doc.content == DOC and len(server.requests) == 3
    assert records[-1].sha256 == doc.sha256 and records[-1].status == 200
    assert server.requests[0]["headers"]["User-Agent"].startswith("sanctrace")


def test_honours_retry_after_on_429(server, tmp_path):
    url = server.serve("/ts", DOC, "application/json", [("status", 429, {"Retry-After": "1"})])
    started = time.monotonic()
    doc = client(SnapshotStore(tmp_path), []).get(url)
    assert doc.content == DOC and time.monotonic() - started >= 0.9


def test_gives_up_after_the_retry_budget_with_a_clear_error(server, tmp_path):
    url = server.serve("/ts", DOC, "application/json", [("status", 503)] * 10)
    records = []
    with pytest.raises(FetchError) as error:
        client(SnapshotStore(tmp_path), records).get(url)
    assert "503" in str(error.value) and url in str(error.value) and unhcr.SOURCE.id in str(error.value)
    assert len(server.requests) == 4  # one try and three retries
    assert records[-1].error and records[-1].sha256 is None


def test_body_over_the_cap_is_an_error_not_a_truncated_snapshot(server, tmp_path):
    url = server.serve("/ts", DOC, "application/json")
    store = SnapshotStore(tmp_path)
    with pytest.raises(FetchError, match="cap"):
        client(store, [], http=session(max_response_bytes=1000)).get(url)
    url = server.serve("/big", DOC, "application/json", [("huge", 5_000_000)])
    with pytest.raises(FetchError, match="cap"):
        client(store, [], http=session(max_response_bytes=100_000)).get(url)
    assert not list(tmp_path.rglob("*")) or not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_host_outside_the_allowlist_is_refused(server, tmp_path):
    with pytest.raises(FetchError, match="allowlist"):
        client(SnapshotStore(tmp_path), []).get("http://example.org/ts")
    url = server.serve("/ts", DOC, "application/json", [("redirect", "http://localhost:1/elsewhere")])
    with pytest.raises(FetchError, match="allowlist"):
        client(SnapshotStore(tmp_path), []).get(url)
    assert not server.requests[1:]


def test_conditional_get_reuses_the_snapshot_on_304(server, tmp_path):
    url = server.serve("/ts", DOC, "application/json")
    store, records = SnapshotStore(tmp_path), []
    first = client(store, records).get(url)
    from extractors.client import Previous

    known = Previous(first.sha256, records[-1].etag, records[-1].last_modified)
    second = client(store, records, previous=lambda u: known).get(url)
    assert server.requests[1]["headers"]["If-None-Match"] == records[0].etag
    assert second.not_modified and second.sha256 == first.sha256 and second.content == DOC
    assert records[-1].status == 304 and records[-1].not_modified


def test_read_timeout_is_retried_then_reported(server, tmp_path):
    url = server.serve("/ts", DOC, "application/json", [("stall", 3)] * 6)
    with pytest.raises(FetchError, match="(?i)timed out|timeout"):
        client(SnapshotStore(tmp_path), [], http=session(read_timeout=0.5, retry_total=1)).get(url)
