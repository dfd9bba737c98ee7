from __future__ import annotations

import contextvars
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

from prefect import flow
from prefect.states import Completed, Failed

from extractors import registry
from flows.params import FetchMode, check_mode, check_sources, check_window
from flows.report import publish

FAMILY_FLOWS = {
    "displacement": "flows.displacement:displacement",
    "casualties": "flows.casualties:casualties",
    "sanctions": "flows.sanctions:sanctions",
    "trade": "flows.trade:trade",
}


def family_flow(family: str):
    module, _, name = FAMILY_FLOWS[family].partition(":")
    return getattr(__import__(module, fromlist=[name]), name)


@flow(name="collect_all", log_prints=True)
def collect_all(sources: list[str] | None = None, fetch_mode: FetchMode | None = None,
                      start: date | None = None, end: date | None = None, force: bool = False):
    """Every family at once; a family that fails fails alone, the others still load.

    Args:
        sources: Source ids to run; empty runs every source.
        fetch_mode: "live" or "replay"; empty uses SANCTRACE_FETCH_MODE.
        start: First reference date to fetch, where a source supports a window (YYYY-MM-DD).
        end: Last reference date to fetch, where a source supports a window (YYYY-MM-DD).
        force: Re-parse and re-load snapshots already parsed by this parser version.
    """
    ids = check_sources(None, sources)
    check_window(start, end)
    check_mode(fetch_mode)
    families = sorted({registry.get(s).SOURCE.family for s in ids})
    # Each family runs as its own subflow in a thread; the copied context keeps this run as its parent.
    with ThreadPoolExecutor(max_workers=max(1, len(families))) as pool:
        futures = [pool.submit(contextvars.copy_context().run, _run_family, family,
                               [s for s in ids if registry.get(s).SOURCE.family == family],
                               fetch_mode, start, end, force) for family in families]
        states = [f.result() for f in futures]
    reports = [r for state in states for r in _reports(state)]
    publish(reports, key="collect-all", title="sanctrace collect_all run")
    failed = sorted({r["family"] for r in reports if not r["ok"]})
    if failed:
        return Failed(message=f"failed families: {', '.join(failed)}", data=reports)
    return Completed(message=f"{len(reports)} source(s) loaded", data=reports)


def _run_family(family: str, sources: list[str], fetch_mode, start, end, force: bool):
    return family_flow(family)(sources=sources, fetch_mode=fetch_mode, start=start, end=end, force=force,
                               return_state=True)


def _reports(state) -> list[dict[str, Any]]:
    data = state.result(raise_on_failure=False)
    if isinstance(data, list):
        return data
    return [{"source_id": "?", "family": "?", "documents": 0, "not_modified": 0, "new": 0, "unchanged": 0,
             "revised": 0, "skipped_unchanged": False, "urls": [], "changes": [], "checks": {},
             "failures": [f"family flow failed: {state.message or data}"], "ok": False}]
