from typing import Annotated

from fastapi import APIRouter

from app.audit.http import audited
from app.audit.models import Action
from app.core.database import SessionDep
from app.core.deps import RecordId
from app.core.pagination import DEFAULT_LIMIT, Cursor, Limit
from app.core.problems import problem_responses
from app.core.security import Principal, Role, require
from app.reports import service
from app.reports.models import ReportStatus
from app.reports.schemas import ReportOut, ReportPage

router = APIRouter(
    prefix="/api/v1/reports", tags=["reports"], responses=problem_responses(401, 403, 422)
)

Filer = Annotated[Principal, require(Role.family, Role.coordinator, Role.admin)]


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
    siblings = service.shown_siblings(session, principal, [r.id for r in rows])
    return ReportPage(
        items=[service.to_out(r, principal, siblings=siblings[r.id]) for r in rows],
        next_cursor=next_cursor,
    )


@router.get(
    "/{report_id}",
    response_model=ReportOut,
    dependencies=[audited(Action.report_read)],
    responses=problem_responses(404),
)
def get_report(report_id: RecordId, principal: Filer, session: SessionDep) -> ReportOut:
    """One report: a family's own, or any for coordinators and admins (with the reporter)."""
    report = service.get_report(session, principal, report_id, audit_as=Action.report_read)
    return service.to_out(
        report,
        principal,
        siblings=service.shown_siblings(session, principal, [report.id])[report.id],
    )
