"""What the flows call: run parameters and their checks, each source's typed parameters, and the
fetch and load steps. Flows name no source: everything a source owns is looked up here.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date
from typing import Annotated, Any, Iterator, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, create_model

from extractors import registry
from extractors.base import FetchOptions
from sanctrace import pipeline
from sanctrace.pipeline import InvalidParameter
from sanctrace.settings import get_settings
from warehouse import locks
from warehouse.migrate import SchemaBehind, check_at_head

FetchMode = Literal["live", "replay"]
# An optional date is a text field that is empty or YYYY-MM-DD. "date | None" would make the Prefect UI
# show its type toggle ("Property is type None"), and a `format: date` field with an empty default is
# refused by the UI's own validation; the flow checks the date itself (as_date), as the server checks
# no format.
DATE_PATTERN = r"^(\d{4}-\d{2}-\d{2})?$"
OptionalDate = Annotated[date | str, WithJsonSchema({"type": "string", "pattern": DATE_PATTERN,
                                                     "examples": ["2024-01-31"]})]
LOAD_LOCK_TIMEOUT = 3600  # seconds a run waits for another run of its family to finish loading
# The flows' default, read where they are deployed (a worker's own SANCTRACE_FETCH_MODE applies when a
# run leaves it out): a plain choice, so the Prefect UI shows no "None" toggle.
DEFAULT_MODE = get_settings().fetch_mode


def family_of(source_id: str) -> str:
    return registry.get(source_id).SOURCE.family


def source_ids(family: str | None = None) -> list[str]:
    return [s for s, m in registry.modules().items() if family is None or m.SOURCE.family == family]


def source_choice(family: str | None = None):
    """A Literal of the family's source ids: the Prefect UI offers them as choices (an enum even for a
    family of one source, which pydantic would write as a const)."""
    ids = source_ids(family)
    return Annotated[Literal[tuple(ids)], WithJsonSchema({"type": "string", "enum": ids})]  # type: ignore[valid-type]


def field_name(source_id: str) -> str:
    return source_id.replace("-", "_")


def params_model(family: str | None = None) -> type[BaseModel]:
    """One field per source of the family that takes parameters, typed by that source's own
    ``Params``: a parameter meant for one source can never reach another."""
    fields: dict[str, Any] = {}
    for sid in source_ids(family):
        module = registry.get(sid)
        model = getattr(module, "Params", None)
        if model is not None:
            doc = (model.__doc__ or "").strip().splitlines()
            fields[field_name(sid)] = (model, Field(default_factory=model, title=sid,
                                                    description=doc[0] if doc else f"{sid} parameters"))
    name = f"{(family or 'all').title()}SourceParams"
    return create_model(name, __config__=ConfigDict(extra="forbid"), **fields)


def given_params(per_source: BaseModel | dict | None) -> dict[str, dict[str, Any]]:
    """Source id -> the parameters a person set (left-out fields keep the source's defaults)."""
    if per_source is None:
        return {}
    data = per_source if isinstance(per_source, dict) else per_source.model_dump(exclude_unset=True)
    by_field = {field_name(s): s for s in source_ids()}
    unknown = [k for k in data if k not in by_field]
    if unknown:
        raise InvalidParameter("per_source", f"no source takes {unknown}; known: {sorted(by_field)}")
    return {by_field[k]: _plain(v) for k, v in data.items()}


def params_for(params: dict[str, dict[str, Any]], family: str) -> dict[str, dict[str, Any]]:
    """The part of a run's per-source parameters a family flow takes (by field name)."""
    return {field_name(s): v for s, v in params.items() if family_of(s) == family}


def _plain(value) -> dict[str, Any]:
    if isinstance(value, BaseModel):
        return value.model_dump(exclude_unset=True)
    return dict(value or {})


def as_date(name: str, value: date | str | None) -> date | None:
    """Prefect's server does not check `format: date`, so a string may arrive here unchecked."""
    if value is None or value == "" or isinstance(value, date):
        return value or None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidParameter(name, f"{value!r} is not a date (YYYY-MM-DD)") from None


def check_sources(family: str | None, sources: list[str] | None) -> list[str]:
    """The source ids to run: all of the family by default; an unknown id is an error."""
    known = source_ids(family)
    if not sources:
        return known
    unknown = [s for s in sources if s not in known]
    if unknown:
        scope = f"family {family!r}" if family else "sanctrace"
        raise InvalidParameter("sources", f"unknown source id(s) {unknown} for {scope}; known: {known}")
    return list(dict.fromkeys(sources))


def check_window(start: date | str | None, end: date | str | None) -> tuple[date | None, date | None]:
    start, end = as_date("start", start), as_date("end", end)
    if start and end and start > end:
        raise InvalidParameter("start", f"{start} is after end {end}")
    return start, end


def check_mode(mode: str | None) -> str:
    if mode not in (None, "", "live", "replay"):
        raise InvalidParameter("fetch_mode", f"{mode!r} is neither 'live' nor 'replay'")
    return mode or get_settings().fetch_mode


def families(ids: list[str]) -> list[str]:
    return sorted({family_of(s) for s in ids})


def prepare(flow_run_id: str | None = None) -> pipeline.Runtime:
    """A run's set-up: the warehouse must already be at the newest schema (`sanctrace migrate`);
    a run never migrates, so deployments never race each other's migrations."""
    settings = get_settings()
    check_at_head(settings.warehouse_url)
    rt = pipeline.runtime(settings, flow_run_id)
    rt.store.check()  # an unreachable store fails the run before anything is fetched or loaded
    pipeline.register_sources(rt)
    rt.store.sweep()
    return rt


def fetch(rt: pipeline.Runtime, source_id: str, mode: str, force: bool, start: date | None,
          end: date | None, params: dict[str, Any] | None, watch: dict[str, Any] | None) -> dict[str, Any]:
    """Discover and fetch one source; returns what the load step needs (hashes, not frames)."""
    if note := pipeline.not_recorded(rt, source_id, mode):
        return {"shas": [], "not_modified": 0, "failures": [], "note": note, "discovery": {}}
    options = FetchOptions(force=force, start=start, end=end, watch=pipeline.watch_list(rt, watch))
    options.params = pipeline.source_params(rt, source_id, params, mode)
    shas, not_modified = pipeline.fetch_source(rt, source_id, options, mode)
    return {"shas": shas, "not_modified": not_modified, "failures": options.failures,
            "discovery": options.discovery.as_dict()}


def load(rt: pipeline.Runtime, source_id: str, fetched: dict[str, Any], force: bool) -> pipeline.SourceReport:
    if fetched.get("note"):
        return pipeline.SourceReport(source_id, family_of(source_id), note=fetched["note"])
    try:
        report = pipeline.load_source(rt, source_id, fetched["shas"], force, fetched.get("discovery"))
    except Exception as exc:
        if not fetched["failures"]:
            raise
        raise pipeline.SourceFailed(pipeline.fetch_failures(source_id, fetched["failures"])
                                    + [f"{type(exc).__name__}: {exc}"]) from exc
    report.not_modified = fetched["not_modified"]
    pipeline.add_fetch_failures(report, fetched["failures"])
    return report


def run_source(rt: pipeline.Runtime, source_id: str, mode: str | None = None, force: bool = False,
               params: dict[str, Any] | None = None, watch: dict[str, Any] | None = None,
               start: date | None = None, end: date | None = None) -> pipeline.SourceReport:
    """One source end to end by a family flow's own steps, without Prefect: fetch, then load under the
    family's load lock when there is something to parse. Any error becomes a failure in the report, as
    a family flow reports a failed task: a failing source never silences the others."""
    mode = mode or rt.settings.fetch_mode
    try:
        fetched = fetch(rt, source_id, mode, force, start, end, params, watch)
        with load_lock(rt, [source_id] if needs_load(rt, source_id, fetched, force) else []):
            return load(rt, source_id, fetched, force)
    except Exception as exc:  # noqa: BLE001 (a failing source must never silence the others)
        return failed_report(source_id, exc)


@contextmanager
def load_lock(rt: pipeline.Runtime, source_ids: list[str]) -> Iterator[float]:
    """Two runs of one family never load at once: held (in the warehouse, warehouse/locks.py) while the
    sources' families load; a second run waits here, then finds those sources unchanged. Yields the
    seconds waited; no sources (nothing changed) takes no lock."""
    names = [f"load-{family}" for family in families(source_ids)]
    with locks.hold(rt.engine, names, LOAD_LOCK_TIMEOUT) as waited:
        yield waited


def failed_report(source_id: str, exc: BaseException) -> pipeline.SourceReport:
    """A source whose step raised: the documents it could not fetch (when they are known), then the error."""
    failures = exc.failures if isinstance(exc, pipeline.SourceFailed) else [f"{type(exc).__name__}: {exc}"]
    return pipeline.SourceReport(source_id, family_of(source_id), failures=list(failures))


def needs_load(rt: pipeline.Runtime, source_id: str, fetched: dict[str, Any], force: bool) -> bool:
    """Something to parse and load (documents all parsed before are only recorded as seen again)."""
    shas = fetched["shas"]
    return bool(shas) and not pipeline.is_unchanged(rt, source_id, shas, force)


__all__ = ["FetchMode", "InvalidParameter", "SchemaBehind", "check_mode", "check_sources", "check_window",
           "failed_report", "families", "family_of", "fetch", "given_params", "load", "load_lock", "needs_load",
           "params_for", "params_model", "prepare", "run_source", "source_choice", "source_ids"]
