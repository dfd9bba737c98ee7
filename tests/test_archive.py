"""A live run becomes a replay archive (sanctrace/archive.py), on SQLite and PostgreSQL.

Every source the fault matrix serves (``tests/faults/sources.recorded_sources()``: each registered source
with a recorded document, so a source merged later joins without changes here) is run live against a real
HTTP server on 127.0.0.1 serving its recorded documents (host mapping, as the fault matrix does). The
warehouse is exported with ``sanctrace archive export``, then replayed from that archive alone into a fresh
warehouse and snapshot store: the figures, notices and designations (natural keys, values, locators,
sha256) must be exactly the same.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta

import pytest

from sanctrace import archive, cli, pipeline, runs
from sanctrace.settings import Settings
from tests.conftest import migrated_warehouse
from tests.faults import sources
from tests.faults.server import FaultServer
from tests.faults.state import figures, size


@pytest.fixture
def server():
    srv = FaultServer().start()
    yield srv
    srv.stop()


@pytest.fixture
def fresh_url(warehouse_url, tmp_path):
    """A second empty warehouse of the same kind: the replay's."""
    kind = "sqlite" if warehouse_url.startswith("sqlite") else "postgres"
    with migrated_warehouse(kind, tmp_path / "replayed.db") as url:
        yield url


def live_run(rt, server, flow_run_id: str) -> dict[str, pipeline.SourceReport]:
    for source_id in sources.recorded_sources():
        sources.serve(server, source_id)
    live = pipeline.Runtime(sources.live_settings(rt.settings, server), rt.engine, rt.store, flow_run_id)
    # what the recorded archive holds (IOM's recorded rounds), so the live run asks the test server only for
    # what it serves; light: the CN8 workbook (tested on its own) would make this round trip minutes long
    return {s: runs.run_source(live, s, params=sources.light_params(s), mode="live")
            for s in sources.recorded_sources()}


def test_a_live_run_exported_then_replayed_gives_exactly_the_same_figures(rt, server, fresh_url, tmp_path):
    reports = live_run(rt, server, "live-run-1")
    assert {s: r.failures for s, r in reports.items() if not r.ok} == {}
    covered = sorted(reports)
    assert "unhcr-ukraine-refugees" in covered and "ohchr-casualties" in covered
    live_state = figures(rt.engine)
    assert all(size(figures(rt.engine, s)) > 0 for s in covered)

    target = tmp_path / "archive"
    done = archive.export(rt.engine, rt.store, target)
    assert sorted(done.entries) == covered
    assert done.entries["unhcr-ukraine-refugees"] == 4 and done.files["unhcr-ukraine-refugees"] == 4

    replay_settings = Settings(warehouse_url=fresh_url, snapshot_store=str(tmp_path / "replayed-snapshots"),
                               replay_archive=target, fetch_mode="replay")
    fresh = pipeline.runtime(replay_settings)
    pipeline.register_sources(fresh)
    replayed = {s: runs.run_source(fresh, s, params=sources.light_params(s), mode="replay") for s in covered}
    assert {s: r.failures for s, r in replayed.items() if not r.ok} == {}
    assert all(not r.note for r in replayed.values()), {s: r.note for s, r in replayed.items()}
    assert figures(fresh.engine) == live_state
    assert sum(r.new for r in replayed.values()) == sum(r.new for r in reports.values()) > 0


def test_the_manifest_names_request_headers_fetch_time_and_files_by_sha256(rt, server, tmp_path):
    live_run(rt, server, "live-run-1")
    archive.export(rt.engine, rt.store, tmp_path / "a", sources=["unhcr-ukraine-refugees"])
    folder = tmp_path / "a" / "unhcr-ukraine-refugees"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["source"] == "unhcr-ukraine-refugees" and [p.name for p in (tmp_path / "a").iterdir()] == [
        "unhcr-ukraine-refugees"]
    recorded = {d.url: d.body for d in sources.documents("unhcr-ukraine-refugees")}
    assert {e["url"] for e in manifest["entries"]} == set(recorded)
    for e in manifest["entries"]:
        body = (folder / e["file"]).read_bytes()
        assert e["file"] == e["sha256"] == hashlib.sha256(body).hexdigest() and body == recorded[e["url"]]
        assert e["request"] == {"method": "GET", "url": e["url"]} and e["http_status"] == 200
        assert e["headers"]["ETag"].startswith('"') and e["headers"]["Content-Type"] == "application/json"
        assert e["content_type"] == "application/json" and e["fetched_at"][:4] >= "2024"
        assert e["flow_run_id"] == "live-run-1"


def test_run_and_since_select_what_is_exported(rt, server, tmp_path):
    live_run(rt, server, "live-run-1")
    again = pipeline.Runtime(sources.live_settings(rt.settings, server), rt.engine, rt.store, "live-run-2")
    runs.run_source(again, "ohchr-casualties", params=sources.replay_params("ohchr-casualties"), mode="live")
    only = archive.export(rt.engine, rt.store, tmp_path / "run2", run="live-run-2")
    assert only.entries == {"ohchr-casualties": 1}  # a 304 stands for the snapshot it reused
    assert archive.export(rt.engine, rt.store, tmp_path / "none", run="no-such-run").entries == {}
    tomorrow = date.today() + timedelta(days=2)
    assert archive.export(rt.engine, rt.store, tmp_path / "later", since=tomorrow).entries == {}
    since = archive.export(rt.engine, rt.store, tmp_path / "since", since=date.today() - timedelta(days=1))
    assert sorted(since.entries) == sources.recorded_sources()


def test_the_cli_exports_and_replays_the_archive(rt, server, env_settings, tmp_path, capsys, monkeypatch):
    live_run(rt, server, "live-run-1")
    target = tmp_path / "cli-archive"
    assert cli.main(["archive", "export", str(target), "--source", "ohchr-casualties"]) == 0
    out = capsys.readouterr().out
    assert "ohchr-casualties: 1 request(s), 1 file(s)" in out and "--archive" in out
    assert (target / "ohchr-casualties" / "manifest.json").exists()
    assert cli.main(["archive", "export", str(tmp_path / "x"), "--source", "no-such-source"]) == 2
    assert cli.main(["run", "--mode", "live", "--archive", str(target)]) == 2
    with pytest.raises(SystemExit):
        cli.main(["archive", "export", str(tmp_path / "y"), "--since", "2024-13-01"])
