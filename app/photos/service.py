"""The rules of photos: who may add, see and delete them, at most MAX_PER_RECORD a record, each
upload cleaned (`images`), encrypted under a fresh data key and stored whole or not at all.

Files follow their transaction: those an upload wrote are removed if it rolls back, those of a
deleted photo once the deletion commits. A process that dies in between leaves a file without a
row (ciphertext whose key never existed, or is gone): `ridni photos check --fix` removes it.
"""

import hashlib
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from app.audit import service as audit
from app.audit.models import Action, Outcome
from app.core.idempotency import idempotent
from app.core.models import new_id, utcnow
from app.core.problems import Conflict, NotFound, Problem, Unreadable
from app.core.security import Principal
from app.crypto.keyfile import b64decode, b64encode
from app.crypto.orm import open_columns
from app.photos import images, repository
from app.photos.forms import PhotoForm
from app.photos.models import Photo
from app.photos.repository import RecordKind
from app.photos.store import Damaged, PhotoStore, new_data_key, open_sealed, seal

log = logging.getLogger("ridni.photos")

MAX_PER_RECORD = 10
Size = Literal["full", "thumbnail"]

_ADDED = {
    RecordKind.report: Action.report_photo_add,
    RecordKind.sighting: Action.sighting_photo_add,
}
_LISTED = {RecordKind.report: Action.report_photos, RecordKind.sighting: Action.sighting_photos}


class PhotoUnreadable(Problem):
    """A photo whose file is missing or altered, or whose key does not unwrap: the server's
    fault, never the caller's. The detail names the photo and nothing else."""

    status = 500
    title = "Photo unreadable"

    def __init__(self, photo_id: str) -> None:
        super().__init__(
            f"Photo {photo_id} cannot be decrypted: its stored file or its key is damaged or "
            "missing. This is logged for the operators; nothing was changed."
        )


class StoreNotConfigured(Problem):
    status = 503
    title = "Photo store not configured"

    def __init__(self) -> None:
        super().__init__("This deployment stores no photos: RIDNI_PHOTO_DIR is not set.")


def add_photo(
    session: Session,
    principal: Principal,
    store: PhotoStore,
    kind: RecordKind,
    record_id: str,
    form: PhotoForm,
    *,
    idempotency_key: str | None,
    stale_after: timedelta,
) -> Photo:
    """Add a photo to a record the caller may read (else 404); once per idempotency key."""
    if not repository.record_readable(session, principal, kind, record_id):
        raise NotFound()
    cleaned = images.clean(form.data)
    body = {
        "record": f"{kind.value}/{record_id}",
        "file": hashlib.sha256(form.data).hexdigest(),
        "caption": form.caption,
    }
    with idempotent(
        session,
        owner_id=principal.user_id,
        resource=Photo,
        key=idempotency_key,
        body=body,
        stale_after=stale_after,
    ) as claim:
        if claim.replay_id is not None:
            photo = repository.get(session, principal, claim.replay_id)
            if photo is None:  # deleted since: the key names nothing the caller can have
                raise NotFound()
            audit.record(
                session, principal, Action.photo_create, [photo.id], outcome=Outcome.replayed
            )
            return photo
        photo_id = new_id()
        key = new_data_key()
        image_file = store.write(seal(key, photo_id, "full", cleaned.image.jpeg))
        _follow(session, _WRITTEN, store, image_file)
        thumbnail_file = store.write(seal(key, photo_id, "thumbnail", cleaned.thumbnail.jpeg))
        _follow(session, _WRITTEN, store, thumbnail_file)
        repository.lock_record(session, kind, record_id)
        if repository.count(session, kind, record_id) >= MAX_PER_RECORD:
            raise Conflict(f"A record holds at most {MAX_PER_RECORD} photos; delete one first.")
        photo = Photo(
            id=photo_id,
            created_at=utcnow(),
            report_id=record_id if kind == RecordKind.report else None,
            sighting_id=record_id if kind == RecordKind.sighting else None,
            uploaded_by=principal.user_id,
            width=cleaned.image.width,
            height=cleaned.image.height,
            thumbnail_width=cleaned.thumbnail.width,
            thumbnail_height=cleaned.thumbnail.height,
            image_file=image_file,
            thumbnail_file=thumbnail_file,
            caption=form.caption,
            data_key=b64encode(key),
        )
        repository.add(session, photo)
        audit.record(session, principal, _ADDED[kind], [record_id])
        audit.record(session, principal, Action.photo_create, [photo.id])
        claim.complete(photo.id)
        return photo


# Files that follow their transaction, kept in `Session.info` until it ends: (store, names).
_WRITTEN = "ridni.photos.written"  # written by this transaction: removed if it rolls back
_DELETED = "ridni.photos.deleted"  # of photos it deleted: removed once it commits


def _follow(session: Session, which: str, store: PhotoStore, *names: str) -> None:
    session.info.setdefault(which, []).append((store, names))


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    session.info.pop(_WRITTEN, None)
    for store, names in session.info.pop(_DELETED, ()):
        store.remove(*names)


@event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:
        return
    session.info.pop(_DELETED, None)
    for store, names in session.info.pop(_WRITTEN, ()):
        store.remove(*names)


def list_photos(
    session: Session, principal: Principal, kind: RecordKind, record_id: str
) -> list[Photo]:
    """A readable record's photos (else 404): metadata only."""
    if not repository.record_readable(session, principal, kind, record_id):
        raise NotFound()
    photos = repository.of_record(session, kind, record_id)
    audit.record(session, principal, _LISTED[kind], [record_id])
    audit.record(session, principal, Action.photo_list, [photo.id for photo in photos])
    return photos


def get_photo(session: Session, principal: Principal, photo_id: str) -> Photo:
    photo = repository.get(session, principal, photo_id)
    if photo is None:
        raise NotFound()
    return photo


def read_image(
    session: Session, principal: Principal, store: PhotoStore, photo_id: str, size: Size
) -> bytes:
    """The JPEG of a photo the caller may see (else 404), decrypted; audited as a view."""
    photo = get_photo(session, principal, photo_id)
    name = photo.thumbnail_file if size == "thumbnail" else photo.image_file
    try:
        opened = open_columns(
            session,
            table="photos",
            record_id=photo.id,
            values={"data_key": repository.wrapped_key(session, photo.id)},
        )
        key = b64decode(opened["data_key"] or "")
        jpeg = open_sealed(key, photo.id, size, store.read(name))
    except (Unreadable, Damaged, ValueError) as error:
        log.error("photo %s (%s) cannot be decrypted: %s", photo.id, size, _reason(error))
        raise PhotoUnreadable(photo.id) from None
    audit.record(session, principal, Action.photo_read, [photo.id])
    return jpeg


def _reason(error: Exception) -> str:
    if isinstance(error, Unreadable):
        return f"its key: {error.reason}"
    if isinstance(error, Damaged):
        return f"its file: {error}"
    return "its key is not a key"


def delete_photo(session: Session, principal: Principal, store: PhotoStore, photo_id: str) -> None:
    """Delete a photo the caller may see (else 404): its row and key now, its files once the
    deletion commits. Without the key no copy of the files opens again."""
    photo = get_photo(session, principal, photo_id)
    repository.remove(session, photo.id)
    audit.record(session, principal, Action.photo_delete, [photo.id])
    _follow(session, _DELETED, store, photo.image_file, photo.thumbnail_file)


def match_photos(
    session: Session, principal: Principal, report_id: str, sighting_id: str
) -> tuple[list[Photo], list[Photo]]:
    """The photos of a match's report and sighting, for the console (audited as listed)."""
    return (
        list_photos(session, principal, RecordKind.report, report_id),
        list_photos(session, principal, RecordKind.sighting, sighting_id),
    )


# --- `ridni photos check` ----------------------------------------------------------------------
@dataclass(frozen=True)
class Orphans:
    files: list[str]  # in the store, named by no row (temporary files left by a crash included)
    rows: list[str]  # ids of photos one of whose files is missing


def find_orphans(session: Session, store: PhotoStore, *, grace: timedelta) -> Orphans:
    """Files no row names (older than `grace`: a younger one may be an upload in flight) and
    rows whose files are gone."""
    rows = repository.files(session)
    named = {name for _id, *pair in rows for name in pair}
    present = {}
    cutoff = (utcnow() - grace).timestamp()
    for name, modified in store.names():
        present[name] = modified
    files = sorted(n for n, modified in present.items() if n not in named and modified < cutoff)
    missing = sorted(
        pid for pid, image, thumb in rows if image not in present or thumb not in present
    )
    return Orphans(files, missing)


def remove_orphans(session: Session, store: PhotoStore, orphans: Orphans) -> None:
    """Remove orphan files, and the rows (with their remaining file) of photos that lost one."""
    store.remove(*orphans.files)
    kept = {pid: (image, thumb) for pid, image, thumb in repository.files(session)}
    for photo_id in orphans.rows:
        repository.remove(session, photo_id)
        store.remove(*kept.get(photo_id, ()))
    audit.record(session, None, Action.photo_delete, orphans.rows)
