"""The schema's own limit: the bench rows written straight into a migrated warehouse's ``series`` and
``observation`` tables with the driver's bulk path (SQLite ``executemany``, PostgreSQL ``COPY``), in one
transaction, with no staging and no classification: what the tables themselves (their indexes,
foreign keys and CHECKs) cost per figure, which no loader into them can beat.

It works on any revision of the schema: the tables' columns are read from the migrated database, so
today's schema and an earlier one are measured in the same run (``--contenders schema,schema@0004``).
"""

from __future__ import annotations

import time
from datetime import datetime, timezone

import common
from sqlalchemy import MetaData, insert

from warehouse.loader import SQLITE_CACHE_KIB

SERIES = ("indicator", "geo", "partner", "commodity", "flow", "unit")


def run(url: str, rows: int, revision: str) -> dict:
    from warehouse.engine import make_engine
    from warehouse.migrate import upgrade

    upgrade(url, revision)
    engine = make_engine(url)
    tables = MetaData()
    tables.reflect(engine)
    snapshot_key = _provenance(engine, tables)
    postgres = engine.dialect.name == "postgresql"
    series_cols = [c.name for c in tables.tables["series"].columns]
    obs_cols = [c.name for c in tables.tables["observation"].columns if c.name != "id"]
    raw = engine.raw_connection()
    try:
        started = time.perf_counter()
        driver = raw.driver_connection
        if not postgres:
            driver.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")  # as the loader sets for a load
            driver.execute("BEGIN")  # the engine's connections autocommit otherwise
        common.bulk_write(driver, postgres, "series", series_cols, _series_rows(rows, series_cols))
        common.bulk_write(driver, postgres, "observation", obs_cols,
                          _observation_rows(rows, obs_cols, snapshot_key, postgres))
        raw.commit()
        seconds = time.perf_counter() - started
    finally:
        raw.close()
    return {"seconds": seconds}


def _provenance(engine, tables: MetaData):
    """The bench source and its one snapshot, whatever the revision's columns; returns the value an
    observation cites it by (the snapshot's integer id where the schema has one, else its sha256)."""
    now = datetime.now(timezone.utc)
    source = {"id": common.SOURCE_ID, "family": "trade", "publisher": "bench", "name": "bench", "homepage": "",
              "licence": "", "cadence": "", "parser_version": "bench-1"}
    snapshot = {"sha256": common.SHA, "source_id": common.SOURCE_ID, "url": "bench:", "method": "GET",
                "query": "", "fetched_at": now, "http_status": 200, "content_type": "", "headers": "{}",
                "size_bytes": 0, "storage_uri": "bench:"}
    with engine.begin() as conn:
        conn.execute(insert(tables.tables["source"]).values(**source))
        conn.execute(insert(tables.tables["snapshot"]).values(**snapshot))
        if "id" in tables.tables["snapshot"].columns:
            return conn.execute(tables.tables["snapshot"].select()).mappings().one()["id"]
    return common.SHA


def _series_rows(rows: int, names: list[str]):
    for start, cols in common.numbered_batches(rows):
        values = {"id": range(start + 1, start + 1 + len(cols["unit"])), **{k: cols[k] for k in SERIES}}
        yield from zip(*(values[n] for n in names))


def _observation_rows(rows: int, names: list[str], snapshot_key, postgres: bool):
    now = datetime.now(timezone.utc)
    stamp = now if postgres else now.strftime("%Y-%m-%d %H:%M:%S.%f")
    for start, cols in common.numbered_batches(rows):
        n = len(cols["unit"])
        fixed = {"source_id": common.SOURCE_ID, "snapshot_sha256": snapshot_key, "snapshot_id": snapshot_key,
                 "parser_version": "bench-1", "flow_run_id": None, "first_seen_at": stamp,
                 "last_seen_at": stamp, "superseded_at": None, "superseded_reason": None,
                 "superseded_run_id": None}
        values = {**cols, "series_id": range(start + 1, start + 1 + n)}
        if not postgres:
            values.update({k: [d.isoformat() if d else None for d in cols[k]]
                           for k in ("period_start", "period_end", "vintage")})
        columns = [values[name] if name in values else [fixed[name]] * n for name in names]
        yield from zip(*columns)
