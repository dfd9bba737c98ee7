"""The one definition of a figure's row: what a transform hands to the warehouse, column by column.

Everything else is derived from ``FIGURE``: the frame a transform builds (``transforms.common``), the
loader's staging table, its conversion of each column and its insert (``warehouse/loader.py``). The
``observation`` table (``warehouse/models.py`` and its migrations) is checked against it by
``tests/test_figure_row.py``: a migration is frozen history, so it cannot import a definition that
moves on.
"""

from __future__ import annotations

from dataclasses import dataclass

KINDS = ("text", "date", "real", "bool")


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # one of KINDS
    nullable: bool = False
    series: bool = False  # part of the series' identity: stored once in ``series``, not in each row
    stored_as: str = ""  # the warehouse stores it as this column (a reference by key), else by its name


FIGURE = (
    Column("indicator", "text", series=True),
    Column("geo", "text", series=True),
    Column("partner", "text", series=True),
    Column("commodity", "text", series=True),
    Column("flow", "text", series=True),
    Column("unit", "text", series=True),
    Column("period_start", "date"),
    Column("period_end", "date"),
    Column("value", "real", nullable=True),
    Column("is_count", "bool"),
    Column("method", "text"),
    Column("locator", "text"),
    Column("raw", "text"),
    Column("published_unit", "text"),
    Column("cites_url", "text", nullable=True),
    Column("vintage", "date", nullable=True),
    Column("flags", "text"),
    # The document it was read from; the observation refers to the snapshot by its integer id.
    Column("snapshot_sha256", "text", nullable=True, stored_as="snapshot_id"),
)

NAMES = tuple(c.name for c in FIGURE)
SERIES = tuple(c.name for c in FIGURE if c.series)
VALUES = tuple(c.name for c in FIGURE if not c.series)
STORED = tuple(c.stored_as or c.name for c in FIGURE if not c.series)  # their columns in ``observation``
KIND = {c.name: c.kind for c in FIGURE}


def sql_types(real_type: str) -> tuple[str, ...]:
    """Each column's SQL type, in FIGURE's order; ``real_type``: the database's double."""
    types = {"text": "TEXT", "date": "DATE", "real": real_type, "bool": "BOOLEAN"}
    return tuple(types[c.kind] for c in FIGURE)


def sql_columns(real_type: str, series_collation: str = "") -> str:
    """The columns as SQL (a staging table's definition); ``real_type``: the database's double;
    ``series_collation``: the collation of the series' text columns (as the series table has them)."""

    def sql(c: Column, sql_type: str) -> str:
        collate = f" COLLATE {series_collation}" if c.series and series_collation else ""
        return f"{c.name} {sql_type}{collate}{'' if c.nullable else ' NOT NULL'}"

    return ", ".join(sql(c, t) for c, t in zip(FIGURE, sql_types(real_type)))
