from datetime import datetime

from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.models import ID, Base, Timestamped, new_id
from app.core.security import Role


class User(Timestamped, Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(f"role IN ({', '.join(repr(r.value) for r in Role)})", name="role"),
        # A token is its hash and the moment it was issued; a revoked token loses both.
        CheckConstraint("(token_hash IS NULL) = (token_issued_at IS NULL)", name="token"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    # SHA-256 of the bearer token: the token itself is shown once and never stored.
    # None once revoked, until a new token is issued.
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The token expires a configured lifetime after this (RIDNI_TOKEN_LIFETIME_DAYS), so that
    # shortening the lifetime shortens every token already out.
    token_issued_at: Mapped[datetime | None]
    disabled: Mapped[bool] = mapped_column(default=False)
