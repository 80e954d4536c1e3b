"""Every query on users."""

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.core.pagination import page, split_page
from app.core.security import Role
from app.users.models import ConsoleSession, Credentials, Enrolment, User


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


# --- console sign-in -------------------------------------------------------------------------
def by_login(session: Session, login: str, *, for_update: bool = False) -> User | None:
    """The user with this login; with `for_update`, locked so that failures count one by one."""
    stmt = select(User).where(User.login == login)
    if for_update:
        stmt = stmt.with_for_update()
    return session.scalars(stmt).one_or_none()


def login_taken(session: Session, login: str, *, other_than: str | None = None) -> bool:
    stmt = select(User.id).where(User.login == login)
    if other_than is not None:
        stmt = stmt.where(User.id != other_than)
    return session.scalars(stmt).first() is not None


def credentials(session: Session, user_id: str) -> Credentials | None:
    return session.scalars(select(Credentials).where(Credentials.user_id == user_id)).one_or_none()


def set_credentials(session: Session, new: Credentials) -> None:
    """Replace the user's credentials (an enrolment again replaces the earlier one)."""
    session.execute(delete(Credentials).where(Credentials.user_id == new.user_id))
    session.add(new)
    session.flush()


def enrolment_by_code_hash(session: Session, code_hash: str) -> Enrolment | None:
    return session.scalars(select(Enrolment).where(Enrolment.code_hash == code_hash)).one_or_none()


def drop_unused_enrolments(session: Session, user_id: str) -> None:
    session.execute(
        delete(Enrolment).where(Enrolment.user_id == user_id, Enrolment.used_at.is_(None))
    )


def drop_sessions(
    session: Session,
    user_id: str,
    *,
    idle_since: datetime | None = None,
    started_before: datetime | None = None,
) -> None:
    """The user's sessions; given the times, only those idle since or started before them."""
    stmt = delete(ConsoleSession).where(ConsoleSession.user_id == user_id)
    if idle_since is not None and started_before is not None:
        stmt = stmt.where(
            (ConsoleSession.last_seen_at <= idle_since)
            | (ConsoleSession.created_at <= started_before)
        )
    session.execute(stmt)


def drop_session(session: Session, id_hash: str) -> None:
    session.execute(delete(ConsoleSession).where(ConsoleSession.id_hash == id_hash))


def names(session: Session, ids: Iterable[str]) -> dict[str, User]:
    """The users with these ids (for showing who decided)."""
    wanted = set(ids)
    if not wanted:
        return {}
    return {user.id: user for user in session.scalars(select(User).where(User.id.in_(wanted)))}
