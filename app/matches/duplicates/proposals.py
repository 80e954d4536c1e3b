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
    person = engine.person_from_report(report)
    keys = matching.blocking_keys(person)
    reached = set().union(*repository.report_ids_by_key(session, keys).values()) - {report.id}
    others = {
        row.id: matching.prepare(engine.person_from_report(row))
        for row in repository.report_rows(session, reached)
    }
    compared = matching.compare_reports_each(
        person, others, frequencies=scoring.shares(session, person)
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
