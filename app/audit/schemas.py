from datetime import datetime

from pydantic import Field

from app.audit.models import Action, ObjectType, Outcome
from app.core.schemas import OutputModel


class AuditEventOut(OutputModel):
    id: str
    """The event's id."""
    created_at: datetime
    """When (RFC 3339, UTC)."""
    request_id: str | None = Field(description="The X-Request-ID of the request; null outside one.")
    user_id: str | None = Field(description="Who; null when no valid token was given.")
    role: str | None
    """The caller's role then; null when no valid token was given."""
    action: Action
    """What was done or tried: report.read, sighting.create, match.decide, ..."""
    object_type: ObjectType
    """The kind of record: report, sighting, match, ..."""
    object_id: str | None = Field(description="The record; null for a list refused as a whole.")
    outcome: Outcome
    """allowed, replayed, unauthenticated, forbidden, hidden or not_found."""


class AuditPage(OutputModel):
    items: list[AuditEventOut]
    """Events, newest first."""
    next_cursor: str | None
    """Pass as `cursor` for the next page; null on the last page."""
