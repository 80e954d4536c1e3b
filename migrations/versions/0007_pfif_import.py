"""PFIF import: reports keep the id of the record they came from; imports say their format

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ALTER TABLE, not a batch: on SQLite a batch rebuilds `reports`, and dropping the old
# table would cascade to every table that refers to it.
def upgrade() -> None:
    op.add_column("reports", sa.Column("external_id", sa.String(length=500), nullable=True))
    op.create_index(op.f("ix_reports_external_id"), "reports", ["external_id"], unique=True)
    op.add_column(
        "imports",
        sa.Column("format", sa.String(length=10), server_default="csv", nullable=False),
    )


def downgrade() -> None:
    op.drop_column("imports", "format")
    op.drop_index(op.f("ix_reports_external_id"), table_name="reports")
    op.drop_column("reports", "external_id")
