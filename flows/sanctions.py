from __future__ import annotations

from datetime import date

from prefect import flow
from prefect.task_runners import ThreadPoolTaskRunner

from flows.family import run_family
from flows.params import FetchMode


@flow(name="sanctions", task_runner=ThreadPoolTaskRunner(max_workers=4), log_prints=True)
def sanctions(sources: list[str] | None = None, fetch_mode: FetchMode | None = None,
              start: date | None = None, end: date | None = None, force: bool = False):
    """EU sanctions notices: Council package announcements, the consolidated financial sanctions list, Official Journal acts.

    Args:
        sources: Source ids to run; empty runs every sanctions source.
        fetch_mode: "live" fetches from the publishers; "replay" answers from the recorded archive. Empty uses SANCTRACE_FETCH_MODE.
        start: First publication date of legal acts to discover, where the source supports a window (YYYY-MM-DD).
        end: Last publication date of legal acts to discover, where the source supports a window (YYYY-MM-DD).
        force: Re-parse and re-load snapshots already parsed by this parser version (after a parser fix).
    """
    return run_family("sanctions", sources, fetch_mode, start, end, force)
