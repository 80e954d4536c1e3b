from datetime import datetime

from pydantic import ConfigDict, Field

from app.core.dates import PartialDateText
from app.core.person import NamedPerson, PersonFields, PersonOut
from app.core.schemas import InputModel, OutputModel, RelatedIds
from app.core.text import Name, ShortText, TextField
from app.reports.models import ReportStatus


class Child(NamedPerson):
    home_settlement: Name | None = None
    """Town or village the child lived in, any script, old or new name."""


class ChildChanges(PersonFields):
    """Fields of the child to change; the merged description must still name the child."""

    home_settlement: Name | None = None
    """Town or village the child lived in, any script, old or new name."""


class LastSeen(InputModel):
    date: PartialDateText | None = None
    """When the child was last seen: YYYY, YYYY-MM or YYYY-MM-DD."""
    place: Name | None = None
    """Where the child was last seen, any script."""


class Reporter(InputModel):
    name: Name | None = None
    """The name of the person filing, any script."""
    relationship: ShortText | None = None
    """How they are related to the child (mother, grandmother, ...)."""
    phone: ShortText | None = None
    """A phone number or messenger handle to reach them (encrypted at rest)."""
    email: ShortText | None = None
    """An email address to reach them (encrypted at rest)."""


class ReportIn(InputModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "child": {
                        "given_name": "Микола",
                        "family_name": "Олійник",
                        "other_names": ["Коля"],
                        "sex": "male",
                        "date_of_birth": "2011-03-12",
                        "home_settlement": "Мелітополь",
                    },
                    "last_seen": {"date": "2022-10", "place": "Херсон"},
                    "reporter": {
                        "name": "Ганна Олійник",
                        "relationship": "mother",
                        "phone": "+380501234567",
                    },
                    "siblings": ["0b7c9e52-3f0a-4d55-9a51-2f1e8c6d4a10"],
                }
            ]
        }
    )

    child: Child
    """The missing child; at least one of given_name, family_name, full_name."""
    last_seen: LastSeen | None = None
    """When and where the child was last seen."""
    circumstances: TextField | None = None
    """What happened, free text (encrypted at rest; never exported)."""
    reporter: Reporter | None = None
    """Who files the report and how to reach them (encrypted at rest)."""
    siblings: RelatedIds | None = None
    """Ids of the reports of the child's brothers and sisters (a family: its own reports;
    coordinators: any), at most 20; the relation is symmetric."""


class ReportChanges(InputModel):
    """A merge patch: fields sent replace the stored ones, null clears, absent keeps."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "child": {"other_names": ["Коля", "Миколка"]},
                    "last_seen": {"date": "2022-10-07", "place": "Херсон"},
                    "siblings": ["0b7c9e52-3f0a-4d55-9a51-2f1e8c6d4a10"],
                }
            ]
        }
    )

    child: ChildChanges | None = None
    """Fields of the child to change; the result must still name the child."""
    last_seen: LastSeen | None = None
    """Replaces when and where the child was last seen; null clears it."""
    circumstances: TextField | None = None
    """Replaces what happened; null clears it."""
    reporter: Reporter | None = None
    """Replaces the reporter; null clears it."""
    status: ReportStatus | None = None
    """open, located or closed (coordinators and admins; a family may not change it)."""
    siblings: RelatedIds | None = None
    """Replaces the siblings the caller may see (a family: its own reports); [] or null
    clears them."""


class ChildOut(PersonOut):
    home_settlement: str | None
    """Town or village the child lived in, as written."""


class LastSeenOut(OutputModel):
    date: str | None
    """When the child was last seen: YYYY, YYYY-MM or YYYY-MM-DD."""
    place: str | None
    """Where the child was last seen."""


class ReporterOut(OutputModel):
    name: str | None
    """The name of the person who filed."""
    relationship: str | None
    """How they are related to the child."""
    phone: str | None
    """Their phone number or messenger handle."""
    email: str | None
    """Their email address."""


class ReportOut(OutputModel):
    id: str
    """The report's id (a UUID)."""
    status: ReportStatus
    """open; located once a coordinator confirmed a sighting of the child; closed."""
    created_at: datetime
    """When the report was filed (RFC 3339, UTC)."""
    updated_at: datetime
    """When the report was last changed (RFC 3339, UTC)."""
    child: ChildOut
    """The missing child, exactly as described."""
    last_seen: LastSeenOut | None
    """When and where the child was last seen."""
    circumstances: str | None
    """What happened, free text."""
    reporter: ReporterOut | None = Field(
        default=None, description="Shown to the report's owner, coordinators and admins only."
    )
    siblings: list[str] | None = Field(
        default=None,
        description="Ids of the reports of the child's siblings that the reader may see (in "
        "the reports' own answers and lists; null where a report is embedded in a match).",
    )
    case_id: str | None = Field(
        default=None,
        description="The case this report is of, when a coordinator confirmed another family's "
        "report of the same child as a duplicate (`/api/v1/duplicates`): every report of a case "
        "carries its id. Shown to coordinators and admins only; always null for families.",
    )


class ReportPage(OutputModel):
    items: list[ReportOut]
    """Reports, newest first."""
    next_cursor: str | None
    """Pass as `cursor` for the next page; null on the last page."""
