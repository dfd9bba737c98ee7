from __future__ import annotations

from datetime import date

from prefect import flow
from prefect.task_runners import ThreadPoolTaskRunner

from extractors import comtrade
from flows.family import run_family
from flows.params import FetchMode, check_mode
from sanctrace.settings import get_settings
from transforms.codes_m49 import m49_of_iso


@flow(name="trade", task_runner=ThreadPoolTaskRunner(max_workers=4), log_prints=True)
def trade(sources: list[str] | None = None, fetch_mode: FetchMode | None = None,
          start: date | None = None, end: date | None = None, force: bool = False,
          hs_codes: list[str] | None = None, reporters: list[str] | None = None,
          partners: list[str] | None = None):
    """Trade statistics: national releases (Kazakhstan, Kyrgyzstan), UN Comtrade, Eurostat Comext.

    Args:
        sources: Source ids to run; empty runs every trade source.
        fetch_mode: "live" fetches from the publishers; "replay" answers from the recorded archive. Empty uses SANCTRACE_FETCH_MODE.
        start: First reference period to request, where the source supports a window (YYYY-MM-DD).
        end: Last reference period to request, where the source supports a window (YYYY-MM-DD).
        force: Re-parse and re-load snapshots already parsed by this parser version (after a parser fix).
        hs_codes: HS codes to watch instead of the settings' watch list (e.g. ["8542", "8806"]).
        reporters: Transit reporters (ISO alpha-3) to watch instead of the settings' list (e.g. ["KAZ", "KGZ"]).
        partners: Partners (ISO alpha-3, WLD for world) to watch instead of the settings' list (e.g. ["RUS", "WLD"]).
    """
    watch = {k: v for k, v in {"hs_codes": hs_codes, "reporters": reporters, "partners": partners}.items() if v}
    extra = {"watch": watch} if watch else {}
    extra.update(comtrade_extra(watch, check_mode(fetch_mode) or get_settings().fetch_mode))
    return run_family("trade", sources, fetch_mode, start, end, force, extra)


def comtrade_extra(watch: dict, mode: str) -> dict:
    """UN Comtrade's requests: the watch list (settings defaults) as Comtrade area numbers; in replay
    mode with no watch list given, the requests the archive recorded (replay/un-comtrade/ORIGIN.md)."""
    settings = get_settings()
    extra = {"comtrade_watch": {
        "reporters": [m49_of_iso(c) for c in watch.get("reporters") or settings.watch_reporters],
        "partners": [m49_of_iso(c) for c in watch.get("partners") or settings.watch_partners],
        "hs_codes": list(watch.get("hs_codes") or settings.watch_hs_codes)}}
    if mode == "replay" and not watch:
        extra.update(comtrade.replay_extra(settings.replay_archive))
    return extra
