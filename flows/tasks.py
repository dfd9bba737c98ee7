"""Coarse tasks: fetch a source's documents, then parse-check-load them. Hashes travel, not frames."""

from __future__ import annotations

from datetime import date
from typing import Any

from prefect import task
from prefect.logging import get_run_logger
from prefect.runtime import flow_run

from sanctrace import pipeline, runs
from sanctrace.settings import get_settings


def runtime() -> pipeline.Runtime:
    """The pipeline's runtime, naming the flow run it serves (a task's flow run, or the flow's own)."""
    return pipeline.runtime(get_settings(), flow_run.get_id())


@task(name="fetch-source", task_run_name="fetch {source_id}")
def fetch_task(source_id: str, mode: str, force: bool, start: date | None, end: date | None,
               params: dict[str, Any] | None, watch: dict[str, Any] | None) -> dict[str, Any]:
    fetched = runs.fetch(runtime(), source_id, mode, force, start, end, params, watch)
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
    report = runs.load(runtime(), source_id, fetched, force).as_dict()
    log_load(get_run_logger(), source_id, report)
    return report


def log_load(logger, source_id: str, report: dict[str, Any]) -> None:
    logger.info("%s: new %d, unchanged %d, revised %d", source_id, report["new"], report["unchanged"],
                report["revised"])
    for warning in report["checks"].get("warnings", []):
        logger.warning("%s: %s", source_id, warning)
