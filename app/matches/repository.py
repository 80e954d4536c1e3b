"""Every query on matches, the candidate index and the name-term counts."""

from collections.abc import Iterable

from sqlalchemy import Select, delete, false, func, insert, select, update
from sqlalchemy.orm import Session

from app.core.pagination import page, split_page
from app.core.security import Principal
from app.matches.models import Match, MatchEvent, ReportKey, ReportTerm, SightingKey
from app.reports.models import Report
from app.sightings.models import Sighting


def readable(principal: Principal) -> Select[Match]:
    stmt = select(Match)
    return stmt if principal.sees_everything else stmt.where(false())


def get(session: Session, principal: Principal, match_id: str) -> Match | None:
    return session.scalars(readable(principal).where(Match.id == match_id)).one_or_none()


def list_page(
    session: Session, principal: Principal, *, status: str | None, limit: int, cursor: str | None
) -> tuple[list[Match], str | None]:
    stmt = readable(principal)
    if status is not None:
        stmt = stmt.where(Match.status == status)
    rows = list(session.scalars(page(stmt, Match, limit=limit, cursor=cursor, by="score")))
    return split_page(rows, limit, by="score")


def history(session: Session, match_id: str) -> list[MatchEvent]:
    return list(
        session.scalars(
            select(MatchEvent)
            .where(MatchEvent.match_id == match_id)
            .order_by(MatchEvent.created_at, MatchEvent.id)
        )
    )


def for_sighting(session: Session, sighting_id: str) -> dict[str, Match]:
    rows = session.scalars(select(Match).where(Match.sighting_id == sighting_id))
    return {match.report_id: match for match in rows}


def for_report(session: Session, report_id: str) -> dict[str, Match]:
    rows = session.scalars(select(Match).where(Match.report_id == report_id))
    return {match.sighting_id: match for match in rows}


def confirmed_for_sighting(session: Session, sighting_id: str, *, other_than: str) -> Match | None:
    return session.scalars(
        select(Match).where(
            Match.sighting_id == sighting_id, Match.status == "confirmed", Match.id != other_than
        )
    ).first()


def confirmed_count_for_report(session: Session, report_id: str) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Match)
            .where(Match.report_id == report_id, Match.status == "confirmed")
        )
        or 0
    )


def set_decision(session: Session, match: Match, *, seen_version: int, **values: object) -> bool:
    """Compare-and-set on the version: False when someone else changed the match first."""
    changed = session.execute(
        update(Match)
        .where(Match.id == match.id, Match.version == seen_version)
        .values(version=seen_version + 1, **values)
        .execution_options(synchronize_session=False)
    )
    if not changed.rowcount:  # type: ignore[attr-defined]
        return False
    session.refresh(match)
    return True


def replace_report_index(
    session: Session, report_id: str, keys: Iterable[str], terms: Iterable[str]
) -> None:
    session.execute(delete(ReportKey).where(ReportKey.report_id == report_id))
    session.execute(delete(ReportTerm).where(ReportTerm.report_id == report_id))
    key_rows = [{"report_id": report_id, "key": key} for key in keys]
    term_rows = [{"report_id": report_id, "term": term} for term in terms]
    if key_rows:
        session.execute(insert(ReportKey), key_rows)
    if term_rows:
        session.execute(insert(ReportTerm), term_rows)


def replace_sighting_index(session: Session, sighting_id: str, keys: Iterable[str]) -> None:
    session.execute(delete(SightingKey).where(SightingKey.sighting_id == sighting_id))
    rows = [{"sighting_id": sighting_id, "key": key} for key in keys]
    if rows:
        session.execute(insert(SightingKey), rows)


def reports_sharing_keys(session: Session, keys: Iterable[str]) -> list[Report]:
    reached = select(ReportKey.report_id).where(ReportKey.key.in_(list(keys))).distinct()
    return list(session.scalars(select(Report).where(Report.id.in_(reached))))


def sightings_sharing_keys(session: Session, keys: Iterable[str]) -> list[Sighting]:
    reached = select(SightingKey.sighting_id).where(SightingKey.key.in_(list(keys))).distinct()
    return list(session.scalars(select(Sighting).where(Sighting.id.in_(reached))))


def term_shares(session: Session, terms: Iterable[str]) -> dict[str, float]:
    """Each term's share among all reports (what the engine calls frequencies)."""
    wanted = list(terms)
    total = session.scalar(select(func.count()).select_from(Report)) or 0
    if not wanted or not total:
        return {}
    counts = session.execute(
        select(ReportTerm.term, func.count())
        .where(ReportTerm.term.in_(wanted))
        .group_by(ReportTerm.term)
    )
    return {term: count / total for term, count in counts}


def add_event(session: Session, event: MatchEvent) -> None:
    session.add(event)
