"""Every query on duplicate pairs and on cases (the reports joined by confirmed pairs)."""

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Select, false, or_, select
from sqlalchemy.orm import Session

from app.core.pagination import page, split_page
from app.core.security import Principal
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
    """The pairs a report is in, by the other report's id."""
    rows = session.scalars(
        select(Duplicate).where(
            or_(Duplicate.report_id == report_id, Duplicate.duplicate_of_id == report_id)
        )
    )
    return {
        (pair.duplicate_of_id if pair.report_id == report_id else pair.report_id): pair
        for pair in rows
    }


def filed_at(session: Session, ids: Iterable[str]) -> dict[str, tuple[datetime, str]]:
    """When each report was filed, with its id: the order that says which of a pair came first."""
    rows = session.execute(select(Report.id, Report.created_at).where(Report.id.in_(set(ids))))
    return {report_id: (created_at, report_id) for report_id, created_at in rows}


def case_of(session: Session, case_id: str) -> list[Report]:
    return list(session.scalars(select(Report).where(Report.case_id == case_id)))


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
