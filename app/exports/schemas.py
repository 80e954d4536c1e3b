"""The rows of the partner exports: the allow-list of what leaves the service in a file.

A sighting's `source` is in none of them, ever. The reporter's contact is only in the
`...WithContacts` rows, which only an admin gets, and only by asking (`include_contacts`).
"""

from datetime import date, datetime
from enum import StrEnum

from pydantic import Field

from app.core.schemas import OutputModel
from app.reports.models import ReportStatus
from app.sightings.models import SourceType


class ExportFormat(StrEnum):
    csv = "csv"
    json = "json"


class ReporterContact(OutputModel):
    reporter_name: str | None
    reporter_relationship: str | None
    reporter_phone: str | None
    reporter_email: str | None


class MatchRow(OutputModel):
    """A confirmed match: which report and sighting, how sure, and who the child is."""

    match_id: str
    report_id: str
    sighting_id: str
    score: float = Field(ge=0, le=1)
    decided_at: datetime | None
    child_given_name: str | None
    child_family_name: str | None
    child_patronymic: str | None
    child_full_name: str | None
    child_other_names: list[str] = Field(description="In CSV, joined with `; `.")
    child_date_of_birth: str | None = Field(description="YYYY, YYYY-MM or YYYY-MM-DD.")
    child_home_settlement: str | None
    sighting_origin_settlement: str | None
    sighting_observed_on: date | None
    sighting_location: str | None
    sighting_source_type: SourceType


class MatchRowWithContacts(ReporterContact, MatchRow):
    """A confirmed match with the reporter's contact (admins, on request)."""


class ReportRow(OutputModel):
    """A report: the child as the family described them, and where they were last seen."""

    report_id: str
    status: ReportStatus
    created_at: datetime
    updated_at: datetime
    given_name: str | None
    family_name: str | None
    patronymic: str | None
    full_name: str | None
    other_names: list[str] = Field(description="In CSV, joined with `; `.")
    sex: str | None
    date_of_birth: str | None = Field(description="YYYY, YYYY-MM or YYYY-MM-DD.")
    age_min: int | None
    age_max: int | None
    distinguishing_marks: str | None
    home_settlement: str | None
    last_seen_date: str | None = Field(description="YYYY, YYYY-MM or YYYY-MM-DD.")
    last_seen_place: str | None


class ReportRowWithContacts(ReporterContact, ReportRow):
    """A report with the reporter's contact (admins, on request)."""
