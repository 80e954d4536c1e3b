"""Every query on imports and on the fingerprints of imported rows. `readable` says who may see
which import."""

from collections.abc import Sequence

from sqlalchemy import Select, false, select
from sqlalchemy.orm import Session

from app.core.pagination import page, split_page
from app.core.security import Principal
from app.imports.models import Import, ImportedRecord, ImportStatus


def readable(principal: Principal) -> Select[Import]:
    stmt = select(Import)
    return stmt if principal.sees_everything else stmt.where(false())


def get(session: Session, principal: Principal, import_id: str) -> Import | None:
    return session.scalars(readable(principal).where(Import.id == import_id)).one_or_none()


def list_page(
    session: Session, principal: Principal, *, limit: int, cursor: str | None
) -> tuple[list[Import], str | None]:
    rows = list(session.scalars(page(readable(principal), Import, limit=limit, cursor=cursor)))
    return split_page(rows, limit)


def add(session: Session, record: Import) -> Import:
    session.add(record)
    session.flush()
    return record


def by_id(session: Session, import_id: str, *, for_update: bool = False) -> Import | None:
    """For the import's own run, which acts for the user who started it; `for_update` locks
    the row (PostgreSQL) until the transaction ends."""
    return session.get(Import, import_id, with_for_update=for_update)


def unfinished(session: Session) -> list[Import]:
    """Imports queued or running, locked (PostgreSQL) until the transaction ends."""
    stmt = select(Import).where(Import.status.in_([ImportStatus.queued, ImportStatus.running]))
    return list(session.scalars(stmt.with_for_update()))


def present(session: Session, fingerprints: Sequence[str]) -> set[str]:
    """Which of these fingerprints an earlier import stored."""
    if not fingerprints:
        return set()
    stmt = select(ImportedRecord.fingerprint).where(
        ImportedRecord.fingerprint.in_(list(fingerprints))
    )
    return set(session.scalars(stmt))


def records_of(session: Session, fingerprints: Sequence[str]) -> dict[str, str]:
    """{fingerprint: the id of the report or sighting stored for it} for these fingerprints."""
    if not fingerprints:
        return {}
    stmt = select(
        ImportedRecord.fingerprint, ImportedRecord.report_id, ImportedRecord.sighting_id
    ).where(ImportedRecord.fingerprint.in_(list(fingerprints)))
    found: dict[str, str] = {}
    for fp, report_id, sighting_id in session.execute(stmt):
        record_id = report_id if report_id is not None else sighting_id
        if record_id is not None:  # one of the two always is (the table's check)
            found[fp] = record_id
    return found
