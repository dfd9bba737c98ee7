"""Benchmark: ``collect_all`` over the bundled recorded documents, cold (empty warehouse) then warm.

Runs in a child process with its own temporary warehouse, snapshot store and PREFECT_HOME (an
ephemeral Prefect server, started before the clock runs), so ``data/`` is never touched. The time
inside tasks is the time spent in the pipeline functions the tasks call (``pipeline.fetch_source``,
``pipeline.load_source``), recorded by wrapping them; flow set-up is ``flows.family.prepare`` (schema check,
register sources, sweep the store, create the concurrency limits), run in each family flow's body.
Prefect overhead = flow wall time minus the time during which at least one of those was running
(families run concurrently, so intervals are merged, not added); the part of it spent entering
``concurrency("sanctrace-load-<family>")`` (the load slot each load task takes) is shown too. Prints a table; exits 0 (missed targets are printed).

    .venv/bin/python bench/run_all.py [--databases sqlite,postgres] [--sources ID,...]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

WARM_TARGET = 0.25
RSS_NOTE = "this process only; the ephemeral Prefect server is a separate process"


class Intervals:
    """(kind, start, end) of every wrapped call, from any thread."""

    def __init__(self):
        self.spans: list[tuple[str, float, float]] = []
        self.lock = threading.Lock()

    def wrap(self, kind: str, function):
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                with self.lock:
                    self.spans.append((kind, started, time.perf_counter()))
        return timed

    def wrap_context(self, kind: str, manager):
        """Time how long entering a context manager takes (waiting for a concurrency slot)."""
        @contextlib.contextmanager
        def timed(*args, **kwargs):
            started = time.perf_counter()
            with manager(*args, **kwargs):
                with self.lock:
                    self.spans.append((kind, started, time.perf_counter()))
                yield
        return timed

    def busy(self, since: float, *kinds: str) -> float:
        """Seconds after ``since`` during which at least one call of these kinds was running."""
        total, reach = 0.0, since
        for start, end in sorted((a, b) for k, a, b in self.spans if a >= since and k in kinds):
            if end > reach:
                total += end - max(start, reach)
                reach = end
        return total


def run_once(collect_all, spans: Intervals, sources: list[str] | None) -> dict:
    started = time.perf_counter()
    state = collect_all(sources=sources or [], return_state=True)
    wall = time.perf_counter() - started
    reports = state.result(raise_on_failure=False)
    failed = [f"{r['source_id']}: {r['failures']}" for r in reports if not r["ok"]]
    assert not failed, failed
    inside = spans.busy(started, "task")
    prepared = spans.busy(started, "setup")
    overhead = wall - spans.busy(started, "task", "setup")
    slots = spans.busy(started, "slot")
    return {"wall": wall, "inside": inside, "setup": prepared, "overhead": overhead, "slots": slots, "sources": len(reports),
            "new": sum(r["new"] for r in reports), "unchanged": sum(r["unchanged"] for r in reports),
            "skipped": sum(r["skipped_unchanged"] for r in reports), "rss_mb": common.peak_rss_mb()}


def child(sources: list[str] | None) -> dict:
    from prefect.client.orchestration import get_client

    from sanctrace import pipeline

    from flows import family, tasks
    from flows.collect_all import collect_all

    from warehouse.migrate import upgrade

    upgrade(os.environ["SANCTRACE_WAREHOUSE_URL"])  # as `sanctrace migrate` does before any run
    spans = Intervals()
    pipeline.fetch_source = spans.wrap("task", pipeline.fetch_source)
    pipeline.load_source = spans.wrap("task", pipeline.load_source)
    family.prepare = spans.wrap("setup", family.prepare)
    tasks.concurrency = spans.wrap_context("slot", tasks.concurrency)

    started = time.perf_counter()
    with get_client(sync_client=True) as client:
        client.hello()  # starts the ephemeral server outside the measured runs
    server = time.perf_counter() - started
    cold = run_once(collect_all, spans, sources)
    warm = run_once(collect_all, spans, sources)
    assert cold["new"] > 0 and warm["new"] == 0, (cold["new"], warm["new"])
    return {"server": server, "cold": cold, "warm": warm}


def child_env(folder: Path, url: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "PREFECT_API_URL"}
    env.update({
        "PREFECT_HOME": str(folder / "prefect"), "SANCTRACE_WAREHOUSE_URL": url,
        "SANCTRACE_SNAPSHOT_STORE": str(folder / "snapshots"), "SANCTRACE_FETCH_MODE": "replay",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1", "PREFECT_LOGGING_LEVEL": "WARNING",
    })
    return env


def report(kind: str, r: dict) -> list[str]:
    rows = []
    for name in ("cold", "warm"):
        run = r[name]
        rows.append((name, f"{run['wall']:.2f}", f"{run['inside']:.2f}", f"{run['setup']:.2f}",
                     f"{run['overhead']:.2f}", f"{run['slots']:.2f}",
                     f"{run['new']:,}", f"{run['unchanged']:,}", f"{run['skipped']}/{run['sources']}",
                     f"{run['rss_mb']:.0f}"))
    ratio = r["warm"]["wall"] / r["cold"]["wall"]
    common.print_table(f"{kind}: collect_all over the recorded documents (Prefect server start "
                       f"{r['server']:.1f} s, not counted; warm / cold = {ratio:.0%}; RSS: {RSS_NOTE})",
                       ("run", "wall s", "in tasks s", "flow set-up s", "Prefect overhead s",
                        "of it waiting for load slots s", "new", "unchanged",
                        "sources skipped", "peak RSS MB"), rows)
    if ratio >= WARM_TARGET:
        return [f"{kind}: warm run is {ratio:.0%} of the cold one (target < {WARM_TARGET:.0%})"]
    return []


def main() -> int:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--databases", default="sqlite,postgres", help="comma-separated: sqlite, postgres")
    args.add_argument("--sources", default="", help="comma-separated source ids (default: every source)")
    args.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    options = args.parse_args()
    sources = [s for s in options.sources.split(",") if s]
    if options.child:
        print(json.dumps(child(sources or None)))
        return 0
    missed = []
    for kind in options.databases.split(","):
        with common.database(kind, "sanctrace_bench_run_all") as url, \
                tempfile.TemporaryDirectory(prefix="sanctrace-run-all-") as folder:
            result = common.run_child(__file__, "--sources", ",".join(sources), env=child_env(Path(folder), url))
            missed += report(kind, result)
    print("\ntargets: " + ("all met" if not missed else "MISSED: " + "; ".join(missed)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
