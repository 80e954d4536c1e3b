"""Business rules for families' reports."""

import json
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.audit.models import Action
from app.core.dates import parse_partial_date
from app.core.person import person_columns, person_fields
from app.core.problems import Forbidden, NotFound, Unprocessable, validation_problem
from app.core.related import check_related
from app.core.security import Principal, Role
from app.reports import repository
from app.reports.models import Report
from app.reports.schemas import Child, ReportChanges, ReportIn, ReportOut
from matching import PartialDate


def new_report(owner_id: str, data: ReportIn) -> Report:
    """A report row for validated data, not yet added to any session."""
    report = Report(owner_id=owner_id)
    _apply_child(report, data.child)
    _apply_details(report, data, data.model_fields_set)
    return report


def get_report(
    session: Session, principal: Principal, report_id: str, *, audit_as: Action
) -> Report:
    """The report, if the caller may see it (else 404); audited as the caller's `audit_as`."""
    report = get_or_404(session, principal, report_id)
    audit.record(session, principal, audit_as, [report.id])
    return report


def apply_changes(
    session: Session, principal: Principal, report_id: str, changes: ReportChanges
) -> Report:
    """Apply a merge patch to a report the caller may see (else 404). Matching the changed
    child and auditing are the caller's (`app.intake`)."""
    report = get_or_404(session, principal, report_id)
    if "status" in changes.model_fields_set and not principal.sees_everything:
        raise Forbidden("Only coordinators change a report's status.")
    if "status" in changes.model_fields_set:
        if changes.status is None:
            raise Unprocessable(
                "status cannot be cleared",
                errors=[
                    {
                        "loc": ["body", "status"],
                        "msg": "must be open, located or closed",
                        "type": "enum",
                    }
                ],
            )
        report.status = changes.status.value
    if changes.child is not None:
        merged = {**_child_fields(report), **changes.child.model_dump(exclude_unset=True)}
        try:
            # Through JSON, so the merged fields meet exactly the rules a POST meets.
            child = Child.model_validate_json(json.dumps(merged))
        except ValidationError as error:
            raise validation_problem(error, ["body", "child"]) from None
        _apply_child(report, child)
    elif "child" in changes.model_fields_set:
        raise Unprocessable(
            "child cannot be cleared",
            errors=[
                {
                    "loc": ["body", "child"],
                    "msg": "a report always describes a child",
                    "type": "missing",
                }
            ],
        )
    _apply_details(report, changes, changes.model_fields_set)
    session.flush()
    return report


def list_reports(
    session: Session,
    principal: Principal,
    *,
    limit: int,
    cursor: str | None,
    status: str | None,
) -> tuple[list[Report], str | None]:
    rows, next_cursor = repository.list_page(
        session, principal, limit=limit, cursor=cursor, status=status
    )
    audit.record(session, principal, Action.report_list, [report.id for report in rows])
    return rows, next_cursor


def shown_reports(
    session: Session, principal: Principal, ids: Iterable[str], *, audit_as: Action | None
) -> dict[str, Report]:
    """The reports among `ids` the caller may see, each audited as `audit_as` (None: the
    caller's service audited them already, as ranked candidates)."""
    found = repository.by_ids(session, principal, ids)
    if audit_as is not None:
        audit.record(session, principal, audit_as, list(found))
    return found


def check_siblings(
    session: Session, principal: Principal, ids: Sequence[str], *, own_id: str | None = None
) -> None:
    """A 422 unless `ids` are distinct reports the caller may see, other than `own_id` (a
    family names its own reports; coordinators any)."""
    visible = set(repository.by_ids(session, principal, ids))
    check_related("siblings", ids, visible=visible, own_id=own_id)


def set_siblings(
    session: Session, principal: Principal, report_id: str, ids: Sequence[str]
) -> set[str]:
    """Make `ids` the report's siblings among those the caller may see (checked already);
    siblings the caller may not see stay. Returns every report whose siblings changed."""
    current = repository.sibling_ids(session, [report_id]).get(report_id, set())
    visible_now = set(repository.by_ids(session, principal, current))
    wanted = set(ids)
    drop, add = visible_now - wanted, wanted - current
    repository.link_siblings(session, report_id, add, drop)
    return {report_id, *drop, *add}


def shown_siblings(
    session: Session, principal: Principal, report_ids: Iterable[str]
) -> dict[str, list[str]]:
    """{report id: the ids of its siblings the caller may see} (every report of `report_ids`)."""
    wanted = list(report_ids)
    related = repository.sibling_ids(session, wanted)
    visible = set(repository.by_ids(session, principal, set().union(*related.values())))
    return {rid: sorted(related.get(rid, set()) & visible) for rid in wanted}


def to_out(report: Report, principal: Principal, *, siblings: list[str] | None = None) -> ReportOut:
    """`siblings`: those the reader may see (`shown_siblings`); None where not looked up."""
    shows_reporter = principal.sees_everything or (
        principal.role == Role.family and report.owner_id == principal.user_id
    )
    last_seen = None
    if report.last_seen_year is not None or report.last_seen_place is not None:
        last_seen = {"date": _last_seen_date(report), "place": report.last_seen_place}
    reporter = None
    if shows_reporter and any(
        (
            report.reporter_name,
            report.reporter_relationship,
            report.reporter_phone,
            report.reporter_email,
        )
    ):
        reporter = {
            "name": report.reporter_name,
            "relationship": report.reporter_relationship,
            "phone": report.reporter_phone,
            "email": report.reporter_email,
        }
    return ReportOut.model_validate(
        {
            "id": report.id,
            "status": report.status,
            "created_at": report.created_at,
            "updated_at": report.updated_at,
            "child": _child_fields(report),
            "last_seen": last_seen,
            "circumstances": report.circumstances,
            "reporter": reporter,
            "siblings": siblings,
            "case_id": report.case_id if principal.sees_everything else None,
        }
    )


def get_or_404(session: Session, principal: Principal, report_id: str) -> Report:
    """The report, if the caller may see it; else 404 (unaudited)."""
    report = repository.get(session, principal, report_id)
    if report is None:
        raise NotFound()
    return report


def _child_fields(report: Report) -> dict[str, Any]:
    return {**person_fields(report), "home_settlement": report.home_settlement}


def _apply_child(report: Report, child: Child) -> None:
    for column, value in person_columns(child).items():
        setattr(report, column, value)
    report.home_settlement = child.home_settlement


def _apply_details(report: Report, data: ReportIn | ReportChanges, sent: set[str]) -> None:
    """Copy last_seen, circumstances and reporter where the request sent them."""
    if "last_seen" in sent:
        seen = data.last_seen
        day = parse_partial_date(seen.date) if seen and seen.date else None
        report.last_seen_year = day.year if day else None
        report.last_seen_month = day.month if day else None
        report.last_seen_day = day.day if day else None
        report.last_seen_place = seen.place if seen else None
    if "circumstances" in sent:
        report.circumstances = data.circumstances
    if "reporter" in sent:
        reporter = data.reporter
        report.reporter_name = reporter.name if reporter else None
        report.reporter_relationship = reporter.relationship if reporter else None
        report.reporter_phone = reporter.phone if reporter else None
        report.reporter_email = reporter.email if reporter else None


def _last_seen_date(report: Report) -> str | None:
    if report.last_seen_year is None:
        return None
    return str(PartialDate(report.last_seen_year, report.last_seen_month, report.last_seen_day))
