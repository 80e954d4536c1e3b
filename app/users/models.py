from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.models import ID, Base, Timestamped, new_id, utcnow
from app.core.security import Role
from app.crypto.orm import sealed_column


class User(Timestamped, Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(f"role IN ({', '.join(repr(r.value) for r in Role)})", name="role"),
        # A token is its hash and the moment it was issued; a revoked token loses both.
        CheckConstraint("(token_hash IS NULL) = (token_issued_at IS NULL)", name="token"),
        Index("uq_users_login", "login", unique=True),
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
    # What the user signs in to the console with: lower-case, unique, not a name (never shown
    # as one). None until an admin gives one.
    login: Mapped[str | None] = mapped_column(String(64))
    # Sign-in failures in a row, and until when the login is locked after too many.
    failed_sign_ins: Mapped[int] = mapped_column(server_default="0")
    locked_until: Mapped[datetime | None]


class Credentials(Base):
    """A user's console credentials, set by enrolment (app/users/credentials.py). A table of
    their own, so that loading a user (every API request) never opens the sealed secret."""

    __tablename__ = "user_credentials"

    # An id of its own like every table with a sealed column (the key tools page by `id`).
    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    # argon2id, as argon2-cffi encodes it (parameters and salt included).
    password_hash: Mapped[str] = mapped_column(String(200))
    # Encrypted at rest: whoever reads it can make the user's one-time codes.
    totp_secret: Mapped[str | None] = sealed_column()
    # The last TOTP time step a sign-in used, so that a code seen over a shoulder is spent.
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Enrolment(Base):
    """A one-time invitation to set a password and a second factor: the code is shown once
    (as a path, `/console/enrol/<code>`) and only its hash is kept."""

    __tablename__ = "enrolments"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Chosen with the invitation, so that the page shows the same secret every time it loads.
    totp_secret: Mapped[str | None] = sealed_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class ConsoleSession(Base):
    """A signed-in browser: the cookie holds a random id, the table its SHA-256."""

    __tablename__ = "console_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
