from typing import Annotated

from fastapi import APIRouter, Depends, Request

from app.audit.http import audited
from app.audit.models import Action
from app.core.database import SessionDep
from app.core.deps import ClaimLifetime, IdempotencyKeyHeader, RecordId
from app.core.pagination import DEFAULT_LIMIT, Cursor, Limit
from app.core.problems import problem_responses
from app.core.security import Principal, Role, rate_limits, require
from app.intake import service as intake
from app.intake.deps import MatchingDep
from app.reports import service
from app.reports.models import ReportStatus
from app.reports.schemas import ReportChanges, ReportIn, ReportOut, ReportPage

router = APIRouter(
    prefix="/api/v1/reports", tags=["reports"], responses=problem_responses(401, 403, 422)
)

Filer = Annotated[Principal, require(Role.family, Role.coordinator, Role.admin)]


def _family_filing_limit(request: Request, principal: Filer) -> None:
    """Families have a tighter limit on filing and amending reports than on other writes: an
    impostor posing as a family could otherwise file report after report to probe whom we
    have found (amending a report's child is filing another). Coordinators and admins read
    every record already, so filing gains them nothing; they keep the write limit only."""
    if principal.role == Role.family:
        rate_limits(request).spend_report(principal.user_id)


FilingLimit = Depends(_family_filing_limit)


@router.post(
    "",
    status_code=201,
    response_model=ReportOut,
    dependencies=[audited(Action.report_create), FilingLimit],
    responses=problem_responses(400, 409, 413, 415),
)
def create_report(
    body: ReportIn,
    principal: Filer,
    session: SessionDep,
    stale_after: ClaimLifetime,
    matching: MatchingDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> ReportOut:
    """File a missing-child report."""
    report = intake.file_record(
        session,
        principal,
        intake.REPORTS,
        body,
        idempotency_key=idempotency_key,
        stale_after=stale_after,
        matching=matching,
    )
    return service.to_out(report, principal)


@router.get("", response_model=ReportPage, dependencies=[audited(Action.report_list)])
def list_reports(
    principal: Filer,
    session: SessionDep,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    status: ReportStatus | None = None,
) -> ReportPage:
    """A family's own reports, or every report for coordinators; newest first."""
    rows, next_cursor = service.list_reports(
        session, principal, limit=limit, cursor=cursor, status=status
    )
    return ReportPage(items=[service.to_out(r, principal) for r in rows], next_cursor=next_cursor)


@router.get(
    "/{report_id}",
    response_model=ReportOut,
    dependencies=[audited(Action.report_read)],
    responses=problem_responses(404),
)
def get_report(report_id: RecordId, principal: Filer, session: SessionDep) -> ReportOut:
    """One report: a family's own, or any for coordinators and admins (with the reporter)."""
    report = service.get_report(session, principal, report_id, audit_as=Action.report_read)
    return service.to_out(report, principal)


@router.patch(
    "/{report_id}",
    response_model=ReportOut,
    dependencies=[audited(Action.report_update), FilingLimit],
    responses=problem_responses(400, 404, 413, 415),
)
def amend_report(
    report_id: RecordId,
    body: ReportChanges,
    principal: Filer,
    session: SessionDep,
    matching: MatchingDep,
) -> ReportOut:
    """Amend a report (merge patch). Only coordinators may change `status`."""
    report = intake.amend_report(session, principal, report_id, body, matching=matching)
    return service.to_out(report, principal)
