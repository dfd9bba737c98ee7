from __future__ import annotations

from prefect import flow
from prefect.task_runners import ThreadPoolTaskRunner

from flows.family import run_family
from sanctrace import runs

TradeSource = runs.source_choice("trade")
TradeParams = runs.params_model("trade")


@flow(name="trade", task_runner=ThreadPoolTaskRunner(max_workers=4), log_prints=True, persist_result=True)
def trade(sources: list[TradeSource] = [], fetch_mode: runs.FetchMode = runs.DEFAULT_MODE,  # noqa: B006
          start: runs.OptionalDate = "", end: runs.OptionalDate = "", force: bool = False,
          hs_codes: list[str] = [], reporters: list[str] = [], partners: list[str] = [],  # noqa: B006
          per_source: TradeParams = TradeParams()):  # noqa: B008
    """Trade statistics: national statistics offices (Kazakhstan, Kyrgyzstan, Uzbekistan), UN Comtrade, Eurostat Comext.

    Args:
        sources: Source ids to run; none chosen runs every trade source.
        fetch_mode: "live" fetches from the publishers; "replay" answers from the recorded archive. The default is SANCTRACE_FETCH_MODE where the flow was deployed.
        start: First reference period to request, where the source supports a window (YYYY-MM-DD; empty: no limit).
        end: Last reference period to request, where the source supports a window (YYYY-MM-DD; empty: no limit).
        force: Re-parse and re-load snapshots already parsed by this parser version (after a parser fix).
        hs_codes: HS codes to watch instead of the settings' watch list (e.g. ["8542", "8806"]).
        reporters: Transit reporters (ISO alpha-3) to watch instead of the settings' list (e.g. ["KAZ", "KGZ"]).
        partners: Partners (ISO alpha-3, WLD for world) to watch instead of the settings' list (e.g. ["RUS", "WLD"]).
        per_source: Parameters of one source, under its id; each field explains itself. Left empty, a source uses its defaults (in replay: what the archive recorded).
    """
    watch = {"hs_codes": hs_codes, "reporters": reporters, "partners": partners}
    return run_family("trade", sources, fetch_mode, start, end, force, per_source,
                      {k: v for k, v in watch.items() if v})
