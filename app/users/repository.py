from sqlalchemy import select
from sqlalchemy.orm import Session

from app.users.models import User


def by_token_hash(session: Session, token_hash: str) -> User | None:
    return session.scalars(
        select(User).where(User.token_hash == token_hash, User.disabled.is_(False))
    ).one_or_none()


def add(session: Session, user: User) -> User:
    session.add(user)
    session.flush()
    return user
