"""`ridni users add|list|token|revoke|invite`."""

import argparse
import sys
from collections.abc import Callable
from datetime import timedelta

from pydantic import TypeAdapter, ValidationError
from sqlalchemy.orm import Session

from app.cli.database import open_database
from app.core.models import utcnow
from app.core.problems import Conflict
from app.core.security import Role
from app.core.settings import get_settings
from app.crypto.orm import make_session_factory
from app.users import credentials
from app.users.models import User
from app.users.repository import everyone
from app.users.schemas import LOGIN_RULE, Login
from app.users.service import create_user, find_user, issue_token, revoke_token, token_expires_at

_WHO = "the user's id or login, or its name if unique"


def register(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(title="actions")
    add = actions.add_parser("add", help="create a user; prints its bearer token as the last line")
    add.add_argument("--name", required=True)
    add.add_argument("--role", required=True, choices=[role.value for role in Role])
    add.add_argument("--login", help="what the user signs in to the review console with")
    add.set_defaults(run=_add)
    listing = actions.add_parser("list", help="list users: id, role, state, token expiry, name")
    listing.set_defaults(run=_list)
    token = actions.add_parser(
        "token",
        help="issue a new token for a user (the old one stops working); "
        "it is printed as the last line, shown once",
    )
    token.add_argument("--user", required=True, help=_WHO)
    token.set_defaults(run=_token)
    revoke = actions.add_parser("revoke", help="revoke a user's token at once")
    revoke.add_argument("--user", required=True, help=_WHO)
    revoke.set_defaults(run=_revoke)
    invite = actions.add_parser(
        "invite",
        help="a one-time console enrolment path for a user with a login, printed as the last "
        "line (valid 24 hours, usable once)",
    )
    invite.add_argument("--user", required=True, help=_WHO)
    invite.set_defaults(run=_invite)


def _add(args: argparse.Namespace) -> int:
    name = args.name.strip()
    if not name or len(name) > 200:
        print("error: --name must be 1 to 200 characters", file=sys.stderr)
        return 2
    login = None
    if args.login is not None:
        try:
            login = TypeAdapter(Login).validate_python(args.login)
        except ValidationError:
            print(f"error: --login: {LOGIN_RULE}", file=sys.stderr)
            return 2
    engine, keyring = open_database(get_settings())
    try:
        with make_session_factory(engine, keyring)() as session, session.begin():
            user, token = create_user(session, name=name, role=Role(args.role), login=login)
    except Conflict:
        print("error: another user has this login", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(f"created {user.role} user {user.id}; its token is shown once, below:")
    print(token)
    return 0


def _list(_args: argparse.Namespace) -> int:
    settings = get_settings()
    lifetime = timedelta(days=settings.token_lifetime_days)
    engine, keyring = open_database(settings)
    now = utcnow()
    with make_session_factory(engine, keyring)() as session:
        for user in everyone(session):
            expires_at = token_expires_at(user, lifetime)
            if expires_at is None:
                validity = "no token"
            elif expires_at <= now:
                validity = f"expired {expires_at:%Y-%m-%d}"
            else:
                validity = f"expires {expires_at:%Y-%m-%d}"
            state = "disabled" if user.disabled else "enabled"
            print(f"{user.id}  {user.role:<11}  {state:<8}  {validity:<18}  {user.name}")
    engine.dispose()
    return 0


def _token(args: argparse.Namespace) -> int:
    lifetime = timedelta(days=get_settings().token_lifetime_days)

    def issue(session: Session, user: User) -> str:
        issued = issue_token(session, user, lifetime=lifetime)
        note = " (the user is disabled: it works once enabled)" if user.disabled else ""
        return (
            f"new token for {user.role} user {user.id}, valid until "
            f"{issued.expires_at:%Y-%m-%d %H:%M} UTC{note}; the old one no longer works. "
            f"Shown once, below:\n{issued.token}"
        )

    return _on_user(args.user, issue)


def _revoke(args: argparse.Namespace) -> int:
    def revoke(session: Session, user: User) -> str:
        revoke_token(session, user)
        return f"revoked the token of {user.role} user {user.id}; `ridni users token` issues one"

    return _on_user(args.user, revoke)


def _invite(args: argparse.Namespace) -> int:
    def invite(session: Session, user: User) -> str:
        try:
            path = credentials.invite(session, user)
        except credentials.NoLogin:
            raise LookupError(
                "the user has no login: give one first (PATCH /api/v1/users/{id} with a login)"
            ) from None
        return (
            f"enrolment for {user.role} user {user.id} (login {user.login}), valid for 24 hours "
            f"and once; open it on the console's address. Shown once, below:\n{path}"
        )

    return _on_user(args.user, invite)


def _on_user(reference: str, action: Callable[[Session, User], str]) -> int:
    """Run `action` on the user named by id (or unique name) in one transaction; print what
    it says."""
    engine, keyring = open_database(get_settings())
    try:
        with make_session_factory(engine, keyring)() as session, session.begin():
            message = action(session, find_user(session, reference))
    except LookupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(message)
    return 0
