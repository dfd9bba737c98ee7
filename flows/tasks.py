"""Coarse tasks: fetch a source's documents, then parse-check-load them. Hashes travel, not frames."""

from __future__ import annotations

import time
from contextlib import contextmanager
from datetime import date
from typing import Any, Iterator

from prefect import task
from prefect.blocks.system import Secret
from prefect.exceptions import ObjectNotFound
from pydantic import SecretStr
from prefect.concurrency.sync import concurrency
from prefect.context import get_run_context
from prefect.logging import get_run_logger

from extractors import registry
from extractors.base import FetchOptions
from sanctrace import pipeline
from sanctrace.settings import get_settings


def _runtime() -> pipeline.Runtime:
    try:
        run_id = str(get_run_context().task_run.flow_run_id)
    except Exception:  # noqa: BLE001 (outside a run: no id)
        run_id = None
    return pipeline.runtime(get_settings(), run_id)


COMTRADE_SECRET_BLOCK = "sanctrace-comtrade-key"


def comtrade_key() -> SecretStr | None:
    """From SANCTRACE_COMTRADE_KEY, else the Prefect Secret block; never logged."""
    key = get_settings().comtrade_key
    if key is not None:
        return key
    try:
        return SecretStr(Secret.load(COMTRADE_SECRET_BLOCK).get())
    except (ValueError, ObjectNotFound):
        return None  # no block saved: keyless endpoints only


def fetch_options(force: bool, start: date | None, end: date | None, extra: dict[str, Any],
                  source_id: str = "") -> FetchOptions:
    extra = dict(extra)
    if source_id == "un-comtrade":
        key = comtrade_key()
        if key is not None:
            extra.setdefault("comtrade_key", key)
    return FetchOptions(force=force, start=start, end=end, extra=extra)


@task(name="fetch-source", task_run_name="fetch {source_id}")
def fetch_task(source_id: str, mode: str, force: bool, start: date | None, end: date | None,
               extra: dict[str, Any]) -> dict[str, Any]:
    rt = _runtime()
    if note := pipeline.not_recorded(rt, source_id, mode):
        get_run_logger().warning("%s: %s", source_id, note)
        return {"shas": [], "not_modified": 0, "failures": [], "note": note}
    options = fetch_options(force, start, end, extra, source_id)
    options.state = pipeline.source_state(rt, source_id)
    shas, not_modified = pipeline.fetch_source(rt, source_id, options, mode)
    get_run_logger().info("%s: %d document(s), %d unchanged (304)", source_id, len(shas), not_modified)
    return {"shas": shas, "not_modified": not_modified, "failures": options.failures}


def load_limit_name(family: str) -> str:
    return f"sanctrace-load-{family}"


@contextmanager
def load_slots(families: list[str]) -> Iterator[None]:
    """Two runs of one family never load at once: a run holds its families' slots while it loads,
    and a second run waits here (its loads of the same sources then find them unchanged)."""
    started = time.monotonic()
    with concurrency([load_limit_name(f) for f in families], occupy=1, timeout_seconds=3600):
        waited = time.monotonic() - started
        if waited > 1:
            get_run_logger().info("waited %.0f s for another %s run to finish loading", waited, "/".join(families))
        yield


@task(name="load-source", task_run_name="load {source_id}")
def load_task(source_id: str, fetched: dict[str, Any], force: bool) -> dict[str, Any]:
    logger = get_run_logger()
    family = registry.get(source_id).SOURCE.family
    if fetched.get("note"):
        return pipeline.SourceReport(source_id, family, note=fetched["note"]).as_dict()
    report = pipeline.load_source(_runtime(), source_id, fetched["shas"], force)
    report.not_modified = fetched["not_modified"]
    pipeline.add_fetch_failures(report, fetched["failures"])
    logger.info("%s: new %d, unchanged %d, revised %d", source_id, report.new, report.unchanged, report.revised)
    for warning in report.checks.get("warnings", []):
        logger.warning("%s: %s", source_id, warning)
    return report.as_dict()
