"""The group's evidence in the service: when a report with siblings or a sighting seen with
other children is filed, amended or decided, the sightings of its group are scored again with
`matching.with_group_evidence` and their proposals refreshed (a decided pair keeps its
decision; a rejected pair is never proposed again: `proposals.store_sighting_scores`)."""

import dataclasses
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Row
from sqlalchemy.orm import Session

import matching
from app.matches import engine, proposals, repository, scoring
from app.matches.engine import MatchingSettings
from app.matches.models import Match, MatchStatus
from app.matches.proposals import SightingScores
from app.matches.scoring import KnownReports, Scored
from app.reports import repository as reports_repository
from app.sightings import repository as sightings_repository


def rescore_groups(
    session: Session,
    *,
    report_ids: Iterable[str] = (),
    sighting_ids: Iterable[str] = (),
    settings: MatchingSettings,
) -> int:
    """Score again, with the group's evidence, the sightings seen with others that these
    records reach: the sightings themselves, and those matched with the reports or their
    siblings (whatever the match's status); how many were scored."""
    reports = set(report_ids)
    for family in reports_repository.sibling_ids(session, reports).values():
        reports |= family
    touched = set(sighting_ids) | repository.sightings_matched_to(session, reports)
    companions = connected(session, touched)
    group = {sid for sid, others in companions.items() if others}
    if not group:
        return 0
    rows, scores = _group_scores(session, group, companions)
    proposals.store_sighting_scores(session, rows, scores, settings=settings)
    return len(rows)


def group_ranking(session: Session, sighting_id: str) -> list[Scored] | None:
    """The sighting's reports ranked with its group's evidence, scored as for its proposals
    (the live candidates read it); None when it was seen with no one."""
    companions = connected(session, {sighting_id})
    if not companions[sighting_id]:
        return None
    _, scores = _group_scores(session, set(companions), companions)
    return scores.ranked[sighting_id]


# A group read for one filing stops growing once it holds this many sightings (a camp's
# children, not a registry): the members farther from the filed records are then left out.
_GROUP_MOST = 1_000


def connected(session: Session, sighting_ids: set[str]) -> dict[str, set[str]]:
    """{sighting: its companions} for these sightings and every sighting seen with them,
    directly or through others: a score reads its companions' matches as the group's evidence
    raised them, and those read their own companions (`matching.link_groups` scores the whole
    group alike)."""
    companions: dict[str, set[str]] = {}
    frontier = set(sighting_ids)
    while frontier and len(companions) < _GROUP_MOST:
        found = sightings_repository.companion_ids(session, frontier)
        companions |= {sid: found.get(sid, set()) for sid in frontier}
        frontier = {c for sid in frontier for c in companions[sid]} - companions.keys()
    return companions


def members_of(companions: dict[str, set[str]], sighting_id: str) -> set[str]:
    """The sighting's group in a map that `connected` read: itself and every sighting linked
    to it, directly or through others."""
    group, frontier = {sighting_id}, [sighting_id]
    while frontier:
        for other in companions.get(frontier.pop(), set()) - group:
            group.add(other)
            frontier.append(other)
    return group


def _group_scores(
    session: Session, group: set[str], companions: dict[str, set[str]]
) -> tuple[list[Row[Any]], SightingScores]:
    """The group's sightings and their scores with the group's evidence: each compared with
    the reports its keys reach and the siblings its companions' matches add."""
    rows = repository.sighting_rows(session, group)
    people = {row.id: engine.person_from_sighting(row) for row in rows}
    keys = {sid: matching.blocking_keys(p, remember=False) for sid, p in people.items()}
    known = KnownReports()
    reached = scoring.reports_reached(session, keys, known)
    shares = {sid: scoring.shares(session, person) for sid, person in people.items()}
    scored = {
        sid: matching.compare_each(people[sid], reached[sid], frequencies=shares[sid])
        for sid in people
    }
    seen_with = {sid: companions.get(sid, set()) & set(people) for sid in people}
    siblings = reports_repository.sibling_ids(session, {r for c in scored.values() for r in c})
    more = matching.group_candidates(scored, seen_with=seen_with, siblings=siblings)
    extra_reports = known.reach(session, {r for rs in more.values() for r in rs})
    for sid, extra in more.items():
        found = {r: extra_reports[r] for r in extra if r in extra_reports}
        scored[sid].update(matching.compare_each(people[sid], found, frequencies=shares[sid]))
    siblings = reports_repository.sibling_ids(session, {r for c in scored.values() for r in c})
    existing = repository.matches_for_sightings(session, people)
    raised = matching.with_group_evidence(
        _as_decided(scored, existing),
        seen_with=seen_with,
        siblings=siblings,
        sightings={sid: matching.prepare(p) for sid, p in people.items()},
    )
    ranked = {
        sid: sorted(
            (Scored(rid, sid, c) for rid, c in {**pairs, **raised.get(sid, {})}.items()),
            key=lambda s: (-s.weight, s.report_id),
        )
        for sid, pairs in scored.items()
    }
    return rows, SightingScores(keys, ranked, existing)


def _as_decided(
    scored: dict[str, dict[str, matching.Comparison]], existing: dict[str, dict[str, Match]]
) -> dict[str, dict[str, matching.Comparison]]:
    """The pairs as the group's evidence reads them: a confirmed pair is certain, a rejected
    one is no evidence at all."""
    decided: dict[str, dict[str, matching.Comparison]] = {}
    for sid, pairs in scored.items():
        matches = existing.get(sid, {})
        decided[sid] = {}
        for rid, comparison in pairs.items():
            status = matches[rid].status if rid in matches else None
            if status == MatchStatus.confirmed:
                decided[sid][rid] = dataclasses.replace(comparison, score=1.0)
            elif status != MatchStatus.rejected:
                decided[sid][rid] = comparison
    return decided
