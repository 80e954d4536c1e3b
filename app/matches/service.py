"""Matching inside the service: the candidate index, proposals, and coordinators' decisions."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

import matching
from app.audit import service as audit
from app.audit.models import Action
from app.core.models import utcnow
from app.core.problems import Conflict, NotFound
from app.core.security import Principal
from app.matches import engine, repository
from app.matches.models import Decision, Match, MatchEvent, MatchStatus
from app.reports.models import Report, ReportStatus
from app.sightings.models import Sighting

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


@dataclass(frozen=True)
class Scored:
    report_id: str
    sighting_id: str
    comparison: matching.Comparison

    @property
    def score(self) -> float:
        return self.comparison.score

    @property
    def weight(self) -> float:
        """The log-likelihood total behind the score: it ranks where the probability saturates."""
        return self.comparison.total

    @property
    def explanation(self) -> list[dict[str, Any]]:
        return [f.as_dict() for f in self.comparison.explanation]


# --- on arrival, and in batches for a rematch ----------------------------------------------
def index_reports(session: Session, reports: Sequence[Report], *, threshold: float) -> None:
    """Store the blocking keys and name terms of reports."""
    repository.replace_report_indexes(session, _report_indexes(reports))
    signature = engine.match_signature(threshold)
    for report in reports:
        report.matched_with = signature


def reindex_stored_reports(session: Session, ids: Sequence[str], *, threshold: float) -> None:
    """`index_reports` for a rematch: reads only what the engine needs of each report, and
    leaves the records as they were but for the signature of their index."""
    rows = repository.report_rows(session, ids)
    repository.replace_report_indexes(session, _report_indexes(rows))
    repository.mark_matched(
        session, Report, [row.id for row in rows], engine.match_signature(threshold)
    )


def _report_indexes(
    reports: Sequence[Report | Row[Any]],
) -> dict[str, tuple[frozenset[str], frozenset[str]]]:
    indexes = {}
    for report in reports:
        person = engine.report_person(report)
        indexes[report.id] = (matching.blocking_keys(person), engine.name_terms(person))
    return indexes


def report_changed(session: Session, report: Report, *, threshold: float) -> None:
    """Re-index a filed or amended report and refresh its proposals."""
    index_reports(session, [report], threshold=threshold)
    new_pairs = _refresh_proposals(
        _score_report(session, report),
        repository.for_report(session, report.id),
        key_of=lambda s: s.sighting_id,
        threshold=threshold,
        session=session,
    )
    _propose(session, new_pairs)


@dataclass
class KnownReports:
    """Reports as the engine sees them, kept from one batch of a rematch or an import to the
    next (a large batch reaches most reports), each with the updated_at it was read at."""

    prepared: dict[str, matching.Prepared] = field(default_factory=dict)
    read_at: dict[str, datetime] = field(default_factory=dict)

    def add(self, rows: Iterable[Row[Any]]) -> None:
        for row in rows:
            self.prepared[row.id] = matching.prepare(engine.report_person(row))
            self.read_at[row.id] = row.updated_at

    def forget_changed(self, stored: Iterable[tuple[str, datetime]]) -> None:
        """Drop the reports whose stored updated_at (id, updated_at) is not the one they were
        read at: they were amended since, and are read again when a sighting reaches them."""
        for report_id, updated_at in stored:
            if self.read_at.get(report_id, updated_at) != updated_at:
                del self.prepared[report_id], self.read_at[report_id]


def match_sightings(
    session: Session,
    sightings: Sequence[Sighting | Row[Any]],
    *,
    threshold: float,
    shares: Mapping[str, float] | None = None,
    known_reports: KnownReports | None = None,
) -> None:
    """Index sightings and refresh their proposals: one on arrival, a batch in a rematch or an
    import. See `score_sightings` for `shares` and `known_reports`."""
    scores = score_sightings(
        session, sightings, threshold=threshold, shares=shares, known_reports=known_reports
    )
    store_sighting_scores(session, sightings, scores, threshold=threshold)


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
    threshold: float,
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
    people = {sighting.id: engine.sighting_person(sighting) for sighting in sightings}
    keys = {
        sighting_id: matching.blocking_keys(person, remember=False)
        for sighting_id, person in people.items()
    }
    known = KnownReports() if known_reports is None else known_reports
    reached = _reports_reached(session, keys, known)
    existing = repository.matches_for_sightings(session, people)
    ranked = {
        sighting_id: _rank_reports(
            sighting_id,
            person,
            reached[sighting_id],
            shares if shares is not None else _shares(session, person),
            at_least=threshold,
        )
        for sighting_id, person in people.items()
    }
    return SightingScores(keys, ranked, existing)


def store_sighting_scores(
    session: Session,
    sightings: Sequence[Sighting | Row[Any]],
    scores: SightingScores,
    *,
    threshold: float,
) -> None:
    """Write the index and proposals `score_sightings` found for these sightings."""
    ids = [sighting.id for sighting in sightings]
    repository.replace_sighting_indexes(session, {i: scores.keys[i] for i in ids})
    new_pairs = [
        pair
        for i in ids
        for pair in _refresh_proposals(
            scores.ranked[i],
            scores.existing.get(i, {}),
            key_of=lambda s: s.report_id,
            threshold=threshold,
            session=session,
        )
    ]
    _propose(session, new_pairs)
    repository.mark_matched(session, Sighting, ids, engine.match_signature(threshold))


def _reports_reached(
    session: Session, keys: Mapping[str, frozenset[str]], known: KnownReports
) -> dict[str, dict[str, matching.Prepared]]:
    """The reports sharing a blocking key with each sighting: {sighting id: {report id: person}}.

    Reports already `known` are not read again; the others are read and added to it.
    """
    by_key = repository.report_ids_by_key(session, (k for ks in keys.values() for k in ks))
    ids = {sid: set().union(*(by_key.get(k, ()) for k in ks)) for sid, ks in keys.items()}
    people = known.prepared
    missing = {rid for rids in ids.values() for rid in rids if rid not in people}
    known.add(repository.report_rows(session, missing))
    return {sid: {rid: people[rid] for rid in rids} for sid, rids in ids.items()}


def _shares(session: Session, person: matching.Person) -> dict[str, float]:
    return repository.term_shares(session, engine.name_terms(person))


def _rank_reports(
    sighting_id: str,
    person: matching.Person,
    reports: Mapping[str, matching.Prepared],
    shares: Mapping[str, float],
    *,
    at_least: float | None = None,
) -> list[Scored]:
    compared = matching.compare_each(person, reports, frequencies=shares, at_least=at_least)
    scored = (Scored(report_id, sighting_id, c) for report_id, c in compared.items())
    return sorted(scored, key=lambda s: (-s.weight, s.report_id))


def _score_report(session: Session, report: Report) -> list[Scored]:
    person = engine.report_person(report)
    shares = _shares(session, person)
    rows = repository.sighting_rows_sharing_keys(session, matching.blocking_keys(person))
    scored = (
        Scored(
            report.id,
            row.id,
            matching.compare(person, engine.sighting_person(row), frequencies=shares),
        )
        for row in rows
    )
    return sorted(scored, key=lambda s: (-s.weight, s.sighting_id))


def _refresh_proposals(
    scored: Sequence[Scored],
    existing: dict[str, Match],
    *,
    key_of: Any,
    threshold: float,
    session: Session,
) -> list[Scored]:
    """Withdraw undecided proposals that no longer reach the threshold, re-propose withdrawn
    ones that do, and return the pairs that reach it and have no match yet (for `_propose`).

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
            match.status = MatchStatus.proposed.value
            match.version += 1
            _log(session, match, None, "proposed", MatchStatus.withdrawn, None)
        elif match.status == MatchStatus.proposed and _take_score(match, candidate):
            match.version += 1
    for key, match in existing.items():
        if key not in reached and match.status == MatchStatus.proposed:
            match.status = MatchStatus.withdrawn.value
            match.version += 1
            _log(session, match, None, "withdrawn", MatchStatus.proposed, None)
    return new_pairs


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
        _log(session, match, None, "proposed", None, None)
    session.flush()


def _take_score(match: Match, candidate: Scored) -> bool:
    """Update an undecided match to its new score; True when anything changed."""
    if match.score == candidate.score and match.explanation == candidate.explanation:
        return False
    match.score = candidate.score
    match.explanation = candidate.explanation
    return True


def _log(
    session: Session,
    match: Match,
    actor_id: str | None,
    action: str,
    from_status: str | None,
    note: str | None,
) -> None:
    repository.add_event(
        session,
        MatchEvent(
            match_id=match.id,
            actor_id=actor_id,
            action=action,
            from_status=from_status,
            to_status=match.status,
            score=match.score,
            note=note,
        ),
    )


def warm_engine(session: Session) -> int:
    """Prepare every report's derived name forms once (the engine keeps them in memory), so
    that the first requests after a start do not each prepare thousands of candidates."""
    count = 0
    for row in repository.all_report_rows(session):
        matching.blocking_keys(engine.report_person(row))
        count += 1
    return count


# --- live candidates -------------------------------------------------------------------------
Candidate = tuple[Scored, Match | None]


def candidates_for_sighting(
    session: Session, principal: Principal, sighting: Sighting, limit: int
) -> list[Candidate]:
    """The best reports for a sighting, each with its match if there is one; every report
    shown is audited."""
    person = engine.sighting_person(sighting)
    keys = {sighting.id: matching.blocking_keys(person)}
    reports = _reports_reached(session, keys, KnownReports())
    ranked = _rank_reports(sighting.id, person, reports[sighting.id], _shares(session, person))
    shown = ranked[:limit]
    matches = repository.matches_for_sightings(session, [sighting.id]).get(sighting.id, {})
    audit.record(session, principal, Action.report_candidate, [s.report_id for s in shown])
    return [(s, matches.get(s.report_id)) for s in shown]


def candidates_for_report(
    session: Session, principal: Principal, report: Report, limit: int
) -> list[Candidate]:
    """The best sightings for a report, each with its match if there is one; every sighting
    shown is audited."""
    shown = _score_report(session, report)[:limit]
    matches = repository.for_report(session, report.id)
    audit.record(session, principal, Action.sighting_candidate, [s.sighting_id for s in shown])
    return [(s, matches.get(s.sighting_id)) for s in shown]


# --- review ----------------------------------------------------------------------------------
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
    session: Session, principal: Principal, *, status: str | None, limit: int, cursor: str | None
) -> tuple[list[Match], str | None]:
    rows, next_cursor = repository.list_page(
        session, principal, status=status, limit=limit, cursor=cursor
    )
    audit.record(session, principal, Action.match_list, [match.id for match in rows])
    return rows, next_cursor


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
) -> Match:
    match = _get_or_404(session, principal, match_id)
    if match.version != version:
        raise Conflict(f"The match is at version {match.version}: someone changed it first.")
    if match.status not in _ALLOWED[decision]:
        raise Conflict(f"A {match.status} match cannot be given the decision '{decision}'.")
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
    _log(session, match, principal.user_id, decision.value, before, note)
    _apply_to_report(session, match, decision, before)
    audit.record(session, principal, Action.match_decide, [match.id])
    session.flush()
    return match


def _refuse_second_confirmation(session: Session, match: Match) -> None:
    first = repository.confirmed_for_sighting(session, match.sighting_id, other_than=match.id)
    if first is not None:
        raise Conflict(
            f"This sighting is already confirmed for report {first.report_id} "
            f"(match {first.id}); reopen that match first."
        )


def _apply_to_report(session: Session, match: Match, decision: Decision, before: str) -> None:
    """Set the report's coarse status, the one thing its family may learn of a decision.

    Its `updated_at` is kept, so that a confirmation later taken back leaves no trace that a
    family could see.
    """
    report = session.get(Report, match.report_id)
    if report is None:
        return
    status = report.status
    if decision == Decision.confirm:
        status = ReportStatus.located.value
    elif (
        decision == Decision.reopen
        and before == MatchStatus.confirmed
        and report.status == ReportStatus.located
        and repository.confirmed_count_for_report(session, report.id) == 0
    ):
        status = ReportStatus.open.value
    if status != report.status:
        report.status = status
        # Written back unchanged, so that the column's onupdate does not stamp the decision.
        flag_modified(report, "updated_at")
