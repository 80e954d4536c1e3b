"""Every query on users."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.pagination import page, split_page
from app.core.security import Role
from app.users.models import User


def by_token_hash(session: Session, token_hash: str) -> User | None:
    return session.scalars(select(User).where(User.token_hash == token_hash)).one_or_none()


def get(session: Session, user_id: str, *, for_update: bool = False) -> User | None:
    """The user; with `for_update`, read afresh and locked until the transaction ends."""
    if for_update:
        return session.get(User, user_id, with_for_update=True, populate_existing=True)
    return session.get(User, user_id)


def named(session: Session, name: str) -> list[User]:
    return list(session.scalars(select(User).where(User.name == name)))


def everyone(session: Session) -> list[User]:
    """Every user, oldest first (for the command line: there are few)."""
    return list(session.scalars(select(User).order_by(User.created_at, User.id)))


def list_page(
    session: Session, *, limit: int, cursor: str | None, role: str | None = None
) -> tuple[list[User], str | None]:
    stmt = select(User)
    if role is not None:
        stmt = stmt.where(User.role == role)
    rows = list(session.scalars(page(stmt, User, limit=limit, cursor=cursor)))
    return split_page(rows, limit)


def lock_enabled_admins(session: Session) -> set[str]:
    """The ids of enabled admins, locked until the transaction ends (PostgreSQL), so that two
    admins demoting each other at once cannot both see the other as the one left."""
    return set(
        session.scalars(
            select(User.id)
            .where(User.role == Role.admin.value, User.disabled.is_(False))
            .with_for_update()
        )
    )


def add(session: Session, user: User) -> User:
    session.add(user)
    session.flush()
    return user
