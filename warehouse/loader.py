"""Idempotent, revision-keeping load of observations: one transaction per call, set-based SQL.

Rows are staged into a temporary table (COPY on PostgreSQL, executemany on SQLite); new series are
added; then one SELECT joins the staged rows to their series and current versions into a second
temporary table, classifying each row against the current versions in the warehouse (one pass,
not an UPDATE per step: a million-row load writes its stage once, see docs/PERFORMANCE.md):
- new: no current version for (series, period, source) -> inserted;
- same: value unchanged -> only its last seen moves: once for its document where the batch yields every
  current figure of that document (warehouse/sightings.py), else in the figure's ``last_seen_at``;
- revised: value changed and not older than the current version -> the old one gets
  ``superseded_at``, the new one is inserted as current;
- older: value changed but the row comes from an earlier release (``vintage``) than the current
  version -> kept as a historical version, the current one stays.
A closed version says why (``superseded_reason``: revised / older_release / withdrawn) and which flow
run closed it (``superseded_run_id``). ``load_batch`` loads a run's releases and then closes as
**withdrawn** the current figures of the documents it re-read that no release yielded any more
(never deleted): after a parser change, or when a publisher drops a row from a later version of the
same document.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from itertools import chain, islice
from typing import Collection, Iterable, Iterator

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, bindparam, text
from sqlalchemy.exc import IntegrityError

from transforms import figure_row
from warehouse import sightings
from warehouse.engine import copy_rows, is_postgres

# A figure's columns, as transforms/figure_row.py defines them: the series' identity and the row's values.
SERIES_COLS = figure_row.SERIES
STAGE_COLS = figure_row.NAMES
PG_DOUBLE = "DOUBLE PRECISION"
# Each staged column's PostgreSQL type, as the stage table declares it (_create_stage), for COPY's binary
# format; the driver names its types in lower case.
STAGE_PG_TYPES = tuple(t.lower() for t in figure_row.sql_types(PG_DOUBLE))
STORED_COLS = figure_row.STORED  # the row's values as observation stores them (the snapshot by its id)
# Stored by a key the classification looked up (the snapshot's id), not as staged.
KEYED_COLS = tuple(c.stored_as for c in figure_row.FIGURE if c.stored_as)
# What the loader writes into each observation beside the figure's own values: the load's context.
CONTEXT_COLS = ("series_id", "source_id", "parser_version", "flow_run_id", "first_seen_at", "last_seen_at",
                "superseded_at", "superseded_reason", "superseded_run_id")
DETAIL_LIMIT = 500
UNIQUE_VIOLATION = "23505"  # PostgreSQL's SQLSTATE
ANALYZE_AFTER_ROWS = 10_000  # figures added by one load before refresh_statistics runs
# SQLite's page caches during a load, in KiB (see _tune); bench/ writes with the same.
SQLITE_CACHE_KIB = 49152
SQLITE_TEMP_CACHE_KIB = 16384
SQLITE_ROWS_PER_INSERT = 50  # 19 parameters each: far below SQLite's limit of 32,766
STAGE_CHUNK_ROWS = 10_000  # rows converted to Python values at a time (see _stage)


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
    withdrawn: int = 0
    changes: list[dict] = field(default_factory=list)  # new, revised and withdrawn figures, capped

    def __iadd__(self, other: "LoadResult") -> "LoadResult":
        self.new += other.new
        self.unchanged += other.unchanged
        self.revised += other.revised
        self.older += other.older
        self.withdrawn += other.withdrawn
        self.changes.extend(other.changes[: max(0, DETAIL_LIMIT - len(self.changes))])
        return self


def load_observations(engine: Engine, frames: pd.DataFrame | Iterable[pd.DataFrame],
                      ctx: LoadContext, reread: Collection[str] = ()) -> LoadResult:
    """Load one release, in one or more frames (columns STAGE_COLS), in a single transaction, by
    load_batch as warehouse/parsed.py loads a run's figures (``reread``: see there)."""
    with engine.begin() as conn:
        result = load_batch(conn, [frames], ctx, reread)
    refresh_statistics(engine, result)
    return result


def refresh_statistics(engine: Engine, result: LoadResult) -> None:
    """After a committed load that added many figures, refresh PostgreSQL's statistics of the tables the
    next load joins against. Autovacuum does it only a while after a big load: a re-load planned as if
    ``observation`` were still empty probed its index once per figure (a million figures: classify
    7.7 s, against 1.9 s with fresh statistics). Outside the load's transaction, because ANALYZE holds
    a lock that another load's ANALYZE would wait on until that transaction ended."""
    if not is_postgres(engine) or result.new + result.revised + result.older < ANALYZE_AFTER_ROWS:
        return
    with engine.begin() as conn:
        conn.execute(text("ANALYZE series, observation"))


def load_batch(conn: Connection, releases: Iterable[pd.DataFrame | Iterable[pd.DataFrame]], ctx: LoadContext,
               reread: Collection[str] = ()) -> LoadResult:
    """Load each release (oldest first; a frame, or frames staged one after the other) in the caller's
    transaction; then close as withdrawn the current figures of this source whose snapshot is in
    ``reread`` (the documents this run parsed, and the previous versions of documents it loaded a new
    version of) that no release yielded."""
    reread = sorted(set(reread))
    lock_source(conn, ctx.source_id)  # before the check below: no other load of this source can then add any
    # Only a figure current before this batch can be withdrawn: each one the batch inserts, it yielded.
    # Documents read for the first time have none, so their keys need not be remembered nor every
    # figure probed for them (a million new figures: PostgreSQL 26.3 s -> 20.9 s, docs/PERFORMANCE.md).
    withdrawable = bool(reread) and _holds_current(conn, ctx.source_id, reread)
    if withdrawable:
        conn.execute(text("DROP TABLE IF EXISTS seen_keys"))
        conn.execute(text("CREATE TEMPORARY TABLE seen_keys (series_id INTEGER NOT NULL, "
                          "period_start DATE NOT NULL, period_end DATE NOT NULL)"))
    result = LoadResult()
    for release in releases:
        frames = [release] if isinstance(release, pd.DataFrame) else release
        result += load_in_transaction(conn, frames, ctx, remember=withdrawable)
    withdrawn = _withdraw(conn, ctx, reread) if withdrawable else []
    if withdrawable:
        conn.execute(text("DROP TABLE seen_keys"))
    result.withdrawn = len(withdrawn)
    result.changes = (withdrawn + result.changes)[:DETAIL_LIMIT]  # the rarer news first
    return result


def load_in_transaction(conn: Connection, frames: Iterable[pd.DataFrame], ctx: LoadContext,
                        remember: bool = False) -> LoadResult:
    """Load frames in the caller's transaction; ``remember``: note each staged figure's key in
    ``seen_keys`` (made by load_batch) so that what a batch no longer yields can be withdrawn."""
    lock_source(conn, ctx.source_id)
    _tune(conn)
    _create_stage(conn)
    for frame in frames:
        _stage(conn, frame)
    _resolve_series(conn)
    _classify(conn, ctx)
    _check_duplicates(conn)
    _check_snapshots(conn)
    if remember:
        conn.execute(text("INSERT INTO seen_keys SELECT series_id, period_start, period_end FROM stage_obs"))
    result = _apply(conn, ctx)
    # On failure the rollback removes the stage tables too (DDL is transactional in both databases).
    conn.execute(text("DROP TABLE stage_obs"))
    conn.execute(text("DROP TABLE stage_raw"))
    return result


def _tune(conn: Connection) -> None:
    """Settings for this transaction's big set-based statements (measured in bench/load.py)."""
    if is_postgres(conn.engine):
        # Compiling these statements costs more than it saves on a small machine.
        conn.execute(text("SET LOCAL jit = off"))
        return
    # SQLite's default 2 MB page cache thrashes on a million-row index build. 48 MB for the warehouse
    # (its indexes: a re-load probes them for every figure) and 16 MB for the temporary tables (written
    # once, read in order): a million-row load peaked at 358 MB (447 MB with 64 MB each, no faster);
    # an unchanged re-load takes 0.85x the first load (0.84x with 64 MB each; 1.00x with 32 MB).
    conn.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    conn.exec_driver_sql(f"PRAGMA temp.cache_size=-{SQLITE_TEMP_CACHE_KIB}")


def lock_source(conn: Connection, source_id: str) -> None:
    """Serialise loads of one source (SQLite already holds the write lock from BEGIN IMMEDIATE)."""
    if is_postgres(conn.engine):
        key = zlib.crc32(source_id.encode()) & 0x7FFFFFFF
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})


def _create_stage(conn: Connection) -> None:
    real = PG_DOUBLE if is_postgres(conn.engine) else "REAL"
    conn.execute(text("DROP TABLE IF EXISTS stage_raw"))
    conn.execute(text("DROP TABLE IF EXISTS stage_obs"))
    # PostgreSQL: the series table's text columns compare byte by byte (revision 0005); so do the stage's.
    collation = '"C"' if is_postgres(conn.engine) else ""
    # ``rid`` numbers the staged rows: the classified stage refers back to them by it.
    rid = "rid BIGINT GENERATED ALWAYS AS IDENTITY" if is_postgres(conn.engine) else "rid INTEGER PRIMARY KEY"
    conn.execute(text(f"CREATE TEMPORARY TABLE stage_raw ({rid}, {figure_row.sql_columns(real, collation)})"))


def _rows(frame: pd.DataFrame, iso_dates: bool = False) -> Iterator[tuple]:
    """The frame's STAGE_COLS as tuples, missing values as None; converted column by column."""
    missing = [c for c in STAGE_COLS if c not in frame.columns]
    if missing:
        raise LoadError(f"batch lacks columns {missing}")
    return zip(*(_column(frame[c], c, iso_dates) for c in STAGE_COLS))


def _column(series: pd.Series, name: str, iso_dates: bool) -> list:
    """One column as Python values of its kind: PostgreSQL's binary COPY takes a str for text, a float
    for a double and a date for a date, nothing else (text COPY parsed whatever it was given)."""
    kind = figure_row.KIND[name]
    if kind == "date":
        return _dates(series, iso_dates)
    if kind == "bool":
        return [bool(v) for v in series.tolist()]
    missing = series.isna()
    # Checked once per column: most columns have no gaps. NaN, NaT and pd.NA all become None.
    values = series.astype(object).where(~missing, None).tolist() if missing.any() else series.tolist()
    if kind == "real" and series.dtype != np.float64:
        return [None if v is None else float(v) for v in values]
    if kind == "text" and not isinstance(series.dtype, pd.StringDtype):  # e.g. all None, or numbers
        return [v if v is None or isinstance(v, str) else str(v) for v in values]
    return values


def _dates(series: pd.Series, iso: bool) -> list:
    """Each distinct date converted once: a batch holds few periods (a million rows: 1.66 s -> 0.14 s
    for the three date columns); missing ones become None."""
    codes, distinct = pd.factorize(series, use_na_sentinel=True)
    converted = [_date(d, series.name) for d in distinct]
    if iso:  # SQLite keeps dates as ISO text
        converted = [d.isoformat() for d in converted]
    return np.array([*converted, None], dtype=object)[codes].tolist()  # code -1 (missing) takes the None


def _date(value: object, column: str) -> date:
    if isinstance(value, datetime):  # pandas' Timestamp too
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise LoadError(f"{column} holds {value!r}, which is not a date") from None


def _stage(conn: Connection, frame: pd.DataFrame) -> None:
    """The frame into ``stage_raw`` a chunk at a time: its rows as Python values are the load's biggest
    transient. A million bench rows in frames of 50,000 peaked at 376 to 398 MB on SQLite and 303 to
    320 MB on PostgreSQL converted a frame at once; 363 and 278 MB in chunks of 10,000, no slower."""
    for start in range(0, len(frame), STAGE_CHUNK_ROWS):
        _stage_chunk(conn, frame.iloc[start:start + STAGE_CHUNK_ROWS])


def _stage_chunk(conn: Connection, frame: pd.DataFrame) -> None:
    if is_postgres(conn.engine):
        # Binary: the server parses no text (a million bench rows: the stage about 9 s -> 6 s,
        # docs/PERFORMANCE.md).
        copy_rows(conn, "stage_raw", STAGE_COLS, _rows(frame), STAGE_PG_TYPES)
        return
    names = ", ".join(STAGE_COLS)
    # Several rows per INSERT: SQLite steps a statement once per parameter set, and one step per row
    # cost more than the binding (a million rows: 6.1 s -> 4.7 s with 50 rows per statement).
    one = "(" + ", ".join("?" for _ in STAGE_COLS) + ")"
    many = f"INSERT INTO stage_raw ({names}) VALUES " + ", ".join([one] * SQLITE_ROWS_PER_INSERT)
    rows = _rows(frame, iso_dates=True)
    driver = conn.connection.driver_connection
    driver.executemany(many, (list(chain.from_iterable(islice(rows, SQLITE_ROWS_PER_INSERT)))
                              for _ in range(len(frame) // SQLITE_ROWS_PER_INSERT)))
    driver.executemany(f"INSERT INTO stage_raw ({names}) VALUES {one}", rows)  # the rows left over


def _check_duplicates(conn: Connection) -> None:
    # Grouping by the series id, not its six text columns, keeps this cheap on a million rows.
    dupes = conn.execute(text("""
        SELECT a.indicator, a.geo, a.period_start, a.period_end, a.locator, b.locator
        FROM (SELECT MIN(rid) AS first, MAX(rid) AS last FROM stage_obs
              GROUP BY series_id, period_start, period_end HAVING COUNT(*) > 1 LIMIT 5) d
        JOIN stage_raw a ON a.rid = d.first JOIN stage_raw b ON b.rid = d.last""")).fetchall()
    if dupes:
        described = "; ".join(f"{d[0]} {d[1]} {d[2]}..{d[3]} at {d[4]} and {d[5]}" for d in dupes)
        raise LoadError(f"the batch states the same figure twice: {described}")


def _check_snapshots(conn: Connection) -> None:
    """A figure names its document by sha256; one the warehouse holds no snapshot of cannot be loaded
    (its provenance would be lost)."""
    unknown = conn.execute(text("""SELECT DISTINCT s.snapshot_sha256 FROM stage_obs c
        JOIN stage_raw s ON s.rid = c.rid
        WHERE c.snapshot_id IS NULL AND s.snapshot_sha256 IS NOT NULL LIMIT 5""")).scalars().all()
    if unknown:
        raise LoadError(f"the batch cites documents the warehouse holds no snapshot of: {', '.join(unknown)}")


MATCH_SERIES = " AND ".join(f"x.{c} = s.{c}" for c in SERIES_COLS)


def _resolve_series(conn: Connection) -> None:
    cols = ", ".join(SERIES_COLS)
    new_series = f"FROM stage_raw s WHERE NOT EXISTS (SELECT 1 FROM series x WHERE {MATCH_SERIES})"
    if not is_postgres(conn.engine):
        # SQLite sorts to find DISTINCT rows: on a million rows that took longer (7 s against 2.6 s in
        # bench/load.py) than letting the unique index turn away a series named twice.
        conn.execute(text(f"INSERT INTO series ({cols}) SELECT {cols} {new_series} ON CONFLICT DO NOTHING"))
        return
    conn.execute(text("ANALYZE stage_raw"))  # temporary tables get no statistics otherwise
    # In the unique index's order, so a million new series append to it instead of splitting pages all
    # over it (18 s -> 13 s in bench/load.py). DISTINCT ON, not DISTINCT: the same rows, but PostgreSQL
    # then drops repeats from the sort it needs anyway, instead of hashing every row first (a million new
    # series: 6.9 s -> 6.3 s, three scratch runs each).
    insert = f"INSERT INTO series ({cols}) SELECT DISTINCT ON ({cols}) {cols} {new_series} ORDER BY {cols}"
    # ON CONFLICT costs 3 s of 9.4 s for a million new series; it is only needed when a concurrent load
    # of another source adds one of the same series. Try without it; on that conflict (the insert waits
    # for the other load to commit, then fails), undo the attempt and add what is still missing with it.
    try:
        with conn.begin_nested():
            conn.execute(text(insert))
    except IntegrityError as error:
        if getattr(error.orig, "sqlstate", None) != UNIQUE_VIOLATION:
            raise
        conn.execute(text(f"{insert} ON CONFLICT DO NOTHING"))


SAME = "(s.value = o.value OR (s.value IS NULL AND o.value IS NULL))"


def _classify(conn: Connection, ctx: LoadContext) -> None:
    """Each staged row (by ``rid``) with its series, its snapshot's id, its current version (if any)
    and what to do with it. Only these keys, not a second copy of every staged column: the insert
    reads the values from ``stage_raw`` (a million rows: SQLite 19.2 s -> 17.2 s in bench/load.py)."""
    conn.execute(text(f"""
        CREATE TEMPORARY TABLE stage_obs AS
        SELECT s.rid, x.id AS series_id, n.id AS snapshot_id, s.period_start, s.period_end,
            o.id AS cur_id, o.value AS cur_value, o.snapshot_id AS cur_snapshot_id,
            CASE WHEN o.id IS NULL THEN 'new'
                 WHEN {SAME} THEN 'same'
                 WHEN s.vintage IS NOT NULL AND o.vintage IS NOT NULL AND s.vintage < o.vintage THEN 'older'
                 ELSE 'revised' END AS action
        FROM stage_raw s JOIN series x ON {MATCH_SERIES}
        LEFT JOIN snapshot n ON n.sha256 = s.snapshot_sha256
        LEFT JOIN observation o ON o.series_id = x.id AND o.period_start = s.period_start
            AND o.period_end = s.period_end AND o.source_id = :src AND o.superseded_at IS NULL"""),
                 {"src": ctx.source_id})
    if is_postgres(conn.engine):
        conn.execute(text("ANALYZE stage_obs"))


def _apply(conn: Connection, ctx: LoadContext) -> LoadResult:
    # PostgreSQL types each parameter once: the source id is bound twice, as a value and in a filter.
    params = {"now": _stamp(conn, ctx.now), "src": ctx.source_id, "src_value": ctx.source_id,
              "pv": ctx.parser_version,
              "run": ctx.flow_run_id, "run_closed": ctx.flow_run_id}
    counts = _counts(conn)
    # A statement runs only for an action the batch holds: each one scans the classified stage (ten
    # million new figures on PostgreSQL: the statements around the insert 7.4 s -> 5.7 s with this count
    # included, docs/PERFORMANCE.md).
    wholly_seen = _wholly_seen(conn, ctx) if counts["same"] or counts["revised"] else []
    if counts["same"]:
        conn.execute(text("""UPDATE observation SET last_seen_at = :now
            WHERE id IN (SELECT cur_id FROM stage_obs WHERE action = 'same'
                         AND (cur_snapshot_id IS NULL OR cur_snapshot_id NOT IN :wholly_seen))""")
                     .bindparams(bindparam("wholly_seen", expanding=True)), {**params, "wholly_seen": wholly_seen})
    if counts["revised"]:
        conn.execute(text(f"""UPDATE observation SET superseded_at = :now, superseded_reason = 'revised',
                superseded_run_id = :run, last_seen_at = {sightings.CLOSING_LAST_SEEN}
            WHERE id IN (SELECT cur_id FROM stage_obs WHERE action = 'revised')"""), params)
    sightings.record(conn, ctx.source_id, wholly_seen, ctx.now)
    if counts["new"] or counts["revised"] or counts["older"]:
        _insert(conn, params)
    return _result(conn, counts)


def _counts(conn: Connection) -> dict[str, int]:
    """How many staged figures each action holds (every action named, zero where none)."""
    found = dict(conn.execute(text("SELECT action, COUNT(*) FROM stage_obs GROUP BY action")).fetchall())
    return {action: found.get(action, 0) for action in ("new", "same", "revised", "older")}


def _wholly_seen(conn: Connection, ctx: LoadContext) -> list[int]:
    """The documents whose every current figure (of this source) the batch yields again, the same or
    revised: their sighting stands for each figure's last seen, so those figures are not written."""
    return list(conn.execute(text("""
        SELECT c.cur_snapshot_id FROM stage_obs c
        WHERE c.action IN ('same', 'revised') AND c.cur_snapshot_id IS NOT NULL
        GROUP BY c.cur_snapshot_id
        HAVING COUNT(*) = (SELECT COUNT(*) FROM observation o WHERE o.snapshot_id = c.cur_snapshot_id
                           AND o.source_id = :src AND o.superseded_at IS NULL)"""),
        {"src": ctx.source_id}).scalars())


def _stamp(conn: Connection, moment: datetime) -> datetime | str:
    """SQLite keeps DateTime as text in SQLAlchemy's own format; bind it the same way."""
    if is_postgres(conn.engine):
        return moment
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")


def _insert(conn: Connection, params: dict) -> None:
    # PostgreSQL: rows in (series, period) order, so index entries go in order too (a million rows:
    # 30 s -> 18 s with row-by-row foreign keys; 9.3 s -> 7.0 s with revision 0006's per-statement
    # check); on SQLite the sort cost more than it saved.
    order = "ORDER BY c.series_id, c.period_start, c.period_end" if is_postgres(conn.engine) else ""
    known_older = """EXISTS (SELECT 1 FROM observation o WHERE o.series_id = c.series_id
        AND o.period_start = c.period_start AND o.period_end = c.period_end AND o.source_id = :src
        AND o.vintage = s.vintage AND (o.value = s.value OR (o.value IS NULL AND s.value IS NULL)))"""
    # The values from the stage as staged; the keys (series, snapshot) as classified.
    values = ", ".join(f"c.{c}" if c in KEYED_COLS else f"s.{c}" for c in STORED_COLS)
    conn.execute(text(f"""
        INSERT INTO observation ({", ".join(STORED_COLS + CONTEXT_COLS)})
        SELECT {values}, c.series_id, :src_value, :pv, :run, :now, :now,
            CASE WHEN c.action = 'older' THEN :now ELSE NULL END,
            CASE WHEN c.action = 'older' THEN 'older_release' ELSE NULL END,
            CASE WHEN c.action = 'older' THEN :run_closed ELSE NULL END
        FROM stage_obs c JOIN stage_raw s ON s.rid = c.rid
        WHERE c.action IN ('new', 'revised') OR (c.action = 'older' AND NOT {known_older})
        {order}"""), params)


def _result(conn: Connection, counts: dict[str, int]) -> LoadResult:
    result = LoadResult(new=counts["new"], unchanged=counts["same"], revised=counts["revised"],
                        older=counts["older"])
    if not result.new and not result.revised:
        return result
    # Revised first, then new, each in the order the batch stated them: the first rows are picked from
    # the narrow stage alone (sorting a million joined rows by locator took 1.4 s on PostgreSQL).
    changes = conn.execute(text(f"""
        SELECT c.action, s.indicator, s.geo, s.partner, s.commodity, s.flow, s.unit, s.period_start,
               s.period_end, c.cur_value, s.value, s.locator, s.snapshot_sha256
        FROM (SELECT action, rid, cur_value FROM stage_obs WHERE action IN ('revised', 'new')
              ORDER BY action DESC, rid LIMIT {DETAIL_LIMIT}) c
        JOIN stage_raw s ON s.rid = c.rid ORDER BY c.action DESC, c.rid""")).mappings().all()
    result.changes = [dict(c) for c in changes]
    return result


def _holds_current(conn: Connection, source_id: str, shas: list[str]) -> bool:
    """Whether any of these documents holds a current figure of this source."""
    return conn.execute(text("""
        SELECT 1 FROM observation o JOIN snapshot n ON n.id = o.snapshot_id
        WHERE n.sha256 IN :shas AND o.source_id = :src AND o.superseded_at IS NULL LIMIT 1""")
        .bindparams(bindparam("shas", expanding=True)), {"src": source_id, "shas": shas}).first() is not None


def _withdraw(conn: Connection, ctx: LoadContext, reread: list[str]) -> list[dict]:
    """Close as withdrawn the current figures of the re-read snapshots that this batch did not yield;
    returns them as change entries (``cur_value`` = the withdrawn value)."""
    # Without an index SQLite probes seen_keys by a full scan per figure: 127 s for Comext's 70,000 CN8
    # figures (profiled); with it, well under a second.
    conn.execute(text("CREATE INDEX ix_seen_keys ON seen_keys (series_id, period_start, period_end)"))
    if is_postgres(conn.engine):
        conn.execute(text("ANALYZE seen_keys"))
    found = conn.execute(text("""
        SELECT o.id, s.indicator, s.geo, s.partner, s.commodity, s.flow, s.unit, o.period_start,
               o.period_end, o.value AS cur_value, o.locator, n.sha256 AS snapshot_sha256
        FROM observation o JOIN series s ON s.id = o.series_id JOIN snapshot n ON n.id = o.snapshot_id
        WHERE o.source_id = :src AND o.superseded_at IS NULL AND n.sha256 IN :shas
          AND NOT EXISTS (SELECT 1 FROM seen_keys k WHERE k.series_id = o.series_id
                          AND k.period_start = o.period_start AND k.period_end = o.period_end)
        ORDER BY o.locator, o.id""").bindparams(bindparam("shas", expanding=True)),
        {"src": ctx.source_id, "shas": reread}).mappings().all()
    ids = [row["id"] for row in found]
    for start in range(0, len(ids), 500):
        conn.execute(text(f"""UPDATE observation SET superseded_at = :now, superseded_reason = 'withdrawn',
                superseded_run_id = :run, last_seen_at = {sightings.CLOSING_LAST_SEEN}
            WHERE id IN :ids""").bindparams(bindparam("ids", expanding=True)),
                     {"now": _stamp(conn, ctx.now), "run": ctx.flow_run_id, "ids": ids[start:start + 500]})
    return [{"action": "withdrawn", **{k: v for k, v in row.items() if k != "id"}, "value": None} for row in found]
