"""observation.superseded_reason and superseded_run_id: why and by which flow run a version was closed

Revision ID: 0004
Revises: 0003

Versions closed before this revision get their reason from what the loader did then: a version it
inserted already closed (superseded_at = first_seen_at) while a version of a later release, loaded by an
earlier run, stayed current was an ``older_release``; every other closed version was ``revised``. Which
run closed them was not recorded: their superseded_run_id stays NULL.

SQLite cannot add a table CHECK without rebuilding the table (and the trade_watch view depends on it),
so there the CHECKs are column constraints of the added columns (SQLite checks them on every row, the
existing ones included, like table CHECKs); PostgreSQL gets ordinary table CHECKs of the same names.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: Union[str, None] = "0003"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

REASON = "superseded_reason IS NULL OR superseded_reason IN ('revised', 'older_release', 'withdrawn')"
STATE = "(superseded_at IS NULL) = (superseded_reason IS NULL)"
RUN = "superseded_run_id IS NULL OR superseded_at IS NOT NULL"

BACKFILL = """
UPDATE observation SET superseded_reason = CASE
    WHEN superseded_at = first_seen_at AND EXISTS (
        SELECT 1 FROM observation later WHERE later.series_id = observation.series_id
          AND later.source_id = observation.source_id AND later.period_start = observation.period_start
          AND later.period_end = observation.period_end AND later.vintage > observation.vintage
          AND later.first_seen_at < observation.first_seen_at)
    THEN 'older_release' ELSE 'revised' END
WHERE superseded_at IS NOT NULL
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"ALTER TABLE observation ADD COLUMN superseded_reason TEXT "
                   f"CONSTRAINT ck_obs_superseded_reason CHECK ({REASON})")
        op.execute(BACKFILL)
        # Added after the backfill: SQLite checks the existing rows against it.
        op.execute(f"ALTER TABLE observation ADD COLUMN superseded_run_id TEXT "
                   f"CONSTRAINT ck_obs_superseded_state CHECK ({STATE}) "
                   f"CONSTRAINT ck_obs_superseded_run CHECK ({RUN})")
        return
    op.add_column("observation", sa.Column("superseded_reason", sa.String(), nullable=True))
    op.add_column("observation", sa.Column("superseded_run_id", sa.String(), nullable=True))
    op.execute(BACKFILL)
    op.create_check_constraint("ck_obs_superseded_reason", "observation", REASON)
    op.create_check_constraint("ck_obs_superseded_state", "observation", STATE)
    op.create_check_constraint("ck_obs_superseded_run", "observation", RUN)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite drops a column only when no CHECK names it: rebuild the table without them. The
        # trade_watch view names the table, so it is dropped for the rebuild and made again as 0002 made it.
        view = _revision_0002().VIEW.format(year=_revision_0002().YEAR["sqlite"],
                                            calendar_year=_revision_0002().CALENDAR_YEAR["sqlite"])
        op.execute("DROP VIEW trade_watch")
        with op.batch_alter_table("observation", recreate="always") as batch:
            for name in ("ck_obs_superseded_run", "ck_obs_superseded_state", "ck_obs_superseded_reason"):
                batch.drop_constraint(name, type_="check")
            batch.drop_column("superseded_run_id")
            batch.drop_column("superseded_reason")
        op.execute(view)
        return
    for name in ("ck_obs_superseded_run", "ck_obs_superseded_state", "ck_obs_superseded_reason"):
        op.drop_constraint(name, "observation", type_="check")
    op.drop_column("observation", "superseded_run_id")
    op.drop_column("observation", "superseded_reason")


def _revision_0002():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).with_name("0002_trade_watch_view.py")
    spec = importlib.util.spec_from_file_location("revision_0002", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
