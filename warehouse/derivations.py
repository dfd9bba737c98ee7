"""Link each derived observation to the observations it adds up (table ``derivation``).

A derived figure's locator is ``sum:<locator> + <locator> ...`` (see extractors/locators.py). A part
is one locator (``cell:S!G3``) or a range of cells (``cell:S!O12:Z200``, optionally filtered on a
column's label, ``cell:S!O12:Z200|B=Kazakhstan``). Its inputs are the current published
observations of the same source, indicator and unit, whose period lies within the derived figure's
(a year adds its months), at those locators; an input read from the derived figure's own snapshot
is preferred (an unchanged input may still carry an earlier snapshot of the same document).
A trade total (one with a commodity) takes only inputs of its partner and flow, under its
commodity (an HS4 heading adds its CN8 codes) and of its reporter, unless the reporter is an
aggregate (``AGG-``: the EU adds its member states); the label filter of a range is then what the
partner says, so it is not re-read here.
Idempotent: a derived observation that already has links is left alone.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from sqlalchemy import Connection, text

from warehouse.engine import copy_rows, is_postgres

SUM_PREFIX, SEPARATOR = "sum:", " + "
_CELL = re.compile(r"cell:(?P<sheet>.+)!(?P<c0>[A-Z]+)(?P<r0>\d+)(?::(?P<c1>[A-Z]+)(?P<r1>\d+))?(?:\|.*)?")


def link_derivations(conn: Connection, source_id: str) -> int:
    """Add the missing derivation rows of a source's derived observations; returns how many were added."""
    pending = conn.execute(text("""
        SELECT o.id, o.locator, o.period_start, o.period_end, o.snapshot_id, s.indicator, s.unit,
               s.geo, s.partner, s.commodity, s.flow
        FROM observation o JOIN series s ON s.id = o.series_id
        WHERE o.source_id = :src AND o.method = 'derived' AND o.locator LIKE 'sum:%'
          AND NOT EXISTS (SELECT 1 FROM derivation d WHERE d.observation_id = o.id)"""),
        {"src": source_id}).mappings().all()
    if not pending:
        return 0
    inputs = _Inputs(conn.execute(text("""
        SELECT o.id, o.locator, o.snapshot_id, o.period_start, o.period_end, s.indicator, s.unit,
               s.geo, s.partner, s.commodity, s.flow
        FROM observation o JOIN series s ON s.id = o.series_id
        WHERE o.source_id = :src AND o.method = 'published' AND o.superseded_at IS NULL"""),
        {"src": source_id}).mappings().all())
    links = [(row["id"], obs_id) for row in pending for obs_id in inputs.of(row)]
    if links:
        _write(conn, links)
    return len(links)


def _write(conn: Connection, links: list[tuple[int, int]]) -> None:
    """PostgreSQL: COPY, not an INSERT per link (Comext's 70,000 figures: 3.4 s of its 15.5 s load went
    to the INSERTs); SQLite: one prepared INSERT stepped per link, already fast."""
    if is_postgres(conn.engine):
        copy_rows(conn, "derivation", ("observation_id", "input_observation_id"), links)
        return
    conn.connection.driver_connection.executemany(
        "INSERT INTO derivation (observation_id, input_observation_id) VALUES (?, ?)", links)


def _col(letters: str) -> int:
    col = 0
    for ch in letters:
        col = col * 26 + ord(ch) - 64
    return col


class _Inputs:
    """The published observations of a source, found by locator or by cell (sheet, row)."""

    def __init__(self, rows: list[Any]):
        self.by_locator: dict[str, list[Any]] = defaultdict(list)
        self.by_row: dict[tuple[str, int], list[tuple[int, Any]]] = defaultdict(list)
        for row in rows:
            row = {**row, "period_start": str(row["period_start"]), "period_end": str(row["period_end"])}
            self.by_locator[row["locator"]].append(row)
            cell = _CELL.fullmatch(row["locator"])
            if cell and cell.group("c1") is None:
                self.by_row[(cell.group("sheet"), int(cell.group("r0")))].append((_col(cell.group("c0")), row))

    def of(self, derived: Any) -> list[int]:
        derived = {**derived, "period_start": str(derived["period_start"]), "period_end": str(derived["period_end"])}
        chosen: dict[str, Any] = {}
        for part in derived["locator"][len(SUM_PREFIX):].split(SEPARATOR):
            for row in self._at(part):
                if not _fits(derived, row):
                    continue
                known = chosen.get(row["locator"])
                if known is None or row["snapshot_id"] == derived["snapshot_id"]:
                    chosen[row["locator"]] = row
        return sorted(r["id"] for r in chosen.values())

    def _at(self, part: str) -> list[Any]:
        cell = _CELL.fullmatch(part)
        if not cell or (cell.group("c1") is None and "|" not in part):
            return self.by_locator.get(part, [])
        sheet, c0, r0 = cell.group("sheet"), _col(cell.group("c0")), int(cell.group("r0"))
        c1, r1 = (_col(cell.group("c1")), int(cell.group("r1"))) if cell.group("c1") else (c0, r0)
        return [row for r in range(r0, r1 + 1) for col, row in self.by_row.get((sheet, r), ()) if c0 <= col <= c1]


def _fits(derived: Any, row: Any) -> bool:
    same = (row["indicator"] == derived["indicator"] and row["unit"] == derived["unit"]
            and derived["period_start"] <= row["period_start"] and row["period_end"] <= derived["period_end"])
    if not same or not derived["commodity"]:
        return same
    return (row["partner"] == derived["partner"] and row["flow"] == derived["flow"]
            and row["commodity"].startswith(derived["commodity"])
            and (derived["geo"].startswith("AGG-") or row["geo"] == derived["geo"]))
