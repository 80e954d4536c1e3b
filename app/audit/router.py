"""Reading the audit trail (coordinators and admins). There are no routes that change it."""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import AfterValidator, AwareDatetime, BeforeValidator

from app.audit import service
from app.audit.http import audited
from app.audit.models import Action, ObjectType, Outcome
from app.audit.repository import Filters
from app.audit.schemas import AuditEventOut, AuditPage
from app.core.database import SessionDep
from app.core.dates import in_utc
from app.core.pagination import DEFAULT_LIMIT, Cursor, Limit
from app.core.problems import problem_responses
from app.core.security import Principal, Role, require
from app.core.text import NulFree

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])

Auditor = Annotated[Principal, require(Role.coordinator, Role.admin)]
RecordIdFilter = Annotated[NulFree | None, Query(max_length=36)]


def _date_time_text(value: Any) -> Any:
    # Pydantic would also take "1714521600" or "0.5" as a Unix time; the schema says date-time.
    if isinstance(value, str):
        try:
            datetime.fromisoformat(value)
        except ValueError:
            raise ValueError("must be an RFC 3339 date-time") from None
    return value


def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else in_utc(value)


Moment = Annotated[
    AwareDatetime | None,
    BeforeValidator(_date_time_text),
    AfterValidator(_utc),
    Query(description="RFC 3339, with a time zone."),
]


@router.get(
    "",
    response_model=AuditPage,
    dependencies=[audited(Action.audit_read)],
    responses=problem_responses(401, 403, 422),
)
def list_audit_events(
    _principal: Auditor,
    session: SessionDep,
    user_id: RecordIdFilter = None,
    object_type: ObjectType | None = None,
    object_id: RecordIdFilter = None,
    action: Action | None = None,
    outcome: Outcome | None = None,
    since: Moment = None,
    until: Moment = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> AuditPage:
    """Who read, changed or was refused which record, newest first. `since` is inclusive,
    `until` exclusive."""
    filters = Filters(
        user_id=user_id,
        object_type=object_type,
        object_id=object_id,
        action=action,
        outcome=outcome,
        since=since,
        until=until,
    )
    rows, next_cursor = service.list_events(session, filters, limit=limit, cursor=cursor)
    return AuditPage(
        items=[AuditEventOut.model_validate(row, from_attributes=True) for row in rows],
        next_cursor=next_cursor,
    )
