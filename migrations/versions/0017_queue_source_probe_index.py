"""The review queue's index holds each match's sighting, for the queue filtered by source type

The queue narrowed to one source type walks the queue's index best first and keeps the matches
whose sighting is of that type (three of four are passed over, with four kinds of source). With
the sighting id in the index, the check asks the sighting's type straight from the index row
(app.matches.repository._filtered) instead of reading each passed-over match's row (it holds the
explanation) and its report's first: on SQLite 5 ms a page before, 0.7 ms after, unloaded; the
index replaces the one on (status, score, id), whose order it keeps.

Revision ID: 0017_queue_source_probe_index
Revises: 0016_queue_by_source_index
Create Date: 2026-12-03
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017_queue_source_probe_index"
down_revision: str | None = "0016_queue_by_source_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_matches_status_score_id_sighting_id",
        "matches",
        ["status", "score", "id", "sighting_id"],
    )
    op.drop_index("ix_matches_status_score_id", table_name="matches")


def downgrade() -> None:
    op.create_index("ix_matches_status_score_id", "matches", ["status", "score", "id"])
    op.drop_index("ix_matches_status_score_id_sighting_id", table_name="matches")
