"""The routes that file records: a report, an amendment of one, a sighting. Each calls the one
filing path (`app.intake.service`); reading stays with the reports and sightings routers."""

from fastapi import APIRouter, Depends, Request

from app.audit.http import audited
from app.audit.models import Action
from app.core.database import SessionDep
from app.core.deps import ClaimLifetime, IdempotencyKeyHeader, RecordId
from app.core.problems import problem_responses
from app.core.security import Role, rate_limits
from app.intake import service as intake
from app.reports import service as reports
from app.reports.router import Filer
from app.reports.schemas import ReportChanges, ReportIn, ReportOut
from app.sightings import service as sightings
from app.sightings.router import Observer
from app.sightings.schemas import SightingChanges, SightingIn, SightingOut

router = APIRouter(prefix="/api/v1", responses=problem_responses(401, 403, 422))


def _family_filing_limit(request: Request, principal: Filer) -> None:
    """Families have a tighter limit on filing and amending reports than on other writes: an
    impostor posing as a family could otherwise file report after report to probe whom we
    have found (amending a report's child is filing another). Coordinators and admins read
    every record already, so filing gains them nothing; they keep the write limit only."""
    if principal.role == Role.family:
        rate_limits(request).spend_report(principal.user_id)


FilingLimit = Depends(_family_filing_limit)


@router.post(
    "/reports",
    tags=["reports"],
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
    )
    return reports.to_out(
        report,
        principal,
        siblings=reports.shown_siblings(session, principal, [report.id])[report.id],
    )


@router.post(
    "/sightings",
    tags=["sightings"],
    status_code=201,
    response_model=SightingOut,
    dependencies=[audited(Action.sighting_create)],
    responses=problem_responses(400, 409, 413, 415),
)
def create_sighting(
    body: SightingIn,
    principal: Observer,
    session: SessionDep,
    stale_after: ClaimLifetime,
    idempotency_key: IdempotencyKeyHeader = None,
) -> SightingOut:
    """File a sighting of a child."""
    sighting = intake.file_record(
        session,
        principal,
        intake.SIGHTINGS,
        body,
        idempotency_key=idempotency_key,
        stale_after=stale_after,
    )
    return sightings.to_out(
        sighting,
        principal,
        with_source=True,
        seen_with=sightings.shown_seen_with(session, principal, [sighting.id])[sighting.id],
    )


@router.patch(
    "/reports/{report_id}",
    tags=["reports"],
    response_model=ReportOut,
    dependencies=[audited(Action.report_update), FilingLimit],
    responses=problem_responses(400, 404, 413, 415),
)
def amend_report(
    report_id: RecordId,
    body: ReportChanges,
    principal: Filer,
    session: SessionDep,
) -> ReportOut:
    """Amend a report (merge patch). Only coordinators may change `status`."""
    report = intake.amend_report(session, principal, report_id, body)
    return reports.to_out(
        report,
        principal,
        siblings=reports.shown_siblings(session, principal, [report.id])[report.id],
    )


@router.patch(
    "/sightings/{sighting_id}",
    tags=["sightings"],
    response_model=SightingOut,
    dependencies=[audited(Action.sighting_update)],
    responses=problem_responses(400, 404, 413, 415),
)
def amend_sighting(
    sighting_id: RecordId,
    body: SightingChanges,
    principal: Observer,
    session: SessionDep,
) -> SightingOut:
    """Change who the child was seen with (merge patch; `seen_with` is the only field)."""
    sighting = intake.amend_sighting(session, principal, sighting_id, body)
    return sightings.to_out(
        sighting,
        principal,
        with_source=True,
        seen_with=sightings.shown_seen_with(session, principal, [sighting.id])[sighting.id],
    )
