from typing import Annotated, Literal

from fastapi import APIRouter, BackgroundTasks, File, Form, Request, Response, UploadFile

from app.audit.http import audited
from app.audit.models import Action
from app.core.database import SessionDep
from app.core.deps import RecordId, SettingsDep
from app.core.pagination import DEFAULT_LIMIT, Cursor, Limit
from app.core.problems import problem_responses
from app.core.security import Principal, Role, require
from app.core.text import NulFree
from app.imports import service
from app.imports.csvfile import Layout
from app.imports.fields import Kind
from app.imports.pfif import PfifFile
from app.imports.schemas import FileKind, ImportOut, ImportPage
from app.imports.uploads import HeldUpload
from app.matches.deps import MatchingDep
from app.sightings.models import SourceType

router = APIRouter(
    prefix="/api/v1/imports", tags=["imports"], responses=problem_responses(401, 403, 422)
)

Importer = Annotated[Principal, require(Role.coordinator, Role.admin)]

_LOCATION = {"Location": {"description": "Where to poll the import.", "schema": {"type": "string"}}}


@router.post(
    "",
    status_code=202,
    response_model=ImportOut,
    dependencies=[audited(Action.import_create)],
    responses={
        202: {"description": "Accepted: the import runs in the background.", "headers": _LOCATION},
        **problem_responses(413, 415),
        400: {**problem_responses(400)[400], "description": "Malformed multipart body"},
    },
    openapi_extra={
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "example": {
                        "kind": "sightings",
                        "file": "(examples/sightings-list.csv)",
                        "map": "Место выявления=location",
                    }
                }
            }
        }
    },
)
def create_import(
    request: Request,
    response: Response,
    background: BackgroundTasks,
    principal: Importer,
    session: SessionDep,
    settings: SettingsDep,
    matching: MatchingDep,
    kind: Annotated[
        FileKind,
        Form(
            description="What the file holds: CSV rows of reports or of sightings, or `pfif`, "
            "a PFIF 1.2 to 1.4 document whose persons become reports (its notes are counted, "
            "not imported)."
        ),
    ],
    file: Annotated[
        UploadFile,
        File(
            description="CSV text (UTF-8 or Windows-1251, comma or semicolon), or PFIF XML "
            "(no DOCTYPE: a file that declares one is refused)."
        ),
    ],
    map: Annotated[
        NulFree | None,
        Form(
            max_length=10_000,
            description="What other columns hold: `Header=field` pairs separated by commas or "
            "new lines (`Header=-` leaves a column out).",
        ),
    ] = None,
    dry_run: Annotated[bool, Form(description="Check every row, write nothing.")] = False,
    encoding: Annotated[
        Literal["utf-8", "utf-8-sig", "cp1251"] | None, Form(description="Default: detected.")
    ] = None,
    delimiter: Annotated[
        Literal[",", ";", "tab"] | None, Form(description="Default: detected.")
    ] = None,
    source_type: Annotated[
        SourceType | None, Form(description="Sightings: for rows that do not say (default list).")
    ] = None,
) -> ImportOut:
    """Import a CSV file of reports or sightings, or a PFIF file. The file is checked at once
    (CSV: text, header, mapping; PFIF: the whole document); its rows are then loaded in the
    background: poll the `Location` for the counts and the per-row errors."""
    if kind == FileKind.pfif:
        service.refuse_csv_options(
            map=map, encoding=encoding, delimiter=delimiter, source_type=source_type
        )
    # The upload's own temporary file goes when this request ends; the import outlives it.
    upload = HeldUpload(file.file)
    path = upload.path
    layout: Layout | PfifFile
    try:
        if kind == FileKind.pfif:
            record, layout = service.accept_pfif(session, principal, path, dry_run=dry_run)
        else:
            record, layout = service.accept(
                session,
                principal,
                path,
                Kind(kind.value),
                mapping_text=map,
                encoding=encoding,
                delimiter=delimiter,
                dry_run=dry_run,
            )
    except BaseException:
        upload.close()
        raise
    background.add_task(
        service.run_in_background,
        request.app.state.session_factory,
        upload,
        layout,
        owner=principal,
        import_id=record.id,
        dry_run=dry_run,
        matching=matching,
        pfif_domain=settings.pfif_domain,
        source_type=source_type.value if source_type else None,
    )
    response.headers["Location"] = f"{router.prefix}/{record.id}"
    return service.to_out(record)


@router.get("", response_model=ImportPage, dependencies=[audited(Action.import_list)])
def list_imports(
    principal: Importer, session: SessionDep, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> ImportPage:
    """Every import, newest first (without the per-row errors: read one import for those)."""
    rows, next_cursor = service.list_imports(session, principal, limit=limit, cursor=cursor)
    return ImportPage(items=[service.to_summary(r) for r in rows], next_cursor=next_cursor)


@router.get(
    "/{import_id}",
    response_model=ImportOut,
    responses=problem_responses(404),
    dependencies=[audited(Action.import_read)],
)
def get_import(import_id: RecordId, principal: Importer, session: SessionDep) -> ImportOut:
    """An import's status, counts, and why rows were skipped (line, field, column, reason)."""
    return service.to_out(service.get_import(session, principal, import_id))
