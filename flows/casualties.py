from __future__ import annotations

from datetime import date

from prefect import flow
from prefect.task_runners import ThreadPoolTaskRunner

from flows.family import run_family
from flows.params import FetchMode


@flow(name="casualties", task_runner=ThreadPoolTaskRunner(max_workers=4), log_prints=True)
def casualties(sources: list[str] | None = None, fetch_mode: FetchMode | None = None,
               start: date | None = None, end: date | None = None, force: bool = False):
    """Civilians killed and injured in Ukraine since 24 Feb 2022 (OHCHR figures, as OCHA's sheet carries them).

    Args:
        sources: Source ids to run; empty runs every casualties source.
        fetch_mode: "live" fetches from the publishers; "replay" answers from the recorded archive. Empty uses SANCTRACE_FETCH_MODE.
        start: First report date to keep, where the source supports a window (YYYY-MM-DD).
        end: Last report date to keep, where the source supports a window (YYYY-MM-DD).
        force: Re-parse and re-load snapshots already parsed by this parser version (after a parser fix).
    """
    return run_family("casualties", sources, fetch_mode, start, end, force)
