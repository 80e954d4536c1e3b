from datetime import datetime

from pydantic import Field

from app.audit.models import Action, ObjectType, Outcome
from app.core.schemas import OutputModel


class AuditEventOut(OutputModel):
    id: str
    created_at: datetime
    request_id: str | None = Field(description="The X-Request-ID of the request; null outside one.")
    user_id: str | None = Field(description="Who; null when no valid token was given.")
    role: str | None
    action: Action
    object_type: ObjectType
    object_id: str | None = Field(description="The record; null for a list refused as a whole.")
    outcome: Outcome


class AuditPage(OutputModel):
    items: list[AuditEventOut]
    next_cursor: str | None
