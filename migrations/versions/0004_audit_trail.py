"""audit trail: an append-only table, guarded by a trigger on both databases

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27

The triggers refuse every UPDATE and DELETE of audit rows (and, on PostgreSQL, TRUNCATE), for
every role, the owner included. In production the service also connects as a role that may only
INSERT and SELECT them (deploy/postgres-roles.sql), so that it cannot even drop the triggers.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MESSAGE = "audit_events is append-only"

POSTGRES_UP = [
    f"""
    CREATE FUNCTION audit_events_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '{MESSAGE}: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
    END
    $$
    """,
    """
    CREATE TRIGGER audit_events_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()
    """,
]
POSTGRES_DOWN = [
    "DROP TRIGGER audit_events_append_only ON audit_events",
    "DROP FUNCTION audit_events_append_only()",
]
SQLITE_UP = [
    f"""
    CREATE TRIGGER audit_events_no_{operation.lower()}
    BEFORE {operation} ON audit_events
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}: {operation} refused'); END
    """
    for operation in ("UPDATE", "DELETE")
]
SQLITE_DOWN = ["DROP TRIGGER audit_events_no_update", "DROP TRIGGER audit_events_no_delete"]


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_id", sa.String(length=32), nullable=True),
        sa.Column("user_id", sa.String(length=36), nullable=True),
        sa.Column("role", sa.String(length=20), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("object_type", sa.String(length=20), nullable=False),
        sa.Column("object_id", sa.String(length=36), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('allowed', 'replayed', 'unauthenticated', 'forbidden', 'hidden', "
            "'not_found')",
            name=op.f("ck_audit_events_outcome"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_index(
        op.f("ix_audit_events_created_at"), "audit_events", ["created_at"], unique=False
    )
    op.create_index(op.f("ix_audit_events_object_id"), "audit_events", ["object_id"], unique=False)
    op.create_index(op.f("ix_audit_events_user_id"), "audit_events", ["user_id"], unique=False)
    for statement in POSTGRES_UP if _on_postgres() else SQLITE_UP:
        op.execute(statement)


def downgrade() -> None:
    for statement in POSTGRES_DOWN if _on_postgres() else SQLITE_DOWN:
        op.execute(statement)
    op.drop_index(op.f("ix_audit_events_user_id"), table_name="audit_events")
    op.drop_index(op.f("ix_audit_events_object_id"), table_name="audit_events")
    op.drop_index(op.f("ix_audit_events_created_at"), table_name="audit_events")
    op.drop_table("audit_events")


def _on_postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"
