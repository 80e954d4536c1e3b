"""Duplicate reports: proposed pairs of reports of one child, their history, and the case a
confirmed pair joins its reports into

Revision ID: 0014_duplicate_reports_cases
Revises: 0013_siblings_seen_with
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_duplicate_reports_cases"
down_revision: str | None = "0013_siblings_seen_with"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE, not a batch: on SQLite a batch rebuilds `reports` (see 0009).
    op.add_column("reports", sa.Column("case_id", sa.String(length=36), nullable=True))
    op.create_index(op.f("ix_reports_case_id"), "reports", ["case_id"], unique=False)
    op.create_table(
        "duplicates",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("report_id", sa.String(length=36), nullable=False),
        sa.Column("duplicate_of_id", sa.String(length=36), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("explanation", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("decided_by", sa.String(length=36), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('proposed', 'confirmed', 'rejected', 'withdrawn')",
            name=op.f("ck_duplicates_status"),
        ),
        sa.CheckConstraint("report_id <> duplicate_of_id", name=op.f("ck_duplicates_two_reports")),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_duplicates_decided_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["duplicate_of_id"], ["reports.id"], name=op.f("fk_duplicates_duplicate_of_id_reports")
        ),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.id"], name=op.f("fk_duplicates_report_id_reports")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duplicates")),
        sa.UniqueConstraint(
            "report_id", "duplicate_of_id", name=op.f("uq_duplicates_report_id_duplicate_of_id")
        ),
    )
    op.create_index(op.f("ix_duplicates_created_at"), "duplicates", ["created_at"], unique=False)
    op.create_index(
        op.f("ix_duplicates_duplicate_of_id"), "duplicates", ["duplicate_of_id"], unique=False
    )
    op.create_index(op.f("ix_duplicates_report_id"), "duplicates", ["report_id"], unique=False)
    op.create_index("ix_duplicates_status_score", "duplicates", ["status", "score"], unique=False)
    op.create_table(
        "duplicate_events",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("duplicate_id", sa.String(length=36), nullable=False),
        sa.Column("actor_id", sa.String(length=36), nullable=True),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("from_status", sa.String(length=10), nullable=True),
        sa.Column("to_status", sa.String(length=10), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("case_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_duplicate_events_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["duplicate_id"],
            ["duplicates.id"],
            name=op.f("fk_duplicate_events_duplicate_id_duplicates"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duplicate_events")),
    )
    op.create_index(
        op.f("ix_duplicate_events_duplicate_id"),
        "duplicate_events",
        ["duplicate_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_duplicate_events_duplicate_id"), table_name="duplicate_events")
    op.drop_table("duplicate_events")
    op.drop_index("ix_duplicates_status_score", table_name="duplicates")
    op.drop_index(op.f("ix_duplicates_report_id"), table_name="duplicates")
    op.drop_index(op.f("ix_duplicates_duplicate_of_id"), table_name="duplicates")
    op.drop_index(op.f("ix_duplicates_created_at"), table_name="duplicates")
    op.drop_table("duplicates")
    op.drop_index(op.f("ix_reports_case_id"), table_name="reports")
    op.drop_column("reports", "case_id")
