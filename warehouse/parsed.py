"""The one entry point that loads what a source run parsed, in one transaction: figures (with their
revisions and withdrawals), derivation links, notices, designations, the parsed-document marks and
the index candidates that became known. The pipeline, the flows' tasks and the tests all load through
``load_parsed``; nothing else writes these tables during a run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from transforms.common import by_vintage
from warehouse import records, sightings
from warehouse.derivations import link_derivations
from warehouse.loader import LoadContext, LoadResult, load_batch, refresh_statistics
from warehouse.notices import known_notices, load_designations, load_notices

NOTICE_FIELDS = ("id", "kind", "regime", "title", "published_on", "url")


@dataclass
class ParsedBatch:
    """What one run of one source parsed, ready for the warehouse."""

    source_id: str
    parser_version: str
    observations: pd.DataFrame
    documents: dict[str, int]  # sha256 of each document parsed -> records it yielded
    notices: list[tuple[Any, str]] = field(default_factory=list)  # (notice record, snapshot sha256)
    designations: list[tuple[Any, str]] = field(default_factory=list)  # (designation record, sha256)
    reference_date: object = None  # the consolidated list's date: designations missing from it are delisted
    fetched: list[dict[str, Any]] = field(default_factory=list)  # index candidates loaded from their bytes
    unrecorded: list[dict[str, Any]] = field(default_factory=list)  # listed, no recorded copy (replay)


@dataclass
class ParsedResult:
    figures: LoadResult
    notices_new: int = 0
    new_notices: list[dict[str, Any]] = field(default_factory=list)
    designations_listed: int = 0
    designations_delisted: int = 0


def load_parsed(engine: Engine, batch: ParsedBatch, flow_run_id: str | None, now: datetime) -> ParsedResult:
    """Load the batch in one transaction: either all of it is in the warehouse, or none of it."""
    ctx = LoadContext(batch.source_id, batch.parser_version, flow_run_id, now)
    with engine.begin() as conn:
        # What these documents (and the previous versions of re-versioned candidates) no longer yield
        # is closed as withdrawn.
        reread = set(batch.documents) | records.previous_snapshots(conn, batch.source_id, batch.fetched)
        result = ParsedResult(load_batch(conn, by_vintage(batch.observations), ctx, reread))
        link_derivations(conn, batch.source_id)
        _load_notices(conn, batch, result, now)
        _load_designations(conn, batch, result, now)
        records.mark_parsed(conn, batch.source_id, batch.documents, batch.parser_version, now, flow_run_id)
        records.mark_discovered(conn, batch.source_id, batch.fetched + batch.unrecorded, now, flow_run_id)
        records.mark_success(conn, batch.source_id, now)
    refresh_statistics(engine, result.figures)
    return result


def load_unchanged(engine: Engine, source_id: str, shas: list[str], listed: list[dict[str, Any]],
                   flow_run_id: str | None, now: datetime) -> int:
    """Documents this parser version already parsed were read again: their current figures were seen
    again (one sighting per document, warehouse/sightings.py) and the candidates the index listed for
    them are known. Returns how many figures were seen again."""
    with engine.begin() as conn:
        if listed:
            records.mark_discovered(conn, source_id, listed, now, flow_run_id)
        return sightings.record_unchanged(conn, source_id, shas, now)


def _load_notices(conn, batch: ParsedBatch, result: ParsedResult, now: datetime) -> None:
    if not batch.notices:
        return
    rows = [notice_row(n, sha, batch.source_id) for n, sha in batch.notices]
    known = known_notices(conn, [r["id"] for r in rows])
    result.notices_new, _ = load_notices(conn, rows, now)
    result.new_notices = [{k: r[k] for k in NOTICE_FIELDS}
                          for r in dict((r["id"], r) for r in rows).values() if r["id"] not in known]


def _load_designations(conn, batch: ParsedBatch, result: ParsedResult, now: datetime) -> None:
    if not batch.designations:
        return
    rows = [designation_row(d, sha) for d, sha in batch.designations]
    counts = load_designations(conn, batch.source_id, rows, batch.reference_date, now, full_list=True)
    result.designations_listed, result.designations_delisted = counts.listed, counts.delisted


def notice_row(n, sha: str, source_id: str) -> dict[str, Any]:
    return {"id": n.id, "kind": n.kind, "regime": n.regime, "title": n.title, "published_on": n.published_on,
            "oj_reference": n.oj_reference, "url": n.url, "source_id": source_id, "snapshot_sha256": sha,
            "locator": n.locator}


def designation_row(d, sha: str) -> dict[str, Any]:
    return {"eu_reference": d.eu_reference, "logical_id": d.logical_id, "regime": d.regime, "name": d.name,
            "entity_type": d.entity_type, "listed_on": d.listed_on, "legal_basis": d.legal_basis,
            "snapshot_sha256": sha, "locator": d.locator, "details": d.details}
