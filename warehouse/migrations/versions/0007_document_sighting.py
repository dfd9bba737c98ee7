"""document_sighting: "last seen" kept once per document instead of in each of its figures

Revision ID: 0007
Revises: 0006

Reading a document again that yields the same figures used to update ``observation.last_seen_at`` in
every one of them: on PostgreSQL a new row version and four index entries per figure (a million
figures: 13.4 s of an unchanged re-load's 24.3 s, docs/PERFORMANCE.md). A load that finds every current
figure of a document in it now writes one ``document_sighting`` row instead; a current figure's last
seen is the later of its own ``last_seen_at`` and its document's sighting (warehouse/sightings.py).

Upgrade adds the empty table: with no sighting every figure's last seen is its own column, as before.
Downgrade folds each sighting back into the current figures of its document, so no "last seen" is lost.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: Union[str, None] = "0006"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# The sighting's time where it is later than the figure's own, for current figures (both databases).
FOLD_BACK = """
UPDATE observation SET last_seen_at = (
    SELECT d.last_seen_at FROM document_sighting d
    WHERE d.source_id = observation.source_id AND d.snapshot_id = observation.snapshot_id)
WHERE superseded_at IS NULL AND EXISTS (
    SELECT 1 FROM document_sighting d WHERE d.source_id = observation.source_id
      AND d.snapshot_id = observation.snapshot_id AND d.last_seen_at > observation.last_seen_at)
"""


def upgrade() -> None:
    op.create_table(
        "document_sighting",
        sa.Column("source_id", sa.String(), sa.ForeignKey("source.id"), primary_key=True),
        sa.Column("snapshot_id", sa.Integer(), sa.ForeignKey("snapshot.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.execute(FOLD_BACK)
    op.drop_table("document_sighting")
