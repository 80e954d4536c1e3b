import hashlib
import secrets

from sqlalchemy.orm import Session

from app.users import repository
from app.users.models import Role, User

TOKEN_PREFIX = "rdn_"  # noqa: S105 - a label that lets secret scanners spot leaked tokens


def hash_token(token: str) -> str:
    # Tokens carry 256 random bits, so a fast hash is enough: there is nothing to brute-force.
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(session: Session, *, name: str, role: Role) -> tuple[User, str]:
    """Create a user and return it with its bearer token, which is not kept anywhere."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    user = repository.add(session, User(name=name, role=role.value, token_hash=hash_token(token)))
    return user, token


def authenticate(session: Session, token: str) -> User | None:
    return repository.by_token_hash(session, hash_token(token))
