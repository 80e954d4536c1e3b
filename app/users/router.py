"""User management through the API: admins only."""

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Response

from app.audit import service as audit
from app.audit.http import audited
from app.audit.models import Action, Outcome
from app.core.database import SessionDep
from app.core.deps import ClaimLifetime, IdempotencyKeyHeader, RecordId, SettingsDep
from app.core.pagination import DEFAULT_LIMIT, Cursor, Limit
from app.core.problems import problem_responses
from app.core.security import Principal, Role, require
from app.users import service
from app.users.schemas import NewUserOut, TokenOut, UserChanges, UserIn, UserOut, UserPage

router = APIRouter(
    prefix="/api/v1/users", tags=["users"], responses=problem_responses(401, 403, 422)
)

Admin = Annotated[Principal, require(Role.admin)]


def token_lifetime(settings: SettingsDep) -> timedelta:
    return timedelta(days=settings.token_lifetime_days)


Lifetime = Annotated[timedelta, Depends(token_lifetime)]


@router.get("", response_model=UserPage, dependencies=[audited(Action.user_list)])
def list_users(
    principal: Admin,
    session: SessionDep,
    lifetime: Lifetime,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    role: Role | None = None,
) -> UserPage:
    """Every user, newest first."""
    rows, next_cursor = service.list_users(session, limit=limit, cursor=cursor, role=role)
    audit.record(session, principal, Action.user_list, [user.id for user in rows])
    return UserPage(items=[service.to_out(u, lifetime) for u in rows], next_cursor=next_cursor)


@router.post(
    "",
    status_code=201,
    response_model=NewUserOut,
    dependencies=[audited(Action.user_create)],
    responses=problem_responses(400, 409, 413, 415),
)
def create_user(
    body: UserIn,
    principal: Admin,
    session: SessionDep,
    lifetime: Lifetime,
    stale_after: ClaimLifetime,
    idempotency_key: IdempotencyKeyHeader = None,
) -> NewUserOut:
    """Create a user; the answer carries its bearer token, shown this once.

    A retry with the same Idempotency-Key creates nothing and answers `token: null`, since the
    token is not kept: issue a new one with `POST /api/v1/users/{id}/tokens` if it was lost.
    """
    user, token = service.register(
        session,
        body,
        admin_id=principal.user_id,
        idempotency_key=idempotency_key,
        stale_after=stale_after,
    )
    outcome = Outcome.allowed if token is not None else Outcome.replayed
    audit.record(session, principal, Action.user_create, [user.id], outcome=outcome)
    return NewUserOut(**service.to_out(user, lifetime).model_dump(), token=token)


@router.get(
    "/{user_id}",
    response_model=UserOut,
    dependencies=[audited(Action.user_read)],
    responses=problem_responses(404),
)
def get_user(
    user_id: RecordId, principal: Admin, session: SessionDep, lifetime: Lifetime
) -> UserOut:
    """One user: name, role, whether disabled, and when the token was issued and expires."""
    user = service.get_user(session, user_id)
    audit.record(session, principal, Action.user_read, [user.id])
    return service.to_out(user, lifetime)


@router.patch(
    "/{user_id}",
    response_model=UserOut,
    dependencies=[audited(Action.user_update)],
    responses=problem_responses(400, 404, 409, 413, 415),
)
def change_user(
    user_id: RecordId, body: UserChanges, principal: Admin, session: SessionDep, lifetime: Lifetime
) -> UserOut:
    """Change a user's role, or disable or enable it. Refused (409) when no enabled admin
    would be left."""
    user = service.change_user(session, user_id, body)
    audit.record(session, principal, Action.user_update, [user.id])
    return service.to_out(user, lifetime)


@router.post(
    "/{user_id}/tokens",
    status_code=201,
    response_model=TokenOut,
    dependencies=[audited(Action.user_issue_token)],
    responses=problem_responses(404),
)
def issue_token(
    user_id: RecordId, principal: Admin, session: SessionDep, lifetime: Lifetime
) -> TokenOut:
    """A new bearer token for the user, shown this once; the user's earlier token stops working.

    Every call replaces the token, so a retry is safe: the last answer's token is the one that
    works."""
    user = service.get_user(session, user_id)
    audit.record(session, principal, Action.user_issue_token, [user.id])
    return service.issue_token(session, user, lifetime=lifetime)


@router.delete(
    "/{user_id}/tokens",
    status_code=204,
    dependencies=[audited(Action.user_revoke_token)],
    responses=problem_responses(404),
)
def revoke_token(user_id: RecordId, principal: Admin, session: SessionDep) -> Response:
    """Revoke the user's token at once (also when it has none). The user needs a new token."""
    user = service.get_user(session, user_id)
    service.revoke_token(session, user)
    audit.record(session, principal, Action.user_revoke_token, [user.id])
    return Response(status_code=204)
