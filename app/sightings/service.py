"""Business rules for field contacts' sightings."""

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy.orm import Session

from app.audit import service as audit
from app.audit.models import Action
from app.core.dates import full_date
from app.core.models import new_id, utcnow
from app.core.person import person_columns, person_fields
from app.core.problems import NotFound
from app.core.related import check_related
from app.core.security import Principal
from app.sightings import repository
from app.sightings.models import Sighting
from app.sightings.schemas import SightingIn, SightingOut


def new_sighting(owner_id: str, data: SightingIn) -> Sighting:
    """A sighting row for validated data, not yet added to any session. Its id and timestamps
    are set already, so that it can be scored before it is stored (as an import does)."""
    source = data.source
    now = utcnow()
    return Sighting(
        id=new_id(),
        created_at=now,
        updated_at=now,
        owner_id=owner_id,
        **person_columns(data.subject),
        origin_settlement=data.subject.origin_settlement,
        observed_on=full_date(data.observed_on) if data.observed_on else None,
        location=data.location,
        source_type=data.source_type.value,
        notes=data.notes,
        source_contact=source.contact if source else None,
        source_details=source.details if source else None,
    )


def get_sighting(
    session: Session, principal: Principal, sighting_id: str, *, audit_as: Action
) -> Sighting:
    """The sighting, if the caller may see it (else 404); audited as the caller's `audit_as`."""
    sighting = get_or_404(session, principal, sighting_id)
    audit.record(session, principal, audit_as, [sighting.id])
    return sighting


def get_or_404(session: Session, principal: Principal, sighting_id: str) -> Sighting:
    """The sighting, if the caller may see it; else 404 (unaudited)."""
    sighting = repository.get(session, principal, sighting_id)
    if sighting is None:
        raise NotFound()
    return sighting


def list_sightings(
    session: Session, principal: Principal, *, limit: int, cursor: str | None
) -> tuple[list[Sighting], str | None]:
    rows, next_cursor = repository.list_page(session, principal, limit=limit, cursor=cursor)
    audit.record(session, principal, Action.sighting_list, [sighting.id for sighting in rows])
    return rows, next_cursor


def shown_sightings(
    session: Session, principal: Principal, ids: Iterable[str], *, audit_as: Action | None
) -> dict[str, Sighting]:
    """The sightings among `ids` the caller may see, each audited as `audit_as` (None: the
    caller's service audited them already, as ranked candidates)."""
    found = repository.by_ids(session, principal, ids)
    if audit_as is not None:
        audit.record(session, principal, audit_as, list(found))
    return found


def check_seen_with(
    session: Session, principal: Principal, ids: Sequence[str], *, own_id: str | None = None
) -> None:
    """A 422 unless `ids` are distinct sightings the caller may see, other than `own_id` (a
    field contact names its own sightings; coordinators any)."""
    visible = set(repository.by_ids(session, principal, ids))
    check_related("seen_with", ids, visible=visible, own_id=own_id)


def set_seen_with(
    session: Session, principal: Principal, sighting_id: str, ids: Sequence[str]
) -> set[str]:
    """Make `ids` the sightings seen with this one among those the caller may see (checked
    already); those the caller may not see stay. Returns every sighting whose group changed."""
    current = repository.companion_ids(session, [sighting_id]).get(sighting_id, set())
    visible_now = set(repository.by_ids(session, principal, current))
    wanted = set(ids)
    drop, add = visible_now - wanted, wanted - current
    repository.link_companions(session, sighting_id, add, drop)
    return {sighting_id, *drop, *add}


def shown_seen_with(
    session: Session, principal: Principal, sighting_ids: Iterable[str]
) -> dict[str, list[str]]:
    """{sighting id: the ids of the sightings seen with it that the caller may see}."""
    wanted = list(sighting_ids)
    related = repository.companion_ids(session, wanted)
    visible = set(repository.by_ids(session, principal, set().union(*related.values())))
    return {sid: sorted(related.get(sid, set()) & visible) for sid in wanted}


def to_out(
    sighting: Sighting,
    principal: Principal,
    *,
    with_source: bool,
    seen_with: list[str] | None = None,
) -> SightingOut:
    """`with_source` only for a single sighting: the source never appears in a list.
    `seen_with`: those the reader may see (`shown_seen_with`); None where not looked up.

    Coordinators and admins see the source; its filer sees only that it was stored.
    """
    source: dict[str, Any] | None = None
    if with_source and (sighting.source_contact is not None or sighting.source_details is not None):
        if principal.sees_everything:
            source = {"contact": sighting.source_contact, "details": sighting.source_details}
        elif sighting.owner_id == principal.user_id:
            source = {"stored": True}
    return SightingOut.model_validate(
        {
            "id": sighting.id,
            "created_at": sighting.created_at,
            "updated_at": sighting.updated_at,
            "subject": {**person_fields(sighting), "origin_settlement": sighting.origin_settlement},
            "observed_on": sighting.observed_on.isoformat() if sighting.observed_on else None,
            "location": sighting.location,
            "source_type": sighting.source_type,
            "notes": sighting.notes,
            "source": source,
            "seen_with": seen_with,
        }
    )
