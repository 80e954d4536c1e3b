"""imports and the fingerprints of imported rows

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "imports",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=36), nullable=False),
        sa.Column("encoding", sa.String(length=20), nullable=False),
        sa.Column("delimiter", sa.String(length=4), nullable=False),
        sa.Column("columns", sa.JSON(), nullable=False),
        sa.Column("ignored_columns", sa.JSON(), nullable=False),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("rows_loaded", sa.Integer(), nullable=False),
        sa.Column("rows_duplicate", sa.Integer(), nullable=False),
        sa.Column("rows_skipped", sa.Integer(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.Column("errors_truncated", sa.Boolean(), nullable=False),
        sa.Column("detail", sa.String(length=500), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('reports', 'sightings')", name=op.f("ck_imports_kind")),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'done', 'failed')", name=op.f("ck_imports_status")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_imports_created_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imports")),
    )
    op.create_index(op.f("ix_imports_created_at"), "imports", ["created_at"], unique=False)
    op.create_index(op.f("ix_imports_created_by"), "imports", ["created_by"], unique=False)

    op.create_table(
        "imported_records",
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("import_id", sa.String(length=36), nullable=False),
        sa.Column("report_id", sa.String(length=36), nullable=True),
        sa.Column("sighting_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(report_id IS NULL) <> (sighting_id IS NULL)",
            name=op.f("ck_imported_records_one_record"),
        ),
        sa.ForeignKeyConstraint(
            ["import_id"], ["imports.id"], name=op.f("fk_imported_records_import_id_imports")
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name=op.f("fk_imported_records_report_id_reports"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sighting_id"],
            ["sightings.id"],
            name=op.f("fk_imported_records_sighting_id_sightings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("fingerprint", name=op.f("pk_imported_records")),
    )
    op.create_index(
        op.f("ix_imported_records_import_id"), "imported_records", ["import_id"], unique=False
    )
    op.create_index(
        op.f("ix_imported_records_report_id"), "imported_records", ["report_id"], unique=False
    )
    op.create_index(
        op.f("ix_imported_records_sighting_id"), "imported_records", ["sighting_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_imported_records_sighting_id"), table_name="imported_records")
    op.drop_index(op.f("ix_imported_records_report_id"), table_name="imported_records")
    op.drop_index(op.f("ix_imported_records_import_id"), table_name="imported_records")
    op.drop_table("imported_records")
    op.drop_index(op.f("ix_imports_created_by"), table_name="imports")
    op.drop_index(op.f("ix_imports_created_at"), table_name="imports")
    op.drop_table("imports")
