"""Several `sanctrace run` (collect_all) processes started at once against one warehouse.

On PostgreSQL and on one SQLite file, sharing one Prefect server as production workers do: they must
all succeed (SQLite's "database is locked" is waited out, not failed), leave no duplicate current
observation, and end with exactly the figures one run loads. `make test` starts two, `make reliability` four.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from sanctrace.settings import PROJECT_ROOT
from tests.faults import sources
from tests.faults.state import duplicate_current, figures, size
from warehouse.engine import engine_for


@pytest.fixture(scope="module")
def one_run(tmp_path_factory):
    """The figures of one plain run, in replay mode, in a warehouse of its own."""
    settings = sources.plain_run(tmp_path_factory.mktemp("one-run"))
    return figures(engine_for(settings.warehouse_url))


def start_runs(rt, count: int) -> list[subprocess.CompletedProcess]:
    from prefect.settings import PREFECT_API_URL

    env = {**os.environ, "SANCTRACE_WAREHOUSE_URL": rt.settings.warehouse_url,
           "SANCTRACE_SNAPSHOT_STORE": rt.settings.snapshot_store, "SANCTRACE_FETCH_MODE": "replay",
           "SANCTRACE_REPLAY_ARCHIVE": str(sources.REPLAY), "PREFECT_API_URL": PREFECT_API_URL.value()}
    procs = [subprocess.Popen([sys.executable, "-m", "sanctrace.cli", "run"], cwd=PROJECT_ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(count)]
    return [subprocess.CompletedProcess(p.args, p.wait(), *p.communicate()) for p in procs]


def check_runs(rt, one_run, count: int) -> dict:
    started = time.monotonic()
    runs = start_runs(rt, count)
    for run in runs:
        assert run.returncode == 0, run.stderr[-3000:]
        assert "database is locked" not in run.stdout + run.stderr
    assert duplicate_current(rt.engine) == 0
    assert figures(rt.engine) == one_run
    result = {"backend": rt.engine.dialect.name, "runs": count, "seconds": round(time.monotonic() - started, 1),
              "figures": size(one_run), "duplicates": 0, "all_exit_0": True}
    out = PROJECT_ROOT / "data" / "reliability"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"concurrency-{result['backend']}-{count}.json").write_text(json.dumps(result, indent=1))
    return result


def test_two_collect_all_runs_at_once(prefect_harness, rt, one_run):
    check_runs(rt, one_run, 2)


@pytest.mark.slow
def test_four_collect_all_runs_at_once(prefect_harness, rt, one_run):
    check_runs(rt, one_run, 4)
