"""Benchmark: ``collect_all`` over the bundled recorded documents, cold (empty warehouse) then warm, against
Prefect's own floor.

Runs in a child process with its own temporary warehouse, snapshot store and PREFECT_HOME (an
ephemeral Prefect server, started before the clock runs), so ``data/`` is never touched. That server keeps
its own records in a new PostgreSQL database (``--prefect-database postgres``, the default), as
docs/DEPLOY.md sets up Prefect in production: on its default SQLite file, under four family flows writing
task runs at once, the server once failed a task run's insert (an OperationalError that failed a family
flow, and with it the bench) and now and then stalled a run by about a minute. The time
inside tasks is the time spent in the pipeline functions the tasks call (``pipeline.fetch_source``,
``pipeline.load_source``), recorded by wrapping them; flow set-up is ``runs.prepare`` (schema check,
register sources, sweep the store), run in each family flow's body. Prefect overhead = flow wall time
minus the time during which at least one of those was running (families run concurrently, so intervals
are merged, not added); the part of it spent entering ``runs.load_lock`` (the warehouse lock a family run
holds while it loads) is shown too.

Prefect's floor is a no-op flow of the cold run's shape on the same server: one parent flow running one
subflow per family in threads, each submitting a fetch task per source, then a load task per source, that
do nothing. (A warm run submits a load task only for a source with something to parse, so it holds fewer
tasks than the floor: flows/family.py.) After one floor run that is not counted (it registers the floor's
flows, as the cold run registers collect_all's), the warm run and the floor alternate ``--repeat`` times
and their medians are compared. The floor is also run once with a Prefect global concurrency slot per
family around its loads (how sanctrace took its load slots before), to show what those slots cost. The
load lock alone is timed too: taking and releasing it with no other holder, and the hand-over (from one
holder letting go to the waiting one holding it). Prints tables; exits 0 (missed targets are printed).

    .venv/bin/python bench/run_all.py [--databases sqlite,postgres] [--sources ID,...] [--repeat 9]
                                      [--prefect-database postgres|sqlite]
"""

from __future__ import annotations

import argparse
import contextlib
import contextvars
import json
import os
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from statistics import median
from typing import Iterator

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

LOCK_TARGET = 0.5  # seconds a cold collect_all may spend waiting for its load locks
FLOOR_TARGET = 0.10  # what a warm collect_all may add over Prefect's floor
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
        """Time how long entering a context manager takes (waiting for a load lock)."""
        @contextlib.contextmanager
        def timed(*args, **kwargs):
            started = time.perf_counter()
            with manager(*args, **kwargs) as value:
                with self.lock:
                    self.spans.append((kind, started, time.perf_counter()))
                yield value
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


def floor_flow(families: dict[str, list[str]], prefect_slots: bool):
    """Prefect's floor: collect_all's shape (a parent flow, a subflow per family in threads, a fetch task
    then a load task per source) with tasks that do nothing. ``prefect_slots``: each family subflow
    holds the global concurrency limit ``floor-load-<family>`` (limit 1) around its loads."""
    from prefect import flow, task
    from prefect.client.orchestration import get_client
    from prefect.concurrency.sync import concurrency
    from prefect.futures import wait
    from prefect.task_runners import ThreadPoolTaskRunner

    @task(name="floor-fetch", task_run_name="fetch {source_id}")
    def fetch(source_id: str) -> dict:
        return {"shas": [], "source_id": source_id}

    @task(name="floor-load", task_run_name="load {source_id}")
    def load(source_id: str, fetched: dict) -> dict:
        return {"source_id": source_id, "ok": True}

    def body(family: str, sources: list[str]) -> list[dict]:
        fetched = {s: fetch.submit(s) for s in sources}
        wait(list(fetched.values()))
        slot = concurrency(f"floor-load-{family}", occupy=1) if prefect_slots else contextlib.nullcontext()
        with slot:
            loads = {s: load.submit(s, fetched[s]) for s in sources}
            wait(list(loads.values()))
        return [f.result() for f in loads.values()]

    subflows = {family: flow(name=f"floor-{family}", task_runner=ThreadPoolTaskRunner(max_workers=4),
                             log_prints=True)(body) for family in families}
    if prefect_slots:
        with get_client(sync_client=True) as client:
            for family in families:
                client.upsert_global_concurrency_limit_by_name(f"floor-load-{family}", 1)

    @flow(name="floor-all", log_prints=True)
    def floor_all() -> list[dict]:
        with ThreadPoolExecutor(max_workers=len(families)) as pool:
            futures = [pool.submit(contextvars.copy_context().run, subflows[f], f, s) for f, s in families.items()]
            return [r for future in futures for r in future.result()]

    return floor_all


def run_floor(floor_all) -> dict:
    started = time.perf_counter()
    state = floor_all(return_state=True)
    wall = time.perf_counter() - started
    assert state.is_completed(), state.message
    return {"wall": wall}


def lock_costs(engine, times: int = 20) -> dict:
    """Medians: take and release a load lock with no other holder; hand it over to a waiting holder."""
    from warehouse import locks

    def take() -> float:
        started = time.perf_counter()
        with locks.hold(engine, ["load-bench"], 10):
            return time.perf_counter() - started

    uncontended = [take() for _ in range(times)]
    handover = []
    for _ in range(times // 2):
        released: list[float] = []

        def waiter():
            with locks.hold(engine, ["load-bench"], 10):
                handover.append(time.perf_counter() - released[0])

        with locks.hold(engine, ["load-bench"], 10):
            thread = threading.Thread(target=waiter)
            thread.start()
            time.sleep(0.2)  # the waiter is now waiting
            released.append(time.perf_counter())
        thread.join()
    return {"uncontended": median(uncontended), "handover": median(handover)}


def child(sources: list[str] | None, repeat: int) -> dict:
    from prefect.client.orchestration import get_client

    from flows.collect_all import collect_all
    from sanctrace import pipeline, runs
    from warehouse.migrate import upgrade

    upgrade(os.environ["SANCTRACE_WAREHOUSE_URL"])  # as `sanctrace migrate` does before any run
    spans = Intervals()
    pipeline.fetch_source = spans.wrap("task", pipeline.fetch_source)
    pipeline.load_source = spans.wrap("task", pipeline.load_source)
    runs.prepare = spans.wrap("setup", runs.prepare)
    runs.load_lock = spans.wrap_context("slot", runs.load_lock)
    ids = runs.check_sources(None, sources)
    families = {f: [s for s in ids if runs.family_of(s) == f] for f in runs.families(ids)}

    started = time.perf_counter()
    with get_client(sync_client=True) as client:
        client.hello()  # starts the ephemeral server (if the bench runs its own) outside the measured runs
    server = time.perf_counter() - started
    cold = run_once(collect_all, spans, sources)
    floor, slotted = floor_flow(families, False), floor_flow(families, True)
    run_floor(floor)  # not counted: registers the floor's flows, as the cold run did collect_all's
    warm, floors = [], []
    for _ in range(repeat):  # alternated, so the other engineers' load on the machine hits both alike
        warm.append(run_once(collect_all, spans, sources))
        floors.append(run_floor(floor))
    assert cold["new"] > 0 and all(w["new"] == 0 for w in warm), (cold["new"], [w["new"] for w in warm])
    from warehouse.engine import engine_for

    return {"server": server, "cold": cold, "warm": warm, "floor": floors, "slots_floor": run_floor(slotted),
            "lock": lock_costs(engine_for(os.environ["SANCTRACE_WAREHOUSE_URL"])),
            "shape": {"families": len(families), "tasks": 2 * len(ids)}}


def child_env(folder: Path, url: str, api_url: str = "", prefect_db: str = "") -> dict[str, str]:
    """The child's environment: its own warehouse and store; an ephemeral Prefect server of its own
    (keeping its records in ``prefect_db``, else in a SQLite file under PREFECT_HOME) unless ``api_url``
    names a running one (the test suite's, so that one session starts one server)."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("PREFECT_API_URL", "PREFECT_API_DATABASE_CONNECTION_URL")}
    if api_url:
        env["PREFECT_API_URL"] = api_url
    elif prefect_db:
        env["PREFECT_API_DATABASE_CONNECTION_URL"] = prefect_db
    env.update({
        "PREFECT_HOME": str(folder / "prefect"), "SANCTRACE_WAREHOUSE_URL": url,
        "SANCTRACE_SNAPSHOT_STORE": str(folder / "snapshots"), "SANCTRACE_FETCH_MODE": "replay",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1", "PREFECT_LOGGING_LEVEL": "WARNING",
        # 20 s by default: not enough on two cores busy with other test suites
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    })
    return env


@contextlib.contextmanager
def prefect_database(options) -> Iterator[str]:
    """A new PostgreSQL database for the bench's own Prefect server, dropped afterwards; "" where the
    bench uses a running server or the server's SQLite file."""
    if options.api_url or options.prefect_database == "sqlite":
        yield ""
        return
    from sqlalchemy.engine import make_url

    with common.postgres_database("sanctrace_bench_prefect") as url:
        yield make_url(url).set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


def middle(runs: list[dict]) -> dict:
    """The run with the median wall time (an odd count: the median itself)."""
    ordered = sorted(runs, key=lambda r: r["wall"])
    return ordered[(len(ordered) - 1) // 2]


def report(kind: str, r: dict) -> list[str]:
    rows = []
    warm = middle(r["warm"])
    floor = median(f["wall"] for f in r["floor"])
    for name, run in (("cold", r["cold"]), ("warm", warm)):
        rows.append((name, f"{run['wall']:.2f}", f"{run['wall'] / floor - 1:+.0%}", f"{run['inside']:.2f}",
                     f"{run['setup']:.2f}", f"{run['overhead']:.2f}", f"{run['slots']:.2f}",
                     f"{run['new']:,}", f"{run['unchanged']:,}", f"{run['skipped']}/{run['sources']}",
                     f"{run['rss_mb']:.0f}"))
    slotted = r["slots_floor"]["wall"]
    rows.append(("floor", f"{floor:.2f}", "+0%", "", "", "", "", "", "", "", ""))
    rows.append(("floor + Prefect slots", f"{slotted:.2f}", f"{slotted / floor - 1:+.0%}", "", "", "", "", "", "",
                 "", ""))
    ratio = warm["wall"] / r["cold"]["wall"]
    shape = r["shape"]
    warms, floors = (", ".join(f"{x['wall']:.2f}" for x in r[k]) for k in ("warm", "floor"))
    common.print_table(
        f"{kind}: collect_all over the recorded documents against Prefect's floor (a no-op flow of the same "
        f"shape: {shape['families']} family subflows, {shape['tasks']} tasks; Prefect server on "
        f"{r['prefect_database']}, start "
        f"{r['server']:.1f} s, not counted; warm and floor: median of {len(r['warm'])} alternated runs, warm "
        f"{warms} s, floor {floors} s; warm / cold = {ratio:.0%}; RSS: {RSS_NOTE})",
        ("run", "wall s", "over floor", "in tasks s", "flow set-up s", "Prefect overhead s",
         "of it waiting for load locks s", "new", "unchanged", "sources skipped", "peak RSS MB"), rows)
    lock = r["lock"]
    print(f"load lock ({kind}, warehouse/locks.py), medians: take and release with no other holder "
          f"{lock['uncontended'] * 1000:.2f} ms; hand-over to a waiting holder {lock['handover'] * 1000:.1f} ms")
    missed = []
    if r["cold"]["slots"] > LOCK_TARGET:
        missed.append(f"{kind}: cold run waited {r['cold']['slots']:.2f} s for load locks (target <= {LOCK_TARGET} s)")
    if warm["wall"] / floor - 1 > FLOOR_TARGET:
        missed.append(f"{kind}: warm run adds {warm['wall'] / floor - 1:.0%} over Prefect's floor "
                      f"(target <= {FLOOR_TARGET:.0%})")
    return missed


def main() -> int:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--databases", default="sqlite,postgres", help="comma-separated: sqlite, postgres")
    args.add_argument("--sources", default="", help="comma-separated source ids (default: every source)")
    # 9, not 5: single runs stall now and then inside Prefect (a no-op floor run once took 74 s), and with
    # 5 two slow runs move a median of whole seconds past the target (docs/PERFORMANCE.md, fifth pass).
    args.add_argument("--repeat", type=int, default=9, help="warm runs and floor runs, alternated (default 9)")
    args.add_argument("--api-url", default="", help="a running Prefect server's API URL (default: an ephemeral "
                      "server of the bench's own)")
    args.add_argument("--prefect-database", choices=("postgres", "sqlite"), default="postgres",
                      help="where the bench's own Prefect server keeps its records (default: a new PostgreSQL "
                      "database on the bench's server, as in production)")
    args.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    options = args.parse_args()
    sources = [s for s in options.sources.split(",") if s]
    if options.child:
        print(json.dumps(child(sources or None, options.repeat)))
        return 0
    missed = []
    for kind in options.databases.split(","):
        with common.database(kind, "sanctrace_bench_run_all") as url, \
                prefect_database(options) as prefect_db, \
                tempfile.TemporaryDirectory(prefix="sanctrace-run-all-") as folder:
            result = common.run_child(__file__, "--sources", ",".join(sources), "--repeat", str(options.repeat),
                                      env=child_env(Path(folder), url, options.api_url, prefect_db))
            result["prefect_database"] = ("its own PostgreSQL database" if prefect_db else
                                          "a running server's database" if options.api_url else "its SQLite file")
            missed += report(kind, result)
    print("\ntargets: " + ("all met" if not missed else "MISSED: " + "; ".join(missed)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
