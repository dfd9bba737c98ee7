"""The body every family flow shares: validate parameters, fetch and load each source, report."""

from __future__ import annotations

from datetime import date
from typing import Any

from prefect.futures import wait
from prefect.logging import get_run_logger
from prefect.runtime import flow_run
from prefect.states import Completed, Failed, State

from flows.report import announce, publish
from flows.tasks import fetch_task, load_task, log_load
from sanctrace import runs


def run_family(family: str | None, sources: list[str] | None, fetch_mode: str | None,
               start: date | str | None, end: date | str | None, force: bool,
               per_source: Any = None, watch: dict[str, Any] | None = None) -> State:
    ids = runs.check_sources(family, sources)
    start, end = runs.check_window(start, end)
    mode = runs.check_mode(fetch_mode)
    params = runs.given_params(per_source)
    rt = runs.prepare(flow_run.get_id())  # its flow run names what the body itself records
    fetched = {sid: fetch_task.submit(sid, mode, force, start, end, params.get(sid), watch) for sid in ids}
    wait(list(fetched.values()))
    # One lock per family, held while its sources load side by side (not one wait per source); a run
    # whose documents were all parsed before only records that they were seen and takes none.
    changed = _changed(rt, fetched, force)
    with runs.load_lock(rt, changed) as waited:
        if waited > 0.5:
            get_run_logger().info("waited %.1f s for another run to finish loading %s", waited,
                                  "/".join(runs.families(changed)))
        loads = {sid: load_task.submit(sid, fetched[sid], force) for sid in changed}
        # The others have nothing to parse: here, not in a task each, because a task run costs Prefect
        # several calls to its API, and a warm run would hold one per source only to note "seen again".
        recorded = {sid: _record(rt, sid, fetched[sid], force) for sid in ids if sid not in loads}
        wait(list(loads.values()))
    reports = [recorded[sid] if sid in recorded else _report(sid, loads[sid]) for sid in ids]
    name = family or "all"
    publish(reports, key=f"{name}-run", title=f"sanctrace {name} run")
    announce(reports)  # here, not in collect_all: each family run announces its own sources once
    failed = [r["source_id"] for r in reports if not r["ok"]]
    if failed:
        get_run_logger().error("failed sources: %s", ", ".join(failed))
        return Failed(message=f"{len(failed)} source(s) failed: {', '.join(failed)}", data=reports)
    return Completed(message=f"{len(reports)} source(s) loaded", data=reports)


def _changed(rt, fetched: dict[str, Any], force: bool) -> list[str]:
    """Sources with something to parse and load (a failed fetch has nothing: its load will not run)."""
    return [sid for sid, future in fetched.items()
            if future.state.is_completed() and runs.needs_load(rt, sid, future.result(), force)]


def _record(rt, source_id: str, fetched, force: bool) -> dict[str, Any]:
    """What a source with nothing to parse reports (documents seen again, a note, nothing fetched), through
    the load step all the same; or its fetch's failure."""
    try:
        report = runs.load(rt, source_id, fetched.result(), force).as_dict()
    except Exception as exc:  # noqa: BLE001 (one source failing must not hide the others)
        return _failed(source_id, exc)
    log_load(get_run_logger(), source_id, report)
    return report


def _report(source_id: str, loaded) -> dict[str, Any]:
    """The load task's report, or a failure naming what went wrong (its fetch completed: see _changed)."""
    loaded.wait()
    try:
        return loaded.result()
    except Exception as exc:  # noqa: BLE001 (one source failing must not hide the others)
        return _failed(source_id, exc)


def _failed(source_id: str, exc: Exception) -> dict[str, Any]:
    return runs.failed_report(source_id, exc).as_dict()
