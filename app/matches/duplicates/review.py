"""Coordinators' review of duplicate pairs, as of matches: read, decide (confirm, reject,
reopen) on the version seen, history. Confirming joins the two reports' cases; reopening a
confirmed pair splits its case again."""

from sqlalchemy.orm import Session

from app.audit import service as audit
from app.audit.models import Action
from app.core.models import utcnow
from app.core.problems import Conflict, NotFound
from app.core.security import Principal
from app.matches import repository as matches
from app.matches.duplicates import cases, repository
from app.matches.duplicates.models import Duplicate, DuplicateEvent
from app.matches.models import Decision, MatchStatus
from app.matches.review import check_decision, result_of
from app.reports.models import Report


def get_duplicate(
    session: Session, principal: Principal, duplicate_id: str, *, audit_as: Action
) -> Duplicate:
    """The pair, if the caller may see it (else 404); audited as the caller's `audit_as`."""
    duplicate = _get_or_404(session, principal, duplicate_id)
    audit.record(session, principal, audit_as, [duplicate.id])
    return duplicate


def _get_or_404(session: Session, principal: Principal, duplicate_id: str) -> Duplicate:
    duplicate = repository.get(session, principal, duplicate_id)
    if duplicate is None:
        raise NotFound()
    return duplicate


def list_duplicates(
    session: Session, principal: Principal, *, status: str | None, limit: int, cursor: str | None
) -> tuple[list[Duplicate], str | None]:
    rows, next_cursor = repository.list_page(
        session, principal, status=status, limit=limit, cursor=cursor
    )
    audit.record(session, principal, Action.duplicate_list, [d.id for d in rows])
    return rows, next_cursor


def of_report(
    session: Session, principal: Principal, report_id: str
) -> list[tuple[str, Duplicate]]:
    """The pairs a report is in that the caller may see, best first, each with the other
    report's id; audited as listed."""
    pairs = sorted(
        repository.readable_for_report(session, principal, report_id).items(),
        key=lambda item: (-item[1].score, item[1].id),
    )
    audit.record(session, principal, Action.duplicate_list, [pair.id for _, pair in pairs])
    return pairs


def history(session: Session, principal: Principal, duplicate_id: str) -> list[DuplicateEvent]:
    duplicate = get_duplicate(session, principal, duplicate_id, audit_as=Action.duplicate_history)
    return repository.history(session, duplicate.id)


def case_id(session: Session, duplicate: Duplicate) -> str | None:
    """The case both reports of the pair are in (None unless a confirmation joined them)."""
    report = session.get(Report, duplicate.report_id)
    other = session.get(Report, duplicate.duplicate_of_id)
    if report is None or other is None or report.case_id != other.case_id:
        return None
    return report.case_id


def decide(
    session: Session,
    principal: Principal,
    duplicate_id: str,
    *,
    decision: Decision,
    note: str | None,
    version: int,
) -> Duplicate:
    duplicate = _get_or_404(session, principal, duplicate_id)
    check_decision(duplicate, decision, version, noun="duplicate pair")
    # Every report the decision may write locked first, before the pair: the matching worker
    # writes a report and then its pairs, and a decision that held the pair while waiting for
    # the report would deadlock with it. A decision on another pair of these cases joins or
    # splits after this one, and reads the case it leaves.
    locked = repository.lock_cases(session, [duplicate.report_id, duplicate.duplicate_of_id])
    before = duplicate.status
    changed = matches.set_decision(
        session,
        duplicate,
        seen_version=version,
        status=result_of(decision).value,
        decided_by=principal.user_id,
        decided_at=utcnow(),
        note=note,
        updated_at=utcnow(),
    )
    if not changed:
        raise Conflict("Someone decided this duplicate pair first; reload it and decide again.")
    report, other = locked[duplicate.report_id], locked[duplicate.duplicate_of_id]
    if decision == Decision.confirm:
        cases.join(session, report, other)
    elif decision == Decision.reopen and before == MatchStatus.confirmed and report.case_id:
        cases.split(session, report.case_id)
    repository.add_event(
        session,
        DuplicateEvent.of(
            duplicate,
            decision.value,
            before,
            case_id=report.case_id,
            actor_id=principal.user_id,
            note=note,
        ),
    )
    audit.record(session, principal, Action.duplicate_decide, [duplicate.id])
    session.flush()
    return duplicate
