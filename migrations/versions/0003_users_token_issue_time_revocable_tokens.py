"""users: the time each token was issued (for expiry); a revoked token has no hash

Tokens out before this migration count as issued when their user was created, the only time a
token could be issued until now.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("token_issued_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE users SET token_issued_at = created_at")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column("token_hash", existing_type=sa.String(length=64), nullable=True)
        batch_op.create_check_constraint(
            op.f("ck_users_token"), "(token_hash IS NULL) = (token_issued_at IS NULL)"
        )


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_users_token"), type_="check")
    # A revoked token gets a placeholder that no SHA-256 hex digest can equal.
    op.execute("UPDATE users SET token_hash = 'revoked:' || id WHERE token_hash IS NULL")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column("token_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_column("token_issued_at")
