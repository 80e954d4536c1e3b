"""Beside the candidate index, what the engine's first pass weighs of each report

A sighting whose blocking keys reach more reports than the engine compares (400) was ranked by
the keys each report shares alone; the engine's own first pass (matching.Linker) adds the
birth year, month and day, the place and the family name's first letter. report_codes holds
these as integers (matching.first_pass_codes), one row per report, so that the service ranks
as the engine does (app.matches.scoring.reports_reached).

Written with a report's keys (filing, amendment, import, rematch). Existing reports get theirs
from `ridni rematch`: the engine's version changes with this revision, so every report is
re-indexed; until then a report without codes is ranked by its keys alone, as before.

Revision ID: 0018_report_first_pass_codes
Revises: 0017_queue_source_probe_index
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018_report_first_pass_codes"
down_revision: str | None = "0017_queue_source_probe_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "report_codes",
        sa.Column("report_id", sa.String(length=36), nullable=False),
        sa.Column("birth_year", sa.SmallInteger(), nullable=False),
        sa.Column("birth_month", sa.SmallInteger(), nullable=False),
        sa.Column("birth_day", sa.SmallInteger(), nullable=False),
        sa.Column("place", sa.Integer(), nullable=False),
        sa.Column("initials", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name=op.f("fk_report_codes_report_id_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("report_id", name=op.f("pk_report_codes")),
    )


def downgrade() -> None:
    op.drop_table("report_codes")
