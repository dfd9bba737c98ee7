"""Two runs of one family never load at once, on PostgreSQL and on one SQLite file.

First the load lock itself (warehouse/locks.py): a second holder waits while the first holds, is refused
after its timeout, takes the lock as soon as the first lets go, and is not blocked by a holder that was
killed. Then several `sanctrace run` (collect_all) processes started at once against one warehouse,
sharing one Prefect server as production workers do: they must all succeed (SQLite's "database is locked"
is waited out, not failed), load each source once (the other runs find it unchanged), never load a family
in two runs at the same time, leave no duplicate current observation, and end with exactly the figures
one run loads. They replay the light archive (every source, Comext's CN8 workbook aside: it has tests of
its own). `make test` starts two on SQLite, `make reliability` two on PostgreSQL and four on each.

Each run process records when it loaded what (``python -m tests.test_concurrency DIR`` wraps
``pipeline.load_source``, then runs the CLI's `sanctrace run`).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from sanctrace import pipeline, runs
from sanctrace.settings import PROJECT_ROOT
from tests.faults.state import duplicate_current, figures, size
from warehouse import locks
from warehouse.engine import engine_for

LOAD_SECONDS = 1.0  # how long each recorded load step lasts at least (see record_loads)
HOLD_SCRIPT = """
import sys, time
from warehouse import locks
from warehouse.engine import engine_for
with locks.hold(engine_for(sys.argv[1]), [sys.argv[2]], 30):
    print("held", flush=True)
    time.sleep(120)
"""


# --- the lock ---------------------------------------------------------------------------------------

def test_a_second_holder_waits_until_the_first_lets_go(warehouse_url):
    engine = engine_for(warehouse_url)
    times: dict[str, float] = {}
    second_holds = threading.Event()

    def second():
        with locks.hold(engine, ["load-displacement"], 30) as waited:
            times["acquired"], times["waited"] = time.monotonic(), waited
            second_holds.set()

    with locks.hold(engine, ["load-displacement"], 30) as waited:
        assert waited < 5
        waiter = threading.Thread(target=second)
        waiter.start()
        assert not second_holds.wait(1.0), "a second holder got the lock while the first held it"
        times["released"] = time.monotonic()
    waiter.join(30)
    assert second_holds.is_set()
    assert times["acquired"] >= times["released"]
    assert times["waited"] >= 1.0
    # woken when the first lets go, not at some later poll of a remote service
    assert times["acquired"] - times["released"] < 2.0


def test_a_second_holder_is_refused_after_its_timeout(warehouse_url):
    engine = engine_for(warehouse_url)
    with locks.hold(engine, ["load-trade"], 30):
        started = time.monotonic()
        with pytest.raises(locks.LockTimeout, match="load-trade"):
            with locks.hold(engine, ["load-trade"], 0.3):
                pytest.fail("held twice")
        assert time.monotonic() - started >= 0.3
        with locks.hold(engine, ["load-casualties"], 0.3) as waited:  # another family: no wait
            assert waited < 0.3
    with locks.hold(engine, ["load-trade"], 0.3):  # the refused caller left nothing behind
        pass


def test_several_families_at_once_and_none(warehouse_url):
    engine = engine_for(warehouse_url)
    with locks.hold(engine, ["load-trade", "load-sanctions"], 5):
        for name in ("load-trade", "load-sanctions"):
            with pytest.raises(locks.LockTimeout):
                with locks.hold(engine, [name], 0.2):
                    pass
    with locks.hold(engine, [], 0) as waited:  # nothing changed: no lock, no connection
        assert waited == 0.0
    with pytest.raises(ValueError, match="lock name"):
        with locks.hold(engine, ["load/../x"], 1):
            pass


def test_a_killed_holder_does_not_block_the_next_one(warehouse_url):
    holder = subprocess.Popen([sys.executable, "-c", HOLD_SCRIPT, warehouse_url, "load-trade"], cwd=PROJECT_ROOT,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(locks.LockTimeout):
            with locks.hold(engine_for(warehouse_url), ["load-trade"], 0.3):
                pass
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(30)
    with locks.hold(engine_for(warehouse_url), ["load-trade"], 30) as waited:
        assert waited < 10  # the operating system (SQLite) or the server (PostgreSQL) let it go


def test_registering_the_sources_again_writes_only_a_changed_row(rt):
    # Every family run registers every source at its start; rows already as given are not rewritten, so
    # family runs starting together do not queue on the same rows' locks (PostgreSQL: a row's xmin is
    # the transaction that last wrote it).
    from sqlalchemy import text

    from extractors import registry
    from warehouse import records

    postgres = rt.engine.dialect.name == "postgresql"
    stamp = "xmin::text::bigint" if postgres else "NULL"

    def state() -> dict:
        with rt.engine.connect() as conn:
            return {row[0]: row[1:] for row in conn.execute(text(f"SELECT id, {stamp}, parser_version FROM source"))}

    before = state()
    pipeline.register_sources(rt)
    assert state() == before
    row = pipeline._source_row(next(m.SOURCE for m in registry.modules().values()))
    records.upsert_sources(rt.engine, [{**row, "parser_version": row["parser_version"] + "-next"}])
    after = state()
    assert after[row["id"]][1] == row["parser_version"] + "-next"
    assert {k: v for k, v in after.items() if k != row["id"]} == {k: v for k, v in before.items() if k != row["id"]}
    if postgres:
        assert after[row["id"]][0] != before[row["id"]][0]


def test_runs_lock_only_the_families_that_changed(rt):
    with runs.load_lock(rt, ["unhcr-ukraine-refugees", "ohchr-casualties"]):
        with pytest.raises(locks.LockTimeout, match="load-displacement"):
            with locks.hold(rt.engine, ["load-displacement"], 0.2):
                pass
        with locks.hold(rt.engine, ["load-trade"], 0.2):
            pass
    with runs.load_lock(rt, []) as waited:
        assert waited == 0.0


# --- several runs at once ---------------------------------------------------------------------------

def start_runs(rt, count: int, record: Path, archive: Path) -> list[subprocess.CompletedProcess]:
    from prefect.settings import PREFECT_API_URL

    env = {**os.environ, "SANCTRACE_WAREHOUSE_URL": rt.settings.warehouse_url,
           "SANCTRACE_SNAPSHOT_STORE": rt.settings.snapshot_store, "SANCTRACE_FETCH_MODE": "replay",
           "SANCTRACE_REPLAY_ARCHIVE": str(archive), "PREFECT_API_URL": PREFECT_API_URL.value()}
    procs = [subprocess.Popen([sys.executable, "-m", "tests.test_concurrency", str(record)], cwd=PROJECT_ROOT,
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(count)]
    return [subprocess.CompletedProcess(p.args, p.wait(), *p.communicate()) for p in procs]


def loads(record: Path) -> list[dict]:
    return [json.loads(line) for path in record.glob("*.jsonl") for line in path.read_text().splitlines()]


def check_runs(rt, one_run, count: int, record: Path, archive: Path) -> dict:
    started = time.monotonic()
    done = start_runs(rt, count, record, archive)
    for run in done:
        # The run's table (stdout) names a failed source and why; stderr holds Prefect's log.
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
        assert "database is locked" not in run.stdout + run.stderr
    assert duplicate_current(rt.engine) == 0
    assert figures(rt.engine) == one_run
    seen = loads(record)
    assert len({r["pid"] for r in seen}) == count
    # Each source with documents is parsed and loaded by one run; the others find it unchanged.
    loaded_by: dict[str, list[int]] = {}
    for r in seen:
        loaded_by.setdefault(r["source_id"], []).extend([r["pid"]] if r["loaded"] else [])
    assert loaded_by and all(len(pids) == 1 for pids in loaded_by.values()), loaded_by
    # Two runs never load one family at the same time.
    real = [r for r in seen if r["loaded"]]
    overlaps = [(a["source_id"], b["source_id"]) for a in real for b in real
                if a["pid"] < b["pid"] and a["family"] == b["family"]
                and a["start"] < b["end"] and b["start"] < a["end"]]
    assert not overlaps
    result = {"backend": rt.engine.dialect.name, "runs": count, "seconds": round(time.monotonic() - started, 1),
              "figures": size(one_run), "duplicates": 0, "all_exit_0": True, "sources_loaded_once": len(loaded_by),
              "family_overlaps": 0}
    out = PROJECT_ROOT / "data" / "reliability"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"concurrency-{result['backend']}-{count}.json").write_text(json.dumps(result, indent=1))
    return result


# On PostgreSQL in `make reliability` (the load lock itself is tested on both databases above).
@pytest.mark.parametrize("warehouse_url", ["sqlite", pytest.param("postgres", marks=pytest.mark.slow)],
                         indirect=True)
def test_two_collect_all_runs_at_once(prefect_harness, rt, one_plain_run, tmp_path, light_replay):
    check_runs(rt, one_plain_run, 2, tmp_path, light_replay)


@pytest.mark.slow
def test_four_collect_all_runs_at_once(prefect_harness, rt, one_plain_run, tmp_path, light_replay):
    check_runs(rt, one_plain_run, 4, tmp_path, light_replay)


def record_loads(folder: Path) -> None:
    """Wrap the load step of this process to note, per call, when it ran and whether it loaded."""
    real = pipeline.load_source
    out = folder / f"{os.getpid()}.jsonl"

    def recorded(rt, source_id, shas, *args, **kwargs):
        started = time.time()  # wall clock: compared across processes
        # The recorded documents load in milliseconds; real loads take seconds. Without this, two
        # unguarded runs would rarely overlap and the test could not tell a lock from good luck.
        time.sleep(LOAD_SECONDS)
        report = real(rt, source_id, shas, *args, **kwargs)
        line = {"pid": os.getpid(), "source_id": source_id, "family": report.family, "start": started,
                "end": time.time(), "loaded": bool(shas) and not report.skipped_unchanged, "new": report.new}
        with out.open("a") as f:
            f.write(json.dumps(line) + "\n")
        return report

    pipeline.load_source = recorded


if __name__ == "__main__":
    from sanctrace.cli import main

    record_loads(Path(sys.argv[1]))
    sys.exit(main(["run"]))
