from datetime import datetime
from typing import Literal

from pydantic import Field

from app.core.dates import FullDateText
from app.core.person import NamedPerson, PersonOut
from app.core.schemas import InputModel, OutputModel
from app.core.text import Name, ShortText, TextField
from app.sightings.models import SourceType


class Subject(NamedPerson):
    origin_settlement: Name | None = None


class Source(InputModel):
    contact: ShortText | None = None
    details: TextField | None = None


class SightingIn(InputModel):
    subject: Subject
    observed_on: FullDateText | None = None
    location: Name | None = None
    source_type: SourceType
    notes: TextField | None = None
    source: Source | None = None


class SubjectOut(PersonOut):
    origin_settlement: str | None


class SourceOut(OutputModel):
    contact: str | None
    details: str | None


class SourceStored(OutputModel):
    """What the field contact who filed a sighting sees of its source: that it was stored."""

    stored: Literal[True]


class SightingOut(OutputModel):
    id: str
    created_at: datetime
    updated_at: datetime
    subject: SubjectOut
    observed_on: str | None
    location: str | None
    source_type: SourceType
    notes: str | None
    source: SourceOut | SourceStored | None = Field(
        default=None,
        description="Who the field source is: shown to coordinators and admins only, on a "
        'single sighting, never in lists. The field contact who filed it gets `{"stored": true}` '
        "on its single sighting when a source was stored, and never its content.",
    )


class SightingPage(OutputModel):
    items: list[SightingOut]
    next_cursor: str | None
