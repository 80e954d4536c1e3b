"""A photo for the console's pages, with the reviewer's session: the same service, rules and
audit row (`photo.read`) as `GET /api/v1/photos/{id}`."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from app.audit.http import audited
from app.audit.models import Action
from app.console.auth import Reviewer
from app.core.database import SessionDep
from app.core.text import NulFree
from app.photos import service
from app.photos.router import image_response, photo_store

router = APIRouter(prefix="/console", include_in_schema=False)


@router.get("/photos/{photo_id}", dependencies=[audited(Action.photo_read)])
def photo(
    request: Request,
    photo_id: Annotated[NulFree, Path(max_length=36)],
    principal: Reviewer,
    session: SessionDep,
    size: Annotated[service.Size, Query()] = "full",
) -> Response:
    jpeg = service.read_image(session, principal, photo_store(request), photo_id, size)
    return image_response(jpeg)
