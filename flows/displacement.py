from __future__ import annotations

from datetime import date

from prefect import flow
from prefect.task_runners import ThreadPoolTaskRunner

from extractors import iom_dtm
from flows.family import run_family
from flows.params import FetchMode, check_mode
from sanctrace.settings import get_settings


@flow(name="displacement", task_runner=ThreadPoolTaskRunner(max_workers=4), log_prints=True)
def displacement(sources: list[str] | None = None, fetch_mode: FetchMode | None = None,
                 start: date | None = None, end: date | None = None, force: bool = False,
                 rounds: list[int] | None = None):
    """Refugees per host country (UNHCR) and internally displaced people per oblast and round (IOM DTM).

    Args:
        sources: Source ids to run; empty runs every displacement source.
        fetch_mode: "live" fetches from the publishers; "replay" answers from the recorded archive. Empty uses SANCTRACE_FETCH_MODE.
        start: First reference date to fetch, where the source supports a window (YYYY-MM-DD).
        end: Last reference date to fetch, where the source supports a window (YYYY-MM-DD).
        force: Re-parse and re-load snapshots already parsed by this parser version (after a parser fix).
        rounds: IOM DTM survey rounds to backfill besides the newest one (e.g. [4, 13]). Empty in replay mode backfills every round the replay archive holds.
    """
    extra = {"rounds": rounds} if rounds else {}
    if not rounds and (check_mode(fetch_mode) or get_settings().fetch_mode) == "replay":
        extra = iom_dtm.replay_extra(get_settings().replay_archive)
    return run_family("displacement", sources, fetch_mode, start, end, force, extra)
