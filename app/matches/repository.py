"""Every query on matches, the candidate index, the name-term counts and the matching queue."""

import time
import weakref
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Row,
    Select,
    and_,
    delete,
    exists,
    false,
    func,
    insert,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.orm import Session, aliased

import matching
from app.core.models import utcnow
from app.core.pagination import page, split_page
from app.core.person import PersonColumns
from app.core.security import Principal
from app.matches.duplicates.models import Duplicate
from app.matches.models import (
    Match,
    MatchEvent,
    MatchingQueueItem,
    MatchStatus,
    ReportCodes,
    ReportKey,
    ReportTerm,
    SightingKey,
)
from app.reports.models import Report
from app.sightings.models import Sighting

HEX_DIGITS = "0123456789abcdef"  # what record ids start with
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


# What the review queue shows of each child: the name, birth and place (no free text, no
# encrypted column, so that a page of 50 rows is one light query).
_SHOWN_PERSON = [
    "given_name",
    "family_name",
    "patronymic",
    "full_name",
    "birth_year",
    "birth_month",
    "birth_day",
    "age_min",
    "age_max",
]
QUEUE_REPORT = "report_"
QUEUE_SIGHTING = "sighting_"


def queue_page(
    session: Session,
    principal: Principal,
    *,
    status: str | None,
    limit: int,
    cursor: str | None,
    queue: QueueFilters,
) -> tuple[list[Row[Any]], str | None]:
    """One page of the review queue, best first, with both children, in one query: each row
    has the match's id, report_id, sighting_id, score, status and created_at, the sighting's
    source_type, and the shown person columns prefixed `report_` and `sighting_` (the
    settlement as `report_settlement`, `sighting_settlement`)."""
    stmt = (
        select(
            Match.id,
            Match.report_id,
            Match.sighting_id,
            Match.score,
            Match.status,
            Match.created_at,
            Sighting.source_type,
            Report.home_settlement.label(QUEUE_REPORT + "settlement"),
            Sighting.origin_settlement.label(QUEUE_SIGHTING + "settlement"),
            *(getattr(Report, c).label(QUEUE_REPORT + c) for c in _SHOWN_PERSON),
            *(getattr(Sighting, c).label(QUEUE_SIGHTING + c) for c in _SHOWN_PERSON),
        )
        .join(Report, Report.id == Match.report_id)
        .join(Sighting, Sighting.id == Match.sighting_id)
    )
    if not principal.sees_everything:
        stmt = stmt.where(false())
    stmt = _filtered(stmt, status, queue)
    rows = list(session.execute(page(stmt, Match, limit=limit, cursor=cursor, by="score")))
    return split_page(rows, limit, by="score")


def _filtered(stmt: Select[Any], status: str | None, queue: QueueFilters) -> Select[Any]:
    if status is not None:
        stmt = stmt.where(Match.status == status)
    if queue.min_score is not None:
        stmt = stmt.where(Match.score >= queue.min_score)
    if queue.max_score is not None:
        stmt = stmt.where(Match.score <= queue.max_score)
    if queue.source_type is not None:
        # A probe per match as the queue's index is walked, best first, with the sighting id
        # that index holds (migration 0017): a join would read each passed-over match's row
        # and its report's before the sighting's type (SQLite: 5 ms a page, now 0.7 ms).
        source = aliased(Sighting)
        stmt = stmt.where(
            exists().where(source.id == Match.sighting_id, source.source_type == queue.source_type)
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
    session: Session, principal: Principal, row: Match | Duplicate, *, status: str, after: bool
) -> str | None:
    """The id of the row just after (or before) `row` in its queue (matches, or duplicate
    pairs) of `status`, best first."""
    model = type(row)
    # A row comparison, so that the index on (status, score, id) is entered at the row.
    here = tuple_(model.score, model.id)
    there = tuple_(row.score, row.id)
    stmt = _readable_ids(principal, model).where(model.status == status)
    if after:
        stmt = stmt.where(here < there).order_by(model.score.desc(), model.id.desc())
    else:
        stmt = stmt.where(here > there).order_by(model.score.asc(), model.id.asc())
    return session.scalars(stmt.limit(1)).first()


def best(
    session: Session,
    principal: Principal,
    model: type[Match] | type[Duplicate],
    *,
    status: str,
    other_than: str,
) -> str | None:
    """The id of the best row of `model` (a match, or a duplicate pair) of `status` other
    than the one given."""
    stmt = _readable_ids(principal, model).where(model.status == status, model.id != other_than)
    return session.scalars(stmt.order_by(model.score.desc(), model.id.desc()).limit(1)).first()


def _readable_ids(principal: Principal, model: type[Match] | type[Duplicate]) -> Select[str]:
    """Ids of matches or duplicate pairs: coordinators and admins see all, nobody else any."""
    stmt = select(model.id)
    return stmt if principal.sees_everything else stmt.where(false())


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


def confirmed_sightings_of(session: Session, report_ids: Iterable[str]) -> list[str]:
    """The sightings confirmed for one of these reports."""
    return sorted(
        session.scalars(
            select(Match.sighting_id).where(
                Match.report_id.in_(list(report_ids)),
                Match.status == MatchStatus.confirmed.value,
            )
        )
    )


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


@dataclass(frozen=True)
class ReportIndex:
    """What the candidate index holds of one report."""

    keys: frozenset[str]
    terms: frozenset[str]
    codes: matching.PassCodes


def replace_report_indexes(session: Session, indexes: Mapping[str, ReportIndex]) -> None:
    """Replace the blocking keys, name terms and first-pass codes of reports. Only the reports
    whose stored index differs are written (a rematch after a change of the threshold, or of
    the engine's scoring, leaves most keys as they were)."""
    wanted = {i: (set(index.keys), set(index.terms), index.codes) for i, index in indexes.items()}
    stored: dict[str, tuple[set[str], set[str], matching.PassCodes | None]] = {
        i: (set(), set(), None) for i in wanted
    }
    for chunk in chunks(list(wanted), 5000):
        for report_id, key in session.execute(
            select(ReportKey.report_id, ReportKey.key).where(ReportKey.report_id.in_(chunk))
        ):
            stored[report_id][0].add(key)
        for report_id, term in session.execute(
            select(ReportTerm.report_id, ReportTerm.term).where(ReportTerm.report_id.in_(chunk))
        ):
            stored[report_id][1].add(term)
        for report_id, held in _codes_of(session, chunk):
            stored[report_id] = (*stored[report_id][:2], held)
    changed = [i for i, index in wanted.items() if index != stored[i]]
    if not changed:
        return
    session.execute(delete(ReportKey).where(ReportKey.report_id.in_(changed)))
    session.execute(delete(ReportTerm).where(ReportTerm.report_id.in_(changed)))
    session.execute(delete(ReportCodes).where(ReportCodes.report_id.in_(changed)))
    keys = [{"report_id": i, "key": k} for i in changed for k in wanted[i][0]]
    terms = [{"report_id": i, "term": t} for i in changed for t in wanted[i][1]]
    codes = [{"report_id": i, **_code_columns(wanted[i][2])} for i in changed]
    if keys:
        session.execute(insert(ReportKey), keys)
    if terms:
        session.execute(insert(ReportTerm), terms)
    session.execute(insert(ReportCodes), codes)


def _code_columns(codes: matching.PassCodes) -> dict[str, int]:
    return {
        "birth_year": codes.year,
        "birth_month": codes.month,
        "birth_day": codes.day,
        "place": codes.place,
        "initials": codes.initials,
    }


def _codes_of(session: Session, ids: list[str]) -> Iterator[tuple[str, matching.PassCodes]]:
    c = ReportCodes
    rows = session.execute(
        select(c.report_id, c.birth_year, c.birth_month, c.birth_day, c.place, c.initials).where(
            c.report_id.in_(ids)
        )
    )
    for report_id, year, month, day, place, initials in rows:
        yield report_id, matching.PassCodes(year, month, day, place, initials)


def report_codes(session: Session, ids: Iterable[str]) -> dict[str, matching.PassCodes]:
    """The first-pass codes of these reports (a report indexed before migration 0018, and not
    since, has none)."""
    found: dict[str, matching.PassCodes] = {}
    for chunk in chunks(list(set(ids)), 5000):
        found.update(_codes_of(session, chunk))
    return found


def mark_matched(
    session: Session, model: type[Report] | type[Sighting], ids: list[str], signature: str
) -> None:
    """Record what the index and proposals of these records were computed with. The records
    themselves did not change: their updated_at stays as it was."""
    for chunk in chunks(ids, 5000):
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


# COUNT(*) reads an entry of every report: on PostgreSQL about 145 ms at 1,000,000 rows (2
# cores, loaded), and the first pass of a crowded sighting and a sighting's name-term shares
# each need the total (at 100,000 reports, 436 counts for 310 sightings scored). Above
# COUNT_REUSED_FROM reports, a total counted is reused for COUNT_REUSED_FOR seconds by every
# session of the same engine (the filings of a minute move it by a fraction of a percent
# there, and the weights by their logarithm); below, where counting is cheap, every call
# counts. Set per process, by monotonic time.
COUNT_REUSED_FROM = 50_000
COUNT_REUSED_FOR = 60.0
_counted: "weakref.WeakKeyDictionary[Engine | Connection, tuple[float, int]]" = (
    weakref.WeakKeyDictionary()
)


def report_count(session: Session) -> int:
    """How many reports are stored: counted, or a large total counted within the last
    `COUNT_REUSED_FOR` seconds through the same engine."""
    bind = session.get_bind()
    now = time.monotonic()
    held = _counted.get(bind)
    if held is not None and held[1] >= COUNT_REUSED_FROM and now - held[0] < COUNT_REUSED_FOR:
        return held[1]
    total = session.scalar(select(func.count()).select_from(Report)) or 0
    if total >= COUNT_REUSED_FROM:
        _counted[bind] = (now, total)
    else:
        _counted.pop(bind, None)
    return total


def report_ids_by_key(session: Session, keys: Iterable[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    wanted = list(set(keys))
    for chunk in chunks(wanted, 5000):
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
    for chunk in chunks(list(set(ids)), 5000):
        rows += session.execute(select(*columns).where(model.id.in_(chunk))).all()
    return rows


def newest_report_rows(session: Session, limit: int) -> Iterator[Row[Any]]:
    stmt = select(*_REPORT_COLUMNS).order_by(Report.created_at.desc()).limit(limit)
    yield from session.execute(stmt.execution_options(yield_per=2000))


def sighting_rows_sharing_keys(session: Session, keys: Iterable[str]) -> list[Row[Any]]:
    reached = select(SightingKey.sighting_id).where(SightingKey.key.in_(list(keys))).distinct()
    return list(session.execute(select(*_SIGHTING_COLUMNS).where(Sighting.id.in_(reached))))


def matches_for_sightings(session: Session, ids: Iterable[str]) -> dict[str, dict[str, Match]]:
    """{sighting id: {report id: match}} for the given sightings."""
    found: dict[str, dict[str, Match]] = {}
    for match in session.scalars(select(Match).where(Match.sighting_id.in_(list(ids)))):
        found.setdefault(match.sighting_id, {})[match.report_id] = match
    return found


def reports_matched_to(session: Session, sighting_ids: Iterable[str]) -> dict[str, set[str]]:
    """{sighting id: the reports it has a match with, of any status}."""
    found: dict[str, set[str]] = {}
    rows = select(Match.sighting_id, Match.report_id).where(
        Match.sighting_id.in_(list(set(sighting_ids)))
    )
    for sighting_id, report_id in session.execute(rows):
        found.setdefault(sighting_id, set()).add(report_id)
    return found


def sightings_matched_to(session: Session, report_ids: Iterable[str]) -> set[str]:
    """The sightings with a match (of any status) to one of these reports."""
    wanted = list(set(report_ids))
    if not wanted:
        return set()
    return set(session.scalars(select(Match.sighting_id).where(Match.report_id.in_(wanted))))


def all_term_shares(session: Session) -> dict[str, float]:
    """Every term's share among all reports, for a run over everything, and the share one
    report holds (as `term_shares`)."""
    total = session.scalar(select(func.count()).select_from(Report)) or 0
    if not total:
        return {}
    counts = session.execute(select(ReportTerm.term, func.count()).group_by(ReportTerm.term))
    return {term: count / total for term, count in counts} | {matching.ONE_REPORT: 1 / total}


def claim_stale(
    session: Session,
    model: type[Report] | type[Sighting],
    marked: Collection[str],
    *,
    limit: int,
    first_digits: str = HEX_DIGITS,
) -> list[str]:
    """Ids of records whose `matched_with` is none of `marked` (the marks a round of a
    rematch leaves: its engine and threshold, or a step on the way to them), among those
    whose id starts with one of `first_digits` (how the workers of one run share the work).

    On PostgreSQL the rows are locked until the transaction ends, and rows another transaction
    holds are skipped: rematch processes on several machines each claim batches of their own.
    The lock (FOR NO KEY UPDATE) waits for amendments of these records, not for the matches
    and keys written about them meanwhile. SQLite has no row locks: one run at a time there.
    """
    stmt = select(model.id).where(_stale(model, marked, first_digits))
    stmt = stmt.order_by(model.id).limit(limit).with_for_update(skip_locked=True, key_share=True)
    return list(session.scalars(stmt))


def count_stale(
    session: Session,
    model: type[Report] | type[Sighting],
    marked: Collection[str],
    *,
    first_digits: str = HEX_DIGITS,
) -> int:
    """How many records `claim_stale` would find, claimed by others or not."""
    stmt = select(func.count()).select_from(model)
    return session.scalar(stmt.where(_stale(model, marked, first_digits))) or 0


def lock_sightings(session: Session, ids: Iterable[str]) -> None:
    """Lock these sightings (SELECT ... FOR NO KEY UPDATE, in the order of their ids, waiting
    for any other transaction holding one), as a rematch batch claims them."""
    wanted = sorted(set(ids))
    if wanted:
        stmt = select(Sighting.id).where(Sighting.id.in_(wanted)).order_by(Sighting.id)
        session.execute(stmt.with_for_update(key_share=True))


def _stale(
    model: type[Report] | type[Sighting], marked: Collection[str], first_digits: str
) -> ColumnElement[bool]:
    column = model.matched_with
    return and_(
        or_(column.is_(None), column.not_in(list(marked))),
        func.substr(model.id, 1, 1).in_(list(first_digits)),
    )


def chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def term_shares(session: Session, terms: Iterable[str]) -> dict[str, float]:
    """Each term's share among all reports (what the engine calls frequencies), and the
    share one report holds (`matching.ONE_REPORT`), by which the engine counts namesakes."""
    wanted = list(terms)
    if not wanted:
        return {}
    total = report_count(session)
    if not total:
        return {}
    counts = session.execute(
        select(ReportTerm.term, func.count())
        .where(ReportTerm.term.in_(wanted))
        .group_by(ReportTerm.term)
    )
    # A total reused (`report_count`) may be short of reports filed since: a share stays <= 1.
    shares = {term: count / max(total, count) for term, count in counts}
    return shares | {matching.ONE_REPORT: 1 / total}


def same_child_terms(session: Session, report_ids: Iterable[str]) -> dict[str, dict[str, int]]:
    """{report id: how many other reports of its case (its child's, `Report.case_id`) hold each
    namesakes' term} for these reports that are in a case: what the engine is told as
    `same_child`, so that one child's reports are not each other's namesakes. One query a
    few thousand reports, whoever may see them (the engine's view)."""
    found: dict[str, dict[str, int]] = {}
    mate = aliased(Report)
    for chunk in chunks(sorted(set(report_ids)), 5000):
        rows = session.execute(
            select(Report.id, ReportTerm.term, func.count())
            .join(mate, and_(mate.case_id == Report.case_id, mate.id != Report.id))
            .join(ReportTerm, ReportTerm.report_id == mate.id)
            .where(
                Report.id.in_(chunk),
                Report.case_id.is_not(None),
                ReportTerm.term.startswith(matching.NAMES_TERM, autoescape=True),
            )
            .group_by(Report.id, ReportTerm.term)
        )
        for report_id, term, count in rows:
            found.setdefault(report_id, {})[term] = count
    return found


def add_event(session: Session, event: MatchEvent) -> None:
    session.add(event)


def claim_queued(
    session: Session, runner: str, *, limit: int, max_attempts: int
) -> list[MatchingQueueItem]:
    """Claim for `runner` the oldest waiting rows: unclaimed or its own, not failed, tried fewer
    than `max_attempts` times; each claim counts as an attempt. On PostgreSQL rows another
    instance is claiming are skipped, not waited for; SQLite has one writer at a time."""
    q = MatchingQueueItem
    claimable = (
        select(q.id)
        .where(
            q.failed_at.is_(None),
            q.attempts < max_attempts,
            or_(q.claimed_by.is_(None), q.claimed_by == runner),
        )
        .order_by(q.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claimed = session.scalars(
        update(q)
        .where(q.id.in_(claimable.scalar_subquery()))
        .values(claimed_by=runner, claimed_at=utcnow(), attempts=q.attempts + 1)
        .returning(q)
        .execution_options(synchronize_session=False)
    ).all()
    return sorted(claimed, key=lambda item: item.id)


def claimants(session: Session) -> list[tuple[str, datetime]]:
    """Who holds claims on rows not failed, each with its oldest claim's time."""
    q = MatchingQueueItem
    rows = session.execute(
        select(q.claimed_by, func.min(q.claimed_at))
        .where(q.claimed_by.is_not(None), q.failed_at.is_(None))
        .group_by(q.claimed_by)
    )
    return [(runner, claimed_at) for runner, claimed_at in rows if runner and claimed_at]


def release_claims(session: Session, runner: str, *, max_attempts: int) -> None:
    """Give the rows `runner` claimed back to the queue, and fail those tried `max_attempts`
    times (the runner died matching them, so they may be what killed it)."""
    q = MatchingQueueItem
    mine = (q.claimed_by == runner, q.failed_at.is_(None))
    session.execute(
        update(q)
        .where(*mine, q.attempts >= max_attempts)
        .values(failed_at=utcnow(), last_error="ProcessEnded")
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(q)
        .where(*mine)
        .values(claimed_by=None, claimed_at=None)
        .execution_options(synchronize_session=False)
    )


def queued_done(session: Session, item_id: int) -> None:
    session.execute(delete(MatchingQueueItem).where(MatchingQueueItem.id == item_id))


def queued_failed(session: Session, item_id: int, error: str, *, max_attempts: int) -> bool:
    """Note that matching a claimed row failed with `error` (a class name): the row waits for
    another attempt, or is failed for good after `max_attempts`. Whether it was failed."""
    item = session.get(MatchingQueueItem, item_id)
    if item is None:  # taken over and finished meanwhile
        return False
    item.last_error = error
    item.claimed_by = item.claimed_at = None
    if item.attempts >= max_attempts:
        item.failed_at = utcnow()
    return item.failed_at is not None
