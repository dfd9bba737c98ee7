"""`sanctrace export-sqlite FILE`: copy a warehouse (PostgreSQL or SQLite) into a new SQLite file.

Datasette, and anyone with the sqlite3 shell, reads SQLite only: this is how a PostgreSQL warehouse
is browsed. The copy gets the same schema from the migrations (trade_watch view included) and every
row of every table, streamed in batches so a large warehouse copies in bounded memory.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, select
from sqlmodel import SQLModel

from warehouse import models  # noqa: F401 (registers the tables on SQLModel.metadata)
from warehouse.engine import make_engine
from warehouse.migrate import upgrade

BATCH = 5000


def export_sqlite(source: Engine, target: Path) -> dict[str, int]:
    """Rows copied per table. The target must not exist yet: a copy is never merged into other data."""
    if target.exists():
        raise FileExistsError(f"{target} exists; export into a new file")
    url = f"sqlite:///{target}"
    upgrade(url)
    engine = make_engine(url)
    counts = {}
    try:
        for table in SQLModel.metadata.sorted_tables:  # parents before children (foreign keys)
            counts[table.name] = _copy(source, engine, table)
    finally:
        engine.dispose()
    return counts


def _copy(source: Engine, target: Engine, table) -> int:
    copied = 0
    order = list(table.primary_key.columns) or list(table.columns)
    with source.connect() as read, target.begin() as write:
        result = read.execution_options(stream_results=True, yield_per=BATCH).execute(
            select(table).order_by(*order))
        for rows in result.mappings().partitions(BATCH):
            write.execute(table.insert(), [dict(r) for r in rows])
            copied += len(rows)
    return copied
