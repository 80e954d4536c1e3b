"""The photo routes: add and list a record's photos, serve and delete one."""

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from app.audit.http import audited
from app.audit.models import Action
from app.core.database import SessionDep
from app.core.deps import ClaimLifetime, IdempotencyKeyHeader, RecordId
from app.core.problems import PROBLEM_JSON, PROBLEM_SCHEMA, problem_responses
from app.core.security import Principal, Role, current_principal, require
from app.photos import service
from app.photos.forms import MAX_FILE_BYTES, read_photo_form
from app.photos.models import STORED_TYPE, Photo
from app.photos.repository import RecordKind
from app.photos.schemas import PhotoList, PhotoOut
from app.photos.store import PhotoStore

router = APIRouter(prefix="/api/v1", tags=["photos"], responses=problem_responses(401, 403, 422))

# Who may use a record's photo routes at all; which records, `readable` decides (else 404).
ReportReader = Annotated[Principal, require(Role.family, Role.coordinator, Role.admin)]
SightingReader = Annotated[Principal, require(Role.field, Role.coordinator, Role.admin)]
Caller = Annotated[Principal, Depends(current_principal)]


def photo_store(request: Request) -> PhotoStore:
    store: PhotoStore | None = request.app.state.photo_store
    if store is None:
        raise service.StoreNotConfigured()
    return store


Store = Annotated[PhotoStore, Depends(photo_store)]


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}}}


_UPLOAD_RESPONSES: dict[int | str, dict[str, Any]] = {
    **problem_responses(404),
    400: _problem("Malformed multipart body"),
    409: _problem(
        f"The record already holds {service.MAX_PER_RECORD} photos, or the same "
        "Idempotency-Key is still in flight"
    ),
    413: _problem(f"The file is over {MAX_FILE_BYTES} bytes (20 MiB)"),
    415: _problem("The file is not a JPEG, PNG, WebP or HEIC/HEIF image, judged by its content"),
    422: _problem(
        "The request does not validate, or the image is over 40 megapixels (a decompression "
        "bomb), damaged or truncated"
    ),
    503: _problem("No photo store is configured (RIDNI_PHOTO_DIR)"),
}
_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "additionalProperties": False,
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "The photo: JPEG, PNG, WebP, or HEIC/HEIF as "
                            "iPhones write them; at most 20 MiB and 40 megapixels.",
                        },
                        "caption": {
                            "type": "string",
                            "maxLength": 500,
                            "description": "What the photo shows, as written (encrypted).",
                        },
                    },
                },
                "example": {"file": "(school-photo.heic)", "caption": "Шкільне фото, 2021"},
            }
        },
    }
}
_IMAGE = {
    200: {
        "description": "The image, re-encoded as JPEG, with no metadata at all.",
        "content": {STORED_TYPE: {"schema": {"type": "string", "format": "binary"}}},
        "headers": {
            "Cache-Control": {"description": "Always `no-store`.", "schema": {"type": "string"}}
        },
    },
    **problem_responses(404),
    500: _problem(
        "Something went wrong on our side, or the photo's file or key is damaged (the detail "
        "names the photo id, and nothing else)"
    ),
    503: _problem("No photo store is configured (RIDNI_PHOTO_DIR)"),
}


def to_out(photo: Photo) -> PhotoOut:
    return PhotoOut(
        id=photo.id,
        report_id=photo.report_id,
        sighting_id=photo.sighting_id,
        width=photo.width,
        height=photo.height,
        content_type=photo.content_type,
        caption=photo.caption,
        created_at=photo.created_at,
    )


async def _add(
    request: Request,
    principal: Principal,
    session: Session,
    store: PhotoStore,
    kind: RecordKind,
    record_id: str,
    stale_after: timedelta,
    idempotency_key: str | None,
) -> PhotoOut:
    # The form is read here, once the caller, the path and the headers have passed (as a
    # dependency it would be read before the path is validated); the work on it runs in a
    # worker thread, as a plain route's would.
    form = await read_photo_form(request)
    photo = await run_in_threadpool(
        service.add_photo,
        session,
        principal,
        store,
        kind,
        record_id,
        form,
        idempotency_key=idempotency_key,
        stale_after=stale_after,
    )
    return to_out(photo)


@router.post(
    "/reports/{report_id}/photos",
    status_code=201,
    response_model=PhotoOut,
    dependencies=[audited(Action.report_photo_add)],
    responses=_UPLOAD_RESPONSES,
    openapi_extra=_UPLOAD_BODY,
)
async def add_report_photo(
    request: Request,
    report_id: RecordId,
    principal: ReportReader,
    session: SessionDep,
    store: Store,
    stale_after: ClaimLifetime,
    idempotency_key: IdempotencyKeyHeader = None,
) -> PhotoOut:
    """Add a photo to a report: the family that filed it, coordinators, admins. It is decoded,
    stripped of every metadata block (GPS, device, captions of the camera), re-encoded as a
    JPEG of at most 2048 px with a thumbnail, and stored encrypted. At most 10 a report."""
    return await _add(
        request,
        principal,
        session,
        store,
        RecordKind.report,
        report_id,
        stale_after,
        idempotency_key,
    )


@router.post(
    "/sightings/{sighting_id}/photos",
    status_code=201,
    response_model=PhotoOut,
    dependencies=[audited(Action.sighting_photo_add)],
    responses=_UPLOAD_RESPONSES,
    openapi_extra=_UPLOAD_BODY,
)
async def add_sighting_photo(
    request: Request,
    sighting_id: RecordId,
    principal: SightingReader,
    session: SessionDep,
    store: Store,
    stale_after: ClaimLifetime,
    idempotency_key: IdempotencyKeyHeader = None,
) -> PhotoOut:
    """Add a photo to a sighting: the field contact who filed it, coordinators, admins. The
    phone's GPS position, device and serial numbers never reach the disk. At most 10."""
    return await _add(
        request,
        principal,
        session,
        store,
        RecordKind.sighting,
        sighting_id,
        stale_after,
        idempotency_key,
    )


@router.get(
    "/reports/{report_id}/photos",
    response_model=PhotoList,
    dependencies=[audited(Action.report_photos)],
    responses=problem_responses(404),
)
def list_report_photos(
    report_id: RecordId, principal: ReportReader, session: SessionDep
) -> PhotoList:
    """A report's photos (metadata), for those who may read the report."""
    photos = service.list_photos(session, principal, RecordKind.report, report_id)
    return PhotoList(items=[to_out(p) for p in photos])


@router.get(
    "/sightings/{sighting_id}/photos",
    response_model=PhotoList,
    dependencies=[audited(Action.sighting_photos)],
    responses=problem_responses(404),
)
def list_sighting_photos(
    sighting_id: RecordId, principal: SightingReader, session: SessionDep
) -> PhotoList:
    """A sighting's photos (metadata), for those who may read the sighting."""
    photos = service.list_photos(session, principal, RecordKind.sighting, sighting_id)
    return PhotoList(items=[to_out(p) for p in photos])


@router.get(
    "/photos/{photo_id}",
    response_class=Response,
    dependencies=[audited(Action.photo_read)],
    responses=_IMAGE,
)
def get_photo(
    photo_id: RecordId,
    principal: Caller,
    session: SessionDep,
    store: Store,
    size: Annotated[
        service.Size,
        Query(description="`thumbnail`: at most 320 px on the long side."),
    ] = "full",
) -> Response:
    """A photo, for those who may read its record; someone else's is a 404 like a missing one."""
    jpeg = service.read_image(session, principal, store, photo_id, size)
    return image_response(jpeg)


def image_response(jpeg: bytes) -> Response:
    return Response(jpeg, media_type=STORED_TYPE, headers={"Cache-Control": "no-store"})


@router.delete(
    "/photos/{photo_id}",
    status_code=204,
    response_class=Response,
    dependencies=[audited(Action.photo_delete)],
    responses={**problem_responses(404), 503: _problem("No photo store is configured")},
)
def delete_photo(
    photo_id: RecordId, principal: Caller, session: SessionDep, store: Store
) -> Response:
    """Delete a photo (those who may read its record): its key is destroyed, so that no copy
    of its files, in the store or in a backup of it, can be opened again."""
    service.delete_photo(session, principal, store, photo_id)
    return Response(status_code=204)
