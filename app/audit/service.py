"""Writing and reading the audit trail.

What gets a row (one row per record, so that "who saw or changed this record" is one filter):
- a request that shows or changes records: one row per record in the answer, with the caller's
  action (a list page of 30 reports: 30 `report.list` rows; an empty page: none; a match shown
  with both its records: `match.read`, `report.read` and `sighting.read`; candidates: the ranked
  record, plus one `*.candidate` row per record ranked). Rows are written in the request's own
  transaction: no write without its row, and no row for an answer that was never given;
- a refusal (401, 403, or 404 for a record the caller may not see or that does not exist): one
  row in a transaction of its own, kept although the request's transaction rolls back;
- what the service does by itself as a consequence (proposals, withdrawals, a report becoming
  located when a match is confirmed) is in the match history, not here; invalid requests (400,
  409, 413, 415, 422) touched no record and get no row; reading the trail itself gets a row only
  when refused.

Exports, imports and other commands record their events with `record`, giving the principal
they act for (or None for an operator's command) and an `Action` named `<object type>.<verb>`
(a new object type goes into `ObjectType` too). An export is one row (`export.*`, no record id).
"""

import uuid
from collections.abc import Iterable

from sqlalchemy.orm import Session

from app.audit import repository
from app.audit.models import Action, AuditEvent, Outcome
from app.audit.repository import Filters
from app.core.logs import current_request_id
from app.core.models import new_id, utcnow
from app.core.security import Principal

_REFUSALS = {401: Outcome.unauthenticated, 403: Outcome.forbidden}


def record(
    session: Session,
    principal: Principal | None,
    action: Action,
    object_ids: Iterable[str | None],
    *,
    outcome: Outcome = Outcome.allowed,
) -> None:
    """Add one row per object id to the caller's transaction (None: an action on no one record)."""
    base = {
        # Filled here, not by the columns' defaults: a page lists 150 records, and the
        # defaults run per row.
        "created_at": utcnow(),
        "request_id": current_request_id(),
        "user_id": principal.user_id if principal else None,
        "role": principal.role.value if principal else None,
        "action": action.value,
        "object_type": action.object_type,
        "outcome": outcome.value,
    }
    repository.add(
        session, [{**base, "id": new_id(), "object_id": object_id} for object_id in object_ids]
    )


def record_refusal(
    session: Session,
    principal: Principal | None,
    action: Action,
    requested_id: str | None,
    *,
    status: int,
) -> None:
    """One row for a refused request: 401, 403, or a 404 (`hidden` when the record exists)."""
    object_id = _as_record_id(requested_id)
    if status in _REFUSALS:
        outcome = _REFUSALS[status]
    elif object_id is not None and repository.exists(session, action.object_type, object_id):
        outcome = Outcome.hidden
    else:
        outcome = Outcome.not_found
    record(session, principal, action, [object_id], outcome=outcome)


def list_events(
    session: Session, filters: Filters, *, limit: int, cursor: str | None
) -> tuple[list[AuditEvent], str | None]:
    return repository.list_page(session, filters, limit=limit, cursor=cursor)


def _as_record_id(value: str | None) -> str | None:
    """Record ids are UUIDs; anything else a caller put in a path is not kept (it could be text)."""
    if value is None:
        return None
    try:
        canonical = str(uuid.UUID(value))
    except ValueError:
        return None
    return canonical if canonical == value else None
