"""What the warehouse holds, as comparable sets: the figures a test says must be equal or unchanged.

Timestamps that a run is allowed to move (last_seen_at) and ids are left out; everything that is a
figure or its provenance (series, period, value, locator, snapshot, version state) is kept.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import Engine, text

OBSERVATIONS = """
    SELECT o.source_id, s.indicator, s.geo, s.partner, s.commodity, s.flow, s.unit,
           CAST(o.period_start AS TEXT), CAST(o.period_end AS TEXT), o.value, o.locator,
           n.sha256, o.superseded_at IS NULL AS current
    FROM observation o JOIN series s ON s.id = o.series_id LEFT JOIN snapshot n ON n.id = o.snapshot_id"""
NOTICES = "SELECT source_id, id, kind, regime, title, CAST(published_on AS TEXT), locator FROM notice"
DESIGNATIONS = """SELECT source_id, logical_id, regime, name, entity_type, CAST(delisted_at AS TEXT)
                  FROM designation"""


def _rows(engine: Engine, query: str, source_id: str | None) -> Counter:
    where = " WHERE source_id = :s" if source_id else ""
    if source_id and "JOIN" in query:
        where = " WHERE o.source_id = :s"
    with engine.connect() as conn:
        rows = conn.execute(text(query + where), {"s": source_id}).fetchall()
    return Counter(tuple(bool(v) if i == 12 and "JOIN" in query else v for i, v in enumerate(r)) for r in rows)


def figures(engine: Engine, source_id: str | None = None) -> dict[str, Counter]:
    """Every observation version, notice and designation (of one source, or all) as multisets."""
    return {"observations": _rows(engine, OBSERVATIONS, source_id), "notices": _rows(engine, NOTICES, source_id),
            "designations": _rows(engine, DESIGNATIONS, source_id)}


def size(state: dict[str, Counter]) -> int:
    return sum(sum(c.values()) for c in state.values())


def duplicate_current(engine: Engine) -> int:
    """Current observations sharing (series, period, source): must be 0."""
    with engine.connect() as conn:
        return conn.execute(text("""SELECT COUNT(*) FROM (SELECT 1 FROM observation WHERE superseded_at IS NULL
            GROUP BY series_id, period_start, period_end, source_id HAVING COUNT(*) > 1) d""")).scalar_one()
