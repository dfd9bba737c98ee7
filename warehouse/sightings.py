"""A figure's "last seen", kept once per document (revision 0007).

A load that finds every current figure of a document in it, and a run that reads an already parsed
document again unchanged, record one ``document_sighting`` of that document for the source instead of
moving ``last_seen_at`` in each of its figures (a million figures on PostgreSQL: one row, not a million
new row versions). A figure's own ``last_seen_at`` still moves when it is found in another document
than its own while its own was not wholly found, and is frozen when the figure is closed.

So a current figure was last seen at the later of its own ``last_seen_at`` and its document's
sighting; a closed one at its own ``last_seen_at``. Every reader takes it from ``last_seen_at()``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Collection

from sqlalchemy import Connection, Select, Table, and_, case, func, select
from sqlalchemy.dialects import postgresql, sqlite

from warehouse.models import DocumentSighting, Observation, Snapshot

SIGHTING = DocumentSighting.__table__
OBSERVATION = Observation.__table__

# In an UPDATE that closes figures: the figure's last seen, read before this load records its sightings.
CLOSING_LAST_SEEN = """COALESCE((SELECT d.last_seen_at FROM document_sighting d
    WHERE d.source_id = observation.source_id AND d.snapshot_id = observation.snapshot_id
      AND d.last_seen_at > observation.last_seen_at), observation.last_seen_at)"""


def last_seen_at(observation: Table = OBSERVATION):
    """A figure's last seen; the query must join its sighting (``with_sightings``)."""
    o, seen = observation.c, SIGHTING.c.last_seen_at
    return case((and_(o.superseded_at.is_(None), seen > o.last_seen_at), seen), else_=o.last_seen_at)


def with_sightings(query: Select, observation: Table = OBSERVATION) -> Select:
    o = observation.c
    return query.outerjoin(SIGHTING, and_(SIGHTING.c.source_id == o.source_id,
                                          SIGHTING.c.snapshot_id == o.snapshot_id))


def record(conn: Connection, source_id: str, snapshot_ids: Collection[int], now: datetime) -> None:
    """Every current figure of these documents was seen now."""
    if not snapshot_ids:
        return
    dialect = postgresql if conn.engine.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(SIGHTING).values([{"source_id": source_id, "snapshot_id": snapshot_id,
                                             "last_seen_at": now} for snapshot_id in sorted(snapshot_ids)])
    conn.execute(stmt.on_conflict_do_update(index_elements=["source_id", "snapshot_id"],
                                            set_={"last_seen_at": stmt.excluded.last_seen_at}))


def record_unchanged(conn: Connection, source_id: str, shas: list[str], now: datetime) -> int:
    """Documents already parsed were read again, unchanged: each of their current figures was seen
    again. Returns how many figures that is."""
    ids = list(conn.execute(select(Snapshot.id).where(Snapshot.sha256.in_(shas))).scalars())
    record(conn, source_id, ids, now)
    return conn.execute(select(func.count()).select_from(Observation).where(
        Observation.source_id == source_id, Observation.snapshot_id.in_(ids),
        Observation.superseded_at.is_(None))).scalar_one()
