"""The rows of the partner exports: the allow-list of what leaves the service in a file.

A sighting's `source` is in none of them, ever. The reporter's contact is only in the
`...WithContacts` rows, which only an admin gets, and only by asking (`include_contacts`).
"""

from datetime import date, datetime
from enum import StrEnum

from pydantic import Field

from app.core.schemas import OutputModel, Score
from app.reports.models import ReportStatus
from app.sightings.models import SourceType


class ExportFormat(StrEnum):
    csv = "csv"
    json = "json"


class ReporterContact(OutputModel):
    reporter_name: str | None
    """The name of the person who filed."""
    reporter_relationship: str | None
    """How they are related to the child."""
    reporter_phone: str | None
    """Their phone number or messenger handle."""
    reporter_email: str | None
    """Their email address."""


class MatchRow(OutputModel):
    """A confirmed match: which report and sighting, how sure, and who the child is."""

    match_id: str
    """The match's id."""
    report_id: str
    """The report's id."""
    sighting_id: str
    """The sighting's id."""
    score: Score
    """The match's score, from 0 to 1."""
    decided_at: datetime | None
    """When a coordinator confirmed it."""
    child_given_name: str | None
    """The child's given name, as the family wrote it."""
    child_family_name: str | None
    """The child's family name, as the family wrote it."""
    child_patronymic: str | None
    """The child's patronymic, as the family wrote it."""
    child_full_name: str | None
    """The child's whole name as one string, if the family gave one."""
    child_other_names: list[str] = Field(description="In CSV, joined with `; `.")
    child_date_of_birth: str | None = Field(description="YYYY, YYYY-MM or YYYY-MM-DD.")
    child_home_settlement: str | None
    """Where the child lived."""
    sighting_origin_settlement: str | None
    """Where the child comes from, as the sighting says."""
    sighting_observed_on: date | None
    """When the child was seen."""
    sighting_location: str | None
    """Where the child was seen or is held."""
    sighting_source_type: SourceType
    """document, witness, list, media or other (never who the source is)."""
    case_id: str | None
    """The case of the report, when coordinators confirmed other families' reports of the same
    child as duplicates (every report of a case carries its id); null for a report alone."""


class MatchRowWithContacts(ReporterContact, MatchRow):
    """A confirmed match with the reporter's contact (admins, on request)."""


class ReportRow(OutputModel):
    """A report: the child as the family described them, and where they were last seen."""

    report_id: str
    """The report's id."""
    status: ReportStatus
    """open, located or closed."""
    created_at: datetime
    """When the report was filed."""
    updated_at: datetime
    """When the report was last changed."""
    given_name: str | None
    """The child's given name, as written."""
    family_name: str | None
    """The child's family name, as written."""
    patronymic: str | None
    """The child's patronymic, as written."""
    full_name: str | None
    """The child's whole name as one string, if given."""
    other_names: list[str] = Field(description="In CSV, joined with `; `.")
    sex: str | None
    """male, female or unknown."""
    date_of_birth: str | None = Field(description="YYYY, YYYY-MM or YYYY-MM-DD.")
    age_min: int | None
    """Youngest age the child may be, when an age range was given."""
    age_max: int | None
    """Oldest age the child may be, when an age range was given."""
    distinguishing_marks: str | None
    """Scars, birthmarks and other marks."""
    institution: str | None
    """The children's home, boarding school or hospital, as written."""
    home_settlement: str | None
    """Where the child lived."""
    last_seen_date: str | None = Field(description="YYYY, YYYY-MM or YYYY-MM-DD.")
    last_seen_place: str | None
    """Where the child was last seen."""
    case_id: str | None
    """The case of the report, when coordinators confirmed other families' reports of the same
    child as duplicates (every report of a case carries its id); null for a report alone."""


class ReportRowWithContacts(ReporterContact, ReportRow):
    """A report with the reporter's contact (admins, on request)."""
