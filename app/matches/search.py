"""Finding reports and sightings by name in any script and spelling, with the engine's own
folding: a query word is reduced to the surname codes and given-name groups the engine files
records under (Олійник, Олейник and OLEINIK share one), and looked up in the candidate index."""

import re
import uuid
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

import matching
from app.audit.models import Action
from app.core.security import Principal
from app.matches import repository
from app.matches.models import Match, ReportKey, SightingKey
from app.reports import service as reports
from app.reports.models import Report
from app.sightings import service as sightings
from app.sightings.models import Sighting

MAX_WORDS = 5
_WORD = re.compile(r"[^\W\d_](?:[^\W\d_]|['’ʼ-])*")


@dataclass
class Found:
    reports: list[Report] = field(default_factory=list)
    sightings: list[Sighting] = field(default_factory=list)
    match: Match | None = None


def find(session: Session, principal: Principal, query: str, *, limit: int) -> Found:
    """Records whose names agree with every word of the query (or the record with that id),
    at most `limit` of each kind; every record shown is audited as listed."""
    query = query.strip()
    if _is_id(query):
        return _by_id(session, principal, query)
    words = _WORD.findall(query)[:MAX_WORDS]
    if not words:
        return Found()
    prefixes = [_prefixes(word) for word in words]
    report_ids = _agreeing(session, ReportKey, prefixes, limit)
    sighting_ids = _agreeing(session, SightingKey, prefixes, limit)
    shown_reports = reports.shown_reports(
        session, principal, report_ids, audit_as=Action.report_list
    )
    shown_sightings = sightings.shown_sightings(
        session, principal, sighting_ids, audit_as=Action.sighting_list
    )
    return Found(
        reports=[shown_reports[i] for i in report_ids if i in shown_reports],
        sightings=[shown_sightings[i] for i in sighting_ids if i in shown_sightings],
    )


def _prefixes(word: str) -> set[str]:
    """The candidate-index key prefixes of a word read as a surname and as a given name."""
    as_family = matching.prepare(matching.Person(family_name=word))
    as_given = matching.prepare(matching.Person(given_name=word))
    return {f"f{code}|" for code in as_family.family_codes} | {
        f"g{group}|" for group in as_given.given_groups
    }


def _agreeing(
    session: Session,
    model: type[ReportKey] | type[SightingKey],
    prefixes_per_word: list[set[str]],
    limit: int,
) -> list[str]:
    """Ids of the records that every word reaches, those reached by more keys first."""
    reached = repository.keyed_ids(session, model, set().union(*prefixes_per_word))

    def counted(prefixes: set[str]) -> dict[str, int]:
        counts: dict[str, int] = {}
        for prefix in prefixes:
            for record_id in reached[prefix]:
                counts[record_id] = counts.get(record_id, 0) + 1
        return counts

    first, *others = prefixes_per_word
    hits = counted(first)
    for prefixes in others:
        hits = {i: hits[i] + n for i, n in counted(prefixes).items() if i in hits}
    ranked = sorted(hits.items(), key=lambda item: (-item[1], item[0]))
    return [record_id for record_id, _ in ranked[:limit]]


def _is_id(query: str) -> bool:
    try:
        return str(uuid.UUID(query)) == query.lower()
    except ValueError:
        return False


def _by_id(session: Session, principal: Principal, record_id: str) -> Found:
    record_id = record_id.lower()
    found_reports = reports.shown_reports(
        session, principal, [record_id], audit_as=Action.report_list
    )
    found_sightings = sightings.shown_sightings(
        session, principal, [record_id], audit_as=Action.sighting_list
    )
    match = repository.get(session, principal, record_id)
    return Found(
        reports=list(found_reports.values()),
        sightings=list(found_sightings.values()),
        match=match,
    )
