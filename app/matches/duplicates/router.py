from fastapi import APIRouter
from sqlalchemy.orm import Session

from app.audit.http import audited
from app.audit.models import Action
from app.core.database import SessionDep
from app.core.deps import RecordId
from app.core.pagination import DEFAULT_LIMIT, Cursor, Limit
from app.core.problems import problem_responses
from app.matches.duplicates import review
from app.matches.duplicates.models import Duplicate
from app.matches.duplicates.schemas import (
    DuplicateDetail,
    DuplicateHistoryEntry,
    DuplicateHistoryPage,
    DuplicateOut,
    DuplicatePage,
)
from app.matches.models import MatchStatus
from app.matches.router import Reviewer
from app.matches.schemas import DecisionIn
from app.reports import service as reports

router = APIRouter(
    prefix="/api/v1", tags=["duplicates"], responses=problem_responses(401, 403, 422)
)


@router.get(
    "/duplicates", response_model=DuplicatePage, dependencies=[audited(Action.duplicate_list)]
)
def list_duplicates(
    principal: Reviewer,
    session: SessionDep,
    status: MatchStatus | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> DuplicatePage:
    """The queue of proposed duplicate reports (two families' reports of one child), highest
    score first."""
    rows, next_cursor = review.list_duplicates(
        session, principal, status=status, limit=limit, cursor=cursor
    )
    return DuplicatePage(items=[_out(session, d) for d in rows], next_cursor=next_cursor)


@router.get(
    "/duplicates/{duplicate_id}",
    response_model=DuplicateDetail,
    dependencies=[audited(Action.duplicate_read)],
    responses=problem_responses(404),
)
def get_duplicate(
    duplicate_id: RecordId, principal: Reviewer, session: SessionDep
) -> DuplicateDetail:
    """One pair, with both reports (reporters included) side by side."""
    duplicate = review.get_duplicate(
        session, principal, duplicate_id, audit_as=Action.duplicate_read
    )
    report = reports.get_report(
        session, principal, duplicate.report_id, audit_as=Action.report_read
    )
    other = reports.get_report(
        session, principal, duplicate.duplicate_of_id, audit_as=Action.report_read
    )
    return DuplicateDetail.model_validate(
        {
            **_out(session, duplicate).model_dump(),
            "report": reports.to_out(report, principal),
            "duplicate_of_report": reports.to_out(other, principal),
        }
    )


@router.post(
    "/duplicates/{duplicate_id}/decision",
    response_model=DuplicateOut,
    dependencies=[audited(Action.duplicate_decide)],
    responses=problem_responses(400, 404, 409, 413, 415),
)
def decide(
    duplicate_id: RecordId, body: DecisionIn, principal: Reviewer, session: SessionDep
) -> DuplicateOut:
    """Confirm (the two reports are of one child: they join one case), reject (never
    proposed again) or reopen (take the decision back: a confirmed pair's case splits again);
    `version` must be the version you saw, else 409."""
    duplicate = review.decide(
        session,
        principal,
        duplicate_id,
        decision=body.decision,
        note=body.note,
        version=body.version,
    )
    return _out(session, duplicate)


@router.get(
    "/duplicates/{duplicate_id}/history",
    response_model=DuplicateHistoryPage,
    dependencies=[audited(Action.duplicate_history)],
    responses=problem_responses(404),
)
def duplicate_history(
    duplicate_id: RecordId, principal: Reviewer, session: SessionDep
) -> DuplicateHistoryPage:
    """Every proposal, withdrawal and decision, oldest first (append-only), with the case
    each decision left the reports in."""
    return DuplicateHistoryPage(
        items=[
            DuplicateHistoryEntry.model_validate(event, from_attributes=True)
            for event in review.history(session, principal, duplicate_id)
        ]
    )


def _out(session: Session, duplicate: Duplicate) -> DuplicateOut:
    return DuplicateOut.model_validate(
        {
            "id": duplicate.id,
            "report_id": duplicate.report_id,
            "duplicate_of": duplicate.duplicate_of_id,
            "score": duplicate.score,
            "explanation": duplicate.explanation,
            "status": duplicate.status,
            "version": duplicate.version,
            "case_id": review.case_id(session, duplicate),
            "created_at": duplicate.created_at,
            "updated_at": duplicate.updated_at,
            "decided_by": duplicate.decided_by,
            "decided_at": duplicate.decided_at,
            "note": duplicate.note,
        }
    )
