"""SIGKILL during a large load, on SQLite and PostgreSQL: previous state or complete new one, never between.

A child process (tests/faults/crash_load.py) stores a large generated document and loads its figures
(generation g revises a tenth of generation g-1's values). It is killed at random moments after it
has everything in memory. After each kill the warehouse must equal, exactly, the state after the
last complete generation or after the one being loaded; no stored snapshot may be partial; and a
rerun must end equal to a clean run. `make test` kills 3 times over 20k figures, `make reliability`
10 times over 200k.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from extractors.snapshots import SnapshotStore
from sanctrace.settings import PROJECT_ROOT
from tests.faults import crash_load
from tests.faults.state import duplicate_current

SEED = 20261130


def child(url: str, store: Path, generation: int, rows: int, kill_after: float | None = None) -> tuple[str, float]:
    """Run one load; kill it ``kill_after`` seconds after it is ready. Returns (outcome, seconds)."""
    proc = subprocess.Popen([sys.executable, "-m", "tests.faults.crash_load", url, str(store), str(generation),
                             str(rows)], cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
    started = time.monotonic()
    try:
        proc.wait(timeout=kill_after)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        return "killed", time.monotonic() - started
    out, err = proc.communicate()
    assert proc.returncode == 0 and "done" in out, err
    return "completed", time.monotonic() - started


def digest(engine) -> dict[str, float]:
    with engine.connect() as conn:
        row = conn.execute(text("""SELECT COUNT(*), COUNT(*) - COUNT(superseded_at), COUNT(superseded_at),
            COALESCE(SUM(CASE WHEN superseded_at IS NULL THEN value END), 0)
            FROM observation WHERE parser_version = 'kill-test'""")).one()
    return dict(zip(("versions", "current", "superseded", "current_sum"), map(float, row)))


def current_values(engine) -> dict[str, float]:
    with engine.connect() as conn:
        return dict(conn.execute(text("""SELECT locator, value FROM observation
            WHERE parser_version = 'kill-test' AND superseded_at IS NULL""")).fetchall())


def kill_loop(rt, tmp_path, kills: int, rows: int) -> dict:
    url, store_path = rt.settings.warehouse_url, tmp_path / "kill-store"
    _, full = child(url, store_path, 1, rows)
    assert digest(rt.engine) == crash_load.expected(1, rows)
    rng, done, points = random.Random(SEED), 1, []
    for _ in range(kills):
        delay = rng.uniform(0.0, full * 1.2)
        outcome, _ = child(url, store_path, done + 1, rows, kill_after=delay)
        state = digest(rt.engine)
        assert state in (crash_load.expected(done, rows), crash_load.expected(done + 1, rows)), state
        landed = "new" if state == crash_load.expected(done + 1, rows) else "previous"
        done += landed == "new"
        store = SnapshotStore(store_path)
        assert store.verify() == [], "a file under a hash name does not match its hash"
        assert duplicate_current(rt.engine) == 0
        points.append({"after_s": round(delay, 3), "outcome": outcome, "state": landed,
                       "current_rows_lost": rows - int(state["current"]),
                       "tmp_leftovers": len(store.partial_files())})
    store = SnapshotStore(store_path)
    store.sweep(min_age_seconds=0)
    assert store.partial_files() == []
    child(url, store_path, done + 1, rows)  # the rerun
    assert digest(rt.engine) == crash_load.expected(done + 1, rows)
    clean = crash_load.frame(done + 1, rows)
    assert current_values(rt.engine) == dict(zip(clean["locator"], clean["value"])), "rerun differs from a clean run"
    return {"backend": rt.engine.dialect.name, "rows": rows, "full_load_s": round(full, 2), "kills": points,
            "lost_rows": sum(p["current_rows_lost"] for p in points)}


def report(result: dict) -> None:
    out = PROJECT_ROOT / "data" / "reliability"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"kill-{result['backend']}-{result['rows']}.json").write_text(json.dumps(result, indent=1))


# On PostgreSQL in `make reliability` with the long loop (CI budget); SQLite's quick variant stays here.
@pytest.mark.parametrize("warehouse_url", ["sqlite", pytest.param("postgres", marks=pytest.mark.slow)],
                         indirect=True)
def test_sigkill_during_a_load_leaves_previous_or_complete_state(rt, tmp_path):
    report(kill_loop(rt, tmp_path, kills=3, rows=20_000))


@pytest.mark.slow
def test_sigkill_ten_times_during_a_200k_figure_load(rt, tmp_path):
    report(kill_loop(rt, tmp_path, kills=10, rows=200_000))
