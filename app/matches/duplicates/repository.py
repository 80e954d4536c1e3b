"""Every query on duplicate pairs and on cases (the reports joined by confirmed pairs)."""

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Select, false, or_, select
from sqlalchemy.orm import Session

from app.core.pagination import page, split_page
from app.core.security import Principal
from app.matches import repository as matches
from app.matches.duplicates.models import Duplicate, DuplicateEvent
from app.matches.models import MatchStatus
from app.reports.models import Report


def readable(principal: Principal) -> Select[Duplicate]:
    """Coordinators and admins see every pair; nobody else any (a family never learns that
    another family reported its child)."""
    stmt = select(Duplicate)
    return stmt if principal.sees_everything else stmt.where(false())


def get(session: Session, principal: Principal, duplicate_id: str) -> Duplicate | None:
    return session.scalars(readable(principal).where(Duplicate.id == duplicate_id)).one_or_none()


def list_page(
    session: Session, principal: Principal, *, status: str | None, limit: int, cursor: str | None
) -> tuple[list[Duplicate], str | None]:
    stmt = readable(principal)
    if status is not None:
        stmt = stmt.where(Duplicate.status == status)
    rows = list(session.scalars(page(stmt, Duplicate, limit=limit, cursor=cursor, by="score")))
    return split_page(rows, limit, by="score")


def history(session: Session, duplicate_id: str) -> list[DuplicateEvent]:
    return list(
        session.scalars(
            select(DuplicateEvent)
            .where(DuplicateEvent.duplicate_id == duplicate_id)
            .order_by(DuplicateEvent.created_at, DuplicateEvent.id)
        )
    )


def for_report(session: Session, report_id: str) -> dict[str, Duplicate]:
    """The pairs a report is in, by the other report's id (the worker's view: every pair)."""
    return _by_other(session, select(Duplicate), report_id)


def readable_for_report(
    session: Session, principal: Principal, report_id: str
) -> dict[str, Duplicate]:
    """The pairs a report is in that the caller may see, by the other report's id."""
    return _by_other(session, readable(principal), report_id)


def _by_other(session: Session, stmt: Select[Duplicate], report_id: str) -> dict[str, Duplicate]:
    rows = session.scalars(
        stmt.where(or_(Duplicate.report_id == report_id, Duplicate.duplicate_of_id == report_id))
    )
    return {
        (pair.duplicate_of_id if pair.report_id == report_id else pair.report_id): pair
        for pair in rows
    }


def filed_at(session: Session, ids: Iterable[str]) -> dict[str, tuple[datetime, str]]:
    """When each report was filed, with its id: the order that says which of a pair came first.
    Read in chunks: a rematch batch asks for every report it reaches (PostgreSQL takes at most
    65,535 parameters in one statement)."""
    filed = {}
    for chunk in matches.chunks(list(set(ids)), 5000):
        rows = session.execute(select(Report.id, Report.created_at).where(Report.id.in_(chunk)))
        filed.update({report_id: (created_at, report_id) for report_id, created_at in rows})
    return filed


def case_of(session: Session, case_id: str) -> list[Report]:
    return list(session.scalars(select(Report).where(Report.case_id == case_id)))


def lock_cases(session: Session, ids: Iterable[str]) -> dict[str, Report]:
    """Lock these reports and every report of their cases (SELECT ... FOR NO KEY UPDATE: a
    decision writes their status and case, never their id), all in the order of their ids, so
    that two transactions locking overlapping cases never hold what the other waits for;
    {id: report}, as they are once locked. A report that joined one of the cases while this
    waited is locked too."""
    wanted: set[str] = set(ids)
    locked: dict[str, Report] = {}
    while missing := wanted - set(locked):
        stmt = (
            select(Report)
            .where(Report.id.in_(missing))
            .order_by(Report.id)
            .with_for_update(key_share=True)
            .execution_options(populate_existing=True)
        )
        found = {report.id: report for report in session.scalars(stmt)}
        locked |= found
        wanted -= missing - set(found)  # deleted meanwhile: nothing to wait for
        cases = {r.case_id for r in locked.values() if r.case_id is not None}
        if cases:
            wanted |= set(session.scalars(select(Report.id).where(Report.case_id.in_(cases))))
    return locked


def confirmed_among(session: Session, ids: Iterable[str]) -> list[Duplicate]:
    """The confirmed pairs both of whose reports are among `ids`."""
    wanted = set(ids)
    return list(
        session.scalars(
            select(Duplicate).where(
                Duplicate.status == MatchStatus.confirmed.value,
                Duplicate.report_id.in_(wanted),
                Duplicate.duplicate_of_id.in_(wanted),
            )
        )
    )


def add_event(session: Session, event: DuplicateEvent) -> None:
    session.add(event)
