"""Proposals of duplicate reports: a filed or amended report against the stored reports its
blocking keys reach (the candidate index of report-sighting matching), compared report with
report by the engine (`matching.compare_reports`)."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import matching
from app.matches import engine, proposals, repository, scoring
from app.matches.duplicates import repository as duplicates
from app.matches.duplicates.models import Duplicate, DuplicateEvent
from app.matches.models import MatchStatus
from app.reports.models import Report


@dataclass(frozen=True)
class ScoredPair:
    """A stored report (`other_id`) the changed report may be a second report of."""

    other_id: str
    comparison: matching.Comparison

    @property
    def score(self) -> float:
        return self.comparison.score

    @property
    def explanation(self) -> list[dict[str, Any]]:
        return [f.as_dict() for f in self.comparison.explanation]


def report_changed(session: Session, report: Report | Row[Any]) -> None:
    """Refresh the duplicate proposals of a report just filed or amended (its blocking keys
    are stored already). A pair already decided keeps its decision; a rejected pair is never
    proposed again; reports already of one case are not proposed."""
    reports_changed(session, [report])


def reports_changed(
    session: Session,
    reports: Sequence[Report | Row[Any]],
    *,
    known: scoring.KnownReports | None = None,
) -> None:
    """`report_changed` for each of `reports` (a rematch's batch): the reports their keys
    reach and the shares of their name terms are read once for all of them (and the reports
    kept in `known` not read again), as refreshing one proposal writes neither."""
    people = {report.id: engine.person_from_report(report) for report in reports}
    keys = {report_id: matching.blocking_keys(p) for report_id, p in people.items()}
    by_key = repository.report_ids_by_key(session, (k for ks in keys.values() for k in ks))
    reached = {
        report_id: set().union(*(by_key.get(k, ()) for k in ks)) - {report_id}
        for report_id, ks in keys.items()
    }
    known = known or scoring.KnownReports()
    prepared = known.reach(session, set().union(*reached.values()))
    terms = {report_id: engine.name_terms(p) for report_id, p in people.items()}
    shares = repository.term_shares(session, set().union(*terms.values()))
    filed = duplicates.filed_at(session, [*people, *prepared])
    for report in reports:
        others = {i: prepared[i] for i in reached[report.id] if i in prepared}
        # Only the report's own terms, as for one report alone: a term of the other report
        # missing from the frequencies is weighed as unknown, not by its share.
        own_shares = {t: shares[t] for t in terms[report.id] if t in shares}
        # Each pair is compared with the report filed later first, as filing it compared them,
        # so that its explanation reads the same ("Oliinyk = Олійник") whichever of the two a
        # rematch or an amendment reaches first, and its version moves only when it changes.
        # The names are weighed by the changed report's shares either way: a name the two
        # share weighs alike, one only the other holds weighs as unknown, as for one alone.
        later = {i for i in others if filed[i] > filed[report.id]}
        compared = matching.compare_reports_each(
            people[report.id],
            {i: p for i, p in others.items() if i not in later},
            frequencies=own_shares,
        )
        for other_id in later:
            compared |= matching.compare_reports_each(
                others[other_id], {other_id: people[report.id]}, frequencies=own_shares
            )
        scored = sorted(
            (ScoredPair(other, c) for other, c in compared.items()),
            key=lambda s: (-s.comparison.total, s.other_id),
        )
        new_pairs = proposals.refresh_proposals(
            session,
            scored,
            duplicates.for_report(session, report.id),
            key_of=lambda s: s.other_id,
            threshold=matching.DUPLICATE_THRESHOLD,
            event_of=DuplicateEvent.of,
        )
        _propose(session, report.id, new_pairs)


def _propose(session: Session, report_id: str, pairs: Sequence[ScoredPair]) -> None:
    """Store new pairs, the report filed later of the two as `report_id`."""
    # Read from the table: the matching worker hands over a plain row without the case.
    case_id = session.scalar(select(Report.case_id).where(Report.id == report_id))
    if case_id is not None:
        same_case = {r.id for r in duplicates.case_of(session, case_id)}
        pairs = [p for p in pairs if p.other_id not in same_case]
    if not pairs:
        session.flush()
        return
    filed = duplicates.filed_at(session, [report_id, *(p.other_id for p in pairs)])
    for pair in pairs:
        later, earlier = sorted((report_id, pair.other_id), key=filed.__getitem__, reverse=True)
        duplicate = Duplicate(
            report_id=later,
            duplicate_of_id=earlier,
            score=pair.score,
            explanation=pair.explanation,
            status=MatchStatus.proposed.value,
        )
        try:
            with session.begin_nested():
                session.add(duplicate)
                session.flush()
        except IntegrityError:  # a concurrent filing of the other report proposed it first
            continue
        duplicates.add_event(
            session, DuplicateEvent.of(duplicate, MatchStatus.proposed.value, None)
        )
    session.flush()
