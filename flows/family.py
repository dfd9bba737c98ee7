"""The body every family flow shares: validate parameters, fetch and load each source, report."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import date
from typing import Any

from prefect.client.orchestration import get_client
from prefect.exceptions import ObjectAlreadyExists
from prefect.futures import wait
from prefect.logging import get_run_logger
from prefect.states import Completed, Failed, State

from flows.params import check_mode, check_sources, check_window
from flows.report import publish
from extractors import registry
from flows.tasks import fetch_task, load_limit_name, load_slots, load_task
from sanctrace import pipeline
from sanctrace.settings import get_settings
from warehouse.migrate import upgrade


def prepare(family: str | None) -> pipeline.Runtime:
    """Bring the warehouse to the newest schema, register the sources, create the load limits."""
    settings = get_settings()
    upgrade(settings.warehouse_url)
    rt = pipeline.runtime(settings)
    pipeline.register_sources(rt)
    rt.store.sweep()
    for name in [family] if family else registry.families():
        ensure_load_limit(load_limit_name(name))
    return rt


def ensure_load_limit(name: str) -> None:
    with get_client(sync_client=True) as client:
        try:
            client.upsert_global_concurrency_limit_by_name(name, 1)
        except ObjectAlreadyExists:
            pass  # another run created it a moment ago


def run_family(family: str | None, sources: list[str] | None, fetch_mode: str | None,
               start: date | str | None, end: date | str | None, force: bool,
               extra: dict[str, Any] | None = None) -> State:
    ids = check_sources(family, sources)
    start, end = check_window(start, end)
    mode = check_mode(fetch_mode) or get_settings().fetch_mode
    rt = prepare(family)
    fetched = {sid: fetch_task.submit(sid, mode, force, start, end, extra or {}) for sid in ids}
    wait(list(fetched.values()))
    # One slot per run, held while its sources load side by side (not one wait per source); a run
    # whose documents were all parsed before only moves last_seen_at and needs no slot.
    changed = _changed(rt, fetched, force)
    with load_slots(sorted({_family(sid) for sid in changed})) if changed else nullcontext():
        loads = {sid: load_task.submit(sid, fetched[sid], force) for sid in ids}
        wait(list(loads.values()))
    reports = [_report(sid, fetched[sid], loads[sid]) for sid in ids]
    name = family or "all"
    publish(reports, key=f"{name}-run", title=f"sanctrace {name} run")
    failed = [r["source_id"] for r in reports if not r["ok"]]
    if failed:
        get_run_logger().error("failed sources: %s", ", ".join(failed))
        return Failed(message=f"{len(failed)} source(s) failed: {', '.join(failed)}", data=reports)
    return Completed(message=f"{len(reports)} source(s) loaded", data=reports)


def _changed(rt: pipeline.Runtime, fetched: dict[str, Any], force: bool) -> list[str]:
    """Sources with something to parse and load (a failed fetch has nothing: its load will not run)."""
    changed = []
    for sid, future in fetched.items():
        if future.state.is_completed():
            shas = future.result()["shas"]
            if shas and not pipeline.is_unchanged(rt, sid, shas, force):
                changed.append(sid)
    return changed


def _report(source_id: str, fetched, loaded) -> dict[str, Any]:
    """The load task's report, or a failure naming what went wrong (the fetch's error first)."""
    for future in (fetched, loaded):
        future.wait()
        try:
            result = future.result()
        except Exception as exc:  # noqa: BLE001 (one source failing must not hide the others)
            message = f"{type(exc).__name__}: {exc}"
            return pipeline.SourceReport(source_id, _family(source_id), failures=[message]).as_dict()
    return result


def _family(source_id: str) -> str:
    return registry.get(source_id).SOURCE.family
