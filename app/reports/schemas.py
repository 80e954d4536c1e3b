from datetime import datetime

from pydantic import Field

from app.core.dates import PartialDateText
from app.core.person import NamedPerson, PersonFields, PersonOut
from app.core.schemas import InputModel, OutputModel
from app.core.text import Name, ShortText, TextField
from app.reports.models import ReportStatus


class Child(NamedPerson):
    home_settlement: Name | None = None


class ChildChanges(PersonFields):
    """Fields of the child to change; the merged description must still name the child."""

    home_settlement: Name | None = None


class LastSeen(InputModel):
    date: PartialDateText | None = None
    place: Name | None = None


class Reporter(InputModel):
    name: Name | None = None
    relationship: ShortText | None = None
    phone: ShortText | None = None
    email: ShortText | None = None


class ReportIn(InputModel):
    child: Child
    last_seen: LastSeen | None = None
    circumstances: TextField | None = None
    reporter: Reporter | None = None


class ReportChanges(InputModel):
    """A merge patch: fields sent replace the stored ones, null clears, absent keeps."""

    child: ChildChanges | None = None
    last_seen: LastSeen | None = None
    circumstances: TextField | None = None
    reporter: Reporter | None = None
    status: ReportStatus | None = None


class ChildOut(PersonOut):
    home_settlement: str | None


class LastSeenOut(OutputModel):
    date: str | None
    place: str | None


class ReporterOut(OutputModel):
    name: str | None
    relationship: str | None
    phone: str | None
    email: str | None


class ReportOut(OutputModel):
    id: str
    status: ReportStatus
    created_at: datetime
    updated_at: datetime
    child: ChildOut
    last_seen: LastSeenOut | None
    circumstances: str | None
    reporter: ReporterOut | None = Field(
        default=None, description="Shown to the report's owner, coordinators and admins only."
    )


class ReportPage(OutputModel):
    items: list[ReportOut]
    next_cursor: str | None
