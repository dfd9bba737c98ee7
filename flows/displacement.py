from __future__ import annotations

from prefect import flow
from prefect.task_runners import ThreadPoolTaskRunner

from flows.family import run_family
from sanctrace import runs

DisplacementSource = runs.source_choice("displacement")
DisplacementParams = runs.params_model("displacement")


@flow(name="displacement", task_runner=ThreadPoolTaskRunner(max_workers=4), log_prints=True, persist_result=True)
def displacement(sources: list[DisplacementSource] = [], fetch_mode: runs.FetchMode = runs.DEFAULT_MODE,  # noqa: B006
                 start: runs.OptionalDate = "", end: runs.OptionalDate = "", force: bool = False,
                 per_source: DisplacementParams = DisplacementParams()):  # noqa: B008
    """Refugees per host country (UNHCR) and internally displaced people per oblast and round (IOM DTM).

    Args:
        sources: Source ids to run; none chosen runs every displacement source.
        fetch_mode: "live" fetches from the publishers; "replay" answers from the recorded archive. The default is SANCTRACE_FETCH_MODE where the flow was deployed.
        start: First reference date to fetch, where the source supports a window (YYYY-MM-DD; empty: no limit).
        end: Last reference date to fetch, where the source supports a window (YYYY-MM-DD; empty: no limit).
        force: Re-parse and re-load snapshots already parsed by this parser version (after a parser fix).
        per_source: Parameters of one source, under its id; each field explains itself. Left empty, a source uses its defaults (in replay: what the archive recorded).
    """
    return run_family("displacement", sources, fetch_mode, start, end, force, per_source)
