from datetime import datetime
from typing import Literal

from pydantic import ConfigDict, Field

from app.core.dates import FullDateText
from app.core.person import NamedPerson, PersonOut
from app.core.schemas import InputModel, OutputModel, RelatedIds
from app.core.text import Name, ShortText, TextField
from app.sightings.models import SourceType


class Subject(NamedPerson):
    origin_settlement: Name | None = None
    """Where the child comes from, as the source says, any script."""


class Source(InputModel):
    contact: ShortText | None = None
    """How to reach the field source (encrypted; coordinators and admins only)."""
    details: TextField | None = None
    """Who or what the source is, free text (encrypted; coordinators and admins only)."""


class SightingIn(InputModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "subject": {
                        "full_name": "ОЛЕЙНИК Николай Андреевич",
                        "date_of_birth": "2011-03-12",
                        "sex": "male",
                        "origin_settlement": "Мелитополь",
                    },
                    "observed_on": "2024-05-01",
                    "location": "Евпатория",
                    "source_type": "document",
                    "source": {"contact": "Signal: ...", "details": "volunteer in Crimea"},
                    "seen_with": ["5d1f0c2a-8e3b-4b7e-a0f4-6c9d2e7b1a33"],
                }
            ]
        }
    )

    subject: Subject
    """The child seen; at least one of given_name, family_name, full_name."""
    observed_on: FullDateText | None = None
    """When the child was seen: YYYY-MM-DD, not in the future."""
    location: Name | None = None
    """Where the child was seen or is held, any script."""
    source_type: SourceType
    """document, witness, list, media or other."""
    notes: TextField | None = None
    """Free text (encrypted at rest; never exported)."""
    source: Source | None = None
    """Who the field source is (encrypted; shown to coordinators and admins only)."""
    seen_with: RelatedIds | None = None
    """Ids of the sightings of children seen together with this one (a field contact: its own
    sightings; coordinators: any), at most 20; the relation is symmetric."""


class SightingChanges(InputModel):
    """A merge patch of a sighting: only who the child was seen with may change (what the
    source saw stays as it was filed)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"seen_with": ["5d1f0c2a-8e3b-4b7e-a0f4-6c9d2e7b1a33"]}]}
    )

    seen_with: RelatedIds | None = None
    """Replaces the sightings seen with this one that the caller may see (a field contact: its
    own sightings); [] or null clears them."""


class SubjectOut(PersonOut):
    origin_settlement: str | None
    """Where the child comes from, as the source says."""


class SourceOut(OutputModel):
    contact: str | None
    """How to reach the field source."""
    details: str | None
    """Who or what the source is."""


class SourceStored(OutputModel):
    """What the field contact who filed a sighting sees of its source: that it was stored."""

    stored: Literal[True]
    """Always true: a source was stored for this sighting."""


class SightingOut(OutputModel):
    id: str
    """The sighting's id (a UUID)."""
    created_at: datetime
    """When the sighting was filed (RFC 3339, UTC)."""
    updated_at: datetime
    """When the sighting was last changed (RFC 3339, UTC)."""
    subject: SubjectOut
    """The child seen, exactly as described."""
    observed_on: str | None
    """When the child was seen (YYYY-MM-DD)."""
    location: str | None
    """Where the child was seen or is held."""
    source_type: SourceType
    """document, witness, list, media or other."""
    notes: str | None
    """Free text."""
    source: SourceOut | SourceStored | None = Field(
        default=None,
        description="Who the field source is: shown to coordinators and admins only, on a "
        'single sighting, never in lists. The field contact who filed it gets `{"stored": true}` '
        "on its single sighting when a source was stored, and never its content.",
    )
    seen_with: list[str] | None = Field(
        default=None,
        description="Ids of the sightings of children seen with this one that the reader may "
        "see (in the sightings' own answers and lists; null where embedded in a match).",
    )


class SightingPage(OutputModel):
    items: list[SightingOut]
    """Sightings, newest first (never with their source)."""
    next_cursor: str | None
    """Pass as `cursor` for the next page; null on the last page."""
