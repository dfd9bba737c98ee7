"""Plain functions for one source's steps: fetch -> snapshot -> parse -> check -> load.

The app layer's runs.fetch / runs.load compose them; flows call those inside tasks, and tests call them
through runs.run_source, which takes the same two steps without Prefect.
"""

from __future__ import annotations

import importlib
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Engine

from extractors import registry
from extractors.base import CheckResult, Document, FetchOptions, Parsed, SourceAssertionFailed, WatchList
from extractors.discovery import DiscoveryLog
from extractors.client import FetchRecord, LiveClient, Previous, ReplayClient, load_manifest
from extractors.guard import safe_parse
from extractors.http import HttpConfig, HttpSession
from extractors.snapshots import SnapshotStore
from sanctrace import secrets
from sanctrace.assertions import declared_checks
from sanctrace.settings import Settings, get_settings
from transforms import lookups
from transforms.common import Batch
from warehouse import records as wh
from warehouse.engine import engine_for
from warehouse.parsed import ParsedBatch, ParsedResult, load_parsed, load_unchanged


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    store: SnapshotStore
    flow_run_id: str | None = None
    _http: HttpSession | None = None

    @property
    def http(self) -> HttpSession:
        if self._http is None:
            s = self.settings
            self._http = HttpSession(HttpConfig(
                s.user_agent, s.connect_timeout, s.read_timeout, s.min_host_interval,
                s.max_response_bytes, s.retry_total, s.retry_backoff, s.retry_max_wait,
                tuple(s.host_map.items()), tuple(s.private_hosts_allowed)))
        return self._http


def runtime(settings: Settings | None = None, flow_run_id: str | None = None) -> Runtime:
    settings = settings or get_settings()
    store = SnapshotStore(settings.snapshot_store, settings.snapshot_store_options)
    return Runtime(settings, engine_for(settings.warehouse_url), store, flow_run_id)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class SourceReport:
    source_id: str
    family: str
    documents: int = 0
    not_modified: int = 0
    new: int = 0
    unchanged: int = 0
    revised: int = 0
    older: int = 0
    withdrawn: int = 0  # figures the re-read documents no longer yield: closed, never deleted
    skipped_unchanged: bool = False
    note: str = ""  # e.g. why a source was not run (no recorded response to replay)
    notices_new: int = 0
    designations_listed: int = 0
    designations_delisted: int = 0
    urls: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    checks: dict[str, list[str]] = field(default_factory=dict)
    changes: list[dict[str, Any]] = field(default_factory=list)
    # What the index listed: discovered / new / changed / known (skipped) / no_copy (replay) counts.
    discovery: dict[str, Any] = field(default_factory=dict)
    unread: list[str] = field(default_factory=list)  # fields the documents hold that no parser read
    missing_marks: int = 0  # cells marked not available by the publisher (never rows)
    # What the run's events announce (sanctrace/events.py): documents this source never parsed before
    # (with their index identity), the URL of each document read (by sha256), the new notices.
    new_documents: list[dict[str, Any]] = field(default_factory=list)
    document_urls: dict[str, str] = field(default_factory=dict)
    new_notices: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


def register_sources(rt: Runtime) -> None:
    wh.upsert_sources(rt.engine, (_source_row(m.SOURCE) for m in registry.modules().values()))


def _source_row(source) -> dict[str, Any]:
    return {"id": source.id, "family": source.family, "publisher": source.publisher, "name": source.name,
            "homepage": source.homepage, "licence": source.licence, "cadence": source.cadence,
            "parser_version": source.parser_version}


def source_state(rt: Runtime, source_id: str) -> dict[str, Any]:
    """What the warehouse knows of a source, handed to its fetch() for change detection."""
    return {"documents": wh.parsed_documents(rt.engine, source_id)}


class InvalidParameter(ValueError):
    def __init__(self, name: str, problem: str):
        super().__init__(f"parameter {name!r}: {problem}")


def source_params(rt: Runtime, source_id: str, given: dict[str, Any] | None, mode: str):
    """The source's own typed parameters (its module's ``Params``); in replay with none given, its
    ``replay_defaults(archive)``: what the recorded archive holds."""
    module = registry.get(source_id)
    model = getattr(module, "Params", None)
    if model is None:
        if given:
            raise InvalidParameter(source_id, f"this source takes no parameters; got {sorted(given)}")
        return None
    values = dict(given or {})
    hook = getattr(module, "replay_defaults", None)
    if mode == "replay" and not values and hook:
        values = hook(rt.settings.replay_archive)
    try:
        return model(**values)
    except ValueError as exc:
        raise InvalidParameter(source_id, str(exc)) from None


def watch_list(rt: Runtime, watch: dict[str, Any] | None = None) -> WatchList:
    """The settings' watch list, with what a run gave in its place."""
    s, watch = rt.settings, watch or {}
    return WatchList(tuple(watch.get("hs_codes") or s.watch_hs_codes),
                     tuple(watch.get("reporters") or s.watch_reporters),
                     tuple(watch.get("partners") or s.watch_partners))


def prepare_options(rt: Runtime, source_id: str, options: FetchOptions, mode: str) -> FetchOptions:
    """Fill in what the warehouse knows, the source's parameters, secrets and watch list."""
    source = registry.get(source_id).SOURCE
    options.state = options.state or source_state(rt, source_id)
    if not options.discovery.known:
        known = wh.known_candidates(rt.engine, source_id, source.parser_version, replay=mode == "replay")
        options.discovery = DiscoveryLog(known, options.force)
    if options.params is None:
        options.params = source_params(rt, source_id, None, mode)
    options.secrets = options.secrets or secrets.resolve(source.secrets)
    if options.watch == WatchList():
        options.watch = watch_list(rt)
    return options


def not_recorded(rt: Runtime, source_id: str, mode: str) -> str:
    """In replay mode, a source with nothing recorded is skipped with this reason (else "")."""
    folder = rt.settings.replay_archive / source_id
    if mode != "replay" or load_manifest(folder, source_id):
        return ""
    return f"no recorded response in {folder} (see its ORIGIN.md): not run in replay mode"


def fetch_source(rt: Runtime, source_id: str, options: FetchOptions, mode: str) -> tuple[list[str], int]:
    """Fetch every document the source declares; returns (snapshot hashes, how many were 304)."""
    module = registry.get(source_id)
    prepare_options(rt, source_id, options, mode)
    client = _client(rt, module.SOURCE, mode)
    docs = list(module.fetch(client, options))
    return [d.sha256 for d in docs], sum(d.not_modified for d in docs)


def _client(rt: Runtime, source, mode: str):
    record = lambda rec: _record(rt, rec)  # noqa: E731
    if mode == "replay":
        return ReplayClient(source, rt.settings.replay_archive, rt.store, record)
    return LiveClient(source, rt.http, rt.store, lambda url: _previous(rt, url), record)


def _previous(rt: Runtime, url: str) -> Previous | None:
    row = wh.previous_fetch(rt.engine, url)
    return Previous(**row) if row and rt.store.exists(row["sha256"]) else None


def _record(rt: Runtime, rec: FetchRecord) -> None:
    wh.record_fetch(rt.engine, *wh.fetch_rows(rec, rt.flow_run_id))


def read_documents(rt: Runtime, source_id: str, shas: list[str]) -> list[Document]:
    rows = wh.snapshot_rows(rt.engine, shas)
    docs = []
    for sha in dict.fromkeys(shas):
        row = rows[sha]
        docs.append(Document(source_id, row["url"], rt.store.get(sha), sha, row["content_type"],
                             row["fetched_at"], row["http_status"]))
    return docs


def parse_documents(source_id: str, docs: list[Document]) -> tuple[list[tuple[Document, Parsed]], CheckResult]:
    module = registry.get(source_id)
    parsed = [(doc, safe_parse(module, doc)) for doc in docs]
    checks = module.check([p for _, p in parsed])
    declared_checks(module.SOURCE, [p for _, p in parsed], checks)
    if checks.failed:
        raise SourceAssertionFailed(source_id, checks.failed)
    return parsed, checks


def transform(source_id: str, parsed: list[tuple[Document, Parsed]]) -> Batch:
    family = registry.get(source_id).SOURCE.family
    return importlib.import_module(f"transforms.{family}").normalise(source_id, parsed)


def is_unchanged(rt: Runtime, source_id: str, shas: list[str], force: bool = False) -> bool:
    """Every fetched document was already parsed by this parser version: loading only records them as seen."""
    version = registry.get(source_id).SOURCE.parser_version
    return not force and bool(shas) and wh.already_parsed(rt.engine, source_id, shas, version)


def load_source(rt: Runtime, source_id: str, shas: list[str], force: bool = False,
                discovery: dict[str, Any] | None = None) -> SourceReport:
    """Parse, check, transform and load the fetched snapshots in one transaction; the candidates
    the index listed become known only with their figures."""
    source = registry.get(source_id).SOURCE
    discovery = discovery or {}
    report = SourceReport(source_id, source.family, documents=len(set(shas)),
                          discovery={k: v for k, v in discovery.items() if k not in ("fetched", "unrecorded")})
    now = utcnow()
    if is_unchanged(rt, source_id, shas, force):
        report.skipped_unchanged = True
        report.urls = [row["url"] for row in wh.snapshot_rows(rt.engine, shas).values()]  # still linked
        listed = discovery.get("fetched", []) + discovery.get("unrecorded", [])
        report.unchanged = load_unchanged(rt.engine, source_id, shas, listed, rt.flow_run_id, now)
        return report
    docs = read_documents(rt, source_id, shas)
    report.urls = [d.url for d in docs]
    report.document_urls = {d.sha256: d.url for d in docs}
    report.new_documents = first_seen(docs, wh.parsed_shas(rt.engine, source_id, shas), discovery.get("fetched", []))
    parsed, checks = parse_documents(source_id, docs)
    report.checks = {"passed": checks.passed, "warnings": checks.warnings}
    report.unread = sorted({f for _, p in parsed for f in p.unread})
    report.missing_marks = sum(p.missing_marks for _, p in parsed)
    with lookups.tracking() as used:
        batch = transform(source_id, parsed)
    report.checks["warnings"] += lookups.unused_report(used)
    counts = {d.sha256: len(p.records) + len(p.notices) + len(p.designations) for d, p in parsed}
    result = load_parsed(rt.engine, ParsedBatch(
        source_id, source.parser_version, batch.observations, counts, batch.notices, batch.designations,
        batch.reference_date, discovery.get("fetched", []), discovery.get("unrecorded", [])), rt.flow_run_id, now)
    _count(report, result)
    return report


def first_seen(docs: list[Document], parsed_before: set[str], fetched: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The documents this source never parsed before. Where an index listed candidates, only those
    (the index itself is no news), each with its identity (round, package, release date...); where a
    document is its own index, a new sha256 is a new document."""
    listed = {c["sha256"]: c for c in fetched}
    new = []
    for doc in dict((d.sha256, d) for d in docs).values():
        if doc.sha256 in parsed_before or (listed and doc.sha256 not in listed):
            continue
        identity = {k: v for k, v in listed.get(doc.sha256, {}).items() if k not in ("url", "sha256")}
        new.append({"url": doc.url, "sha256": doc.sha256, **identity})
    return new


def _count(report: SourceReport, result: ParsedResult) -> None:
    figures = result.figures
    report.new, report.unchanged, report.revised, report.older, report.withdrawn = (
        figures.new, figures.unchanged, figures.revised, figures.older, figures.withdrawn)
    report.changes = figures.changes
    report.notices_new, report.new_notices = result.notices_new, result.new_notices
    report.designations_listed = result.designations_listed
    report.designations_delisted = result.designations_delisted


def add_fetch_failures(report: SourceReport, failures: list[str]) -> None:
    """Documents that could not be fetched come first: they are the cause of what failed after them."""
    report.failures[:0] = fetch_failures(report.source_id, failures)


def fetch_failures(source_id: str, failures: list[str]) -> list[str]:
    return [f"[{source_id}] {failure}" for failure in failures]


class SourceFailed(Exception):
    """A source's load failed after some of its documents could not be fetched. It carries both: the
    documents first, as the likely cause, then the error. One argument, so that it pickles (Prefect
    keeps a failed task's exception)."""

    def __init__(self, failures: list[str]):
        super().__init__(failures)
        self.failures = failures

    def __str__(self) -> str:
        return "; ".join(self.failures)
