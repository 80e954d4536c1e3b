"""Users and their bearer tokens: issued, shown once, stored as a hash, expired, revoked."""

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from app.core.idempotency import idempotent
from app.core.models import utcnow
from app.core.problems import Conflict, NotFound, Unprocessable
from app.core.security import Principal, Role
from app.users import credentials, repository
from app.users.models import User
from app.users.schemas import TokenOut, UserChanges, UserIn, UserOut

TOKEN_PREFIX = "rdn_"  # noqa: S105 - a label that lets secret scanners spot leaked tokens


def hash_token(token: str) -> str:
    # Tokens carry 256 random bits, so a fast hash is enough: there is nothing to brute-force.
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(
    session: Session, *, name: str, role: Role, login: str | None = None
) -> tuple[User, str]:
    """Create a user and return it with its bearer token, which is not kept anywhere."""
    _refuse_taken_login(session, login, user_id=None)
    user = User(name=name, role=role.value, login=login)
    token, _ = _give_token(user)
    repository.add(session, user)
    return user, token


def issue_token(session: Session, user: User, *, lifetime: timedelta) -> TokenOut:
    """A new token for `user`, replacing (and so revoking) the one it had."""
    token, issued_at = _give_token(user)
    session.flush()
    return TokenOut(
        user_id=user.id, token=token, issued_at=issued_at, expires_at=issued_at + lifetime
    )


def revoke_token(session: Session, user: User) -> None:
    """Revoke the token, and sign the user out of the console: revoking ends all access."""
    user.token_hash = None
    user.token_issued_at = None
    credentials.end_sessions(session, user.id)
    session.flush()


def _refuse_taken_login(session: Session, login: str | None, *, user_id: str | None) -> None:
    if login is not None and repository.login_taken(session, login, other_than=user_id):
        raise Conflict("Another user has this login.")


def _give_token(user: User) -> tuple[str, datetime]:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    issued_at = utcnow()
    user.token_hash = hash_token(token)
    user.token_issued_at = issued_at
    return token, issued_at


def token_expires_at(user: User, lifetime: timedelta) -> datetime | None:
    return None if user.token_issued_at is None else user.token_issued_at + lifetime


def authenticate(session: Session, token: str, *, lifetime: timedelta) -> User | None:
    """The user whose live token this is; None for an unknown, revoked or expired token and
    for a disabled user, alike."""
    presented = hash_token(token)
    # The lookup's timing depends only on the SHA-256 of what was presented, which nobody can
    # steer towards a stored hash. The database finds the row by its own comparison rules;
    # the decision is taken here, exactly and in constant time.
    user = repository.by_token_hash(session, presented)
    if user is None or user.token_hash is None:
        return None
    if not hmac.compare_digest(user.token_hash, presented):
        return None
    expires_at = token_expires_at(user, lifetime)
    if user.disabled or expires_at is None or expires_at <= utcnow():
        return None
    return user


def principal_of(session: Session, token: str, *, lifetime: timedelta) -> Principal | None:
    """The users domain's `Authenticator`, which `create_app` hands to the role gates."""
    user = authenticate(session, token, lifetime=lifetime)
    return None if user is None else Principal(user_id=user.id, role=Role(user.role))


# --- administration through the API ---------------------------------------------------------
def register(
    session: Session,
    data: UserIn,
    *,
    admin_id: str,
    idempotency_key: str | None,
    stale_after: timedelta,
) -> tuple[User, str | None]:
    """Create a user. A retry with the same Idempotency-Key gets the user back without a token:
    the token was never kept, and a retry changes nothing (issue a new one if it was lost)."""
    with idempotent(
        session,
        owner_id=admin_id,
        resource=User,
        key=idempotency_key,
        body=data.model_dump(mode="json"),
        stale_after=stale_after,
    ) as claim:
        if claim.replay_id is not None:
            return get_user(session, claim.replay_id), None
        user, token = create_user(session, name=data.name, role=data.role, login=data.login)
        claim.complete(user.id)
        return user, token


def get_user(session: Session, user_id: str) -> User:
    user = repository.get(session, user_id)
    if user is None:
        raise NotFound()
    return user


def list_users(
    session: Session, *, limit: int, cursor: str | None, role: Role | None
) -> tuple[list[User], str | None]:
    return repository.list_page(
        session, limit=limit, cursor=cursor, role=role.value if role is not None else None
    )


def change_user(session: Session, user_id: str, changes: UserChanges) -> User:
    """Change a user's role or disable it; refused (409) when no enabled admin would be left,
    so that nobody can lock every admin out of the API by mistake."""
    for field in ("role", "disabled", "login"):
        if field in changes.model_fields_set and getattr(changes, field) is None:
            raise Unprocessable(
                f"{field} cannot be cleared",
                errors=[{"loc": ["body", field], "msg": "must not be null", "type": "missing"}],
            )
    # Admins first, then the user: every change takes its locks in the same order.
    admins = repository.lock_enabled_admins(session)
    user = repository.get(session, user_id, for_update=True)
    if user is None:
        raise NotFound()
    role = changes.role.value if changes.role is not None else user.role
    disabled = changes.disabled if changes.disabled is not None else user.disabled
    stays_admin = role == Role.admin and not disabled
    if user.id in admins and not stays_admin and admins <= {user.id}:
        raise Conflict("This would leave no enabled admin; make another user an admin first.")
    if changes.login is not None:
        _refuse_taken_login(session, changes.login, user_id=user.id)
        user.login = changes.login
    if disabled and not user.disabled:
        credentials.end_sessions(session, user.id)
    user.role = role
    user.disabled = disabled
    session.flush()
    return user


def to_out(user: User, lifetime: timedelta) -> UserOut:
    return UserOut(
        id=user.id,
        name=user.name,
        role=Role(user.role),
        login=user.login,
        disabled=user.disabled,
        created_at=user.created_at,
        updated_at=user.updated_at,
        token_issued_at=user.token_issued_at,
        token_expires_at=token_expires_at(user, lifetime),
    )


# --- the command line ------------------------------------------------------------------------
def find_user(session: Session, reference: str) -> User:
    """A user by id or login, or by name when exactly one user has that name; LookupError
    otherwise."""
    user = repository.get(session, reference) or repository.by_login(
        session, credentials.normal_login(reference)
    )
    if user is not None:
        return user
    named = repository.named(session, reference)
    if len(named) == 1:
        return named[0]
    if named:
        raise LookupError(f"{len(named)} users have that name; give the id (ridni users list)")
    raise LookupError("no user has that id or name (ridni users list)")
