"""Reading and scoring: which stored records a person may be, and how well each agrees.
Nothing here writes; proposals (stored) and candidates (live) both read through it."""

from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row
from sqlalchemy.orm import Session

import matching
from app.core.models import utcnow
from app.matches import engine, repository
from app.reports import repository as reports_repository
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


# Longer than any transaction that amends a report is expected to stay open.
AMENDMENT_LAG = timedelta(minutes=5)


class KnownReports:
    """Reports as the engine sees them, kept from one batch of a rematch or an import to the
    next (a large batch reaches most reports), each with the updated_at it was read at.

    At most `limit` are kept (by default as many as the engine's own cache holds), the least
    recently reached dropped first, so that a run over a million reports holds a bounded share.
    """

    def __init__(self, limit: int | None = None) -> None:
        self.limit = engine.cached_reports() if limit is None else limit
        self._kept: OrderedDict[str, tuple[matching.Prepared, datetime]] = OrderedDict()
        self._checked: datetime | None = None

    def __len__(self) -> int:
        return len(self._kept)

    def reach(self, session: Session, ids: Iterable[str]) -> dict[str, matching.Prepared]:
        """The reports of `ids`, read from the database when not kept."""
        found: dict[str, matching.Prepared] = {}
        missing = []
        for report_id in ids:
            kept = self._kept.get(report_id)
            if kept is None:
                missing.append(report_id)
            else:
                self._kept.move_to_end(report_id)
                found[report_id] = kept[0]
        for row in repository.report_rows(session, missing):
            found[row.id] = matching.prepare(engine.person_from_report(row))
            self._kept[row.id] = (found[row.id], row.updated_at)
        while len(self._kept) > self.limit:
            self._kept.popitem(last=False)
        return found

    def drop_amended(self, session: Session) -> None:
        """Drop the reports amended since the last look (or since they were read): they are
        read again when a sighting reaches them. The first look only notes the time."""
        checked = utcnow()
        if self._checked is not None:
            # A report's updated_at is set before its transaction commits: look back further.
            since = self._checked - AMENDMENT_LAG
            for report_id, updated_at in reports_repository.updated_since(session, since):
                kept = self._kept.get(report_id)
                if kept is not None and kept[1] != updated_at:
                    del self._kept[report_id]
        self._checked = checked


def reports_reached(
    session: Session,
    keys: Mapping[str, frozenset[str]],
    people: Mapping[str, matching.Person],
    known: KnownReports,
) -> dict[str, dict[str, matching.Prepared]]:
    """The reports sharing a blocking key with each sighting: {sighting id: {report id: person}}.
    A sighting whose keys reach more than the engine compares (`matching.first_pass`: a
    common name among a million reports) gets the best of the engine's first pass, from the
    index alone: the keys each report shares and what its codes (`report_codes`) share with
    the sighting (`people`); only those are read.

    Reports already `known` are not read again; the others are read and added to it.
    """
    by_key = repository.report_ids_by_key(session, (k for ks in keys.values() for k in ks))
    crowded = [
        sid
        for sid, ks in keys.items()
        if sum(len(by_key[k]) for k in ks if k in by_key) > matching.CANDIDATES_MOST
    ]
    ids = {
        sid: sorted({rid for k in ks if k in by_key for rid in by_key[k]})
        for sid, ks in keys.items()
    }
    if crowded:
        held = repository.report_count(session)
        codes = repository.report_codes(session, {rid for sid in crowded for rid in ids[sid]})
        matched = repository.reports_matched_to(session, crowded)
        for sid in crowded:
            # The first pass keeps the first met among equals: keys and ids in order, not in
            # the order a set or the database gave them (the engine adds its keys in order).
            blocks = [sorted(by_key[k]) for k in sorted(keys[sid]) if k in by_key]
            if codes.keys() >= set(ids[sid]):
                chosen = matching.first_pass(blocks, held, sighting=people[sid], codes=codes)
            else:
                # Reports filed before migration 0018 have no codes until `ridni rematch` has
                # run, and would rank below every report with them: by the keys alone, until
                # each one the sighting reaches has its codes.
                chosen = matching.first_pass(blocks, held)
            # A cut never drops a report the sighting has a match with: a proposal made from
            # the report's side (which compares every sighting it reaches) would be withdrawn
            # whenever the sighting is scored again, and a confirmed one would vanish from its
            # candidates and its group's evidence. Those its keys no longer reach are left out,
            # as without a cut.
            also = matched.get(sid, set()).intersection(ids[sid]).difference(chosen)
            ids[sid] = chosen + sorted(also)
    people_reached = known.reach(session, {rid for rids in ids.values() for rid in rids})
    return {sid: {rid: people_reached[rid] for rid in rids} for sid, rids in ids.items()}


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
    same_child: Mapping[str, Mapping[str, int]] | None = None,
) -> list[Scored]:
    """The sighting's person against each of `reports`, best first; `same_child` as
    `repository.same_child_terms` gives it (one child's reports are not its namesakes)."""
    compared = matching.compare_each(
        person, reports, frequencies=term_shares, at_least=at_least, same_child=same_child
    )
    scored = (Scored(report_id, sighting_id, c) for report_id, c in compared.items())
    return sorted(scored, key=lambda s: (-s.weight, s.report_id))


def score_report(session: Session, report: Report | Row[Any]) -> list[Scored]:
    """The report against every sighting sharing one of its blocking keys, best first."""
    person = engine.person_from_report(report)
    term_shares = shares(session, person)
    # The report's case mates (its child's other reports) are not its namesakes.
    same_child = repository.same_child_terms(session, [report.id]).get(report.id)
    rows = repository.sighting_rows_sharing_keys(
        session, matching.blocking_keys(person, indexed=True)
    )
    scored = (
        Scored(
            report.id,
            row.id,
            matching.compare(
                person,
                engine.person_from_sighting(row),
                frequencies=term_shares,
                same_child=same_child,
            ),
        )
        for row in rows
    )
    return sorted(scored, key=lambda s: (-s.weight, s.sighting_id))
