"""Proposals: the candidate index of new and amended records, scored and stored as proposals
for coordinators, on arrival and in batches (a rematch, an import)."""

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from sqlalchemy import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import matching
from app.matches import engine, repository, scoring
from app.matches.duplicates import proposals as duplicates
from app.matches.duplicates.models import Duplicate
from app.matches.engine import MatchingSettings
from app.matches.models import Match, MatchEvent, MatchStatus, QueuedKind
from app.matches.scoring import KnownReports, Scored
from app.reports.models import Report
from app.sightings.models import Sighting


def index_reports(
    session: Session, reports: Sequence[Report], *, settings: MatchingSettings
) -> None:
    """Store the blocking keys, name terms and first-pass codes of reports."""
    repository.replace_report_indexes(session, _report_indexes(reports))
    for report in reports:
        report.matched_with = settings.signature


def reindex_stored_reports(
    session: Session, ids: Sequence[str], *, settings: MatchingSettings, mark: str | None = None
) -> list[Row[Any]]:
    """`index_reports` for stored reports: reads only what the engine needs of each report
    (those rows are returned), and leaves the records as they were but for the signature of
    their index (or `mark`, a rematch's step before it), their `updated_at` included."""
    rows = repository.report_rows(session, ids)
    repository.replace_report_indexes(session, _report_indexes(rows))
    repository.mark_matched(session, Report, [row.id for row in rows], mark or settings.signature)
    return rows


def index_filed(session: Session, kind: QueuedKind, ids: Sequence[str]) -> None:
    """Write the candidate keys of records just filed or amended, in the filing's transaction
    (their proposals come from the matching worker). The workers of two instances matching a
    report and a sighting filed at the same moment each read the other's keys: were each
    record's keys written only by its own worker, both could read before the other committed
    and miss the pair for good."""
    if kind == QueuedKind.report:
        rows = repository.report_rows(session, ids)
        repository.replace_report_indexes(session, _report_indexes(rows))
    else:
        repository.replace_sighting_indexes(
            session,
            {
                row.id: matching.blocking_keys(engine.person_from_sighting(row), remember=False)
                for row in repository.sighting_rows(session, ids)
            },
        )


def _report_indexes(
    reports: Sequence[Report | Row[Any]],
) -> dict[str, repository.ReportIndex]:
    indexes = {}
    for report in reports:
        person = engine.person_from_report(report)
        indexes[report.id] = repository.ReportIndex(
            keys=matching.blocking_keys(person, indexed=True),
            terms=engine.name_terms(person),
            codes=matching.first_pass_codes(person),
        )
    return indexes


def report_changed(session: Session, report: Report, *, settings: MatchingSettings) -> None:
    """Re-index a filed or amended report and refresh its proposals."""
    index_reports(session, [report], settings=settings)
    _refresh_report_proposals(session, report, settings=settings)


def stored_report_changed(session: Session, report_id: str, *, settings: MatchingSettings) -> None:
    """`report_changed` for a report stored earlier (the matching worker's): its family sees it
    as it was, `updated_at` included. A report deleted meanwhile needs nothing."""
    for row in reindex_stored_reports(session, [report_id], settings=settings):
        _refresh_report_proposals(session, row, settings=settings)


def _refresh_report_proposals(
    session: Session, report: Report | Row[Any], *, settings: MatchingSettings
) -> None:
    new_pairs = refresh_proposals(
        session,
        _not_within_case(session, scoring.score_report(session, report)),
        repository.for_report(session, report.id),
        key_of=lambda s: s.sighting_id,
        threshold=settings.proposal_threshold,
        event_of=MatchEvent.of,
    )
    _propose(session, new_pairs)
    duplicates.report_changed(session, report)


def match_sightings(
    session: Session,
    sightings: Sequence[Sighting | Row[Any]],
    *,
    settings: MatchingSettings,
    shares: Mapping[str, float] | None = None,
    known_reports: KnownReports | None = None,
) -> None:
    """Index sightings and refresh their proposals: one on arrival, a batch in a rematch or an
    import. See `score_sightings` for `shares` and `known_reports`."""
    scores = score_sightings(
        session, sightings, settings=settings, shares=shares, known_reports=known_reports
    )
    store_sighting_scores(session, sightings, scores, settings=settings)


@dataclass(frozen=True)
class SightingScores:
    """What matching found for sightings: read and scored, not yet written."""

    keys: dict[str, frozenset[str]]
    ranked: dict[str, list[Scored]]  # only the reports that reach the threshold
    existing: dict[str, dict[str, Match]]


def score_sightings(
    session: Session,
    sightings: Sequence[Sighting | Row[Any]],
    *,
    settings: MatchingSettings,
    shares: Mapping[str, float] | None = None,
    known_reports: KnownReports | None = None,
) -> SightingScores:
    """Read and score only; the sightings need not be stored yet (an import scores a batch
    before it inserts it).

    `shares` (name-term frequencies among reports) is looked up per sighting unless given.
    `known_reports` lets a rematch or an import keep the reports it has read from one batch to
    the next (it is filled as reports are read; the caller drops those amended meanwhile).
    Everything is read and scored before anything is written, so that on SQLite the write lock
    is held only for the writes and parallel workers score at the same time.
    """
    people = {sighting.id: engine.person_from_sighting(sighting) for sighting in sightings}
    keys = {
        sighting_id: matching.blocking_keys(person, remember=False)
        for sighting_id, person in people.items()
    }
    known = KnownReports() if known_reports is None else known_reports
    reached = scoring.reports_reached(session, keys, people, known)
    existing = repository.matches_for_sightings(session, people)
    blocked = repository.case_blocked(session, people)
    same_child = repository.same_child_terms(session, {r for rs in reached.values() for r in rs})
    ranked = {
        sighting_id: [
            scored
            for scored in scoring.rank_reports(
                sighting_id,
                person,
                reached[sighting_id],
                shares if shares is not None else scoring.shares(session, person),
                at_least=settings.proposal_threshold,
                same_child=same_child,
            )
            if (scored.report_id, sighting_id) not in blocked
        ]
        for sighting_id, person in people.items()
    }
    return SightingScores(keys, ranked, existing)


def store_sighting_scores(
    session: Session,
    sightings: Sequence[Sighting | Row[Any]],
    scores: SightingScores,
    *,
    settings: MatchingSettings,
) -> None:
    """Write the index and proposals `score_sightings` found for these sightings."""
    ids = [sighting.id for sighting in sightings]
    repository.replace_sighting_indexes(session, {i: scores.keys[i] for i in ids})
    new_pairs = [
        pair
        for i in ids
        for pair in refresh_proposals(
            session,
            scores.ranked[i],
            scores.existing.get(i, {}),
            key_of=lambda s: s.report_id,
            threshold=settings.proposal_threshold,
            event_of=MatchEvent.of,
        )
    ]
    _propose(session, new_pairs)
    repository.mark_matched(session, Sighting, ids, settings.signature)


_Candidate = TypeVar("_Candidate", bound="Proposable")
_Row = TypeVar("_Row", Match, Duplicate)


class Proposable(Protocol):
    """A scored candidate (a sighting's report, a report's duplicate)."""

    @property
    def score(self) -> float: ...
    @property
    def explanation(self) -> list[dict[str, Any]]: ...


def _not_within_case(session: Session, scored: list[Scored]) -> list[Scored]:
    """Without the pairs whose sighting is confirmed for another report of the report's case
    (one child reported by two families: the sighting is not offered to the other report)."""
    blocked = repository.case_blocked(session, {s.sighting_id for s in scored})
    return [s for s in scored if (s.report_id, s.sighting_id) not in blocked]


def refresh_proposals(
    session: Session,
    scored: Sequence[_Candidate],
    existing: Mapping[str, _Row],
    *,
    key_of: Callable[[_Candidate], str],
    threshold: float,
    event_of: Callable[[_Row, str, str | None], object],
) -> list[_Candidate]:
    """Withdraw undecided proposals that no longer reach the threshold, re-propose withdrawn
    ones that do, and return the pairs that reach it and have no match yet (for `_propose`).
    `scored` is best first; `event_of` makes the history entry of a move.

    Decided matches keep their decision, and a rejected pair is never proposed again.
    """
    reached = set()
    new_pairs = []
    for candidate in scored:
        if candidate.score < threshold:
            break
        reached.add(key_of(candidate))
        match = existing.get(key_of(candidate))
        if match is None:
            new_pairs.append(candidate)
        elif match.status == MatchStatus.withdrawn:
            _take_score(match, candidate)
            _move(session, match, MatchStatus.proposed, event_of)
        elif match.status == MatchStatus.proposed and _take_score(match, candidate):
            match.version += 1
    for key, match in existing.items():
        if key not in reached and match.status == MatchStatus.proposed:
            _move(session, match, MatchStatus.withdrawn, event_of)
    return new_pairs


def _move(
    session: Session,
    match: _Row,
    status: MatchStatus,
    event_of: Callable[[_Row, str, str | None], object],
) -> None:
    """The engine moves an undecided match to `status`, in its history as that action."""
    before = match.status
    match.status = status.value
    match.version += 1
    session.add(event_of(match, status.value, before))


def withdraw_within_case(session: Session, report_ids: Iterable[str]) -> None:
    """Withdraw the proposals of a sighting confirmed for one report of a case (`report_ids`)
    to another report of it: the sighting is that child, whom every report of the case is of."""
    for match in repository.proposed_within(session, report_ids):
        _move(session, match, MatchStatus.withdrawn, MatchEvent.of)


def _propose(session: Session, pairs: Sequence[Scored]) -> None:
    """Store new proposals, all in one statement unless a concurrent request proposed one of
    the same pairs first (the unique pair constraint decides): then one by one, skipping it."""
    if not pairs:
        session.flush()
        return
    matches = [
        Match(
            report_id=pair.report_id,
            sighting_id=pair.sighting_id,
            score=pair.score,
            explanation=pair.explanation,
        )
        for pair in pairs
    ]
    try:
        with session.begin_nested():
            session.add_all(matches)
            session.flush()
    except IntegrityError:
        if len(pairs) > 1:
            for pair in pairs:
                _propose(session, [pair])
        return
    for match in matches:
        repository.add_event(session, MatchEvent.of(match, MatchStatus.proposed.value, None))
    session.flush()


def _take_score(match: Match | Duplicate, candidate: Proposable) -> bool:
    """Update an undecided match to its new score; True when anything changed."""
    if match.score == candidate.score and match.explanation == candidate.explanation:
        return False
    match.score = candidate.score
    match.explanation = candidate.explanation
    return True


def warm_engine(session: Session) -> int:
    """Prepare the derived name forms of the newest reports, as many as the engine's cache
    holds (the engine keeps them in memory), so that the first requests after a start do not
    each prepare hundreds of candidates. Older reports are prepared when a query reaches them."""
    count = 0
    for row in repository.newest_report_rows(session, engine.cached_reports()):
        matching.blocking_keys(engine.person_from_report(row))
        count += 1
    return count
