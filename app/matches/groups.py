"""The group's evidence in the service: when a report with siblings or a sighting seen with
other children is filed, amended or decided, the sightings of its group are scored again with
`matching.with_group_evidence` and their proposals refreshed (a decided pair keeps its
decision; a rejected pair is never proposed again: `proposals.store_sighting_scores`)."""

import dataclasses
import logging
import math
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

log = logging.getLogger("ridni.matching")


def rescore_groups(
    session: Session,
    *,
    report_ids: Iterable[str] = (),
    sighting_ids: Iterable[str] = (),
    settings: MatchingSettings,
    only_touched: bool = False,
) -> int:
    """Score again, with the group's evidence, the sightings seen with others that these
    records reach: the sightings themselves, those matched with the reports or their siblings
    (whatever the match's status), and every sighting within `matching.GROUP_REACH` links of
    them; `only_touched` writes the touched sightings alone (a rematch batch writes only the
    records it claimed). How many were scored."""
    touched, area, stored = _to_score(session, report_ids, sighting_ids)
    if only_touched:
        stored &= touched
    if touched - stored - area.alone():
        log.warning(
            "a group too large to read whole: some of its sightings were not scored with it",
            extra={"fields": {"sightings": len(area.distance), "most": GROUP_MOST}},
        )
    if not stored:
        return 0
    repository.lock_sightings(session, stored)
    rows, scores = _group_scores(session, area)
    proposals.store_sighting_scores(
        session, [row for row in rows if row.id in stored], scores, settings=settings
    )
    return len(stored)


def lock_group(
    session: Session, *, report_ids: Iterable[str] = (), sighting_ids: Iterable[str] = ()
) -> None:
    """Lock, in the order of their ids, the sightings `rescore_groups` of these records would
    write, before anything of theirs is written: a rematch batch holds its sightings first and
    then writes their keys and matches, so a transaction writing a match first and then
    waiting for its sighting could wait for the batch while the batch waits for it."""
    _, _, stored = _to_score(session, report_ids, sighting_ids)
    repository.lock_sightings(session, stored | set(sighting_ids))


def _to_score(
    session: Session, report_ids: Iterable[str], sighting_ids: Iterable[str]
) -> tuple[set[str], "Neighbourhood", set[str]]:
    """The sightings these records touch, their neighbourhood, and the sightings in it whose
    scores the touched ones change (within reach of them, their own reach read)."""
    reports = set(report_ids)
    siblings, same_child = families(session, reports)
    for related in (*siblings.values(), *same_child.values()):
        reports |= related
    touched = set(sighting_ids) | repository.sightings_matched_to(session, reports)
    area = neighbourhood(session, touched, 2 * matching.GROUP_REACH)
    return touched, area, area.scorable(within=matching.GROUP_REACH)


def group_ranking(session: Session, sighting_id: str) -> list[Scored] | None:
    """The sighting's reports ranked with its group's evidence, scored as for its proposals
    (the live candidates read it); None when it was seen with no one."""
    area = neighbourhood(session, {sighting_id}, matching.GROUP_REACH)
    if not area.companions.get(sighting_id):
        return None
    _, scores = _group_scores(session, area)
    return scores.ranked[sighting_id]


# A group's neighbourhood read for one filing holds at most this many sightings (a camp's
# children, not a registry): a ring of companions that would pass it is not read.
GROUP_MOST = 1_000


@dataclasses.dataclass(frozen=True)
class Neighbourhood:
    """The sightings around some, read link by link: each one's distance in links from them
    and, for those nearer than `read` links, its companions (`read` is infinite when the whole
    group was read)."""

    distance: dict[str, int]
    companions: dict[str, set[str]]
    read: float

    def scorable(self, *, within: int) -> set[str]:
        """The sightings seen with someone, at most `within` links from the centre, whose
        score this neighbourhood decides: it holds everything within reach of them."""
        return {
            sid
            for sid, links in self.distance.items()
            if links <= within
            and links + matching.GROUP_REACH <= self.read
            and self.companions.get(sid)
        }

    def alone(self) -> set[str]:
        """The sightings read and seen with no one."""
        return {sid for sid, others in self.companions.items() if not others}


def neighbourhood(session: Session, centre: set[str], links: int) -> Neighbourhood:
    """The sightings within `links` links of `centre` by `seen_with`, ring by ring, until a
    ring would pass GROUP_MOST sightings."""
    distance = dict.fromkeys(centre, 0)
    companions: dict[str, set[str]] = {}
    frontier = set(centre)
    for ring in range(links):
        if not frontier:
            return Neighbourhood(distance, companions, math.inf)
        found = sightings_repository.companion_ids(session, frontier)
        new = {c for sid in frontier for c in found.get(sid, set())} - distance.keys()
        if len(distance) + len(new) > GROUP_MOST:
            return Neighbourhood(distance, companions, ring)
        companions |= {sid: found.get(sid, set()) for sid in frontier}
        distance |= dict.fromkeys(new, ring + 1)
        frontier = new
    return Neighbourhood(distance, companions, links if frontier else math.inf)


def _group_scores(session: Session, area: Neighbourhood) -> tuple[list[Row[Any]], SightingScores]:
    """The neighbourhood's sightings and their scores with the group's evidence: each compared
    with the reports its keys reach and the siblings its companions' matches add."""
    companions = area.companions
    rows = repository.sighting_rows(session, area.distance.keys())
    people = {row.id: engine.person_from_sighting(row) for row in rows}
    keys = {sid: matching.blocking_keys(p, remember=False) for sid, p in people.items()}
    known = KnownReports()
    reached = scoring.reports_reached(session, keys, people, known)
    shares = {sid: scoring.shares(session, person) for sid, person in people.items()}
    # One child's reports (a case) are not each other's namesakes.
    mates = repository.same_child_terms(session, {r for rs in reached.values() for r in rs})
    scored = {
        sid: matching.compare_each(
            people[sid], reached[sid], frequencies=shares[sid], same_child=mates
        )
        for sid in people
    }
    seen_with = {sid: companions.get(sid, set()) & set(people) for sid in people}
    siblings, same_child = families(session, {r for c in scored.values() for r in c})
    more = matching.group_candidates(
        scored, seen_with=seen_with, siblings=siblings, same_child=same_child
    )
    extra_reports = known.reach(session, {r for rs in more.values() for r in rs})
    mates |= repository.same_child_terms(session, extra_reports.keys() - mates.keys())
    for sid, extra in more.items():
        found = {r: extra_reports[r] for r in extra if r in extra_reports}
        scored[sid].update(
            matching.compare_each(people[sid], found, frequencies=shares[sid], same_child=mates)
        )
    siblings, same_child = families(session, {r for c in scored.values() for r in c})
    existing = repository.matches_for_sightings(session, people)
    raised = matching.with_group_evidence(
        _as_decided(scored, existing),
        seen_with=seen_with,
        siblings=siblings,
        sightings={sid: matching.prepare(p) for sid, p in people.items()},
        same_child=same_child,
    )
    ranked = {
        sid: sorted(
            (Scored(rid, sid, c) for rid, c in {**pairs, **raised.get(sid, {})}.items()),
            key=lambda s: (-s.weight, s.report_id),
        )
        for sid, pairs in scored.items()
    }
    return rows, SightingScores(keys, ranked, existing)


def families(
    session: Session, report_ids: Iterable[str]
) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """The relations the engine's group evidence reads for these reports: every report's
    siblings as named (on it and on the other reports of its case) with every other report of
    the siblings' cases, and each report's case mates, the same child's other reports
    (`matching.with_group_evidence`'s `same_child`). A sibling named on one family's report
    of a child is a sibling of the child, whichever family's report a sighting matches."""
    reports = set(report_ids)
    same_child = reports_repository.case_mates(session, reports)
    child = reports | {r for mates in same_child.values() for r in mates}
    named = reports_repository.sibling_ids(session, child)
    named_ids = {r for related in named.values() for r in related}
    same_child |= reports_repository.case_mates(session, named_ids - same_child.keys())
    siblings: dict[str, set[str]] = {}
    for report in child:
        own = {report, *same_child.get(report, set())}
        family = {s for r in own for s in named.get(r, set())}
        family |= {m for s in family for m in same_child.get(s, set())}
        if family - own:
            siblings[report] = family - own
    return siblings, same_child


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
