"""Every query on the audit trail. There is no update and no delete here, by design."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent, ObjectType
from app.core.models import Base
from app.core.pagination import page, split_page

# The table of each object type that names records (exports and the trail itself name none).
# Found by name in the schema, so that the trail, which every domain writes, knows no domain.
TABLES = {
    ObjectType.report: "reports",
    ObjectType.sighting: "sightings",
    ObjectType.match: "matches",
    ObjectType.duplicate: "duplicates",
    ObjectType.user: "users",
    ObjectType.import_: "imports",
    ObjectType.photo: "photos",
}


@dataclass(frozen=True)
class Filters:
    user_id: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    action: str | None = None
    outcome: str | None = None
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive


def add(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(AuditEvent), list(rows))


def exists(session: Session, object_type: str, object_id: str) -> bool:
    """Whether a record exists at all, whoever may see it (to tell `hidden` from `not_found`)."""
    name = TABLES.get(ObjectType(object_type))
    if name is None:
        return False
    table = Base.metadata.tables[name]
    return session.scalar(select(table.c.id).where(table.c.id == object_id)) is not None


def list_page(
    session: Session, filters: Filters, *, limit: int, cursor: str | None
) -> tuple[list[AuditEvent], str | None]:
    stmt = select(AuditEvent)
    for column in ("user_id", "object_type", "object_id", "action", "outcome"):
        value = getattr(filters, column)
        if value is not None:
            stmt = stmt.where(getattr(AuditEvent, column) == value)
    if filters.since is not None:
        stmt = stmt.where(AuditEvent.created_at >= filters.since)
    if filters.until is not None:
        stmt = stmt.where(AuditEvent.created_at < filters.until)
    rows = list(session.scalars(page(stmt, AuditEvent, limit=limit, cursor=cursor)))
    return split_page(rows, limit)
