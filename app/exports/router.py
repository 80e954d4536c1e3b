from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from app.audit.http import audited
from app.audit.models import Action
from app.core.database import SessionDep
from app.core.deps import SettingsDep
from app.core.problems import problem_responses
from app.core.security import Principal, Role, require
from app.exports import service
from app.exports.schemas import (
    ExportFormat,
    MatchRow,
    MatchRowWithContacts,
    ReportRow,
    ReportRowWithContacts,
)
from app.exports.service import Export, ExportKind
from app.formats import pfif
from app.reports.models import ReportStatus

router = APIRouter(
    prefix="/api/v1/exports", tags=["exports"], responses=problem_responses(401, 403, 422)
)

Exporter = Annotated[Principal, require(Role.coordinator, Role.admin)]
Format = Annotated[
    ExportFormat, Query(description="csv (a header row, then one row each) or json (an array).")
]
IncludeContacts = Annotated[
    bool,
    Query(
        description="Add the reporter's name, relationship, phone and email. Admins only: a "
        "coordinator asking gets 403. A sighting's source is in no export, ever."
    ),
]


def _table(model: Any, description: str) -> dict[int | str, dict[str, Any]]:
    return {
        200: {
            "description": description,
            "model": model,
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    }


@router.get(
    "/pfif",
    response_class=StreamingResponse,
    dependencies=[audited(Action.export_pfif)],
    responses={
        200: {
            "description": "A PFIF 1.4 document: every report as a person, every confirmed "
            "sighting as a note on its report.",
            "content": {pfif.MEDIA_TYPE: {"schema": {"type": "string"}}},
        }
    },
)
def export_pfif(
    request: Request,
    principal: Exporter,
    session: SessionDep,
    settings: SettingsDep,
    include_contacts: IncludeContacts = False,
) -> StreamingResponse:
    """Every report as a PFIF 1.4 `person` and every confirmed sighting as a `note` on it
    (status `believed_alive`; when and where it was seen, never its source). Streamed."""
    export = Export(ExportKind.pfif, include_contacts=include_contacts)
    return _start(request, session, principal, export, settings.pfif_domain)


@router.get(
    "/matches",
    response_class=StreamingResponse,
    dependencies=[audited(Action.export_matches)],
    responses=_table(
        list[MatchRow | MatchRowWithContacts], "Every confirmed match, in the order decided."
    ),
)
def export_matches(
    request: Request,
    principal: Exporter,
    session: SessionDep,
    settings: SettingsDep,
    format: Format = ExportFormat.csv,
    include_contacts: IncludeContacts = False,
) -> StreamingResponse:
    """Confirmed matches for partner agencies: the child's names, birth date and home, where
    and when the sighting was made and from what kind of source. Streamed."""
    export = Export(ExportKind.matches, format=format, include_contacts=include_contacts)
    return _start(request, session, principal, export, settings.pfif_domain)


@router.get(
    "/reports",
    response_class=StreamingResponse,
    dependencies=[audited(Action.export_reports)],
    responses=_table(
        list[ReportRow | ReportRowWithContacts], "The reports with this status, oldest first."
    ),
)
def export_reports(
    request: Request,
    principal: Exporter,
    session: SessionDep,
    settings: SettingsDep,
    status: ReportStatus = ReportStatus.open,
    format: Format = ExportFormat.csv,
    include_contacts: IncludeContacts = False,
) -> StreamingResponse:
    """Reports by status (open by default) for partner agencies. Streamed."""
    export = Export(
        ExportKind.reports, format=format, status=status.value, include_contacts=include_contacts
    )
    return _start(request, session, principal, export, settings.pfif_domain)


def _start(
    request: Request, session: SessionDep, principal: Principal, export: Export, domain: str
) -> StreamingResponse:
    service.start(session, principal, export)
    # The audit row commits before the export is read (from a session of its own): on SQLite
    # its write would otherwise hold the database's one writer while every contact is opened.
    session.commit()
    body = service.stream(request.app.state.session_factory, principal, export, pfif_domain=domain)
    return StreamingResponse(
        service.first_piece(body),
        media_type=service.media_type(export),
        headers={"Content-Disposition": f'attachment; filename="{service.file_name(export)}"'},
    )
