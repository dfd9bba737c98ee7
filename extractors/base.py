"""What every source module shares: its declaration, the documents it reads, the records it returns."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Callable, Iterable, Protocol


class SanctraceError(Exception):
    """Base of the errors a run reports per source."""


class LayoutChanged(SanctraceError):
    """A document no longer has the structure its parser was written for."""

    def __init__(self, source_id: str, document: str, what: str):
        self.source_id, self.document, self.what = source_id, document, what
        super().__init__(f"[{source_id}] layout changed in {document}: {what}")


class FetchError(SanctraceError):
    """A document could not be fetched; names the source, URL and cause."""

    def __init__(self, source_id: str, url: str, cause: str):
        self.source_id, self.url, self.cause = source_id, url, cause
        super().__init__(f"[{source_id}] could not fetch {url}: {cause}")


class SourceAssertionFailed(SanctraceError):
    """A per-source sanity check (minimum count, value range, sum) did not hold."""

    def __init__(self, source_id: str, failures: list[str]):
        self.source_id, self.failures = source_id, failures
        super().__init__(f"[{source_id}] source assertions failed: " + "; ".join(failures))


@dataclass(frozen=True)
class SourceInfo:
    id: str
    family: str  # displacement | casualties | sanctions | trade
    publisher: str
    name: str
    homepage: str
    licence: str
    cadence: str  # human words, e.g. "daily"; the deployment's cron lives in prefect.yaml
    hosts: tuple[str, ...]  # the only hosts this source may fetch from
    landing_urls: tuple[str, ...]
    parser_version: str


@dataclass(frozen=True)
class Document:
    """Raw bytes of one fetched (or replayed) response, named by their SHA-256."""

    source_id: str
    url: str
    content: bytes
    sha256: str
    content_type: str = ""
    fetched_at: datetime | None = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    not_modified: bool = False  # answered 304: the stored snapshot was reused

    @classmethod
    def from_bytes(cls, source_id: str, url: str, content: bytes, **kw: Any) -> "Document":
        return cls(source_id, url, content, hashlib.sha256(content).hexdigest(), **kw)


@dataclass(frozen=True, slots=True)
class Record:
    """One published figure as read from a document, before normalisation.

    ``geo``/``partner`` carry the names or codes as the document writes them; transforms map them.
    ``value`` None means the publisher wrote a missing marker ("n/a", "-") at ``locator``.
    """

    indicator: str
    geo: str
    period_start: date
    period_end: date
    value: float | None
    unit: str
    locator: str
    partner: str = ""
    commodity: str = ""
    flow: str = ""
    raw: str = ""
    cites_url: str | None = None
    vintage: date | None = None  # publisher's release date: orders revisions of the same figure
    flags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class NoticeRecord:
    """An EU legal act or press release (DESIGN.md `notice`)."""

    id: str  # CELEX number or the page's own URL
    kind: str  # legal_act | press_release
    regime: str
    title: str
    published_on: date | None
    oj_reference: str
    url: str
    locator: str


@dataclass(frozen=True, slots=True)
class DesignationRecord:
    """One entry of the EU consolidated financial sanctions list (DESIGN.md `designation`)."""

    eu_reference: str
    logical_id: str
    regime: str
    name: str
    entity_type: str
    listed_on: date | None
    legal_basis: str
    locator: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class Parsed:
    """Everything one document yielded. Most sources fill only ``records``."""

    records: list[Record] = field(default_factory=list)
    notices: list[NoticeRecord] = field(default_factory=list)
    designations: list[DesignationRecord] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    reference_date: date | None = None  # e.g. the consolidated list's generationDate


class SourceClient(Protocol):
    """What a source's ``fetch`` receives: GET restricted to the source's own hosts."""

    def get(self, url: str, params: dict[str, str] | None = None) -> Document: ...


@dataclass
class FetchOptions:
    """Per-run choices a flow passes down to a source's ``fetch``."""

    force: bool = False
    start: date | None = None
    end: date | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # What the warehouse already knows, e.g. {"loaded_documents": {url: last_modified}}
    state: dict[str, Any] = field(default_factory=dict)
    # Documents a source could not fetch while it still fetched the others ("name: url: cause").
    failures: list[str] = field(default_factory=list)


@dataclass
class CheckResult:
    """Outcome of a source's assertions over one run; any failure fails the source loudly."""

    passed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def expect(self, ok: bool, description: str) -> None:
        (self.passed if ok else self.failed).append(description)


ParseFn = Callable[[Document], Parsed]
FetchFn = Callable[[SourceClient, FetchOptions], Iterable[Document]]
CheckFn = Callable[[list[Parsed]], CheckResult]
