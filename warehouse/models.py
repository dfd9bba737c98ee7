"""Warehouse tables (DESIGN.md). Natural keys include the reference period; CHECKs guard the obvious."""

from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlalchemy import CheckConstraint, Column, Float, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel


class Source(SQLModel, table=True):
    id: str = Field(primary_key=True)
    family: str
    publisher: str
    name: str
    homepage: str
    licence: str
    cadence: str
    parser_version: str
    last_success_at: Optional[datetime] = None


class Snapshot(SQLModel, table=True):
    """One stored document, named by the SHA-256 of its bytes (what every output shows); figures refer
    to it by its integer ``id`` (revision 0005: a 4-byte key in every figure instead of 64 characters)."""

    id: Optional[int] = Field(default=None, primary_key=True)
    sha256: str = Field(max_length=64, sa_column_kwargs={"nullable": False})
    source_id: str = Field(foreign_key="source.id", index=True)
    url: str
    method: str = "GET"
    query: str = ""
    fetched_at: datetime
    http_status: int
    content_type: str = ""
    etag: Optional[str] = None
    last_modified: Optional[str] = None
    headers: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    size_bytes: int = Field(sa_column_kwargs={"nullable": False})
    storage_uri: str
    flow_run_id: Optional[str] = None

    __table_args__ = (CheckConstraint("size_bytes >= 0", name="ck_snapshot_size"),
                      UniqueConstraint("sha256", name="uq_snapshot_sha256"))


class Fetch(SQLModel, table=True):
    """Every request made (or replayed), including 304s and failures."""

    id: Optional[int] = Field(default=None, primary_key=True)
    source_id: str = Field(index=True)
    url: str
    fetched_at: datetime
    http_status: Optional[int] = None
    sha256: Optional[str] = Field(default=None, max_length=64)
    not_modified: bool = False
    mode: str = "live"
    error: Optional[str] = None
    flow_run_id: Optional[str] = None


class ParsedDocument(SQLModel, table=True):
    """A snapshot already parsed and loaded by a parser version: unchanged input skips the work."""

    sha256: str = Field(primary_key=True, max_length=64)
    parser_version: str = Field(primary_key=True)
    source_id: str = Field(primary_key=True)
    parsed_at: datetime
    records: int
    flow_run_id: Optional[str] = None


class DiscoveredDocument(SQLModel, table=True):
    """A document a source's index listed and whose bytes were loaded: its identity and version.
    A later run fetches the candidate again only when its version moves."""

    __tablename__ = "discovered_document"

    source_id: str = Field(foreign_key="source.id", primary_key=True)
    key: str = Field(primary_key=True)
    version: str = ""
    url: str
    title: str = ""
    release_date: Optional[date] = None
    period_start: Optional[date] = None
    period_end: Optional[date] = None
    round: Optional[int] = None
    package: str = ""
    dataset: str = ""
    sha256: Optional[str] = Field(default=None, max_length=64)
    first_seen_at: datetime
    last_loaded_at: datetime
    flow_run_id: Optional[str] = None

    __table_args__ = (
        CheckConstraint("round IS NULL OR round >= 0", name="ck_discovered_round"),
        CheckConstraint("period_start IS NULL OR period_end IS NULL OR period_start <= period_end",
                        name="ck_discovered_period"),
    )


class Series(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    indicator: str
    geo: str
    partner: str = ""
    commodity: str = ""
    flow: str = ""
    unit: str

    __table_args__ = (
        UniqueConstraint("indicator", "geo", "partner", "commodity", "flow", "unit", name="uq_series"),
    )


SUPERSEDED_REASONS = ("revised", "older_release", "withdrawn")


class Observation(SQLModel, table=True):
    """One version of a value. The current version has superseded_at NULL; a closed one says why in
    ``superseded_reason``: ``revised`` (a later value replaced it), ``older_release`` (it came from an
    earlier release than the current version), ``withdrawn`` (its document, re-parsed or in a later
    version of the same candidate, no longer yields it), and which flow run closed it."""

    id: Optional[int] = Field(default=None, primary_key=True)
    # series_id and snapshot_id: foreign keys on SQLite; on PostgreSQL (revision 0006) triggers that
    # check each statement's rows at once, with the same guarantee (tests/test_figure_references.py).
    series_id: int = Field(foreign_key="series.id")
    period_start: date
    period_end: date
    value: Optional[float] = Field(default=None, sa_column=Column(Float(precision=53)))
    is_count: bool = True
    method: str = "published"  # published | derived
    # No foreign key (revision 0005): the loader, its only writer, writes a registered source, and the
    # figure's snapshot (a foreign key) belongs to it. PostgreSQL checked this one row by row.
    source_id: str
    snapshot_id: Optional[int] = Field(default=None, foreign_key="snapshot.id")
    locator: str
    raw: str = ""
    published_unit: str = ""
    parser_version: str
    flow_run_id: Optional[str] = None
    first_seen_at: datetime
    # Moved per figure only by a load that found the figure but not every current figure of its own
    # document; a current figure's "last seen" is the later of this and its document's sighting
    # (DocumentSighting, warehouse/sightings.py). Frozen when the figure is closed.
    last_seen_at: datetime
    superseded_at: Optional[datetime] = None
    superseded_reason: Optional[str] = None  # NULL while current; one of SUPERSEDED_REASONS
    superseded_run_id: Optional[str] = None  # the flow run that closed it
    cites_url: Optional[str] = None
    vintage: Optional[date] = None
    flags: str = ""

    __table_args__ = (
        CheckConstraint("period_start <= period_end", name="ck_obs_period"),
        CheckConstraint("superseded_reason IS NULL OR superseded_reason IN "
                        f"({', '.join(repr(r) for r in SUPERSEDED_REASONS)})", name="ck_obs_superseded_reason"),
        CheckConstraint("(superseded_at IS NULL) = (superseded_reason IS NULL)", name="ck_obs_superseded_state"),
        CheckConstraint("superseded_run_id IS NULL OR superseded_at IS NOT NULL", name="ck_obs_superseded_run"),
        CheckConstraint("NOT is_count OR value IS NULL OR value >= 0", name="ck_obs_count"),
        CheckConstraint("method IN ('published', 'derived')", name="ck_obs_method"),
        Index(
            "uq_obs_current", "series_id", "period_start", "period_end", "source_id", unique=True,
            sqlite_where=text("superseded_at IS NULL"), postgresql_where=text("superseded_at IS NULL"),
        ),
        Index("ix_obs_snapshot", "snapshot_id"),  # a document's figures: explain, withdrawal, re-reads
        Index("ix_obs_series", "series_id"),  # a figure's versions, the superseded ones too (history)
    )


class DocumentSighting(SQLModel, table=True):
    """When a source last found every current figure of a document in it (revision 0007): "last seen"
    kept once per document instead of in each of its figures, so an unchanged re-read writes one row,
    not a million (warehouse/sightings.py says how a figure's last seen is read from it)."""

    __tablename__ = "document_sighting"

    source_id: str = Field(foreign_key="source.id", primary_key=True)
    snapshot_id: int = Field(foreign_key="snapshot.id", primary_key=True, ondelete="CASCADE")
    last_seen_at: datetime


class Derivation(SQLModel, table=True):
    """Which observations a derived figure was computed from."""

    observation_id: int = Field(foreign_key="observation.id", primary_key=True)
    input_observation_id: int = Field(foreign_key="observation.id", primary_key=True)


class Notice(SQLModel, table=True):
    id: str = Field(primary_key=True)  # CELEX number or the page's URL
    kind: str
    regime: str
    title: str
    published_on: Optional[date] = None
    oj_reference: str = ""
    url: str
    source_id: str = Field(foreign_key="source.id")
    snapshot_sha256: Optional[str] = Field(default=None, foreign_key="snapshot.sha256")
    locator: str
    first_seen_at: datetime
    last_seen_at: datetime

    __table_args__ = (CheckConstraint("kind IN ('legal_act', 'press_release')", name="ck_notice_kind"),)


class Designation(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    eu_reference: str = ""
    logical_id: str
    regime: str
    name: str
    entity_type: str
    listed_on: Optional[date] = None
    legal_basis: str = ""
    delisted_at: Optional[date] = None
    source_id: str = Field(foreign_key="source.id")
    snapshot_sha256: Optional[str] = Field(default=None, foreign_key="snapshot.sha256")
    locator: str
    details: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    first_seen_at: datetime
    last_seen_at: datetime

    __table_args__ = (
        CheckConstraint("delisted_at IS NULL OR listed_on IS NULL OR listed_on <= delisted_at",
                        name="ck_designation_dates"),
        Index(
            "uq_designation_current", "source_id", "logical_id", unique=True,
            sqlite_where=text("delisted_at IS NULL"), postgresql_where=text("delisted_at IS NULL"),
        ),
    )
