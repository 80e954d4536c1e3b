"""Reading and scoring: which stored records a person may be, and how well each agrees.
Nothing here writes; proposals (stored) and candidates (live) both read through it."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Row
from sqlalchemy.orm import Session

import matching
from app.matches import engine, repository
from app.reports.models import Report


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


@dataclass
class KnownReports:
    """Reports as the engine sees them, kept from one batch of a rematch or an import to the
    next (a large batch reaches most reports), each with the updated_at it was read at."""

    prepared: dict[str, matching.Prepared] = field(default_factory=dict)
    read_at: dict[str, datetime] = field(default_factory=dict)

    def add(self, rows: Iterable[Row[Any]]) -> None:
        for row in rows:
            self.prepared[row.id] = matching.prepare(engine.person_from_report(row))
            self.read_at[row.id] = row.updated_at

    def forget_changed(self, stored: Iterable[tuple[str, datetime]]) -> None:
        """Drop the reports whose stored updated_at (id, updated_at) is not the one they were
        read at: they were amended since, and are read again when a sighting reaches them."""
        for report_id, updated_at in stored:
            if self.read_at.get(report_id, updated_at) != updated_at:
                del self.prepared[report_id], self.read_at[report_id]


def reports_reached(
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


def shares(session: Session, person: matching.Person) -> dict[str, float]:
    """The shares among reports of the person's name terms (what the engine calls frequencies)."""
    return repository.term_shares(session, engine.name_terms(person))


def rank_reports(
    sighting_id: str,
    person: matching.Person,
    reports: Mapping[str, matching.Prepared],
    term_shares: Mapping[str, float],
    *,
    at_least: float | None = None,
) -> list[Scored]:
    """The sighting's person against each of `reports`, best first."""
    compared = matching.compare_each(person, reports, frequencies=term_shares, at_least=at_least)
    scored = (Scored(report_id, sighting_id, c) for report_id, c in compared.items())
    return sorted(scored, key=lambda s: (-s.weight, s.report_id))


def score_report(session: Session, report: Report) -> list[Scored]:
    """The report against every sighting sharing one of its blocking keys, best first."""
    person = engine.person_from_report(report)
    term_shares = shares(session, person)
    rows = repository.sighting_rows_sharing_keys(session, matching.blocking_keys(person))
    scored = (
        Scored(
            report.id,
            row.id,
            matching.compare(person, engine.person_from_sighting(row), frequencies=term_shares),
        )
        for row in rows
    )
    return sorted(scored, key=lambda s: (-s.weight, s.sighting_id))
