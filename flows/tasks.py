"""Coarse tasks: fetch a source's documents, then parse-check-load them. Hashes travel, not frames."""

from __future__ import annotations

from datetime import date
from typing import Any

from prefect import task
from prefect.context import get_run_context
from prefect.logging import get_run_logger

from extractors.base import FetchOptions
from sanctrace import pipeline
from sanctrace.settings import get_settings


def _runtime() -> pipeline.Runtime:
    try:
        run_id = str(get_run_context().task_run.flow_run_id)
    except Exception:  # noqa: BLE001 (outside a run: no id)
        run_id = None
    return pipeline.runtime(get_settings(), run_id)


def fetch_options(force: bool, start: date | None, end: date | None, extra: dict[str, Any]) -> FetchOptions:
    settings = get_settings()
    extra = dict(extra)
    if settings.comtrade_key is not None:
        extra.setdefault("comtrade_key", settings.comtrade_key)
    return FetchOptions(force=force, start=start, end=end, extra=extra)


@task(name="fetch-source", task_run_name="fetch {source_id}")
def fetch_task(source_id: str, mode: str, force: bool, start: date | None, end: date | None,
               extra: dict[str, Any]) -> dict[str, Any]:
    rt = _runtime()
    options = fetch_options(force, start, end, extra)
    options.state = pipeline.source_state(rt, source_id)
    shas, not_modified = pipeline.fetch_source(rt, source_id, options, mode)
    get_run_logger().info("%s: %d document(s), %d unchanged (304)", source_id, len(shas), not_modified)
    return {"shas": shas, "not_modified": not_modified, "failures": options.failures}


@task(name="load-source", task_run_name="load {source_id}")
def load_task(source_id: str, fetched: dict[str, Any], force: bool) -> dict[str, Any]:
    report = pipeline.load_source(_runtime(), source_id, fetched["shas"], force)
    report.not_modified = fetched["not_modified"]
    report.failures.extend(fetched["failures"])
    logger = get_run_logger()
    logger.info("%s: new %d, unchanged %d, revised %d", source_id, report.new, report.unchanged, report.revised)
    for warning in report.checks.get("warnings", []):
        logger.warning("%s: %s", source_id, warning)
    return report.as_dict()
