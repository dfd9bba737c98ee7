"""A leaner observation row: an integer snapshot key, and only the keys and indexes a guarantee or a
query needs (measured in bench/load.py and bench/schema_study.py, see docs/PERFORMANCE.md)

Revision ID: 0005
Revises: 0004

- ``snapshot`` gets an integer primary key ``id``; its ``sha256`` stays, unique and NOT NULL, and is
  what every output shows. Notices and designations still name their snapshot by sha256 (a few rows
  per document).
- ``observation.snapshot_sha256`` (64 characters, with a foreign key and an index, in every figure)
  becomes ``snapshot_id`` (an integer, with a foreign key and an index): each figure keeps its link
  to the bytes it was read from.
- ``observation.source_id`` keeps its value (it is part of the natural key) but loses its foreign
  key: the loader is the only writer and writes a registered source, and each figure's snapshot
  (foreign key) belongs to that source. PostgreSQL checked it row by row.
- ``ix_obs_source_series (source_id, series_id)`` becomes ``ix_obs_series (series_id)``: a figure's
  versions (history, the superseded ones included) are found by series; current figures by
  ``uq_obs_current``.
- PostgreSQL: the six text columns of a series' identity compare byte by byte (``COLLATE "C"``), as
  SQLite's do: the codes are ASCII, and the unique index on them no longer calls the locale for every
  comparison (adding 300,000 new series: 6.0 s against 3.7 s, measured here on a C.UTF-8 server;
  a server whose default is a language locale costs more).

No version and no provenance link is lost: every observation keeps its id and gets the id of the
snapshot its sha256 named (``tests/test_migrate_lean.py`` checks both ways on both databases).
On SQLite the two tables are rebuilt (SQLite's documented way: a new table, copy, drop, rename, with
foreign keys off for the migration: see env.py, which checks them all afterwards).
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: Union[str, None] = "0004"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

OBS_CHECKS = (
    ("ck_obs_period", "period_start <= period_end"),
    ("ck_obs_superseded_reason",
     "superseded_reason IS NULL OR superseded_reason IN ('revised', 'older_release', 'withdrawn')"),
    ("ck_obs_superseded_state", "(superseded_at IS NULL) = (superseded_reason IS NULL)"),
    ("ck_obs_superseded_run", "superseded_run_id IS NULL OR superseded_at IS NOT NULL"),
    ("ck_obs_count", "NOT is_count OR value IS NULL OR value >= 0"),
    ("ck_obs_method", "method IN ('published', 'derived')"),
)
# Every observation column but the snapshot reference, in table order.
OBS_COLUMNS = ("id", "series_id", "period_start", "period_end", "value", "is_count", "method", "source_id",
               "locator", "raw", "published_unit", "parser_version", "flow_run_id", "first_seen_at",
               "last_seen_at", "superseded_at", "superseded_reason", "superseded_run_id", "cites_url",
               "vintage", "flags")
SNAPSHOT_COLUMNS = ("sha256", "source_id", "url", "method", "query", "fetched_at", "http_status",
                    "content_type", "etag", "last_modified", "headers", "size_bytes", "storage_uri",
                    "flow_run_id")
CURRENT = sa.text("superseded_at IS NULL")
SERIES_KEY = ("indicator", "geo", "partner", "commodity", "flow", "unit")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_upgrade()
    else:
        _postgres_upgrade()


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_downgrade()
    else:
        _postgres_downgrade()


# --- PostgreSQL: altered in place ---------------------------------------------------------------------

def _postgres_upgrade() -> None:
    _series_collation('"C"')
    op.execute("ALTER TABLE snapshot ADD COLUMN id SERIAL")
    op.add_column("observation", sa.Column("snapshot_id", sa.Integer(), nullable=True))
    op.execute("UPDATE observation o SET snapshot_id = n.id FROM snapshot n WHERE n.sha256 = o.snapshot_sha256")
    for table in ("observation", "notice", "designation"):
        op.drop_constraint(f"{table}_snapshot_sha256_fkey", table, type_="foreignkey")
    op.drop_constraint("snapshot_pkey", "snapshot", type_="primary")
    op.create_primary_key("snapshot_pkey", "snapshot", ["id"])
    op.create_unique_constraint("uq_snapshot_sha256", "snapshot", ["sha256"])
    for table in ("notice", "designation"):
        op.create_foreign_key(f"{table}_snapshot_sha256_fkey", table, "snapshot", ["snapshot_sha256"], ["sha256"])
    op.drop_index("ix_obs_snapshot", "observation")
    op.drop_column("observation", "snapshot_sha256")
    op.create_foreign_key("observation_snapshot_id_fkey", "observation", "snapshot", ["snapshot_id"], ["id"])
    op.create_index("ix_obs_snapshot", "observation", ["snapshot_id"])
    op.drop_constraint("observation_source_id_fkey", "observation", type_="foreignkey")
    op.drop_index("ix_obs_source_series", "observation")
    op.create_index("ix_obs_series", "observation", ["series_id"])


def _postgres_downgrade() -> None:
    op.drop_index("ix_obs_series", "observation")
    op.create_index("ix_obs_source_series", "observation", ["source_id", "series_id"])
    op.create_foreign_key("observation_source_id_fkey", "observation", "source", ["source_id"], ["id"])
    op.add_column("observation", sa.Column("snapshot_sha256", sa.String(), nullable=True))
    op.execute("UPDATE observation o SET snapshot_sha256 = n.sha256 FROM snapshot n WHERE n.id = o.snapshot_id")
    op.drop_index("ix_obs_snapshot", "observation")
    op.drop_constraint("observation_snapshot_id_fkey", "observation", type_="foreignkey")
    op.drop_column("observation", "snapshot_id")
    for table in ("notice", "designation"):
        op.drop_constraint(f"{table}_snapshot_sha256_fkey", table, type_="foreignkey")
    op.drop_constraint("uq_snapshot_sha256", "snapshot", type_="unique")
    op.drop_constraint("snapshot_pkey", "snapshot", type_="primary")
    op.create_primary_key("snapshot_pkey", "snapshot", ["sha256"])
    op.drop_column("snapshot", "id")
    for table in ("observation", "notice", "designation"):
        op.create_foreign_key(f"{table}_snapshot_sha256_fkey", table, "snapshot", ["snapshot_sha256"], ["sha256"])
    op.create_index("ix_obs_snapshot", "observation", ["snapshot_sha256"])
    _series_collation('"default"')


def _series_collation(collation: str) -> None:
    """The series key's text columns in this collation (the trade_watch view names them: remade)."""
    op.execute("DROP VIEW trade_watch")
    for column in SERIES_KEY:
        op.execute(f"ALTER TABLE series ALTER COLUMN {column} TYPE VARCHAR COLLATE {collation}")
    op.execute(_trade_watch_view("postgresql"))


# --- SQLite: rebuilt ----------------------------------------------------------------------------------

def _snapshot_table(name: str, lean: bool) -> None:
    key = ([sa.Column("id", sa.Integer(), primary_key=True),
            sa.Column("sha256", sa.String(length=64), nullable=False),
            sa.UniqueConstraint("sha256", name="uq_snapshot_sha256")] if lean
           else [sa.Column("sha256", sa.String(length=64), primary_key=True)])
    op.create_table(
        name, *key,
        sa.Column("source_id", sa.String(), sa.ForeignKey("source.id"), nullable=False),
        sa.Column("url", sa.String(), nullable=False),
        sa.Column("method", sa.String(), nullable=False),
        sa.Column("query", sa.String(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(), nullable=False),
        sa.Column("etag", sa.String(), nullable=True),
        sa.Column("last_modified", sa.String(), nullable=True),
        sa.Column("headers", sa.Text(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("storage_uri", sa.String(), nullable=False),
        sa.Column("flow_run_id", sa.String(), nullable=True),
        sa.CheckConstraint("size_bytes >= 0", name="ck_snapshot_size"),
    )


def _observation_table(name: str, lean: bool) -> None:
    snapshot = (sa.Column("snapshot_id", sa.Integer(), sa.ForeignKey("snapshot.id"), nullable=True) if lean
                else sa.Column("snapshot_sha256", sa.String(), sa.ForeignKey("snapshot.sha256"), nullable=True))
    source = sa.Column("source_id", sa.String(), nullable=False)
    if not lean:
        source = sa.Column("source_id", sa.String(), sa.ForeignKey("source.id"), nullable=False)
    op.create_table(
        name,
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("series_id", sa.Integer(), sa.ForeignKey("series.id"), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("value", sa.Float(precision=53), nullable=True),
        sa.Column("is_count", sa.Boolean(), nullable=False),
        sa.Column("method", sa.String(), nullable=False),
        source, snapshot,
        sa.Column("locator", sa.String(), nullable=False),
        sa.Column("raw", sa.String(), nullable=False),
        sa.Column("published_unit", sa.String(), nullable=False),
        sa.Column("parser_version", sa.String(), nullable=False),
        sa.Column("flow_run_id", sa.String(), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("superseded_reason", sa.String(), nullable=True),
        sa.Column("superseded_run_id", sa.String(), nullable=True),
        sa.Column("cites_url", sa.String(), nullable=True),
        sa.Column("vintage", sa.Date(), nullable=True),
        sa.Column("flags", sa.String(), nullable=False),
        *(sa.CheckConstraint(check, name=name_) for name_, check in OBS_CHECKS),
    )


def _replace(old: str, new: str) -> None:
    op.drop_table(old)
    op.rename_table(new, old)


def _sqlite_upgrade() -> None:
    view = _trade_watch_view()
    op.execute("DROP VIEW trade_watch")  # SQLite refuses to rename a table while a view names a missing one
    _snapshot_table("snapshot_lean", lean=True)
    columns = ", ".join(SNAPSHOT_COLUMNS)
    op.execute(f"INSERT INTO snapshot_lean ({columns}) SELECT {columns} FROM snapshot ORDER BY fetched_at, sha256")
    _replace("snapshot", "snapshot_lean")
    op.create_index("ix_snapshot_source_id", "snapshot", ["source_id"])
    _rebuild_observation(lean=True)
    op.execute(view)


def _sqlite_downgrade() -> None:
    view = _trade_watch_view()
    op.execute("DROP VIEW trade_watch")
    _rebuild_observation(lean=False)
    _snapshot_table("snapshot_0004", lean=False)
    columns = ", ".join(SNAPSHOT_COLUMNS)
    op.execute(f"INSERT INTO snapshot_0004 ({columns}) SELECT {columns} FROM snapshot")
    _replace("snapshot", "snapshot_0004")
    op.create_index("ix_snapshot_source_id", "snapshot", ["source_id"])
    op.execute(view)


def _rebuild_observation(lean: bool) -> None:
    """observation rebuilt with the other revision's snapshot reference, each row keeping its id and
    naming the same snapshot (by id in 0005, by sha256 in 0004)."""
    new, old = ("snapshot_id", "snapshot_sha256") if lean else ("snapshot_sha256", "snapshot_id")
    value = "n.id" if lean else "n.sha256"
    _observation_table("observation_rebuilt", lean=lean)
    columns = ", ".join(OBS_COLUMNS)
    picked = ", ".join(f"o.{c}" for c in OBS_COLUMNS)
    op.execute(f"INSERT INTO observation_rebuilt ({columns}, {new}) SELECT {picked}, {value} "
               f"FROM observation o LEFT JOIN snapshot n ON n.{'sha256' if lean else 'id'} = o.{old}")
    _replace("observation", "observation_rebuilt")
    _observation_indexes(lean=lean)


def _observation_indexes(lean: bool) -> None:
    op.create_index("uq_obs_current", "observation", ["series_id", "period_start", "period_end", "source_id"],
                    unique=True, sqlite_where=CURRENT)
    op.create_index("ix_obs_snapshot", "observation", ["snapshot_id" if lean else "snapshot_sha256"])
    if lean:
        op.create_index("ix_obs_series", "observation", ["series_id"])
    else:
        op.create_index("ix_obs_source_series", "observation", ["source_id", "series_id"])


def _trade_watch_view(dialect: str = "sqlite") -> str:
    import importlib.util
    from pathlib import Path

    path = Path(__file__).with_name("0002_trade_watch_view.py")
    spec = importlib.util.spec_from_file_location("revision_0002", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.VIEW.format(year=module.YEAR[dialect], calendar_year=module.CALENDAR_YEAR[dialect])
