"""Every query on photos. `readable` is the one place that says who may see which photo: those
who may read its record (`app.reports.repository.readable`, `app.sightings.repository.readable`).

Photos are loaded without their data key (`defer`): listing or deleting a photo never needs it,
and a damaged key must not stop either. Serving opens it on its own (`wrapped_key`).
"""

from enum import StrEnum

from sqlalchemy import ColumnElement, Select, delete, func, or_, select
from sqlalchemy.orm import Session, defer

from app.core.database import begin_writing
from app.core.security import Principal
from app.photos.models import Photo
from app.reports import repository as reports
from app.reports.models import Report
from app.sightings import repository as sightings
from app.sightings.models import Sighting


class RecordKind(StrEnum):
    report = "report"
    sighting = "sighting"


def _of(kind: RecordKind, record_id: str) -> ColumnElement[bool]:
    column = Photo.report_id if kind == RecordKind.report else Photo.sighting_id
    return column == record_id


def readable(principal: Principal) -> Select[Photo]:
    stmt = select(Photo).options(defer(Photo.data_key))
    if principal.sees_everything:
        return stmt
    return stmt.where(
        or_(
            Photo.report_id.in_(reports.readable(principal).with_only_columns(Report.id)),
            Photo.sighting_id.in_(sightings.readable(principal).with_only_columns(Sighting.id)),
        )
    )


def get(session: Session, principal: Principal, photo_id: str) -> Photo | None:
    return session.scalars(readable(principal).where(Photo.id == photo_id)).one_or_none()


def record_readable(
    session: Session, principal: Principal, kind: RecordKind, record_id: str
) -> bool:
    if kind == RecordKind.report:
        return reports.get(session, principal, record_id) is not None
    return sightings.get(session, principal, record_id) is not None


def of_record(session: Session, kind: RecordKind, record_id: str) -> list[Photo]:
    """A record's photos, oldest first (the caller has checked that the record is readable)."""
    stmt = (
        select(Photo)
        .options(defer(Photo.data_key))
        .where(_of(kind, record_id))
        .order_by(Photo.created_at, Photo.id)
    )
    return list(session.scalars(stmt))


def lock_record(session: Session, kind: RecordKind, record_id: str) -> None:
    """Hold the record until the transaction ends, so that two uploads at once count each
    other: its row locked on PostgreSQL; on SQLite the write lock, taken now."""
    begin_writing(session)
    model = Report if kind == RecordKind.report else Sighting
    session.execute(select(model.id).where(model.id == record_id).with_for_update())


def count(session: Session, kind: RecordKind, record_id: str) -> int:
    stmt = select(func.count()).select_from(Photo).where(_of(kind, record_id))
    return session.scalar(stmt) or 0


def add(session: Session, photo: Photo) -> None:
    session.add(photo)
    session.flush()


def wrapped_key(session: Session, photo_id: str) -> str | None:
    """The data key as stored (sealed): the caller opens it (`app.crypto.orm.open_columns`)."""
    return session.scalar(select(Photo.data_key).where(Photo.id == photo_id))


def remove(session: Session, photo_id: str) -> None:
    session.execute(delete(Photo).where(Photo.id == photo_id))


def files(session: Session) -> list[tuple[str, str, str]]:
    """(id, image file, thumbnail file) of every photo."""
    rows = session.execute(select(Photo.id, Photo.image_file, Photo.thumbnail_file))
    return [(photo_id, image, thumbnail) for photo_id, image, thumbnail in rows]
