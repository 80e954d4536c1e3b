"""Every query on matches, the candidate index and the name-term counts."""

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, Select, and_, delete, false, func, insert, or_, select, update
from sqlalchemy.orm import Session, aliased

from app.core.pagination import page, split_page
from app.core.person import PersonColumns
from app.core.security import Principal
from app.matches.duplicates.models import Duplicate
from app.matches.models import (
    Match,
    MatchEvent,
    MatchStatus,
    ReportKey,
    ReportTerm,
    SightingKey,
)
from app.reports.models import Report
from app.sightings.models import Sighting

_PERSON_COLUMNS = list(PersonColumns.__annotations__)
_REPORT_COLUMNS = [
    getattr(Report, c) for c in ["id", "updated_at", "home_settlement", *_PERSON_COLUMNS]
]
_SIGHTING_COLUMNS = [
    getattr(Sighting, c)
    for c in ["id", "origin_settlement", "observed_on", "created_at", *_PERSON_COLUMNS]
]


@dataclass(frozen=True)
class QueueFilters:
    """What the console's queue may be narrowed by, beside the status."""

    min_score: float | None = None
    max_score: float | None = None
    source_type: str | None = None


def readable(principal: Principal) -> Select[Match]:
    stmt = select(Match)
    return stmt if principal.sees_everything else stmt.where(false())


def get(session: Session, principal: Principal, match_id: str) -> Match | None:
    return session.scalars(readable(principal).where(Match.id == match_id)).one_or_none()


def list_page(
    session: Session,
    principal: Principal,
    *,
    status: str | None,
    limit: int,
    cursor: str | None,
    queue: QueueFilters | None = None,
) -> tuple[list[Match], str | None]:
    stmt = _filtered(readable(principal), status, queue or QueueFilters())
    rows = list(session.scalars(page(stmt, Match, limit=limit, cursor=cursor, by="score")))
    return split_page(rows, limit, by="score")


def _filtered(stmt: Select[Match], status: str | None, queue: QueueFilters) -> Select[Match]:
    if status is not None:
        stmt = stmt.where(Match.status == status)
    if queue.min_score is not None:
        stmt = stmt.where(Match.score >= queue.min_score)
    if queue.max_score is not None:
        stmt = stmt.where(Match.score <= queue.max_score)
    if queue.source_type is not None:
        stmt = stmt.join(Sighting, Sighting.id == Match.sighting_id).where(
            Sighting.source_type == queue.source_type
        )
    return stmt


def of_record(
    session: Session, principal: Principal, *, report_id: str | None, sighting_id: str | None
) -> list[Match]:
    stmt = readable(principal)
    if report_id is not None:
        stmt = stmt.where(Match.report_id == report_id)
    if sighting_id is not None:
        stmt = stmt.where(Match.sighting_id == sighting_id)
    return list(session.scalars(stmt.order_by(Match.score.desc(), Match.id.desc())))


def neighbour(
    session: Session, principal: Principal, match: Match, *, status: str, after: bool
) -> Match | None:
    """The match just after (or before) `match` in the queue of `status`, best first."""
    stmt = readable(principal).where(Match.status == status, Match.id != match.id)
    if after:
        stmt = stmt.where(
            or_(Match.score < match.score, and_(Match.score == match.score, Match.id < match.id))
        ).order_by(Match.score.desc(), Match.id.desc())
    else:
        stmt = stmt.where(
            or_(Match.score > match.score, and_(Match.score == match.score, Match.id > match.id))
        ).order_by(Match.score.asc(), Match.id.asc())
    return session.scalars(stmt.limit(1)).first()


def best(session: Session, principal: Principal, *, status: str, other_than: str) -> Match | None:
    """The best match of `status` other than the one given."""
    stmt = readable(principal).where(Match.status == status, Match.id != other_than)
    return session.scalars(stmt.order_by(Match.score.desc(), Match.id.desc()).limit(1)).first()


def keyed_ids(
    session: Session, model: type[ReportKey] | type[SightingKey], prefixes: Iterable[str]
) -> dict[str, set[str]]:
    """For each key prefix, the records holding a key that starts with it (index range scans)."""
    record = model.report_id if model is ReportKey else model.sighting_id  # type: ignore[union-attr]
    found: dict[str, set[str]] = {}
    for prefix in prefixes:
        rows = session.scalars(
            select(record).where(model.key >= prefix, model.key < prefix + "\uffff").distinct()
        )
        found[prefix] = set(rows)
    return found


def history(session: Session, match_id: str) -> list[MatchEvent]:
    return list(
        session.scalars(
            select(MatchEvent)
            .where(MatchEvent.match_id == match_id)
            .order_by(MatchEvent.created_at, MatchEvent.id)
        )
    )


def for_report(session: Session, report_id: str) -> dict[str, Match]:
    rows = session.scalars(select(Match).where(Match.report_id == report_id))
    return {match.sighting_id: match for match in rows}


def confirmed_for_sighting(session: Session, sighting_id: str, *, other_than: str) -> Match | None:
    return session.scalars(
        select(Match).where(
            Match.sighting_id == sighting_id,
            Match.status == MatchStatus.confirmed.value,
            Match.id != other_than,
        )
    ).first()


def confirmed_count_for_reports(session: Session, report_ids: Iterable[str]) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Match)
            .where(
                Match.report_id.in_(list(report_ids)),
                Match.status == MatchStatus.confirmed.value,
            )
        )
        or 0
    )


def case_blocked(session: Session, sighting_ids: Iterable[str]) -> set[tuple[str, str]]:
    """(report id, sighting id) of the pairs not to propose: the sighting is confirmed for
    another report of the report's case (one child reported by two families)."""
    confirmed_for = aliased(Report)
    other = aliased(Report)
    rows = session.execute(
        select(other.id, Match.sighting_id)
        .join(confirmed_for, confirmed_for.id == Match.report_id)
        .join(other, and_(other.case_id == confirmed_for.case_id, other.id != confirmed_for.id))
        .where(
            Match.status == MatchStatus.confirmed.value,
            Match.sighting_id.in_(list(sighting_ids)),
        )
    )
    return {(report_id, sighting_id) for report_id, sighting_id in rows}


def proposed_within(session: Session, report_ids: Iterable[str]) -> list[Match]:
    """The proposed matches of sightings confirmed for one of `report_ids` to another of them."""
    wanted = list(report_ids)
    confirmed = (
        select(Match.sighting_id)
        .where(Match.report_id.in_(wanted), Match.status == MatchStatus.confirmed.value)
        .scalar_subquery()
    )
    return list(
        session.scalars(
            select(Match).where(
                Match.report_id.in_(wanted),
                Match.status == MatchStatus.proposed.value,
                Match.sighting_id.in_(confirmed),
            )
        )
    )


def set_decision(
    session: Session, match: Match | Duplicate, *, seen_version: int, **values: object
) -> bool:
    """Compare-and-set on the version: False when someone else changed the match (or the
    duplicate pair) first."""
    model = type(match)
    changed = session.execute(
        update(model)
        .where(model.id == match.id, model.version == seen_version)
        .values(version=seen_version + 1, **values)
        .execution_options(synchronize_session=False)
    )
    if not changed.rowcount:  # type: ignore[attr-defined]
        return False
    session.refresh(match)
    return True


def replace_report_indexes(
    session: Session, indexes: Mapping[str, tuple[Iterable[str], Iterable[str]]]
) -> None:
    """Replace the blocking keys and name terms of reports: {report id: (keys, terms)}. Only
    the reports whose stored index differs are written (a rematch after a change of the
    threshold, or of the engine's scoring, leaves most keys as they were)."""
    wanted = {i: (set(ks), set(ts)) for i, (ks, ts) in indexes.items()}
    stored: dict[str, tuple[set[str], set[str]]] = {i: (set(), set()) for i in wanted}
    for chunk in _chunks(list(wanted), 5000):
        for report_id, key in session.execute(
            select(ReportKey.report_id, ReportKey.key).where(ReportKey.report_id.in_(chunk))
        ):
            stored[report_id][0].add(key)
        for report_id, term in session.execute(
            select(ReportTerm.report_id, ReportTerm.term).where(ReportTerm.report_id.in_(chunk))
        ):
            stored[report_id][1].add(term)
    changed = [i for i, index in wanted.items() if index != stored[i]]
    if not changed:
        return
    session.execute(delete(ReportKey).where(ReportKey.report_id.in_(changed)))
    session.execute(delete(ReportTerm).where(ReportTerm.report_id.in_(changed)))
    keys = [{"report_id": i, "key": k} for i in changed for k in wanted[i][0]]
    terms = [{"report_id": i, "term": t} for i in changed for t in wanted[i][1]]
    if keys:
        session.execute(insert(ReportKey), keys)
    if terms:
        session.execute(insert(ReportTerm), terms)


def mark_matched(
    session: Session, model: type[Report] | type[Sighting], ids: list[str], signature: str
) -> None:
    """Record what the index and proposals of these records were computed with. The records
    themselves did not change: their updated_at stays as it was."""
    for chunk in _chunks(ids, 5000):
        session.execute(
            update(model)
            .where(model.id.in_(chunk))
            .values(matched_with=signature, updated_at=model.updated_at)
            .execution_options(synchronize_session=False)
        )


def replace_sighting_indexes(session: Session, indexes: Mapping[str, Iterable[str]]) -> None:
    """Replace the blocking keys of sightings: {sighting id: keys}."""
    session.execute(delete(SightingKey).where(SightingKey.sighting_id.in_(list(indexes))))
    rows = [{"sighting_id": i, "key": k} for i, ks in indexes.items() for k in ks]
    if rows:
        session.execute(insert(SightingKey), rows)


def report_ids_by_key(session: Session, keys: Iterable[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    wanted = list(set(keys))
    for chunk in _chunks(wanted, 5000):
        # One row per key with its reports joined, not one per (key, report): a batch of a
        # rematch reaches some 200,000 pairs, and building a row for each costs more than
        # the query.
        rows = session.execute(
            select(ReportKey.key, func.aggregate_strings(ReportKey.report_id, ","))
            .where(ReportKey.key.in_(chunk))
            .group_by(ReportKey.key)
        )
        for key, report_ids in rows:
            found[key] = report_ids.split(",")
    return found


def report_rows(session: Session, ids: Iterable[str]) -> list[Row[Any]]:
    """What the engine needs of each report, as plain rows: loading whole ORM objects for
    thousands of candidates would cost more than scoring them."""
    return _rows_by_id(session, Report, _REPORT_COLUMNS, ids)


def sighting_rows(session: Session, ids: Iterable[str]) -> list[Row[Any]]:
    """What the engine needs of each sighting, as plain rows (see `report_rows`)."""
    return _rows_by_id(session, Sighting, _SIGHTING_COLUMNS, ids)


def _rows_by_id(
    session: Session,
    model: type[Report] | type[Sighting],
    columns: list[Any],
    ids: Iterable[str],
) -> list[Row[Any]]:
    rows: list[Row[Any]] = []
    for chunk in _chunks(list(set(ids)), 5000):
        rows += session.execute(select(*columns).where(model.id.in_(chunk))).all()
    return rows


def all_report_rows(session: Session) -> Iterator[Row[Any]]:
    yield from session.execute(select(*_REPORT_COLUMNS).execution_options(yield_per=2000))


def sighting_rows_sharing_keys(session: Session, keys: Iterable[str]) -> list[Row[Any]]:
    reached = select(SightingKey.sighting_id).where(SightingKey.key.in_(list(keys))).distinct()
    return list(session.execute(select(*_SIGHTING_COLUMNS).where(Sighting.id.in_(reached))))


def matches_for_sightings(session: Session, ids: Iterable[str]) -> dict[str, dict[str, Match]]:
    """{sighting id: {report id: match}} for the given sightings."""
    found: dict[str, dict[str, Match]] = {}
    for match in session.scalars(select(Match).where(Match.sighting_id.in_(list(ids)))):
        found.setdefault(match.sighting_id, {})[match.report_id] = match
    return found


def sightings_matched_to(session: Session, report_ids: Iterable[str]) -> set[str]:
    """The sightings with a match (of any status) to one of these reports."""
    wanted = list(set(report_ids))
    if not wanted:
        return set()
    return set(session.scalars(select(Match.sighting_id).where(Match.report_id.in_(wanted))))


def all_term_shares(session: Session) -> dict[str, float]:
    """Every term's share among all reports, for a run over everything."""
    total = session.scalar(select(func.count()).select_from(Report)) or 0
    if not total:
        return {}
    counts = session.execute(select(ReportTerm.term, func.count()).group_by(ReportTerm.term))
    return {term: count / total for term, count in counts}


def stale_ids(
    session: Session,
    model: type[Report] | type[Sighting],
    signature: str,
    *,
    limit: int,
    first_digits: str = "0123456789abcdef",
) -> list[str]:
    """Ids of records whose index was computed with another engine or threshold, among those
    whose id starts with one of `first_digits` (how parallel workers share the work)."""
    column = model.matched_with
    stmt = select(model.id).where(
        or_(column.is_(None), column != signature),
        func.substr(model.id, 1, 1).in_(list(first_digits)),
    )
    return list(session.scalars(stmt.order_by(model.id).limit(limit)))


def count_stale(session: Session, model: type[Report] | type[Sighting], signature: str) -> int:
    column = model.matched_with
    return (
        session.scalar(
            select(func.count())
            .select_from(model)
            .where(or_(column.is_(None), column != signature))
        )
        or 0
    )


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


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
