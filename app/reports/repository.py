"""Every query on reports. `readable` is the one place that says who may see which report."""

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import Select, delete, false, select
from sqlalchemy.orm import Session

from app.core.pagination import page, split_page
from app.core.related import related_ids
from app.core.security import Principal, Role
from app.reports.models import Report, ReportSibling


def readable(principal: Principal) -> Select[Report]:
    stmt = select(Report)
    if principal.sees_everything:
        return stmt
    if principal.role == Role.family:
        return stmt.where(Report.owner_id == principal.user_id)
    return stmt.where(false())


def get(session: Session, principal: Principal, report_id: str) -> Report | None:
    return session.scalars(readable(principal).where(Report.id == report_id)).one_or_none()


def list_page(
    session: Session,
    principal: Principal,
    *,
    limit: int,
    cursor: str | None,
    status: str | None = None,
) -> tuple[list[Report], str | None]:
    stmt = readable(principal)
    if status is not None:
        stmt = stmt.where(Report.status == status)
    rows = list(session.scalars(page(stmt, Report, limit=limit, cursor=cursor)))
    return split_page(rows, limit)


def by_ids(session: Session, principal: Principal, ids: Iterable[str]) -> dict[str, Report]:
    """The reports among `ids` the caller may see."""
    wanted = set(ids)
    if not wanted:
        return {}
    rows = session.scalars(readable(principal).where(Report.id.in_(wanted)))
    return {report.id: report for report in rows}


def updated_since(session: Session, since: datetime) -> list[tuple[str, datetime]]:
    """(id, updated_at) of the reports updated at or after `since`."""
    rows = session.execute(select(Report.id, Report.updated_at).where(Report.updated_at >= since))
    return [(report_id, updated_at) for report_id, updated_at in rows]


def existing_ids(session: Session, ids: list[str]) -> set[str]:
    """Which of these report ids exist (whoever may see them: for an import, which acts for
    the service itself)."""
    return set(session.scalars(select(Report.id).where(Report.id.in_(ids))))


def add_all(session: Session, reports: Sequence[Report]) -> None:
    session.add_all(reports)
    session.flush()


def sibling_ids(session: Session, report_ids: Iterable[str]) -> dict[str, set[str]]:
    """{report id: its siblings' ids} for these reports, whoever may see them (the engine's
    view; a caller's answer filters them through `by_ids`)."""
    return related_ids(session, (ReportSibling.report_id, ReportSibling.sibling_id), report_ids)


def case_mates(session: Session, report_ids: Iterable[str]) -> dict[str, set[str]]:
    """{report id: the other reports of its case} for these reports that are in a case (two
    families' reports of one child, joined by a confirmed duplicate pair), whoever may see
    them (the engine's view)."""
    wanted = set(report_ids)
    if not wanted:
        return {}
    cases = select(Report.case_id).where(Report.id.in_(wanted), Report.case_id.is_not(None))
    members: dict[str, set[str]] = {}
    for report_id, case_id in session.execute(
        select(Report.id, Report.case_id).where(Report.case_id.in_(cases))
    ):
        if case_id is not None:
            members.setdefault(case_id, set()).add(report_id)
    return {
        report_id: case - {report_id}
        for case in members.values()
        for report_id in case
        if report_id in wanted and len(case) > 1
    }


def link_siblings(
    session: Session, report_id: str, add: Iterable[str], drop: Iterable[str]
) -> None:
    """Add and remove sibling pairs of one report (each pair stored once, smaller id first)."""
    for other in drop:
        a, b = sorted((report_id, other))
        session.execute(
            delete(ReportSibling).where(ReportSibling.report_id == a, ReportSibling.sibling_id == b)
        )
    session.add_all(
        ReportSibling(report_id=a, sibling_id=b)
        for a, b in (sorted((report_id, other)) for other in add)
    )
    session.flush()
