"""Signing in to the console: logins, enrolment codes, passwords, one-time codes, sessions.

- An admin invites a user (`ridni users invite`): a one-time code, valid 24 hours, shown once as
  the path `/console/enrol/<code>`; only its SHA-256 is kept. The invitation also picks the
  user's TOTP secret, so that the enrolment page shows the same secret each time it loads.
- Enrolling sets a password (hashed with argon2id) and the TOTP secret (sealed at rest), once a
  first one-time code proves the authenticator holds the secret.
- Signing in takes login, password and one-time code together; five failures in a row lock the
  login for 15 minutes, whichever factor was wrong (the answer never says which).
- A session is a random id in a cookie; the table holds its SHA-256. It ends after 30 idle
  minutes, 12 hours after sign-in, on sign-out, and when the user is disabled or revoked.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from app.core.models import utcnow
from app.users import repository
from app.users.models import ConsoleSession, Credentials, Enrolment, User

ENROLMENT_LIFETIME = timedelta(hours=24)
SESSION_IDLE = timedelta(minutes=30)
SESSION_MAX = timedelta(hours=12)
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
PASSWORD_MIN = 12
PASSWORD_MAX = 1000
ENROL_PATH = "/console/enrol/"
TOTP_ISSUER = "Ridni"

# argon2-cffi's defaults are argon2id with the RFC 9106 low-memory parameters.
STANDARD_HASHER = PasswordHasher()
_hasher = STANDARD_HASHER
# Checked when the login is unknown, so that an unknown login takes as long as a known one;
# made on first use, not by every process that imports this module.
_nobody_hash: str | None = None


def hash_passwords_with(hasher: PasswordHasher) -> None:
    """Hash new passwords with `hasher` from now on. Only the test suite calls this, to make its
    hundreds of enrolments and sign-ins cheap; the service always uses STANDARD_HASHER. A hash
    records its own parameters, so that verifying never depends on this choice."""
    global _hasher, _nobody_hash
    _hasher = hasher
    _nobody_hash = None


def _unknown_login_hash() -> str:
    global _nobody_hash
    if _nobody_hash is None:
        _nobody_hash = _hasher.hash(secrets.token_urlsafe(16))
    return _nobody_hash


def _sha256(text: str) -> str:
    # The codes and session ids carry 192 bits or more of randomness: a fast hash is enough.
    return hashlib.sha256(text.encode()).hexdigest()


# --- invitations and enrolment ---------------------------------------------------------------
class NoLogin(Exception):
    """The user has no login yet: there would be nothing to sign in with."""


def invite(session: Session, user: User) -> str:
    """A new enrolment path for `user`, replacing any invitation not yet used."""
    if user.login is None:
        raise NoLogin()
    repository.drop_unused_enrolments(session, user.id)
    code = secrets.token_urlsafe(24)
    session.add(
        Enrolment(
            user_id=user.id,
            code_hash=_sha256(code),
            totp_secret=pyotp.random_base32(),
            expires_at=utcnow() + ENROLMENT_LIFETIME,
        )
    )
    session.flush()
    return ENROL_PATH + code


def open_enrolment(session: Session, code: str) -> tuple[Enrolment, User] | None:
    """The invitation and its user, while the code is unused and unexpired and the user enabled."""
    enrolment = repository.enrolment_by_code_hash(session, _sha256(code))
    if enrolment is None or enrolment.used_at is not None or enrolment.expires_at <= utcnow():
        return None
    user = session.get(User, enrolment.user_id)
    if user is None or user.disabled:
        return None
    return enrolment, user


def enrolment_secret(enrolment: Enrolment) -> str:
    """The TOTP secret the invitation chose (base32, as authenticator apps take it)."""
    if enrolment.totp_secret is None:  # `invite` always sets one
        raise ValueError("an enrolment without a secret")
    return enrolment.totp_secret


def provisioning_uri(enrolment: Enrolment, user: User) -> str:
    """What the QR code holds: the `otpauth://` URI authenticator apps read."""
    return pyotp.TOTP(enrolment_secret(enrolment)).provisioning_uri(
        name=user.login or user.id, issuer_name=TOTP_ISSUER
    )


class EnrolmentProblem(StrEnum):
    passwords_differ = "passwords_differ"
    password_length = "password_length"  # noqa: S105 - a label, not a password
    wrong_code = "wrong_code"


def enrol(
    session: Session, enrolment: Enrolment, user: User, *, password: str, repeat: str, code: str
) -> EnrolmentProblem | None:
    """Set the user's password and second factor; the invitation is spent. None on success."""
    if not hmac.compare_digest(password.encode(), repeat.encode()):
        return EnrolmentProblem.passwords_differ
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        return EnrolmentProblem.password_length
    secret = enrolment_secret(enrolment)
    if _totp_step(secret, code) is None:
        return EnrolmentProblem.wrong_code
    repository.set_credentials(
        session,
        Credentials(user_id=user.id, password_hash=_hasher.hash(password), totp_secret=secret),
    )
    user.failed_sign_ins = 0
    user.locked_until = None
    enrolment.used_at = utcnow()
    # New credentials: a browser signed in with the old ones is signed out.
    end_sessions(session, user.id)
    session.flush()
    return None


def _totp_step(secret: str, code: str, *, after: int | None = None) -> int | None:
    """The time step whose code this is (the current one or a neighbour, for clock drift),
    later than `after`; None if it is none of them."""
    code = code.strip().replace(" ", "")
    if not (code.isascii() and code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now = totp.timecode(utcnow())
    for step in (now - 1, now, now + 1):
        if (after is None or step > after) and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


# --- signing in ------------------------------------------------------------------------------
class SignInOutcome(StrEnum):
    signed_in = "signed_in"
    failed = "failed"
    locked = "locked"


@dataclass(frozen=True)
class SignIn:
    outcome: SignInOutcome
    user: User | None = None


def normal_login(login: str) -> str:
    """Logins are compared without regard to case or surrounding spaces."""
    return login.strip().lower()


def sign_in(session: Session, *, login: str, password: str, code: str) -> SignIn:
    """Check all three at once. A failure counts against the login, whichever factor failed;
    the fifth in a row locks the login for 15 minutes, and a locked login checks nothing."""
    user = repository.by_login(session, normal_login(login), for_update=True)
    now = utcnow()
    if user is None:
        _password_matches(_unknown_login_hash(), password)
        return SignIn(SignInOutcome.failed)
    if user.locked_until is not None and user.locked_until > now:
        return SignIn(SignInOutcome.locked)
    held = repository.credentials(session, user.id)
    step = None
    if held is not None and held.totp_secret is not None:
        if _password_matches(held.password_hash, password):
            step = _totp_step(held.totp_secret, code, after=held.totp_last_step)
    else:
        _password_matches(_unknown_login_hash(), password)
    if held is None or step is None or user.disabled:
        user.failed_sign_ins += 1
        if user.failed_sign_ins < MAX_FAILURES:
            session.flush()
            return SignIn(SignInOutcome.failed)
        user.failed_sign_ins = 0
        user.locked_until = now + LOCKOUT
        session.flush()
        return SignIn(SignInOutcome.locked)
    if _hasher.check_needs_rehash(held.password_hash):
        held.password_hash = _hasher.hash(password)
    held.totp_last_step = step
    user.failed_sign_ins = 0
    user.locked_until = None
    session.flush()
    return SignIn(SignInOutcome.signed_in, user)


def known_login(session: Session, login: str) -> str | None:
    """The id of the user with this login, for the audit row of a failed sign-in."""
    user = repository.by_login(session, normal_login(login))
    return user.id if user is not None else None


def _password_matches(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


# --- sessions --------------------------------------------------------------------------------
def start_session(session: Session, user: User) -> str:
    """A new session for `user`; the returned id goes into the cookie and nowhere else."""
    now = utcnow()
    # The user's sessions that have ended by time go, so that the table holds only live ones.
    repository.drop_sessions(
        session, user.id, idle_since=now - SESSION_IDLE, started_before=now - SESSION_MAX
    )
    session_id = secrets.token_urlsafe(32)
    session.add(
        ConsoleSession(
            id_hash=_sha256(session_id), user_id=user.id, created_at=now, last_seen_at=now
        )
    )
    session.flush()
    return session_id


def session_user(session: Session, session_id: str) -> User | None:
    """The user of a live session, whose idle time starts again; None when there is no such
    session, it has ended, or its user is disabled."""
    row = session.get(ConsoleSession, _sha256(session_id))
    if row is None:
        return None
    now = utcnow()
    user = session.get(User, row.user_id)
    if _ended(row, now) or user is None or user.disabled:
        session.delete(row)
        session.flush()
        return None
    row.last_seen_at = now
    session.flush()
    return user


def _ended(row: ConsoleSession, now: datetime) -> bool:
    return row.last_seen_at <= now - SESSION_IDLE or row.created_at <= now - SESSION_MAX


def end_session(session: Session, session_id: str) -> None:
    repository.drop_session(session, _sha256(session_id))


def end_sessions(session: Session, user_id: str) -> None:
    """Sign the user out of every browser."""
    repository.drop_sessions(session, user_id)
