"""The console's review pages: the queue, a match, the duplicate reports' queue and a pair,
search, a report, a sighting.

HTTP only: every read and decision goes through the services the API uses, audited the same
way (`audited(...)` names the action, so that a refusal gets its row too).
"""

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

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
from app.matches.duplicates import cases
from app.matches.duplicates import review as duplicates
from app.matches.duplicates.models import Duplicate
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
QueueStatus = Annotated[MatchStatus | Literal[""], Query()]  # "": any status
Cursor = Annotated[NulFree | None, Query(max_length=200)]
SEARCH_LIMIT = 50
CANDIDATE_LIMIT = 10
Decided = TypeVar("Decided", Match, Duplicate)


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


def _queue_item(row: Any, sides: list[dict[str, Any]], now: datetime) -> dict[str, Any]:
    """One row of a queue page (macros.html `queue_list`): the pair, its two children, how
    long ago it was proposed."""
    return {"row": row, "sides": sides, "ago": _ago(row.created_at, now)}


@router.get("/matches", dependencies=[audited(Action.match_list)])
def queue(
    request: Request,
    principal: Reviewer,
    session: SessionDep,
    status: QueueStatus = MatchStatus.proposed,
    min_score: Percent = None,
    max_score: Percent = None,
    source_type: SourceType | None = None,
    cursor: Cursor = None,
) -> Response:
    """The review queue, best first, 50 a page; both children as written."""
    filters = QueueFilters(
        min_score=min_score / 100 if min_score is not None else None,
        max_score=max_score / 100 if max_score is not None else None,
        source_type=source_type.value if source_type else None,
    )
    rows, next_cursor = review.queue_page(
        session, principal, status=status or None, limit=DEFAULT_LIMIT, cursor=cursor, queue=filters
    )
    now = utcnow()
    items = [
        _queue_item(row, [_queue_side(row, QUEUE_REPORT), _queue_side(row, QUEUE_SIGHTING)], now)
        for row in rows
    ]
    query = {
        "status": status,
        "min_score": min_score,
        "max_score": max_score,
        "source_type": source_type or "",
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
    siblings = _siblings(session, principal, report.id)
    seen_with = _seen_with(session, principal, sighting.id)
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
            "siblings": siblings,
            "seen_with": seen_with,
            "group_evidence": [e for e in match.explanation if _from_group(e)],
        },
        status=status,
    )


def _from_group(item: dict[str, Any]) -> bool:
    """An explanation item the group gave (matching/_groups.py): a sibling's or companion's
    match, or a new family name shared with a companion."""
    return bool(item["field"] == "group" or item["verdict"] == "shared new identity")


def _siblings(session: Any, principal: Principal, report_id: str) -> list[Any]:
    """The report's siblings the reviewer may see, as shown (audited as listed)."""
    ids = reports.shown_siblings(session, principal, [report_id])[report_id]
    found = reports.shown_reports(session, principal, ids, audit_as=Action.report_list)
    return [reports.to_out(found[i], principal) for i in ids if i in found]


def _seen_with(session: Any, principal: Principal, sighting_id: str) -> list[Any]:
    """The sightings seen with this one that the reviewer may see (audited as listed)."""
    ids = sightings.shown_seen_with(session, principal, [sighting_id])[sighting_id]
    found = sightings.shown_sightings(session, principal, ids, audit_as=Action.sighting_list)
    return [sightings.to_out(found[i], principal, with_source=False) for i in ids if i in found]


def _stale(session: Any, row: Match | Duplicate) -> dict[str, str]:
    """Who decided first and what, for a decision made on an older version of `row`."""
    decider = users.names(session, [row.decided_by] if row.decided_by else [])
    who = decider[row.decided_by].name if row.decided_by in decider else "—"
    return {"who": who, "what": row.status}


def _refusal(session: Any, match: Match, decision: Decision) -> dict[str, str | None]:
    """Why the service refused a decision on an unchanged match, in the page's words (the
    API's reason is English): a sighting confirmed for another report, or a decision the
    status does not allow."""
    if decision == Decision.confirm:
        first = matches.confirmed_for_sighting(session, match.sighting_id, other_than=match.id)
        if first is not None:
            return {"why": "refused_confirmed_elsewhere", "other": first.id}
    return {"why": "refused_status", "other": None}


def _decisions(row: Match | Duplicate) -> list[str]:
    """The decisions the status of a match or a duplicate pair allows (the API refuses the
    others)."""
    if row.status == MatchStatus.proposed:
        return [Decision.confirm.value, Decision.reject.value]
    if row.status in (MatchStatus.confirmed, MatchStatus.rejected):
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

    def conflict_page(match: Match, stale: dict[str, str] | None) -> Response:
        refused = None if stale else _refusal(session, match, decision)
        return _match_page(
            request, session, principal, match, stale=stale, refused=refused, status=409
        )

    return _decided(
        session,
        principal,
        "matches",
        version,
        decide=lambda: review.decide(
            session,
            principal,
            match_id,
            decision=decision,
            note=note.strip() or None,
            version=version,
            settings=matching,
        ),
        reread=lambda: review.get_match(session, principal, match_id, audit_as=Action.match_read),
        conflict_page=conflict_page,
    )


def _decided(
    session: Any,
    principal: Principal,
    queue: str,
    version: int,
    *,
    decide: Callable[[], Decided],
    reread: Callable[[], Decided],
    conflict_page: Callable[[Decided, dict[str, str] | None], Response],
) -> Response:
    """A decision on a match or a duplicate pair, then the next proposed one in its queue
    (`/console/<queue>/...`). A Conflict rolls back and shows the row as it is now, with who
    decided first and what if its version moved on (else the service refused the decision)."""
    try:
        decided = decide()
    except Conflict:
        session.rollback()
        row = reread()
        return conflict_page(row, _stale(session, row) if row.version != version else None)
    following = review.next_to_review(session, principal, decided)
    target = f"/console/{queue}/{following}" if following else f"/console/{queue}?done=1"
    return RedirectResponse(target, status_code=303)


def _report_side(report: Any) -> dict[str, Any]:
    """One report of a duplicate pair as the queue's row shows it."""
    child = report.child
    parts = (child.given_name, child.patronymic, child.family_name)
    return {
        "name": child.full_name or " ".join(p for p in parts if p),
        "born": child.date_of_birth,
        "age": f"{child.age_estimate.min}–{child.age_estimate.max}" if child.age_estimate else None,
        "place": child.home_settlement,
    }


@router.get("/duplicates", dependencies=[audited(Action.duplicate_list)])
def duplicates_queue(
    request: Request,
    principal: Reviewer,
    session: SessionDep,
    status: QueueStatus = MatchStatus.proposed,
    cursor: Cursor = None,
) -> Response:
    """Pairs of reports that may be of one child, best first, 50 a page."""
    rows, next_cursor = duplicates.list_duplicates(
        session, principal, status=status or None, limit=DEFAULT_LIMIT, cursor=cursor
    )
    ids = {i for d in rows for i in (d.report_id, d.duplicate_of_id)}
    found = reports.shown_reports(session, principal, ids, audit_as=Action.report_list)
    shown = {i: _report_side(reports.to_out(r, principal)) for i, r in found.items()}
    now = utcnow()
    items = [
        _queue_item(d, [shown[d.duplicate_of_id], shown[d.report_id]], now)
        for d in rows
        if d.report_id in shown and d.duplicate_of_id in shown
    ]
    return render(
        request,
        "duplicates.html",
        {
            "items": items,
            "next_cursor": next_cursor,
            "query": {"status": status},
            "statuses": list(MatchStatus),
        },
    )


def _duplicate_page(
    request: Request,
    session: Any,
    principal: Principal,
    pair: Duplicate,
    *,
    stale: dict[str, str] | None = None,
    refused: bool = False,
    status: int = 200,
) -> Response:
    later = reports.get_report(session, principal, pair.report_id, audit_as=Action.report_read)
    earlier = reports.get_report(
        session, principal, pair.duplicate_of_id, audit_as=Action.report_read
    )
    events = duplicates.history(session, principal, pair.id)
    people = users.names(
        session,
        [e.actor_id for e in events if e.actor_id] + ([pair.decided_by] if pair.decided_by else []),
    )
    previous, following = review.neighbours(session, principal, pair)
    return render(
        request,
        "duplicate.html",
        {
            "pair": pair,
            "sides": [
                _duplicate_side(session, principal, earlier, "earlier_report"),
                _duplicate_side(session, principal, later, "later_report"),
            ],
            "case_id": duplicates.case_id(session, pair),
            "events": events,
            "people": people,
            "previous": previous,
            "following": following,
            "stale": stale,
            "refused": refused,
            "decisions": _decisions(pair),
            "note_max": TEXT_MAX,
        },
        status=status,
    )


def _duplicate_side(session: Any, principal: Principal, report: Any, label: str) -> dict[str, Any]:
    """One report of a pair: as shown, with the other reports of its case and its siblings."""
    shown = reports.to_out(report, principal)
    case = [r.id for r in cases.reports_of(session, report) if r.id != report.id]
    found = reports.shown_reports(session, principal, case, audit_as=Action.report_list)
    return {
        "label": label,
        "report": shown,
        "case": [reports.to_out(found[i], principal) for i in case if i in found],
        "siblings": _siblings(session, principal, report.id),
    }


@router.get("/duplicates/{duplicate_id}", dependencies=[audited(Action.duplicate_read)])
def duplicate_page(
    request: Request, duplicate_id: RecordId, principal: Reviewer, session: SessionDep
) -> Response:
    """Both reports side by side, the engine's verdict beside each field."""
    pair = duplicates.get_duplicate(
        session, principal, duplicate_id, audit_as=Action.duplicate_read
    )
    return _duplicate_page(request, session, principal, pair)


@router.post(
    "/duplicates/{duplicate_id}/decision",
    dependencies=[audited(Action.duplicate_decide), CsrfChecked],
)
def decide_duplicate(
    request: Request,
    duplicate_id: RecordId,
    principal: Reviewer,
    session: SessionDep,
    decision: Annotated[Decision, Form()],
    version: Annotated[int, Form(ge=1)],
    note: Annotated[NulFree, Form(max_length=TEXT_MAX)] = "",
) -> Response:
    """Decide a pair with the API's version check (confirming joins the reports into one
    case); after it, the next proposed pair opens. Someone else's decision first: the page
    says whose and what, and nothing changes."""

    def conflict_page(pair: Duplicate, stale: dict[str, str] | None) -> Response:
        return _duplicate_page(
            request, session, principal, pair, stale=stale, refused=not stale, status=409
        )

    return _decided(
        session,
        principal,
        "duplicates",
        version,
        decide=lambda: duplicates.decide(
            session,
            principal,
            duplicate_id,
            decision=decision,
            note=note.strip() or None,
            version=version,
        ),
        reread=lambda: duplicates.get_duplicate(
            session, principal, duplicate_id, audit_as=Action.duplicate_read
        ),
        conflict_page=conflict_page,
    )


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
    matched = sightings.shown_sightings(
        session, principal, [m.sighting_id for m in rows], audit_as=Action.sighting_list
    )
    shown = reports.to_out(report, principal)
    side = _duplicate_side(session, principal, report, "report")
    pairs = _duplicates_of(session, principal, report.id)
    return render(
        request,
        "record.html",
        {
            "kind": "report",
            "related": side["siblings"],
            "case": side["case"],
            "duplicates": pairs,
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
            "matched": {
                m.id: sightings.to_out(matched[m.sighting_id], principal, with_source=False).subject
                for m in rows
                if m.sighting_id in matched
            },
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
    matched = reports.shown_reports(
        session, principal, [m.report_id for m in rows], audit_as=Action.report_list
    )
    shown = sightings.to_out(sighting, principal, with_source=False)
    return render(
        request,
        "record.html",
        {
            "kind": "sighting",
            "related": _seen_with(session, principal, sighting.id),
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
            "matched": {
                m.id: reports.to_out(matched[m.report_id], principal).child
                for m in rows
                if m.report_id in matched
            },
            "people": _deciders(session, rows),
        },
    )


def _duplicates_of(session: Any, principal: Principal, report_id: str) -> list[dict[str, Any]]:
    """The duplicate pairs a report is in, best first, each with the other report (pairs and
    reports audited as listed)."""
    pairs = duplicates.of_report(session, principal, report_id)
    found = reports.shown_reports(
        session, principal, [other for other, _ in pairs], audit_as=Action.report_list
    )
    return [
        {"pair": pair, "other": reports.to_out(found[other], principal)}
        for other, pair in pairs
        if other in found
    ]
