"""discovered_document: what each source's index listed and loaded, with its identity and version

Revision ID: 0003
Revises: 0002
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: Union[str, None] = "0002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "discovered_document",
        sa.Column("source_id", sa.String(), sa.ForeignKey("source.id"), primary_key=True),
        sa.Column("key", sa.String(), primary_key=True),
        sa.Column("version", sa.String(), nullable=False),
        sa.Column("url", sa.String(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("release_date", sa.Date(), nullable=True),
        sa.Column("period_start", sa.Date(), nullable=True),
        sa.Column("period_end", sa.Date(), nullable=True),
        sa.Column("round", sa.Integer(), nullable=True),
        sa.Column("package", sa.String(), nullable=False),
        sa.Column("dataset", sa.String(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("flow_run_id", sa.String(), nullable=True),
        sa.CheckConstraint("round IS NULL OR round >= 0", name="ck_discovered_round"),
        sa.CheckConstraint("period_start IS NULL OR period_end IS NULL OR period_start <= period_end",
                           name="ck_discovered_period"),
    )


def downgrade() -> None:
    op.drop_table("discovered_document")
