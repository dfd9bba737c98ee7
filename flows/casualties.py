from __future__ import annotations

from prefect import flow
from prefect.task_runners import ThreadPoolTaskRunner

from flows.family import run_family
from sanctrace import runs

CasualtiesSource = runs.source_choice("casualties")
CasualtiesParams = runs.params_model("casualties")


@flow(name="casualties", task_runner=ThreadPoolTaskRunner(max_workers=4), log_prints=True, persist_result=True)
def casualties(sources: list[CasualtiesSource] = [], fetch_mode: runs.FetchMode = runs.DEFAULT_MODE,  # noqa: B006
               start: runs.OptionalDate = "", end: runs.OptionalDate = "", force: bool = False,
               per_source: CasualtiesParams = CasualtiesParams()):  # noqa: B008
    """Civilians killed and injured in Ukraine since 24 Feb 2022 (OHCHR figures, as OCHA's sheet carries them).

    Args:
        sources: Source ids to run; none chosen runs every casualties source.
        fetch_mode: "live" fetches from the publishers; "replay" answers from the recorded archive. The default is SANCTRACE_FETCH_MODE where the flow was deployed.
        start: First report date to keep, where the source supports a window (YYYY-MM-DD; empty: no limit).
        end: Last report date to keep, where the source supports a window (YYYY-MM-DD; empty: no limit).
        force: Re-parse and re-load snapshots already parsed by this parser version (after a parser fix).
        per_source: Parameters of one source, under its id; each field explains itself. Left empty, a source uses its defaults (in replay: what the archive recorded).
    """
    return run_family("casualties", sources, fetch_mode, start, end, force, per_source)
