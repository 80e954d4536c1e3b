"""Every query of the exports: plain rows, read in batches from one streaming cursor.

Rows rather than ORM objects, so that nothing accumulates in the session's identity map: an
export of any size holds one batch at a time, and its cursor closes however the reading ends.
Each query starts from the domain's `readable`, so exports see exactly what their caller may see.
"""

from collections.abc import Iterator
from typing import Any, cast

from sqlalchemy import Row
from sqlalchemy.orm import Session, aliased

from app.core.person import PersonColumns
from app.core.security import Principal
from app.matches import repository as matches
from app.matches.duplicates import repository as duplicates
from app.matches.duplicates.models import Duplicate
from app.matches.models import Match, MatchStatus
from app.reports import repository as reports
from app.reports.models import Report
from app.sightings.models import Sighting

_PERSON = list(PersonColumns.__annotations__)
# What a partner needs to recognise the child of a confirmed match: names, birth, home.
_CHILD = [
    "given_name",
    "family_name",
    "patronymic",
    "full_name",
    "other_names",
    "birth_year",
    "birth_month",
    "birth_day",
    "home_settlement",
]
_CONTACTS = ["reporter_name", "reporter_relationship", "reporter_phone", "reporter_email"]
_REPORT = [
    "id",
    "external_id",
    "status",
    "created_at",
    "updated_at",
    *_PERSON,
    "home_settlement",
    "last_seen_year",
    "last_seen_month",
    "last_seen_day",
    "last_seen_place",
    "case_id",
]


def report_rows(
    session: Session,
    principal: Principal,
    *,
    status: str | None,
    contacts: bool,
    batch_size: int,
) -> Iterator[Row[Any]]:
    """Reports oldest first (the order PFIF's incremental export expects); the reporter's
    contact columns only when `contacts`."""
    columns = [getattr(Report, name) for name in [*_REPORT, *(_CONTACTS if contacts else [])]]
    stmt = reports.readable(principal).with_only_columns(*columns)
    if status is not None:
        stmt = stmt.where(Report.status == status)
    stmt = stmt.order_by(Report.created_at, Report.id)
    with session.execute(stmt.execution_options(yield_per=batch_size)) as rows:
        yield from rows


def confirmed_match_rows(
    session: Session, principal: Principal, *, contacts: bool, batch_size: int
) -> Iterator[Row[Any]]:
    """Confirmed matches in the order they were decided, each with what partners need of its
    report (`report_*`) and sighting (`sighting_*`). Never the sighting's source."""
    report = [
        getattr(Report, name).label(f"report_{name}")
        for name in ["external_id", "case_id", *_CHILD, *(_CONTACTS if contacts else [])]
    ]
    sighting = [
        getattr(Sighting, name).label(f"sighting_{name}")
        for name in ["origin_settlement", "observed_on", "location", "source_type"]
    ]
    stmt = (
        matches.readable(principal)
        .with_only_columns(
            Match.id,
            Match.report_id,
            Match.sighting_id,
            Match.score,
            Match.decided_at,
            Match.updated_at,
            *report,
            *sighting,
        )
        .join(Report, Report.id == Match.report_id)
        .join(Sighting, Sighting.id == Match.sighting_id)
        .where(Match.status == MatchStatus.confirmed.value)
        .order_by(Match.decided_at, Match.id)
    )
    with session.execute(stmt.execution_options(yield_per=batch_size)) as rows:
        yield from rows


def confirmed_duplicate_rows(
    session: Session, principal: Principal, *, batch_size: int
) -> Iterator[Row[Any]]:
    """Confirmed duplicate pairs in the order they were decided, with each report's id and
    external id (`report_*`, `duplicate_of_*`)."""
    report = aliased(Report)
    first = aliased(Report)
    stmt = (
        duplicates.readable(principal)
        .with_only_columns(
            Duplicate.id,
            Duplicate.decided_at,
            Duplicate.updated_at,
            report.id.label("report_id"),
            report.external_id.label("report_external_id"),
            first.id.label("duplicate_of_id"),
            first.external_id.label("duplicate_of_external_id"),
        )
        .join(report, report.id == Duplicate.report_id)
        .join(first, first.id == Duplicate.duplicate_of_id)
        .where(Duplicate.status == MatchStatus.confirmed.value)
        .order_by(Duplicate.decided_at, Duplicate.id)
    )
    with session.execute(stmt.execution_options(yield_per=batch_size)) as rows:
        yield from cast(Iterator[Row[Any]], rows)
