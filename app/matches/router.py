from typing import Annotated

from fastapi import APIRouter, Query

from app.audit.http import audited
from app.audit.models import Action
from app.core.database import SessionDep
from app.core.deps import RecordId
from app.core.pagination import DEFAULT_LIMIT, Cursor, Limit
from app.core.problems import problem_responses
from app.core.security import Principal, Role, require
from app.matches import candidates, review
from app.matches.deps import MatchingDep
from app.matches.models import Match, MatchStatus
from app.matches.schemas import (
    CandidateOut,
    CandidatePage,
    DecisionIn,
    HistoryEntry,
    HistoryPage,
    MatchDetail,
    MatchOut,
    MatchPage,
)
from app.matches.scoring import Scored
from app.reports import service as reports
from app.sightings import service as sightings

router = APIRouter(prefix="/api/v1", tags=["matches"], responses=problem_responses(401, 403, 422))

Reviewer = Annotated[Principal, require(Role.coordinator, Role.admin)]
CandidateLimit = Annotated[int, Query(ge=1, le=100)]


@router.get(
    "/sightings/{sighting_id}/candidates",
    response_model=CandidatePage,
    dependencies=[audited(Action.sighting_candidates)],
    responses=problem_responses(404),
)
def sighting_candidates(
    sighting_id: RecordId, principal: Reviewer, session: SessionDep, limit: CandidateLimit = 10
) -> CandidatePage:
    """The reports this sighting may be, best first (live, not only proposals)."""
    sighting = sightings.get_sighting(
        session, principal, sighting_id, audit_as=Action.sighting_candidates
    )
    found = candidates.candidates_for_sighting(session, principal, sighting, limit)
    return CandidatePage(items=[_candidate(s, match) for s, match in found])


@router.get(
    "/reports/{report_id}/candidates",
    response_model=CandidatePage,
    dependencies=[audited(Action.report_candidates)],
    responses=problem_responses(404),
)
def report_candidates(
    report_id: RecordId, principal: Reviewer, session: SessionDep, limit: CandidateLimit = 10
) -> CandidatePage:
    """The sightings that may be this report's child, best first."""
    report = reports.get_report(session, principal, report_id, audit_as=Action.report_candidates)
    found = candidates.candidates_for_report(session, principal, report, limit)
    return CandidatePage(items=[_candidate(s, match) for s, match in found])


def _candidate(scored: Scored, match: Match | None) -> CandidateOut:
    return CandidateOut.model_validate(
        {
            "report_id": scored.report_id,
            "sighting_id": scored.sighting_id,
            "score": scored.score,
            "explanation": scored.explanation,
            "match_id": match.id if match else None,
            "match_status": match.status if match else None,
        }
    )


@router.get("/matches", response_model=MatchPage, dependencies=[audited(Action.match_list)])
def list_matches(
    principal: Reviewer,
    session: SessionDep,
    status: MatchStatus | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> MatchPage:
    """The review queue, highest score first."""
    rows, next_cursor = review.list_matches(
        session, principal, status=status, limit=limit, cursor=cursor
    )
    return MatchPage(items=[_match(m) for m in rows], next_cursor=next_cursor)


@router.get(
    "/matches/{match_id}",
    response_model=MatchDetail,
    dependencies=[audited(Action.match_read)],
    responses=problem_responses(404),
)
def get_match(match_id: RecordId, principal: Reviewer, session: SessionDep) -> MatchDetail:
    """One match, with its report and its sighting (source included) side by side, so that
    one request is enough to decide. Live candidates: `GET /api/v1/sightings/{id}/candidates`
    and `GET /api/v1/reports/{id}/candidates`."""
    match = review.get_match(session, principal, match_id, audit_as=Action.match_read)
    report = reports.get_report(session, principal, match.report_id, audit_as=Action.report_read)
    sighting = sightings.get_sighting(
        session, principal, match.sighting_id, audit_as=Action.sighting_read
    )
    return MatchDetail.model_validate(
        {
            **_match(match).model_dump(),
            "report": reports.to_out(report, principal),
            "sighting": sightings.to_out(sighting, principal, with_source=True),
        }
    )


@router.post(
    "/matches/{match_id}/decision",
    response_model=MatchOut,
    dependencies=[audited(Action.match_decide)],
    responses=problem_responses(400, 404, 409, 413, 415),
)
def decide(
    match_id: RecordId,
    body: DecisionIn,
    principal: Reviewer,
    session: SessionDep,
    matching: MatchingDep,
) -> MatchOut:
    """Confirm, reject or reopen; `version` must be the version you saw, else 409."""
    match = review.decide(
        session,
        principal,
        match_id,
        decision=body.decision,
        note=body.note,
        version=body.version,
        settings=matching,
    )
    return _match(match)


@router.get(
    "/matches/{match_id}/history",
    response_model=HistoryPage,
    dependencies=[audited(Action.match_history)],
    responses=problem_responses(404),
)
def match_history(match_id: RecordId, principal: Reviewer, session: SessionDep) -> HistoryPage:
    """Every proposal, withdrawal and decision, oldest first (append-only)."""
    return HistoryPage(
        items=[
            HistoryEntry.model_validate(event, from_attributes=True)
            for event in review.history(session, principal, match_id)
        ]
    )


def _match(match: Match) -> MatchOut:
    return MatchOut.model_validate(match, from_attributes=True)
