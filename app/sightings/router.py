from typing import Annotated

from fastapi import APIRouter

from app.audit.http import audited
from app.audit.models import Action
from app.core.database import SessionDep
from app.core.deps import RecordId
from app.core.pagination import DEFAULT_LIMIT, Cursor, Limit
from app.core.problems import problem_responses
from app.core.security import Principal, Role, require
from app.sightings import service
from app.sightings.schemas import SightingOut, SightingPage

router = APIRouter(
    prefix="/api/v1/sightings", tags=["sightings"], responses=problem_responses(401, 403, 422)
)

Observer = Annotated[Principal, require(Role.field, Role.coordinator, Role.admin)]


@router.get("", response_model=SightingPage, dependencies=[audited(Action.sighting_list)])
def list_sightings(
    principal: Observer, session: SessionDep, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> SightingPage:
    """A field contact's own sightings, or every sighting for coordinators; newest first."""
    rows, next_cursor = service.list_sightings(session, principal, limit=limit, cursor=cursor)
    seen_with = service.shown_seen_with(session, principal, [s.id for s in rows])
    return SightingPage(
        items=[
            service.to_out(s, principal, with_source=False, seen_with=seen_with[s.id]) for s in rows
        ],
        next_cursor=next_cursor,
    )


@router.get(
    "/{sighting_id}",
    response_model=SightingOut,
    dependencies=[audited(Action.sighting_read)],
    responses=problem_responses(404),
)
def get_sighting(sighting_id: RecordId, principal: Observer, session: SessionDep) -> SightingOut:
    """One sighting: a field contact's own, or any for coordinators and admins, who also see
    its source."""
    sighting = service.get_sighting(session, principal, sighting_id, audit_as=Action.sighting_read)
    return service.to_out(
        sighting,
        principal,
        with_source=True,
        seen_with=service.shown_seen_with(session, principal, [sighting.id])[sighting.id],
    )
