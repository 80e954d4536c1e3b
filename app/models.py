"""Every table, imported in one place so that Alembic sees the whole schema."""

from app.audit.models import AuditEvent
from app.core.idempotency import IdempotencyKey
from app.core.models import Base
from app.imports.models import Import, ImportedRecord
from app.matches.duplicates.models import Duplicate, DuplicateEvent
from app.matches.models import (
    Match,
    MatchEvent,
    MatchingQueueItem,
    ReportCodes,
    ReportKey,
    ReportTerm,
    SightingKey,
)
from app.photos.models import Photo
from app.reports.models import Report, ReportSibling
from app.sightings.models import SeenTogether, Sighting
from app.users.models import ConsoleSession, Credentials, Enrolment, User

__all__ = [
    "AuditEvent",
    "Base",
    "ConsoleSession",
    "Credentials",
    "Duplicate",
    "DuplicateEvent",
    "Enrolment",
    "IdempotencyKey",
    "Import",
    "ImportedRecord",
    "Match",
    "MatchEvent",
    "MatchingQueueItem",
    "Photo",
    "Report",
    "ReportCodes",
    "ReportKey",
    "ReportSibling",
    "ReportTerm",
    "SeenTogether",
    "Sighting",
    "SightingKey",
    "User",
]
