"""The console's review pages: the queue, a match, search, a report, a sighting.

HTTP only: every read and decision goes through the services the API uses, audited the same
way (`audited(...)` names the action, so that a refusal gets its row too).
"""

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Path, Query, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy import Row

from app.audit import service as audit
from app.audit.http import audited
from app.audit.models import Action
from app.console.auth import CsrfChecked, Reviewer
from app.console.pages import render
from app.core.database import SessionDep
from app.core.models import utcnow
from app.core.pagination import DEFAULT_LIMIT
from app.core.problems import Conflict
from app.core.security import Principal
from app.core.text import TEXT_MAX, NulFree
from app.matches import candidates, review, search
from app.matches import repository as matches
from app.matches.deps import MatchingDep
from app.matches.models import Decision, Match, MatchStatus
from app.matches.repository import QUEUE_REPORT, QUEUE_SIGHTING, QueueFilters
from app.photos import service as photos
from app.reports import service as reports
from app.sightings import service as sightings
from app.sightings.models import SourceType
from app.users import repository as users
from matching import PartialDate

router = APIRouter(prefix="/console", include_in_schema=False)

# No NUL in any text a page takes (PostgreSQL cannot hold one): a 422 page, never a 500.
RecordId = Annotated[NulFree, Path(max_length=36)]
Percent = Annotated[int | None, Query(ge=0, le=100)]
SEARCH_LIMIT = 50
CANDIDATE_LIMIT = 10


def _ago(moment: datetime, now: datetime) -> tuple[str, int]:
    """How long ago, as a label key and a number (minutes under two hours, hours under two
    days, then days)."""
    minutes = max(0, int((now - moment).total_seconds() // 60))
    if minutes < 120:
        return "minutes_ago", minutes
    if minutes < 48 * 60:
        return "hours_ago", minutes // 60
    return "days_ago", minutes // (24 * 60)


def _queue_side(row: Row[Any], prefix: str) -> dict[str, Any]:
    """One child of a queue row as its summary shows it: the name as written, the birth date
    or age range, the place."""
    shown = row._mapping
    year = shown[prefix + "birth_year"]
    low, high = shown[prefix + "age_min"], shown[prefix + "age_max"]
    parts = (shown[prefix + c] for c in ("given_name", "patronymic", "family_name"))
    return {
        "name": shown[prefix + "full_name"] or " ".join(p for p in parts if p),
        "born": None
        if year is None
        else str(PartialDate(year, shown[prefix + "birth_month"], shown[prefix + "birth_day"])),
        "age": None if low is None or high is None else f"{low}–{high}",
        "place": shown[prefix + "settlement"],
    }


@router.get("/matches", dependencies=[audited(Action.match_list)])
def queue(
    request: Request,
    principal: Reviewer,
    session: SessionDep,
    status: Annotated[MatchStatus | Literal[""], Query()] = MatchStatus.proposed,
    min_score: Percent = None,
    max_score: Percent = None,
    source_type: SourceType | None = None,
    cursor: Annotated[NulFree | None, Query(max_length=200)] = None,
) -> Response:
    """The review queue, best first, 50 a page; both children as written."""
    filters = QueueFilters(
        min_score=min_score / 100 if min_score is not None else None,
        max_score=max_score / 100 if max_score is not None else None,
        source_type=source_type.value if source_type else None,
    )
    shown_status = status or None  # "": any status
    rows, next_cursor = review.queue_page(
        session,
        principal,
        status=shown_status.value if shown_status else None,
        limit=DEFAULT_LIMIT,
        cursor=cursor,
        queue=filters,
    )
    now = utcnow()
    items = [
        {
            "match": row,
            "report": _queue_side(row, QUEUE_REPORT),
            "sighting": _queue_side(row, QUEUE_SIGHTING),
            "ago": _ago(row.created_at, now),
        }
        for row in rows
    ]
    query = {
        "status": "" if shown_status is None else shown_status.value,
        "min_score": min_score,
        "max_score": max_score,
        "source_type": source_type.value if source_type else "",
    }
    return render(
        request,
        "queue.html",
        {
            "items": items,
            "next_cursor": next_cursor,
            "query": query,
            "statuses": list(MatchStatus),
            "source_types": list(SourceType),
        },
    )


def _match_page(
    request: Request,
    session: Any,
    principal: Principal,
    match: Match,
    *,
    with_source: bool = False,
    stale: dict[str, str] | None = None,
    refused: dict[str, str | None] | None = None,
    status: int = 200,
) -> Response:
    report = reports.get_report(session, principal, match.report_id, audit_as=Action.report_read)
    sighting = sightings.get_sighting(
        session, principal, match.sighting_id, audit_as=Action.sighting_read
    )
    if with_source:
        audit.record(session, principal, Action.sighting_source, [sighting.id])
    events = review.history(session, principal, match.id)
    people = users.names(
        session,
        [e.actor_id for e in events if e.actor_id]
        + ([match.decided_by] if match.decided_by else []),
    )
    previous, following = review.neighbours(session, principal, match)
    report_photos, sighting_photos = photos.match_photos(session, principal, report.id, sighting.id)
    return render(
        request,
        "match.html",
        {
            "match": match,
            "report": reports.to_out(report, principal),
            "sighting": sightings.to_out(sighting, principal, with_source=with_source),
            "with_source": with_source,
            "events": events,
            "people": people,
            "previous": previous,
            "following": following,
            "stale": stale,
            "refused": refused,
            "decisions": _decisions(match),
            "note_max": TEXT_MAX,
            "report_photos": report_photos,
            "sighting_photos": sighting_photos,
        },
        status=status,
    )


def _refusal(session: Any, match: Match, decision: Decision) -> dict[str, str | None]:
    """Why the service refused a decision on an unchanged match, in the page's words (the
    API's reason is English): a sighting confirmed for another report, or a decision the
    status does not allow."""
    if decision == Decision.confirm:
        first = matches.confirmed_for_sighting(session, match.sighting_id, other_than=match.id)
        if first is not None:
            return {"why": "refused_confirmed_elsewhere", "other": first.id}
    return {"why": "refused_status", "other": None}


def _decisions(match: Match) -> list[str]:
    """The decisions the match's status allows (the API refuses the others)."""
    if match.status == MatchStatus.proposed:
        return [Decision.confirm.value, Decision.reject.value]
    if match.status in (MatchStatus.confirmed, MatchStatus.rejected):
        return [Decision.reopen.value]
    return []


@router.get("/matches/{match_id}", dependencies=[audited(Action.match_read)])
def match_page(
    request: Request,
    match_id: RecordId,
    principal: Reviewer,
    session: SessionDep,
    source: bool = False,
) -> Response:
    """Report and sighting side by side, the engine's verdict beside each field."""
    match = review.get_match(session, principal, match_id, audit_as=Action.match_read)
    return _match_page(request, session, principal, match, with_source=source)


@router.post(
    "/matches/{match_id}/decision",
    dependencies=[audited(Action.match_decide), CsrfChecked],
)
def decide(
    request: Request,
    match_id: RecordId,
    principal: Reviewer,
    session: SessionDep,
    decision: Annotated[Decision, Form()],
    version: Annotated[int, Form(ge=1)],
    matching: MatchingDep,
    note: Annotated[NulFree, Form(max_length=TEXT_MAX)] = "",
) -> Response:
    """Decide with the API's version check; after it, the next proposed match opens. Someone
    else's decision first: the page says whose and what, and nothing changes."""
    try:
        decided = review.decide(
            session,
            principal,
            match_id,
            decision=decision,
            note=note.strip() or None,
            version=version,
            settings=matching,
        )
    except Conflict:
        session.rollback()
        match = review.get_match(session, principal, match_id, audit_as=Action.match_read)
        if match.version != version:
            decider = users.names(session, [match.decided_by] if match.decided_by else [])
            who = decider[match.decided_by].name if match.decided_by in decider else "—"
            stale = {"who": who, "what": match.status}
            return _match_page(request, session, principal, match, stale=stale, status=409)
        refused = _refusal(session, match, decision)
        return _match_page(request, session, principal, match, refused=refused, status=409)
    following = review.next_to_review(session, principal, decided)
    target = f"/console/matches/{following}" if following else "/console/matches?done=1"
    return RedirectResponse(target, status_code=303)


@router.get("/search")
def search_page(
    request: Request,
    principal: Reviewer,
    session: SessionDep,
    q: Annotated[NulFree, Query(max_length=200)] = "",
) -> Response:
    """Reports and sightings by name in any script and spelling, or by id."""
    found = search.find(session, principal, q, limit=SEARCH_LIMIT) if q.strip() else None
    return render(
        request,
        "search.html",
        {
            "q": q,
            "found": found,
            "reports": [reports.to_out(r, principal) for r in found.reports] if found else [],
            "sightings": [
                sightings.to_out(s, principal, with_source=False) for s in found.sightings
            ]
            if found
            else [],
        },
    )


def _deciders(session: Any, rows: list[Match]) -> dict[str, Any]:
    return users.names(session, [m.decided_by for m in rows if m.decided_by])


@router.get("/reports/{report_id}", dependencies=[audited(Action.report_read)])
def report_page(
    request: Request, report_id: RecordId, principal: Reviewer, session: SessionDep
) -> Response:
    """A report with its live candidates and its matches."""
    report = reports.get_report(session, principal, report_id, audit_as=Action.report_read)
    ranked = candidates.candidates_for_report(session, principal, report, CANDIDATE_LIMIT)
    # Audited as candidates by the ranking already.
    others = sightings.shown_sightings(
        session, principal, [c.sighting_id for c, _ in ranked], audit_as=None
    )
    rows = review.of_record(session, principal, report_id=report.id)
    shown = reports.to_out(report, principal)
    return render(
        request,
        "record.html",
        {
            "kind": "report",
            "report": shown,
            "person": shown.child,
            "place": shown.child.home_settlement,
            "place_label": "home_settlement",
            "candidates": [
                {
                    "scored": scored,
                    "match": match,
                    "other": sightings.to_out(
                        others[scored.sighting_id], principal, with_source=False
                    ),
                    "link": f"/console/sightings/{scored.sighting_id}",
                }
                for scored, match in ranked
                if scored.sighting_id in others
            ],
            "matches": rows,
            "people": _deciders(session, rows),
        },
    )


@router.get("/sightings/{sighting_id}", dependencies=[audited(Action.sighting_read)])
def sighting_page(
    request: Request, sighting_id: RecordId, principal: Reviewer, session: SessionDep
) -> Response:
    """A sighting (without its source: that is on its match pages) with its live candidates
    and its matches."""
    sighting = sightings.get_sighting(
        session, principal, sighting_id, audit_as=Action.sighting_read
    )
    ranked = candidates.candidates_for_sighting(session, principal, sighting, CANDIDATE_LIMIT)
    others = reports.shown_reports(
        session, principal, [c.report_id for c, _ in ranked], audit_as=None
    )
    rows = review.of_record(session, principal, sighting_id=sighting.id)
    shown = sightings.to_out(sighting, principal, with_source=False)
    return render(
        request,
        "record.html",
        {
            "kind": "sighting",
            "sighting": shown,
            "person": shown.subject,
            "place": shown.subject.origin_settlement,
            "place_label": "origin_settlement",
            "candidates": [
                {
                    "scored": scored,
                    "match": match,
                    "other": reports.to_out(others[scored.report_id], principal),
                    "link": f"/console/reports/{scored.report_id}",
                }
                for scored, match in ranked
                if scored.report_id in others
            ],
            "matches": rows,
            "people": _deciders(session, rows),
        },
    )
