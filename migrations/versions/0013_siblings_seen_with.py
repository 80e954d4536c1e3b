"""Reports of siblings, and sightings of children seen together: two symmetric relations

Revision ID: 0013_siblings_seen_with
Revises: 0012
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_siblings_seen_with"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "report_siblings",
        sa.Column("report_id", sa.String(length=36), nullable=False),
        sa.Column("sibling_id", sa.String(length=36), nullable=False),
        sa.CheckConstraint("report_id < sibling_id", name=op.f("ck_report_siblings_order")),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.id"], name=op.f("fk_report_siblings_report_id_reports")
        ),
        sa.ForeignKeyConstraint(
            ["sibling_id"], ["reports.id"], name=op.f("fk_report_siblings_sibling_id_reports")
        ),
        sa.PrimaryKeyConstraint("report_id", "sibling_id", name=op.f("pk_report_siblings")),
    )
    op.create_index(
        op.f("ix_report_siblings_sibling_id"), "report_siblings", ["sibling_id"], unique=False
    )
    op.create_table(
        "sightings_seen_together",
        sa.Column("sighting_id", sa.String(length=36), nullable=False),
        sa.Column("companion_id", sa.String(length=36), nullable=False),
        sa.CheckConstraint(
            "sighting_id < companion_id", name=op.f("ck_sightings_seen_together_order")
        ),
        sa.ForeignKeyConstraint(
            ["sighting_id"],
            ["sightings.id"],
            name=op.f("fk_sightings_seen_together_sighting_id_sightings"),
        ),
        sa.ForeignKeyConstraint(
            ["companion_id"],
            ["sightings.id"],
            name=op.f("fk_sightings_seen_together_companion_id_sightings"),
        ),
        sa.PrimaryKeyConstraint(
            "sighting_id", "companion_id", name=op.f("pk_sightings_seen_together")
        ),
    )
    op.create_index(
        op.f("ix_sightings_seen_together_companion_id"),
        "sightings_seen_together",
        ["companion_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_sightings_seen_together_companion_id"), table_name="sightings_seen_together"
    )
    op.drop_table("sightings_seen_together")
    op.drop_index(op.f("ix_report_siblings_sibling_id"), table_name="report_siblings")
    op.drop_table("report_siblings")
