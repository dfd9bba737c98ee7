from __future__ import annotations

import contextvars
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from prefect import flow
from prefect.exceptions import MissingResult
from prefect.states import Completed, Failed

from flows.report import publish
from sanctrace import runs

AnySource = runs.source_choice()
AllParams = runs.params_model()

FAMILY_FLOWS = {
    "displacement": "flows.displacement:displacement",
    "casualties": "flows.casualties:casualties",
    "sanctions": "flows.sanctions:sanctions",
    "trade": "flows.trade:trade",
}


def family_flow(family: str):
    module, _, name = FAMILY_FLOWS[family].partition(":")
    return getattr(__import__(module, fromlist=[name]), name)


@flow(name="collect_all", log_prints=True, persist_result=True)
def collect_all(sources: list[AnySource] = [], fetch_mode: runs.FetchMode = runs.DEFAULT_MODE,  # noqa: B006
                start: runs.OptionalDate = "", end: runs.OptionalDate = "", force: bool = False,
                per_source: AllParams = AllParams()):  # noqa: B008
    """Every family at once; a family that fails fails alone, the others still load.

    Args:
        sources: Source ids to run; none chosen runs every source.
        fetch_mode: "live" fetches from the publishers; "replay" answers from the recorded archive. The default is SANCTRACE_FETCH_MODE where the flow was deployed.
        start: First reference date to fetch, where a source supports a window (YYYY-MM-DD; empty: no limit).
        end: Last reference date to fetch, where a source supports a window (YYYY-MM-DD; empty: no limit).
        force: Re-parse and re-load snapshots already parsed by this parser version.
        per_source: Parameters of one source, under its id; each field explains itself.
    """
    ids = runs.check_sources(None, sources)
    runs.check_window(start, end)
    runs.check_mode(fetch_mode)
    params = runs.given_params(per_source)
    # Each family runs as its own subflow in a thread; the copied context keeps this run as its parent.
    groups = {family: [s for s in ids if runs.family_of(s) == family] for family in runs.families(ids)}
    with ThreadPoolExecutor(max_workers=max(1, len(groups))) as pool:
        futures = {family: pool.submit(contextvars.copy_context().run, _run_family, family, sources, fetch_mode,
                                       start, end, force, runs.params_for(params, family))
                   for family, sources in groups.items()}
        states = {family: future.result() for family, future in futures.items()}
    reports = [r for family, state in states.items() for r in _reports(state, family, groups[family])]
    publish(reports, key="collect-all", title="sanctrace collect_all run")
    failed = sorted({r["family"] for r in reports if not r["ok"]})
    if failed:
        return Failed(message=f"failed families: {', '.join(failed)}", data=reports)
    return Completed(message=f"{len(reports)} source(s) loaded", data=reports)


def _run_family(family: str, sources: list[str], fetch_mode, start, end, force: bool, per_source: dict):
    return family_flow(family)(sources=sources, fetch_mode=fetch_mode, start=start, end=end, force=force,
                               per_source=per_source, return_state=True)


def _reports(state, family: str, sources: list[str]) -> list[dict[str, Any]]:
    """The family flow's reports; a family flow that crashed gets one failed report per source, naming
    the family and why (its exception), so that the run's table and message say what failed.
    Family flows persist their result: when the server rejects a repeated request to set a run's final
    state, Prefect's engine takes the server's copy of the state, which holds the result's address but
    not the reports themselves."""
    try:
        data = state.result(raise_on_failure=False)
    except MissingResult as exc:  # seen once in bench/run_all.py: a state read back without its data
        data = exc
    if isinstance(data, list):
        return data
    why = f"family flow {family} failed: {state.message or data}"
    return [{"source_id": source_id, "family": family, "documents": 0, "not_modified": 0, "new": 0,
             "unchanged": 0, "revised": 0, "skipped_unchanged": False, "urls": [], "changes": [], "checks": {},
             "discovery": {}, "failures": [why], "ok": False} for source_id in sources]
