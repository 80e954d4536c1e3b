"""The review queue's order (score, then id, best first) served by one index

Thousands of proposals share a score (an exact match scores the same each time), so an index on
(status, score) alone leaves the database sorting all of them by id for each page.

Revision ID: 0015_console_queue_index
Revises: 0014_duplicate_reports_cases
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015_console_queue_index"
down_revision: str | None = "0014_duplicate_reports_cases"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_matches_status_score_id", "matches", ["status", "score", "id"])
    op.drop_index("ix_matches_status_score", table_name="matches")


def downgrade() -> None:
    op.create_index("ix_matches_status_score", "matches", ["status", "score"])
    op.drop_index("ix_matches_status_score_id", table_name="matches")
