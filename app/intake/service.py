"""Filing a report or a sighting, the same sequence for both and for every way in (the API
one at a time, an import in batches): claim the idempotency key, insert, audit, then the
candidate keys and proposals. Amending a report's child files it again for matching.

A filing through the API only queues its record for matching (`app.matches.worker`), so that
its answer takes as long whether or not the record matches; an import matches its batches
itself, as it loads them.

Above the reports, sightings and matches domains, so that none of them calls another."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Generic, TypeVar

from sqlalchemy.orm import Session

from app.audit import service as audit
from app.audit.models import Action, Outcome
from app.core.idempotency import idempotent
from app.core.security import Principal
from app.matches import groups, proposals, worker
from app.matches.engine import MatchingSettings
from app.matches.models import QueuedKind
from app.matches.proposals import SightingScores
from app.reports import repository as reports_repository
from app.reports import service as reports
from app.reports.models import Report
from app.reports.schemas import ReportChanges, ReportIn
from app.sightings import repository as sightings_repository
from app.sightings import service as sightings
from app.sightings.models import Sighting
from app.sightings.schemas import SightingChanges, SightingIn

_In = TypeVar("_In", ReportIn, SightingIn)
_Record = TypeVar("_Record", Report, Sighting)


@dataclass(frozen=True)
class Filing(Generic[_In, _Record]):
    """What filing one kind of record takes."""

    resource: type[_Record]  # its table names the scope of its idempotency keys
    created: Action
    new: Callable[[str, _In], _Record]  # the record for validated data, owned by a user id
    queued: QueuedKind
    insert: Callable[[Session, Principal, Sequence[_Record]], None]  # and audit
    filed: Callable[[Session, Principal, str], _Record]  # the record filed first (a replay)
    # The records it names as related (siblings, seen with): checked before it is inserted,
    # stored after (the matching worker scores its group again).
    check_related: Callable[[Session, Principal, _In], None]
    relate: Callable[[Session, _Record, _In], None]


def file_record(
    session: Session,
    principal: Principal,
    kind: Filing[_In, _Record],
    data: _In,
    *,
    idempotency_key: str | None,
    stale_after: timedelta,
) -> _Record:
    """File a record once per idempotency key and queue it for matching; a retry gets the
    record filed first."""
    with idempotent(
        session,
        owner_id=principal.user_id,
        resource=kind.resource,
        key=idempotency_key,
        body=data.model_dump(mode="json"),
        stale_after=stale_after,
    ) as claim:
        if claim.replay_id is not None:
            record = kind.filed(session, principal, claim.replay_id)
            audit.record(session, principal, kind.created, [record.id], outcome=Outcome.replayed)
            return record
        kind.check_related(session, principal, data)
        record = kind.new(principal.user_id, data)
        kind.insert(session, principal, [record])
        kind.relate(session, record, data)
        worker.enqueue(session, kind.queued, [record.id])
        claim.complete(record.id)
        return record


def amend_report(
    session: Session,
    principal: Principal,
    report_id: str,
    changes: ReportChanges,
) -> Report:
    """Apply a merge patch; a changed child or changed siblings queue the report (and the
    siblings it had or now has) to be re-indexed, their proposals refreshed and their groups
    scored again."""
    new_siblings = changes.siblings or []
    if "siblings" in changes.model_fields_set:
        reports.check_siblings(session, principal, new_siblings, own_id=report_id)
    report = reports.apply_changes(session, principal, report_id, changes)
    family = {report.id}
    if "siblings" in changes.model_fields_set:
        family |= reports.set_siblings(session, principal, report.id, new_siblings)
    if changes.child is not None or "siblings" in changes.model_fields_set:
        worker.enqueue(session, QueuedKind.report, sorted(family))
    audit.record(session, principal, Action.report_update, [report.id])
    return report


def amend_sighting(
    session: Session, principal: Principal, sighting_id: str, changes: SightingChanges
) -> Sighting:
    """Change who a sighting's child was seen with; the sightings it had or now has are
    queued, so that their groups are scored again."""
    sighting = sightings.get_or_404(session, principal, sighting_id)
    if "seen_with" in changes.model_fields_set:
        new = changes.seen_with or []
        sightings.check_seen_with(session, principal, new, own_id=sighting.id)
        touched = sightings.set_seen_with(session, principal, sighting.id, new)
        worker.enqueue(session, QueuedKind.sighting, sorted(touched))
    audit.record(session, principal, Action.sighting_update, [sighting.id])
    return sighting


def insert_reports(session: Session, owner: Principal, new: Sequence[Report]) -> None:
    """Insert new reports filed by `owner` and audit them."""
    reports_repository.add_all(session, new)
    audit.record(session, owner, Action.report_create, [report.id for report in new])


def insert_sightings(session: Session, owner: Principal, new: Sequence[Sighting]) -> None:
    """Insert new sightings filed by `owner` and audit them."""
    sightings_repository.add_all(session, new)
    audit.record(session, owner, Action.sighting_create, [sighting.id for sighting in new])


def add_reports(
    session: Session, owner: Principal, new: Sequence[Report], matching: MatchingSettings
) -> None:
    """`insert_reports`, then index and propose each in turn (each report changes the name
    shares that the next one is scored with)."""
    insert_reports(session, owner, new)
    for report in new:
        proposals.report_changed(session, report, settings=matching)


def add_sightings(
    session: Session,
    owner: Principal,
    new: Sequence[Sighting],
    matching: MatchingSettings,
    *,
    scores: SightingScores | None = None,
) -> None:
    """`insert_sightings`, then store their keys and proposals: the `scores` found before they
    were inserted (an import scores a batch first), else now."""
    insert_sightings(session, owner, new)
    if scores is None:
        scores = proposals.score_sightings(session, new, settings=matching)
    proposals.store_sighting_scores(session, new, scores, settings=matching)


def _check_siblings(session: Session, principal: Principal, data: ReportIn) -> None:
    reports.check_siblings(session, principal, data.siblings or [])


def _relate_report(session: Session, report: Report, data: ReportIn) -> None:
    if data.siblings:
        reports_repository.link_siblings(session, report.id, data.siblings, ())


def _check_seen_with(session: Session, principal: Principal, data: SightingIn) -> None:
    sightings.check_seen_with(session, principal, data.seen_with or [])


def _relate_sighting(session: Session, sighting: Sighting, data: SightingIn) -> None:
    if data.seen_with:
        sightings_repository.link_companions(session, sighting.id, data.seen_with)


def relate_group_members(
    session: Session,
    reports: bool,
    members_of: Sequence[Sequence[str]],
    matching: MatchingSettings,
) -> None:
    """Relate every two records of each group (an import's `group` column: reports as
    siblings, else sightings as seen together), keeping the pairs already related, and score
    the groups again. The import acts for the service: every record is its own to relate."""
    touched: list[str] = []
    for members in members_of:
        if reports:
            related = reports_repository.sibling_ids(session, members)
        else:
            related = sightings_repository.companion_ids(session, members)
        for i, record_id in enumerate(members):
            new = [m for m in members[i + 1 :] if m not in related.get(record_id, set())]
            if reports:
                reports_repository.link_siblings(session, record_id, new, ())
            else:
                sightings_repository.link_companions(session, record_id, new)
        touched.extend(members)
    if not touched:
        return
    if reports:
        groups.rescore_groups(session, report_ids=touched, settings=matching)
    else:
        groups.rescore_groups(session, sighting_ids=touched, settings=matching)


REPORTS = Filing(
    resource=Report,
    created=Action.report_create,
    new=reports.new_report,
    queued=QueuedKind.report,
    insert=insert_reports,
    filed=reports.get_or_404,
    check_related=_check_siblings,
    relate=_relate_report,
)
SIGHTINGS = Filing(
    resource=Sighting,
    created=Action.sighting_create,
    new=sightings.new_sighting,
    queued=QueuedKind.sighting,
    insert=insert_sightings,
    filed=sightings.get_or_404,
    check_related=_check_seen_with,
    relate=_relate_sighting,
)
