"""Every query on sightings. `readable` is the one place that says who may see which sighting."""

from collections.abc import Iterable, Sequence

from sqlalchemy import Select, delete, false, select
from sqlalchemy.orm import Session

from app.core.pagination import page, split_page
from app.core.related import related_ids
from app.core.security import Principal, Role
from app.sightings.models import SeenTogether, Sighting


def readable(principal: Principal) -> Select[Sighting]:
    stmt = select(Sighting)
    if principal.sees_everything:
        return stmt
    if principal.role == Role.field:
        return stmt.where(Sighting.owner_id == principal.user_id)
    return stmt.where(false())


def get(session: Session, principal: Principal, sighting_id: str) -> Sighting | None:
    return session.scalars(readable(principal).where(Sighting.id == sighting_id)).one_or_none()


def by_ids(session: Session, principal: Principal, ids: Iterable[str]) -> dict[str, Sighting]:
    """The sightings among `ids` the caller may see."""
    wanted = set(ids)
    if not wanted:
        return {}
    rows = session.scalars(readable(principal).where(Sighting.id.in_(wanted)))
    return {sighting.id: sighting for sighting in rows}


def list_page(
    session: Session, principal: Principal, *, limit: int, cursor: str | None
) -> tuple[list[Sighting], str | None]:
    rows = list(session.scalars(page(readable(principal), Sighting, limit=limit, cursor=cursor)))
    return split_page(rows, limit)


def add_all(session: Session, sightings: Sequence[Sighting]) -> None:
    session.add_all(sightings)
    session.flush()


def companion_ids(session: Session, sighting_ids: Iterable[str]) -> dict[str, set[str]]:
    """{sighting id: the ids of the sightings seen with it} for these sightings, whoever may
    see them (the engine's view; a caller's answer filters them through `by_ids`)."""
    return related_ids(session, (SeenTogether.sighting_id, SeenTogether.companion_id), sighting_ids)


def link_companions(
    session: Session, sighting_id: str, companions: Iterable[str], drop: Iterable[str] = ()
) -> None:
    """Store that these sightings were seen with one (each pair once, smaller id first), and
    that those of `drop` were not."""
    for other in drop:
        a, b = sorted((sighting_id, other))
        pair = SeenTogether.sighting_id == a, SeenTogether.companion_id == b
        session.execute(delete(SeenTogether).where(*pair))
    session.add_all(
        SeenTogether(sighting_id=a, companion_id=b)
        for a, b in (sorted((sighting_id, other)) for other in companions)
    )
    session.flush()
