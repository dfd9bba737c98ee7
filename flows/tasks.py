"""Coarse tasks: fetch a source's documents, then parse-check-load them. Hashes travel, not frames."""

from __future__ import annotations

from datetime import date
from typing import Any

from prefect import task
from prefect.context import get_run_context
from prefect.logging import get_run_logger

from sanctrace import pipeline, runs
from sanctrace.settings import get_settings


def _runtime() -> pipeline.Runtime:
    try:
        run_id = str(get_run_context().task_run.flow_run_id)
    except Exception:  # noqa: BLE001 (outside a run: no id)
        run_id = None
    return pipeline.runtime(get_settings(), run_id)


@task(name="fetch-source", task_run_name="fetch {source_id}")
def fetch_task(source_id: str, mode: str, force: bool, start: date | None, end: date | None,
               params: dict[str, Any] | None, watch: dict[str, Any] | None) -> dict[str, Any]:
    fetched = runs.fetch(_runtime(), source_id, mode, force, start, end, params, watch)
    logger = get_run_logger()
    if fetched.get("note"):
        logger.warning("%s: %s", source_id, fetched["note"])
        return fetched
    found = fetched["discovery"]
    logger.info("%s: %d document(s), %d unchanged (304); index: %s", source_id, len(fetched["shas"]),
                fetched["not_modified"], {k: found.get(k, 0) for k in ("discovered", "new", "changed",
                                                                         "known", "no_copy")})
    return fetched


@task(name="load-source", task_run_name="load {source_id}")
def load_task(source_id: str, fetched: dict[str, Any], force: bool) -> dict[str, Any]:
    report = runs.load(_runtime(), source_id, fetched, force)
    logger = get_run_logger()
    logger.info("%s: new %d, unchanged %d, revised %d", source_id, report["new"], report["unchanged"],
                report["revised"])
    for warning in report["checks"].get("warnings", []):
        logger.warning("%s: %s", source_id, warning)
    return report
