"""Load EU notices (legal acts, press releases) and consolidated-list designations, with de-listing."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, and_, select, update

from warehouse.models import Designation, Notice
from warehouse.records import _insert


@dataclass
class DesignationCounts:
    listed: int = 0
    unchanged: int = 0
    delisted: int = 0


def load_notices(conn: Connection, rows: list[dict[str, Any]], now: datetime) -> tuple[int, int]:
    """Upsert by id; returns (new, seen again)."""
    if not rows:
        return 0, 0
    ids = [r["id"] for r in rows]
    known = set(conn.execute(select(Notice.id).where(Notice.id.in_(ids))).scalars())
    for row in rows:
        stmt = _insert(conn, Notice.__table__).values(**row, first_seen_at=now, last_seen_at=now)
        keep = {k: stmt.excluded[k] for k in row if k not in ("id",)}
        conn.execute(stmt.on_conflict_do_update(index_elements=["id"], set_={**keep, "last_seen_at": now}))
    return len(set(ids) - known), len(known)


def known_notices(conn: Connection, ids: list[str]) -> set[str]:
    """The ids of these notices the warehouse already holds."""
    return set(conn.execute(select(Notice.id).where(Notice.id.in_(ids))).scalars()) if ids else set()


def load_designations(conn: Connection, source_id: str, rows: list[dict[str, Any]],
                      reference_date: date | None, now: datetime, full_list: bool) -> DesignationCounts:
    """A full list also de-lists every current designation it no longer contains (as of its date)."""
    counts = DesignationCounts()
    current = _current(conn, source_id)
    seen = set()
    for row in rows:
        seen.add(row["logical_id"])
        if row["logical_id"] in current:
            conn.execute(update(Designation).where(Designation.id == current[row["logical_id"]])
                         .values(last_seen_at=now))
            counts.unchanged += 1
            continue
        values = {**row, "details": json.dumps(row.get("details", {}), sort_keys=True, default=str)}
        conn.execute(Designation.__table__.insert().values(
            **values, source_id=source_id, first_seen_at=now, last_seen_at=now))
        counts.listed += 1
    if full_list:
        gone = [pk for logical_id, pk in current.items() if logical_id not in seen]
        if gone:
            conn.execute(update(Designation).where(Designation.id.in_(gone))
                         .values(delisted_at=reference_date or now.date()))
        counts.delisted = len(gone)
    return counts


def _current(conn: Connection, source_id: str) -> dict[str, int]:
    rows = conn.execute(select(Designation.logical_id, Designation.id).where(
        and_(Designation.source_id == source_id, Designation.delisted_at.is_(None))))
    return {logical_id: pk for logical_id, pk in rows}
