"""What every source module shares: its declaration, the documents it reads, the records it returns."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Annotated, Any, Callable, Iterable, Protocol

from pydantic import BaseModel, ConfigDict, WithJsonSchema


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


# How far a source's live path (its discovery and its documents) has been checked.
LIVE_TESTED = "tested on a recorded index"
LIVE_UNTESTED = "untested against a real document"
LIVE_DECLARED = "declared only"
LIVE_STATUSES = (LIVE_TESTED, LIVE_UNTESTED, LIVE_DECLARED)


@dataclass(frozen=True)
class Discovery:
    """How a source finds its documents: the publisher's index and how far it was checked.

    ``kind``: hdx-metadata | table-of-contents | rss-feed | listing-page | linked-pages |
    api-availability | document-is-index (an API answer that always holds the latest data).
    """

    kind: str
    index_url: str
    status: str  # one of LIVE_STATUSES
    note: str = ""  # what identifies a release; what is untested, and why

    def __post_init__(self) -> None:
        if self.status not in LIVE_STATUSES:
            raise ValueError(f"discovery status {self.status!r} is not one of {LIVE_STATUSES}")


@dataclass(frozen=True)
class Candidate:
    """One document an index lists, with its identity. ``key`` is stable across updates (an HDX
    resource id, a dataset code, a package page); ``version`` moves when the publisher changes it."""

    url: str
    key: str
    version: str = ""
    title: str = ""
    release_date: date | None = None
    period_start: date | None = None
    period_end: date | None = None
    round: int | None = None
    package: str = ""
    dataset: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in self.__dict__.items()}

    @classmethod
    def from_dict(cls, row: dict[str, Any]) -> "Candidate":
        dates = ("release_date", "period_start", "period_end")
        return cls(**{k: (date.fromisoformat(v) if k in dates and isinstance(v, str) else v)
                      for k, v in row.items() if k in cls.__dataclass_fields__})


@dataclass(frozen=True)
class Assertions:
    """Declared next to a source's SourceInfo, checked on every run (zavod's way). Counts are of
    records + notices + designations over the run's documents. A failed minimum or fill rate fails
    the source; a failed maximum warns."""

    min_records: int = 0  # a source declares its own; an index-only run may hold none
    max_records: int | None = None
    fill_rates: tuple[tuple[str, float], ...] = ()  # (Record field, least share of records filled)


@dataclass(frozen=True)
class SecretSpec:
    """A secret a source needs: from the environment variable, else the Prefect Secret block."""

    name: str
    env: str
    block: str
    description: str = ""


# A text parameter that may be left empty: empty (or None, from Python) means "not given". Its schema is a
# plain string with an empty default, so the Prefect UI shows a text box, not its "Property is type None"
# type toggle, and accepts the field left empty.
OptionalText = Annotated[str | None, WithJsonSchema({"type": "string"})]


class SourceParams(BaseModel):
    """Base of a source's typed run parameters (``Params`` in its module). Unknown fields are refused,
    so a parameter meant for one source is never read by another."""

    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class WatchList:
    """The goods and countries the trade sources follow (settings, or a trade run's parameters)."""

    hs_codes: tuple[str, ...] = ()
    reporters: tuple[str, ...] = ()  # ISO alpha-3
    partners: tuple[str, ...] = ()  # ISO alpha-3; WLD = world


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
    discovery: Discovery | None = None
    assertions: Assertions = Assertions()
    secrets: tuple[SecretSpec, ...] = ()


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
    unread: list[str] = field(default_factory=list)  # fields/columns the document has that were not read
    missing_marks: int = 0  # cells the publisher marked not available (e.g. Eurostat's ':'): never a row


class SourceClient(Protocol):
    """What a source's ``fetch`` receives: GET restricted to the source's own hosts."""

    def get(self, url: str, params: dict[str, str] | None = None,
            headers: dict[str, str] | None = None) -> Document: ...

    def has(self, url: str, params: dict[str, str] | None = None) -> bool:
        """False in replay when the archive holds no copy of that request (live: always True)."""


@dataclass
class FetchOptions:
    """Per-run choices a flow passes down to a source's ``fetch``."""

    force: bool = False
    start: date | None = None
    end: date | None = None
    # What the warehouse already knows, e.g. {"loaded_documents": {url: last_modified}}
    state: dict[str, Any] = field(default_factory=dict)
    # Documents a source could not fetch while it still fetched the others ("name: url: cause").
    failures: list[str] = field(default_factory=list)
    params: Any = None  # the source's own Params (a SourceParams), built by the app layer
    secrets: dict[str, Any] = field(default_factory=dict)  # name -> SecretStr, from SourceInfo.secrets
    watch: WatchList = WatchList()
    discovery: Any = None  # extractors.discovery.DiscoveryLog: what the index listed, what is new

    def __post_init__(self) -> None:
        if self.discovery is None:
            from extractors.discovery import DiscoveryLog

            self.discovery = DiscoveryLog()


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
