"""Idempotent, revision-keeping load of observations: one transaction per call, set-based SQL.

Rows are staged into a temporary table (COPY on PostgreSQL, executemany on SQLite) and classified
against the current versions in the warehouse:
- new: no current version for (series, period, source) -> inserted;
- same: value unchanged -> only ``last_seen_at`` moves;
- revised: value changed and not older than the current version -> the old one gets
  ``superseded_at``, the new one is inserted as current;
- older: value changed but the row comes from an earlier release (``vintage``) than the current
  version -> kept as a historical version, the current one stays.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Iterable, Iterator

import pandas as pd
from sqlalchemy import Connection, Engine, text

from warehouse.engine import is_postgres

SERIES_COLS = ("indicator", "geo", "partner", "commodity", "flow", "unit")
VALUE_COLS = ("period_start", "period_end", "value", "is_count", "method", "locator", "raw",
              "published_unit", "cites_url", "vintage", "flags", "snapshot_sha256")
STAGE_COLS = SERIES_COLS + VALUE_COLS
DETAIL_LIMIT = 500


class LoadError(Exception):
    pass


@dataclass
class LoadContext:
    source_id: str
    parser_version: str
    flow_run_id: str | None = None
    now: datetime = field(default_factory=lambda: datetime.now(timezone.utc))


@dataclass
class LoadResult:
    new: int = 0
    unchanged: int = 0
    revised: int = 0
    older: int = 0
    changes: list[dict] = field(default_factory=list)  # new and revised figures, capped

    def __iadd__(self, other: "LoadResult") -> "LoadResult":
        self.new += other.new
        self.unchanged += other.unchanged
        self.revised += other.revised
        self.older += other.older
        self.changes.extend(other.changes[: max(0, DETAIL_LIMIT - len(self.changes))])
        return self


def load_observations(engine: Engine, frames: pd.DataFrame | Iterable[pd.DataFrame],
                      ctx: LoadContext) -> LoadResult:
    """Load one or more frames (columns STAGE_COLS) in a single transaction."""
    if isinstance(frames, pd.DataFrame):
        frames = [frames]
    with engine.begin() as conn:
        return load_in_transaction(conn, frames, ctx)


def load_in_transaction(conn: Connection, frames: Iterable[pd.DataFrame], ctx: LoadContext) -> LoadResult:
    lock_source(conn, ctx.source_id)
    _create_stage(conn)
    for frame in frames:
        _stage(conn, frame)
    _check_duplicates(conn)
    _resolve_series(conn)
    _classify(conn, ctx)
    result = _apply(conn, ctx)
    # On failure the rollback removes the stage table too (DDL is transactional in both databases).
    conn.execute(text("DROP TABLE stage_obs"))
    return result


def lock_source(conn: Connection, source_id: str) -> None:
    """Serialise loads of one source (SQLite already holds the write lock from BEGIN IMMEDIATE)."""
    if is_postgres(conn.engine):
        key = zlib.crc32(source_id.encode()) & 0x7FFFFFFF
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})


def _create_stage(conn: Connection) -> None:
    real = "DOUBLE PRECISION" if is_postgres(conn.engine) else "REAL"
    conn.execute(text("DROP TABLE IF EXISTS stage_obs"))
    conn.execute(text(f"""
        CREATE TEMPORARY TABLE stage_obs (
            indicator TEXT NOT NULL, geo TEXT NOT NULL, partner TEXT NOT NULL,
            commodity TEXT NOT NULL, flow TEXT NOT NULL, unit TEXT NOT NULL,
            period_start DATE NOT NULL, period_end DATE NOT NULL, value {real},
            is_count BOOLEAN NOT NULL, method TEXT NOT NULL, locator TEXT NOT NULL, raw TEXT NOT NULL,
            published_unit TEXT NOT NULL, cites_url TEXT, vintage DATE, flags TEXT NOT NULL,
            snapshot_sha256 TEXT, series_id INTEGER, cur_id INTEGER, cur_value {real},
            cur_vintage DATE, action TEXT)"""))


DATE_COLS = ("period_start", "period_end", "vintage")


def _rows(frame: pd.DataFrame) -> Iterator[tuple]:
    missing = [c for c in STAGE_COLS if c not in frame.columns]
    if missing:
        raise LoadError(f"batch lacks columns {missing}")
    cols = [_column(frame, c) for c in STAGE_COLS]
    for row in zip(*cols):
        yield tuple(None if _isna(v) else v for v in row)


def _column(frame: pd.DataFrame, name: str) -> list:
    values = frame[name].tolist()
    if name in DATE_COLS:
        return [v.date() if isinstance(v, pd.Timestamp) else v for v in values]
    if name == "is_count":
        return [bool(v) for v in values]
    return values


def _isna(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value) or value is pd.NaT


def _stage(conn: Connection, frame: pd.DataFrame) -> None:
    if frame.empty:
        return
    names = ", ".join(STAGE_COLS)
    if is_postgres(conn.engine):
        cursor = conn.connection.driver_connection.cursor()
        with cursor.copy(f"COPY stage_obs ({names}) FROM STDIN") as copy:
            for row in _rows(frame):
                copy.write_row(row)
        return
    marks = ", ".join("?" for _ in STAGE_COLS)
    conn.connection.driver_connection.executemany(
        f"INSERT INTO stage_obs ({names}) VALUES ({marks})", _sqlite_rows(frame))


def _sqlite_rows(frame: pd.DataFrame) -> Iterator[tuple]:
    for row in _rows(frame):
        yield tuple(v.isoformat() if hasattr(v, "isoformat") else v for v in row)


def _check_duplicates(conn: Connection) -> None:
    dupes = conn.execute(text("""
        SELECT indicator, geo, partner, commodity, flow, unit, period_start, period_end, MIN(locator), MAX(locator)
        FROM stage_obs GROUP BY indicator, geo, partner, commodity, flow, unit, period_start, period_end
        HAVING COUNT(*) > 1 LIMIT 5""")).fetchall()
    if dupes:
        described = "; ".join(f"{d[0]} {d[1]} {d[6]}..{d[7]} at {d[8]} and {d[9]}" for d in dupes)
        raise LoadError(f"the batch states the same figure twice: {described}")


def _resolve_series(conn: Connection) -> None:
    match = " AND ".join(f"x.{c} = s.{c}" for c in SERIES_COLS)
    cols = ", ".join(SERIES_COLS)
    conn.execute(text(f"""
        INSERT INTO series ({cols}) SELECT DISTINCT {cols} FROM stage_obs s
        WHERE NOT EXISTS (SELECT 1 FROM series x WHERE {match})
        ON CONFLICT DO NOTHING"""))
    match_stage = " AND ".join(f"x.{c} = stage_obs.{c}" for c in SERIES_COLS)
    conn.execute(text(f"UPDATE stage_obs SET series_id = (SELECT x.id FROM series x WHERE {match_stage})"))


SAME = "(s.value = s.cur_value OR (s.value IS NULL AND s.cur_value IS NULL))"


def _classify(conn: Connection, ctx: LoadContext) -> None:
    conn.execute(text("""
        UPDATE stage_obs SET cur_id = o.id, cur_value = o.value, cur_vintage = o.vintage
        FROM observation o
        WHERE o.series_id = stage_obs.series_id AND o.period_start = stage_obs.period_start
          AND o.period_end = stage_obs.period_end AND o.source_id = :src AND o.superseded_at IS NULL"""),
                 {"src": ctx.source_id})
    same = SAME.replace("s.", "stage_obs.")
    conn.execute(text(f"""
        UPDATE stage_obs SET action = CASE
            WHEN cur_id IS NULL THEN 'new'
            WHEN {same} THEN 'same'
            WHEN vintage IS NOT NULL AND cur_vintage IS NOT NULL AND vintage < cur_vintage THEN 'older'
            ELSE 'revised' END"""))


def _apply(conn: Connection, ctx: LoadContext) -> LoadResult:
    # PostgreSQL types each parameter once: the source id is bound twice, as a value and in a filter.
    params = {"now": _stamp(conn, ctx.now), "src": ctx.source_id, "src_value": ctx.source_id,
              "pv": ctx.parser_version,
              "run": ctx.flow_run_id}
    conn.execute(text("""UPDATE observation SET last_seen_at = :now
        WHERE id IN (SELECT cur_id FROM stage_obs WHERE action = 'same')"""), params)
    conn.execute(text("""UPDATE observation SET superseded_at = :now
        WHERE id IN (SELECT cur_id FROM stage_obs WHERE action = 'revised')"""), params)
    _insert(conn, params)
    return _result(conn)


def _stamp(conn: Connection, moment: datetime) -> datetime | str:
    """SQLite keeps DateTime as text in SQLAlchemy's own format; bind it the same way."""
    if is_postgres(conn.engine):
        return moment
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")


def _insert(conn: Connection, params: dict) -> None:
    known_older = """EXISTS (SELECT 1 FROM observation o WHERE o.series_id = s.series_id
        AND o.period_start = s.period_start AND o.period_end = s.period_end AND o.source_id = :src
        AND o.vintage = s.vintage AND (o.value = s.value OR (o.value IS NULL AND s.value IS NULL)))"""
    conn.execute(text(f"""
        INSERT INTO observation (series_id, period_start, period_end, value, is_count, method, source_id,
            snapshot_sha256, locator, raw, published_unit, parser_version, flow_run_id, first_seen_at,
            last_seen_at, superseded_at, cites_url, vintage, flags)
        SELECT s.series_id, s.period_start, s.period_end, s.value, s.is_count, s.method, :src_value,
            s.snapshot_sha256, s.locator, s.raw, s.published_unit, :pv, :run, :now, :now,
            CASE WHEN s.action = 'older' THEN :now ELSE NULL END, s.cites_url, s.vintage, s.flags
        FROM stage_obs s
        WHERE s.action IN ('new', 'revised') OR (s.action = 'older' AND NOT {known_older})"""), params)


def _result(conn: Connection) -> LoadResult:
    counts = dict(conn.execute(text("SELECT action, COUNT(*) FROM stage_obs GROUP BY action")).fetchall())
    changes = conn.execute(text(f"""
        SELECT action, indicator, geo, partner, commodity, flow, unit, period_start, period_end,
               cur_value, value, locator, snapshot_sha256
        FROM stage_obs WHERE action IN ('revised', 'new') ORDER BY action DESC, locator
        LIMIT {DETAIL_LIMIT}""")).mappings().all()
    return LoadResult(new=counts.get("new", 0), unchanged=counts.get("same", 0),
                      revised=counts.get("revised", 0), older=counts.get("older", 0),
                      changes=[dict(c) for c in changes])
