"""Link each derived observation to the observations it adds up (table ``derivation``).

A derived figure's locator is ``sum:<locator> + <locator> ...`` (see extractors/locators.py). Its
inputs are the current published observations of the same source and period, with the same
indicator and unit, at those locators; an input read from the derived figure's own snapshot is
preferred (an unchanged input may still carry an earlier snapshot of the same document).
Idempotent: a derived observation that already has links is left alone.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

SUM_PREFIX, SEPARATOR = "sum:", " + "


def link_derivations(conn: Connection, source_id: str) -> int:
    """Add the missing derivation rows of a source's derived observations; returns how many were added."""
    pending = conn.execute(text("""
        SELECT o.id, o.locator, o.period_start, o.period_end, o.snapshot_sha256, s.indicator, s.unit
        FROM observation o JOIN series s ON s.id = o.series_id
        WHERE o.source_id = :src AND o.method = 'derived' AND o.locator LIKE 'sum:%'
          AND NOT EXISTS (SELECT 1 FROM derivation d WHERE d.observation_id = o.id)"""),
        {"src": source_id}).mappings().all()
    added = 0
    for row in pending:
        parts = set(row["locator"][len(SUM_PREFIX):].split(SEPARATOR))
        candidates = conn.execute(text("""
            SELECT o.id, o.locator, o.snapshot_sha256 FROM observation o JOIN series s ON s.id = o.series_id
            WHERE o.source_id = :src AND o.method = 'published' AND o.superseded_at IS NULL
              AND o.period_start = :ps AND o.period_end = :pe AND s.indicator = :ind AND s.unit = :unit"""),
            {"src": source_id, "ps": row["period_start"], "pe": row["period_end"],
             "ind": row["indicator"], "unit": row["unit"]}).all()
        chosen: dict[str, int] = {}
        for obs_id, locator, sha in candidates:
            if locator in parts and (locator not in chosen or sha == row["snapshot_sha256"]):
                chosen[locator] = obs_id
        for obs_id in sorted(chosen.values()):
            conn.execute(text("INSERT INTO derivation (observation_id, input_observation_id) VALUES (:o, :i)"),
                         {"o": row["id"], "i": obs_id})
        added += len(chosen)
    return added
