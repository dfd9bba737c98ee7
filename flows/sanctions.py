from __future__ import annotations

from prefect import flow
from prefect.task_runners import ThreadPoolTaskRunner

from flows.family import run_family
from sanctrace import runs

SanctionsSource = runs.source_choice("sanctions")
SanctionsParams = runs.params_model("sanctions")


@flow(name="sanctions", task_runner=ThreadPoolTaskRunner(max_workers=4), log_prints=True, persist_result=True)
def sanctions(sources: list[SanctionsSource] = [], fetch_mode: runs.FetchMode = runs.DEFAULT_MODE,  # noqa: B006
              start: runs.OptionalDate = "", end: runs.OptionalDate = "", force: bool = False,
              per_source: SanctionsParams = SanctionsParams()):  # noqa: B008
    """EU sanctions notices: Council package announcements, the consolidated financial sanctions list, Official Journal acts.

    Args:
        sources: Source ids to run; none chosen runs every sanctions source.
        fetch_mode: "live" fetches from the publishers; "replay" answers from the recorded archive. The default is SANCTRACE_FETCH_MODE where the flow was deployed.
        start: First publication date of legal acts to discover, where the source supports a window (YYYY-MM-DD; empty: no limit).
        end: Last publication date of legal acts to discover, where the source supports a window (YYYY-MM-DD; empty: no limit).
        force: Re-parse and re-load snapshots already parsed by this parser version (after a parser fix).
        per_source: Parameters of one source, under its id; each field explains itself. Left empty, a source uses its defaults (in replay: what the archive recorded).
    """
    return run_family("sanctions", sources, fetch_mode, start, end, force, per_source)
