"""One engine factory for SQLite and PostgreSQL."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Iterable, Sequence

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

SQLITE_PAGE_SIZE = 16384


def normalise_url(url: str) -> str:
    """Use psycopg 3 for plain postgresql:// URLs."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str, write_lock: bool = True) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        return _sqlite_engine(url, "BEGIN IMMEDIATE" if write_lock else "BEGIN")
    return create_engine(url, pool_pre_ping=True)


def _sqlite_engine(url: str, begin: str) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 120})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn, _record):
        # Let SQLAlchemy, not the driver, open transactions, so BEGIN IMMEDIATE below takes the
        # write lock up front and concurrent loaders queue instead of failing mid-transaction.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        if cursor.execute("PRAGMA page_count").fetchone()[0] == 0:
            # Only a new file takes a page size (an existing one keeps its own until a VACUUM outside
            # WAL mode). 16 KiB pages: fewer, shallower B-tree pages for a load (bench rows, 1M: about
            # 5% faster than 4 KiB over three runs each; 10M: the steps before the commit 164.7 s
            # against 179.0 s, but the whole load no faster, 197.3 s against 197.7 s; PERFORMANCE.md).
            cursor.execute(f"PRAGMA page_size={SQLITE_PAGE_SIZE}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=120000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        conn.exec_driver_sql(begin)

    return engine


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    return make_engine(url)


@lru_cache(maxsize=8)
def reader_for(url: str) -> Engine:
    """For long reads (figure exports): on SQLite a deferred BEGIN, so the read sees one snapshot (WAL)
    without taking the write lock that loaders queue on."""
    return make_engine(url, write_lock=False)


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def copy_rows(conn: Connection, table: str, columns: Iterable[str], rows: Iterable[Sequence],
              types: Sequence[str] = ()) -> None:
    """PostgreSQL: the rows into ``table`` by COPY, in the caller's transaction (the driver's bulk path).
    ``types``: each column's PostgreSQL type, exactly as the table has it, to send the rows in COPY's
    binary format; the server then parses no text (see warehouse/loader.py's stage)."""
    cursor = conn.connection.driver_connection.cursor()
    binary = " (FORMAT BINARY)" if types else ""
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN{binary}") as copy:
        if types:
            copy.set_types(list(types))
        for row in rows:
            copy.write_row(row)
