"""Photos of reports and sightings: metadata and the wrapped data key (the images are files)

Revision ID: 0012
Revises: 0011_matching_queue
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011_matching_queue"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "photos",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("report_id", sa.String(length=36), nullable=True),
        sa.Column("sighting_id", sa.String(length=36), nullable=True),
        sa.Column("uploaded_by", sa.String(length=36), nullable=False),
        sa.Column("content_type", sa.String(length=20), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("thumbnail_width", sa.Integer(), nullable=False),
        sa.Column("thumbnail_height", sa.Integer(), nullable=False),
        sa.Column("image_file", sa.String(length=64), nullable=False),
        sa.Column("thumbnail_file", sa.String(length=64), nullable=False),
        sa.Column("caption", sa.Text(), nullable=True),
        sa.Column("data_key", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "(report_id IS NULL) <> (sighting_id IS NULL)", name=op.f("ck_photos_one_record")
        ),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.id"], name=op.f("fk_photos_report_id_reports")
        ),
        sa.ForeignKeyConstraint(
            ["sighting_id"], ["sightings.id"], name=op.f("fk_photos_sighting_id_sightings")
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by"], ["users.id"], name=op.f("fk_photos_uploaded_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_photos")),
        sa.UniqueConstraint("image_file", name=op.f("uq_photos_image_file")),
        sa.UniqueConstraint("thumbnail_file", name=op.f("uq_photos_thumbnail_file")),
    )
    op.create_index(op.f("ix_photos_report_id"), "photos", ["report_id"], unique=False)
    op.create_index(op.f("ix_photos_sighting_id"), "photos", ["sighting_id"], unique=False)


def downgrade() -> None:
    # The files in the photo store stay; without these rows and their keys they open for no one.
    op.drop_index(op.f("ix_photos_sighting_id"), table_name="photos")
    op.drop_index(op.f("ix_photos_report_id"), table_name="photos")
    op.drop_table("photos")
