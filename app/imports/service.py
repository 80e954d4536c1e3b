"""Imports as a resource: start one for a readable file, run it (in the background for the API,
in the foreground for the command line), and let coordinators follow it."""

import logging
import traceback
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from app.audit import service as audit
from app.audit.models import Action
from app.core.models import utcnow
from app.core.problems import NotFound, Unprocessable, UnsupportedMediaType
from app.core.processes import has_ended, this_process
from app.core.security import Principal
from app.formats.csvtext import CsvFileError
from app.formats.pfif import PfifError
from app.imports import repository
from app.imports.csvfile import Layout, MappingError, inspect, parse_map, read_rows
from app.imports.fields import Kind
from app.imports.models import Import, ImportStatus
from app.imports.pfif import PfifFile, inspect_pfif, read_pfif_rows
from app.imports.pipeline import Job, LoadResult, load_rows
from app.imports.rows import SourceRow, Tally
from app.imports.schemas import ImportCounts, ImportOut, ImportSummary, RowErrorOut
from app.imports.uploads import HeldUpload
from app.matches.engine import MatchingSettings
from app.reports import repository as reports

log = logging.getLogger("ridni.imports")

# Far longer than any batch takes: an import silent for this long on another host has died.
ABANDONED_AFTER = timedelta(minutes=10)
DEFAULT_SOURCE_TYPE = "list"  # a file of sightings is a list, unless its rows say otherwise


def accept(
    session: Session,
    principal: Principal,
    path: Path,
    kind: Kind,
    *,
    mapping_text: str | None,
    encoding: str | None,
    delimiter: str | None,
    dry_run: bool,
) -> tuple[Import, Layout]:
    """Check an uploaded file (text, header, mapping) and record its import, queued: 415 for
    a file that is no text, 422 for one that has no usable header or a mapping that does not
    parse."""
    try:
        mapping = parse_map(mapping_text or "", kind)
    except MappingError as error:
        raise Unprocessable(
            "The column mapping does not parse.",
            errors=[{"loc": ["body", "map"], "msg": str(error), "type": "mapping"}],
        ) from None
    try:
        layout = inspect(path, kind, encoding=encoding, delimiter=delimiter, mapping=mapping)
    except CsvFileError as error:
        if error.not_text:
            raise UnsupportedMediaType(f"The file is not CSV text: {error.reason}.") from None
        raise Unprocessable(
            "The file cannot be imported.",
            errors=[{"loc": ["body", "file"], "msg": error.reason, "type": "csv_file"}],
        ) from None
    return start(session, principal, layout, dry_run=dry_run), layout


def refuse_csv_options(**options: object) -> None:
    """422 for CSV reading options sent with a PFIF file, rather than ignoring them."""
    sent = [name for name, value in options.items() if value is not None]
    if sent:
        raise Unprocessable(
            "These options are for CSV files only.",
            errors=[
                {"loc": ["body", name], "msg": "not for a PFIF file", "type": "pfif_file"}
                for name in sent
            ],
        )


def accept_pfif(
    session: Session, principal: Principal, path: Path, *, dry_run: bool
) -> tuple[Import, PfifFile]:
    """Check an uploaded PFIF file whole (well-formed, PFIF, no document type: nothing in it
    may expand or fetch anything) and record its import, queued; 422 with the reason if not."""
    try:
        found = inspect_pfif(path)
    except PfifError as error:
        raise Unprocessable(
            "The file cannot be imported.",
            errors=[{"loc": ["body", "file"], "msg": str(error), "type": "pfif_file"}],
        ) from None
    return start(session, principal, found, dry_run=dry_run), found


def start(
    session: Session, principal: Principal, layout: Layout | PfifFile, *, dry_run: bool
) -> Import:
    """The record of an import about to run (queued), in the audit trail as the caller's."""
    record = Import(
        kind=layout.kind.value,
        dry_run=dry_run,
        created_by=principal.user_id,
        runner=this_process(),  # the import runs in the process that records it
        heartbeat_at=utcnow(),
    )
    if isinstance(layout, PfifFile):
        record.format, record.encoding, record.delimiter = "pfif", "xml", ""
        record.columns, record.ignored_columns = {}, []
    else:
        record.format, record.encoding, record.delimiter = "csv", layout.encoding, layout.delimiter
        record.columns, record.ignored_columns = layout.mapped, layout.ignored
    repository.add(session, record)
    audit.record(session, principal, Action.import_create, [record.id])
    return record


def run(
    factory: sessionmaker[Session],
    path: Path,
    layout: Layout | PfifFile,
    *,
    owner: Principal | None,
    import_id: str | None,
    dry_run: bool,
    matching: MatchingSettings,
    pfif_domain: str = "",
    source_type: str | None = None,
    workers: int = 1,
    database_url: str | None = None,
    batch_size: int = 500,
    on_batch: Callable[[Tally], object] = lambda _tally: None,
) -> LoadResult:
    """Read, validate and load the file's rows. With an `import_id`, the import's record
    follows along: running, its counts batch by batch, then done (or failed, and the error
    goes on up)."""
    rows: Iterator[SourceRow]
    if isinstance(layout, PfifFile):
        rows = read_pfif_rows(
            path,
            own_prefix=f"{pfif_domain}/report.",
            still_here=lambda ids: _reports_here(factory, ids),
        )
    else:
        defaults = {}
        if layout.kind == Kind.sightings:
            defaults["source_type"] = source_type or DEFAULT_SOURCE_TYPE
        rows = read_rows(path, layout, defaults=defaults)
    job = Job(layout.kind, owner, import_id, matching)
    _set_status(factory, import_id, ImportStatus.running)
    try:
        result = load_rows(
            rows,
            job,
            factory=factory,
            dry_run=dry_run,
            batch_size=batch_size,
            workers=workers,
            database_url=database_url,
            on_batch=on_batch,
        )
    except Exception as error:
        _set_status(factory, import_id, ImportStatus.failed, detail=_describe(error))
        raise
    _set_status(factory, import_id, ImportStatus.done)
    return result


def fail_abandoned(factory: sessionmaker[Session]) -> int:
    """Mark failed every unfinished import whose process has ended (on this host), or that has
    not counted a batch for ABANDONED_AFTER (another host's, whose processes cannot be seen
    from here): an import of a live process, here or on another instance, is left to it. Its
    counts say what it stored (each batch counts itself as it commits). How many were failed."""
    now = utcnow()
    failed = 0
    with factory() as session, session.begin():
        for record in repository.unfinished(session):
            ended = has_ended(record.runner) if record.runner else None
            if ended is None:
                ended = (record.heartbeat_at or record.updated_at) < now - ABANDONED_AFTER
            if ended:
                record.status = ImportStatus.failed.value
                record.finished_at = now
                record.detail = "its process ended before it finished; the rows counted were loaded"
                failed += 1
    if failed:
        log.warning("marked %d imports failed: their process ended before they finished", failed)
    return failed


def _reports_here(factory: sessionmaker[Session], ids: list[str]) -> set[str]:
    with factory() as session:
        return reports.existing_ids(session, ids)


def run_in_background(
    factory: sessionmaker[Session],
    upload: HeldUpload,
    layout: Layout | PfifFile,
    **options: Any,
) -> None:
    """`run` for an upload: the file is let go afterwards, whatever happened, and a failure
    is logged (its type and place, never its message: it may quote the data) and recorded."""
    try:
        run(factory, upload.path, layout, **options)
    except Exception as error:
        where = traceback.extract_tb(error.__traceback__)[-1]
        log.error("import failed: %s at %s:%s", type(error).__name__, where.filename, where.lineno)
    finally:
        upload.close()


def get_import(session: Session, principal: Principal, import_id: str) -> Import:
    found = repository.get(session, principal, import_id)
    if found is None:
        raise NotFound()
    audit.record(session, principal, Action.import_read, [found.id])
    return found


def list_imports(
    session: Session, principal: Principal, *, limit: int, cursor: str | None
) -> tuple[list[Import], str | None]:
    rows, next_cursor = repository.list_page(session, principal, limit=limit, cursor=cursor)
    audit.record(session, principal, Action.import_list, [row.id for row in rows])
    return rows, next_cursor


def to_summary(record: Import) -> ImportSummary:
    return ImportSummary.model_validate(_fields(record))


def to_out(record: Import) -> ImportOut:
    return ImportOut.model_validate(
        {
            **_fields(record),
            "errors": [RowErrorOut.model_validate(error) for error in record.errors],
            "errors_truncated": record.errors_truncated,
        }
    )


def _fields(record: Import) -> dict[str, object]:
    return {
        "id": record.id,
        "kind": record.kind,
        "status": record.status,
        "dry_run": record.dry_run,
        "format": record.format,
        "encoding": record.encoding if record.format == "csv" else None,
        "delimiter": None
        if record.format != "csv"
        else ("tab" if record.delimiter == "\t" else record.delimiter),
        "columns": record.columns,
        "ignored_columns": record.ignored_columns,
        "counts": ImportCounts(
            read=record.rows_read,
            loaded=record.rows_loaded,
            duplicates=record.rows_duplicate,
            skipped=record.rows_skipped,
        ),
        "detail": record.detail,
        "created_by": record.created_by,
        "created_at": record.created_at,
        "started_at": record.started_at,
        "finished_at": record.finished_at,
    }


def _set_status(
    factory: sessionmaker[Session],
    import_id: str | None,
    status: ImportStatus,
    *,
    detail: str | None = None,
) -> None:
    if import_id is None:
        return
    with factory() as session, session.begin():
        record = repository.by_id(session, import_id)
        if record is None:
            return
        record.status = status.value
        if status == ImportStatus.running:
            record.started_at = record.heartbeat_at = utcnow()
        else:
            record.finished_at = utcnow()
        record.detail = detail


def _describe(error: Exception) -> str:
    # The type only: messages of database errors quote the row's values.
    return f"stopped by an unexpected {type(error).__name__}; the rows counted were loaded"
