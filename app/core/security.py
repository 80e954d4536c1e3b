"""Who is calling: roles, the caller's principal, bearer-token authentication, the write
limit, and role gates.

The tokens themselves are the users domain's: `create_app` hands the app its `Authenticator`
(`app.state.authenticate`). This floor, which every domain imports, imports none of them, and
every router, the audit trail's included, gates its routes with the same `require`.
"""

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Annotated, Any, Protocol

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from app.core.database import SessionDep
from app.core.deps import SettingsDep
from app.core.problems import Forbidden, Unauthorized
from app.core.ratelimit import WRITE_METHODS, RateLimits


class Role(StrEnum):
    family = "family"
    field = "field"
    coordinator = "coordinator"
    admin = "admin"


@dataclass(frozen=True)
class Principal:
    user_id: str
    role: Role

    @property
    def sees_everything(self) -> bool:
        return self.role in (Role.coordinator, Role.admin)


class Authenticator(Protocol):
    def __call__(self, session: Session, token: str, *, lifetime: timedelta) -> Principal | None:
        """The caller of a live token issued at most `lifetime` ago; None for any other token,
        alike (unknown, revoked, expired, or its user disabled)."""


# Declares the scheme in the OpenAPI schema; the answer to a missing token stays ours (401).
_bearer = HTTPBearer(
    auto_error=False,
    description="A token made by `ridni users add` or `ridni users token`, or by an admin "
    "through `/api/v1/users`; it expires, and an admin can revoke it.",
)


def current_principal(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller of a valid token; 401 (one answer for every reason) before any limit, so
    that only callers we know are counted, and a write counted against the caller's limit."""
    if credentials is None or not credentials.credentials.strip():
        raise Unauthorized()
    authenticate: Authenticator = request.app.state.authenticate
    lifetime = timedelta(days=settings.token_lifetime_days)
    principal = authenticate(session, credentials.credentials.strip(), lifetime=lifetime)
    if principal is None:
        raise Unauthorized()
    # For the request log line and for the audit row of a refusal that follows (403, 404).
    request.state.principal = principal
    if request.method in WRITE_METHODS:
        rate_limits(request).spend_write(principal.user_id)
    return principal


def rate_limits(request: Request) -> RateLimits:
    limits: RateLimits = request.app.state.rate_limits
    return limits


def require(*roles: Role) -> Any:
    """A dependency that lets only the given roles through (403 for any other role)."""

    def gate(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if principal.role not in roles:
            raise Forbidden("This role may not use this endpoint.")
        return principal

    return Depends(gate)
