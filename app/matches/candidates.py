"""Live candidates: the records a report or a sighting may be, scored now, proposed or not."""

from sqlalchemy.orm import Session

import matching
from app.audit import service as audit
from app.audit.models import Action
from app.core.security import Principal
from app.matches import engine, groups, repository, scoring
from app.matches.models import Match
from app.matches.scoring import KnownReports, Scored
from app.reports.models import Report
from app.sightings.models import Sighting

Candidate = tuple[Scored, Match | None]


def candidates_for_sighting(
    session: Session, principal: Principal, sighting: Sighting, limit: int
) -> list[Candidate]:
    """The best reports for a sighting, each with its match if there is one; every report
    shown is audited. A sighting seen with others is ranked with its group's evidence, as its
    proposals are (and as `ridni link` ranks it)."""
    ranked = groups.group_ranking(session, sighting.id)
    if ranked is None:
        person = engine.person_from_sighting(sighting)
        keys = {sighting.id: matching.blocking_keys(person)}
        reports = scoring.reports_reached(session, keys, {sighting.id: person}, KnownReports())
        ranked = scoring.rank_reports(
            sighting.id,
            person,
            reports[sighting.id],
            scoring.shares(session, person),
            same_child=repository.same_child_terms(session, reports[sighting.id]),
        )
    shown = ranked[:limit]
    matches = repository.matches_for_sightings(session, [sighting.id]).get(sighting.id, {})
    audit.record(session, principal, Action.report_candidate, [s.report_id for s in shown])
    return [(s, matches.get(s.report_id)) for s in shown]


def candidates_for_report(
    session: Session, principal: Principal, report: Report, limit: int
) -> list[Candidate]:
    """The best sightings for a report, each with its match if there is one; every sighting
    shown is audited."""
    shown = scoring.score_report(session, report)[:limit]
    matches = repository.for_report(session, report.id)
    audit.record(session, principal, Action.sighting_candidate, [s.sighting_id for s in shown])
    return [(s, matches.get(s.sighting_id)) for s in shown]
