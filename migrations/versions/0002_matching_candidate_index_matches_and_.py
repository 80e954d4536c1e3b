"""matching: candidate index, matches and their history

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "matches",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("report_id", sa.String(length=36), nullable=False),
        sa.Column("sighting_id", sa.String(length=36), nullable=False),
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
            name=op.f("ck_matches_status"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_matches_decided_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.id"], name=op.f("fk_matches_report_id_reports")
        ),
        sa.ForeignKeyConstraint(
            ["sighting_id"], ["sightings.id"], name=op.f("fk_matches_sighting_id_sightings")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_matches")),
        sa.UniqueConstraint(
            "report_id", "sighting_id", name=op.f("uq_matches_report_id_sighting_id")
        ),
    )
    op.create_index(op.f("ix_matches_created_at"), "matches", ["created_at"], unique=False)
    op.create_index(op.f("ix_matches_report_id"), "matches", ["report_id"], unique=False)
    op.create_index(op.f("ix_matches_sighting_id"), "matches", ["sighting_id"], unique=False)
    op.create_index("ix_matches_status_score", "matches", ["status", "score"], unique=False)
    op.create_index(
        "uq_matches_confirmed_sighting",
        "matches",
        ["sighting_id"],
        unique=True,
        sqlite_where=sa.text("status = 'confirmed'"),
        postgresql_where=sa.text("status = 'confirmed'"),
    )

    op.create_table(
        "report_keys",
        sa.Column("report_id", sa.String(length=36), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name=op.f("fk_report_keys_report_id_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("report_id", "key", name=op.f("pk_report_keys")),
    )
    op.create_index(
        "ix_report_keys_key_report_id", "report_keys", ["key", "report_id"], unique=False
    )

    op.create_table(
        "report_terms",
        sa.Column("report_id", sa.String(length=36), nullable=False),
        sa.Column("term", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name=op.f("fk_report_terms_report_id_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("report_id", "term", name=op.f("pk_report_terms")),
    )
    op.create_index(op.f("ix_report_terms_term"), "report_terms", ["term"], unique=False)

    op.create_table(
        "sighting_keys",
        sa.Column("sighting_id", sa.String(length=36), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["sighting_id"],
            ["sightings.id"],
            name=op.f("fk_sighting_keys_sighting_id_sightings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("sighting_id", "key", name=op.f("pk_sighting_keys")),
    )
    op.create_index(
        "ix_sighting_keys_key_sighting_id", "sighting_keys", ["key", "sighting_id"], unique=False
    )

    op.create_table(
        "match_events",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("match_id", sa.String(length=36), nullable=False),
        sa.Column("actor_id", sa.String(length=36), nullable=True),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("from_status", sa.String(length=10), nullable=True),
        sa.Column("to_status", sa.String(length=10), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_match_events_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["match_id"], ["matches.id"], name=op.f("fk_match_events_match_id_matches")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_events")),
    )
    op.create_index(op.f("ix_match_events_match_id"), "match_events", ["match_id"], unique=False)

    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("matched_with", sa.String(length=40), nullable=True))
        batch_op.create_index(batch_op.f("ix_reports_matched_with"), ["matched_with"], unique=False)

    with op.batch_alter_table("sightings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("matched_with", sa.String(length=40), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_sightings_matched_with"), ["matched_with"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("sightings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sightings_matched_with"))
        batch_op.drop_column("matched_with")

    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reports_matched_with"))
        batch_op.drop_column("matched_with")

    op.drop_index(op.f("ix_match_events_match_id"), table_name="match_events")

    op.drop_table("match_events")
    op.drop_index("ix_sighting_keys_key_sighting_id", table_name="sighting_keys")

    op.drop_table("sighting_keys")
    op.drop_index(op.f("ix_report_terms_term"), table_name="report_terms")

    op.drop_table("report_terms")
    op.drop_index("ix_report_keys_key_report_id", table_name="report_keys")

    op.drop_table("report_keys")
    op.drop_index(
        "uq_matches_confirmed_sighting",
        table_name="matches",
        sqlite_where=sa.text("status = 'confirmed'"),
        postgresql_where=sa.text("status = 'confirmed'"),
    )
    op.drop_index("ix_matches_status_score", table_name="matches")
    op.drop_index(op.f("ix_matches_sighting_id"), table_name="matches")
    op.drop_index(op.f("ix_matches_report_id"), table_name="matches")
    op.drop_index(op.f("ix_matches_created_at"), table_name="matches")

    op.drop_table("matches")
