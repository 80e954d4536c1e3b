"""Person description: the institution (children's home, boarding school, hospital)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ALTER TABLE, not a batch: on SQLite a batch rebuilds `reports`, and dropping the old
# table would cascade to every table that refers to it.
def upgrade() -> None:
    op.add_column("reports", sa.Column("institution", sa.String(length=200), nullable=True))
    op.add_column("sightings", sa.Column("institution", sa.String(length=200), nullable=True))


def downgrade() -> None:
    op.drop_column("sightings", "institution")
    op.drop_column("reports", "institution")
