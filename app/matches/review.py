"""Coordinators' review: reading matches, deciding (confirm, reject, reopen), their history."""

from typing import Any

from sqlalchemy import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.audit.models import Action
from app.core.models import utcnow
from app.core.problems import Conflict, NotFound
from app.core.security import Principal
from app.matches import groups, proposals, repository, worker
from app.matches.duplicates import cases
from app.matches.duplicates import repository as duplicates
from app.matches.duplicates.models import Duplicate
from app.matches.engine import MatchingSettings
from app.matches.models import Decision, Match, MatchEvent, MatchStatus, QueuedKind, Reviewed
from app.reports.models import Report, ReportStatus

# Which decisions may follow which status. A rejected pair stays rejected until a person reopens.
_ALLOWED: dict[Decision, set[str]] = {
    Decision.confirm: {MatchStatus.proposed, MatchStatus.withdrawn},
    Decision.reject: {MatchStatus.proposed, MatchStatus.withdrawn},
    Decision.reopen: {MatchStatus.confirmed, MatchStatus.rejected},
}
_RESULT = {
    Decision.confirm: MatchStatus.confirmed,
    Decision.reject: MatchStatus.rejected,
    Decision.reopen: MatchStatus.proposed,
}


def get_match(session: Session, principal: Principal, match_id: str, *, audit_as: Action) -> Match:
    """The match, if the caller may see it (else 404); audited as the caller's `audit_as`."""
    match = _get_or_404(session, principal, match_id)
    audit.record(session, principal, audit_as, [match.id])
    return match


def _get_or_404(session: Session, principal: Principal, match_id: str) -> Match:
    match = repository.get(session, principal, match_id)
    if match is None:
        raise NotFound()
    return match


def list_matches(
    session: Session,
    principal: Principal,
    *,
    status: str | None,
    limit: int,
    cursor: str | None,
    queue: repository.QueueFilters | None = None,
) -> tuple[list[Match], str | None]:
    rows, next_cursor = repository.list_page(
        session, principal, status=status, limit=limit, cursor=cursor, queue=queue
    )
    audit.record(session, principal, Action.match_list, [match.id for match in rows])
    return rows, next_cursor


def queue_page(
    session: Session,
    principal: Principal,
    *,
    status: str | None,
    limit: int,
    cursor: str | None,
    queue: repository.QueueFilters,
) -> tuple[list[Row[Any]], str | None]:
    """The console's queue: a page of light rows (`repository.queue_page`); every match,
    report and sighting on it audited as listed, as the API's lists are."""
    rows, next_cursor = repository.queue_page(
        session, principal, status=status, limit=limit, cursor=cursor, queue=queue
    )
    audit.record(session, principal, Action.match_list, [row.id for row in rows])
    for action, ids in (
        (Action.report_list, [row.report_id for row in rows]),
        (Action.sighting_list, [row.sighting_id for row in rows]),
    ):
        audit.record(session, principal, action, list(dict.fromkeys(ids)))
    return rows, next_cursor


def of_record(
    session: Session,
    principal: Principal,
    *,
    report_id: str | None = None,
    sighting_id: str | None = None,
) -> list[Match]:
    """The matches of one report or one sighting, best first; audited as listed."""
    rows = repository.of_record(session, principal, report_id=report_id, sighting_id=sighting_id)
    audit.record(session, principal, Action.match_list, [match.id for match in rows])
    return rows


def neighbours(
    session: Session, principal: Principal, row: Match | Duplicate
) -> tuple[str | None, str | None]:
    """The ids of the proposed rows just before and just after `row` in its queue (matches,
    or duplicate pairs)."""
    status = MatchStatus.proposed.value
    return (
        repository.neighbour(session, principal, row, status=status, after=False),
        repository.neighbour(session, principal, row, status=status, after=True),
    )


def next_to_review(
    session: Session, principal: Principal, decided: Match | Duplicate
) -> str | None:
    """What to open after a decision (its id): the next proposed row below it in its queue,
    else the best one left."""
    status = MatchStatus.proposed.value
    return repository.neighbour(
        session, principal, decided, status=status, after=True
    ) or repository.best(session, principal, type(decided), status=status, other_than=decided.id)


def history(session: Session, principal: Principal, match_id: str) -> list[MatchEvent]:
    match = get_match(session, principal, match_id, audit_as=Action.match_history)
    return repository.history(session, match.id)


def decide(
    session: Session,
    principal: Principal,
    match_id: str,
    *,
    decision: Decision,
    note: str | None,
    version: int,
    settings: MatchingSettings,
) -> Match:
    """Decide a match; the group of its sighting and report is scored again (a confirmed pair
    is certain evidence for its companions, a rejected one none)."""
    match = _get_or_404(session, principal, match_id)
    check_decision(match, decision, version, noun="match")
    # The reports of the case locked before the match, as a duplicate decision does: the
    # matching worker writes a report and then its matches.
    case = list(duplicates.lock_cases(session, [match.report_id]).values())
    # Then the sightings its group's scoring will write, before the match (groups.lock_group).
    groups.lock_group(session, report_ids=[match.report_id], sighting_ids=[match.sighting_id])
    before = match.status
    if decision == Decision.confirm:
        _refuse_second_confirmation(session, match)
    try:
        changed = repository.set_decision(
            session,
            match,
            seen_version=version,
            status=_RESULT[decision].value,
            decided_by=principal.user_id,
            decided_at=utcnow(),
            note=note,
            updated_at=utcnow(),
        )
    except IntegrityError:
        # Another coordinator confirmed the same sighting for another report at this moment.
        raise Conflict("This sighting was just confirmed for another report.") from None
    if not changed:
        raise Conflict("Someone decided this match first; reload it and decide again.")
    repository.add_event(
        session,
        MatchEvent.of(match, decision.value, before, actor_id=principal.user_id, note=note),
    )
    _apply_to_report(session, match, case, decision, before)
    audit.record(session, principal, Action.match_decide, [match.id])
    groups.rescore_groups(
        session, report_ids=[match.report_id], sighting_ids=[match.sighting_id], settings=settings
    )
    session.flush()
    return match


def check_decision(row: Reviewed, decision: Decision, version: int, *, noun: str) -> None:
    """Refuse (409) a decision made on another version than the row's, or one its status
    does not allow."""
    if row.version != version:
        raise Conflict(f"The {noun} is at version {row.version}: someone changed it first.")
    if row.status not in _ALLOWED[decision]:
        raise Conflict(f"A {row.status} {noun} cannot be given the decision '{decision}'.")


def result_of(decision: Decision) -> MatchStatus:
    """The status a decision leaves a row in."""
    return _RESULT[decision]


def _refuse_second_confirmation(session: Session, match: Match) -> None:
    first = repository.confirmed_for_sighting(session, match.sighting_id, other_than=match.id)
    if first is not None:
        raise Conflict(
            f"This sighting is already confirmed for report {first.report_id} "
            f"(match {first.id}); reopen that match first."
        )


def _apply_to_report(
    session: Session, match: Match, case: list[Report], decision: Decision, before: str
) -> None:
    """Set the coarse status of the report and of every report of its case (one child reported
    by several families), the one thing each family may learn of a decision.

    Their `updated_at` is kept, so that a confirmation later taken back leaves no trace that a
    family could see.
    """
    if decision == Decision.confirm:
        cases.set_statuses(case, ReportStatus.located)
        # The sighting is this child: no other report of the case is to be offered it.
        proposals.withdraw_within_case(session, [r.id for r in case])
    elif decision == Decision.reopen and before == MatchStatus.confirmed:
        cases.reopen_if_unconfirmed(session, case)
        if len(case) > 1:
            # The sighting was withheld from the case's other reports: it may be theirs now.
            worker.enqueue(session, QueuedKind.sighting, [match.sighting_id])
