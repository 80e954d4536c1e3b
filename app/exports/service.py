"""Exports for partners and for other registries: who may have which, and what is in them.

An export is authorised (and written to the audit trail) in the caller's transaction, before
anything is sent; the file itself is then produced by a generator with a session of its own,
reading in batches, so that the HTTP answer and the command line stream with constant memory.

What never leaves: a sighting's `source` (in no export, for nobody), a sighting's notes and a
report's circumstances (free text written for coordinators, not for partners). The reporter's
contact is left out unless an admin asks for it (`include_contacts`); a coordinator asking is
refused outright rather than quietly given less.
"""

import itertools
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Row
from sqlalchemy.orm import Session, sessionmaker

from app.audit import service as audit
from app.audit.models import Action
from app.core.person import person_fields
from app.core.problems import Forbidden
from app.core.security import Principal, Role
from app.crypto.orm import open_columns
from app.exports import repository
from app.exports.formats import csv_chunks, json_chunks
from app.exports.schemas import (
    ExportFormat,
    MatchRow,
    MatchRowWithContacts,
    ReportRow,
    ReportRowWithContacts,
)
from app.formats import pfif
from matching import PartialDate

BATCH_SIZE = 1000
# What PFIF's `source_name` and a note's (required) `author_name` say: the repository, never
# the person who filed or confirmed anything.
SOURCE_NAME = "Ridni"
# Whom the operator's commands read as: they have the database, so they see what an admin sees.
OPERATOR = Principal(user_id="operator", role=Role.admin)


class ExportKind(StrEnum):
    pfif = "pfif"
    matches = "matches"
    reports = "reports"


@dataclass(frozen=True)
class Export:
    """What was asked for: the audit trail records its kind and whether contacts go out."""

    kind: ExportKind
    format: ExportFormat | None = None  # None for PFIF, which is XML
    status: str | None = None  # reports only
    include_contacts: bool = False

    @property
    def action(self) -> Action:
        """How the audit trail names it: the kind, and whether reporters' contacts go out."""
        return Action(f"export.{self.kind}{'_with_contacts' if self.include_contacts else ''}")


def start(session: Session, principal: Principal | None, export: Export) -> None:
    """Let the export begin, in the caller's transaction: 403 unless the caller may have it
    (coordinators and admins; the reporter's contact for admins only), then its audit row.
    `None` is the operator on the command line, who has the database anyway."""
    if principal is not None and not principal.sees_everything:
        raise Forbidden("This role may not export.")
    if principal is not None and export.include_contacts and principal.role != Role.admin:
        raise Forbidden("Only an admin may export reporters' contacts.")
    audit.record(session, principal, export.action, [None])


def media_type(export: Export) -> str:
    if export.kind == ExportKind.pfif:
        return pfif.MEDIA_TYPE
    return "text/csv; charset=utf-8" if export.format == ExportFormat.csv else "application/json"


def file_name(export: Export) -> str:
    suffix = "xml" if export.kind == ExportKind.pfif else str(export.format)
    status = f"-{export.status}" if export.status else ""
    return f"ridni-{export.kind}{status}.{suffix}"


def stream(
    sessions: sessionmaker[Session],
    principal: Principal | None,
    export: Export,
    *,
    pfif_domain: str,
    batch_size: int = BATCH_SIZE,
    counts: Counter[str] | None = None,
) -> Iterator[str]:
    """The export's text, a batch at a time, read in a session of its own. `counts`, if given,
    is told how many `rows` (or PFIF `persons` and `notes`) were written."""
    principal = principal or OPERATOR
    counts = Counter() if counts is None else counts
    with sessions() as session:
        if export.include_contacts:
            # Before the first piece: see `first_piece`.
            _open_every_contact(session, principal, export, batch_size)
        if export.kind == ExportKind.pfif:
            yield from _pfif(session, principal, export, pfif_domain, batch_size, counts)
            return
        model: type[BaseModel]
        items: Iterator[BaseModel]
        if export.kind == ExportKind.matches:
            model = MatchRowWithContacts if export.include_contacts else MatchRow
            rows = repository.confirmed_match_rows(
                session, principal, contacts=export.include_contacts, batch_size=batch_size
            )
            items = (
                model.model_validate(_match_row(session, row)) for row in _counted(rows, counts)
            )
        else:
            model = ReportRowWithContacts if export.include_contacts else ReportRow
            rows = repository.report_rows(
                session,
                principal,
                status=export.status,
                contacts=export.include_contacts,
                batch_size=batch_size,
            )
            items = (
                model.model_validate(_report_row(session, row)) for row in _counted(rows, counts)
            )
        if export.format == ExportFormat.csv:
            yield from csv_chunks(model, items, rows_per_chunk=batch_size)
        else:
            yield from json_chunks(items, rows_per_chunk=batch_size)


def first_piece(pieces: Iterator[str]) -> Iterator[str]:
    """`pieces` once its first piece is made: an export that cannot be made fails here, before
    the answer's status is sent, rather than stopping halfway through a 200."""
    first = next(pieces)
    return itertools.chain([first], pieces)


def _open_every_contact(
    session: Session, principal: Principal, export: Export, batch_size: int
) -> None:
    """Open each reporter's contact the export will hold (and forget it), so that one that does
    not decrypt is found before the first byte: raises `Unreadable`."""
    if export.kind == ExportKind.matches:
        for row in repository.confirmed_match_rows(
            session, principal, contacts=True, batch_size=batch_size
        ):
            _contacts(session, row, row.report_id, "report_")
        return
    for row in repository.report_rows(
        session, principal, status=export.status, contacts=True, batch_size=batch_size
    ):
        _contacts(session, row, row.id)


def _counted(
    rows: Iterator[Row[Any]], counts: Counter[str], key: str = "rows"
) -> Iterator[Row[Any]]:
    for row in rows:
        counts[key] += 1
        yield row


def _birth(row: Any, prefix: str = "") -> str | None:
    year = getattr(row, f"{prefix}birth_year")
    if year is None:
        return None
    return str(
        PartialDate(year, getattr(row, f"{prefix}birth_month"), getattr(row, f"{prefix}birth_day"))
    )


def _contacts(session: Session, row: Row[Any], report_id: str, prefix: str = "") -> dict[str, Any]:
    """The reporter's contact, when the row holds it: decrypted (it is encrypted at rest)."""
    names = ["reporter_name", "reporter_relationship", "reporter_phone", "reporter_email"]
    mapping = row._mapping
    stored = {name: mapping[f"{prefix}{name}"] for name in names if f"{prefix}{name}" in mapping}
    return open_columns(session, table="reports", record_id=report_id, values=stored)


def _match_row(session: Session, row: Row[Any]) -> dict[str, Any]:
    return {
        "match_id": row.id,
        "report_id": row.report_id,
        "sighting_id": row.sighting_id,
        "score": row.score,
        "decided_at": row.decided_at,
        "child_given_name": row.report_given_name,
        "child_family_name": row.report_family_name,
        "child_patronymic": row.report_patronymic,
        "child_full_name": row.report_full_name,
        "child_other_names": list(row.report_other_names or []),
        "child_date_of_birth": _birth(row, "report_"),
        "child_home_settlement": row.report_home_settlement,
        "sighting_origin_settlement": row.sighting_origin_settlement,
        "sighting_observed_on": row.sighting_observed_on,
        "sighting_location": row.sighting_location,
        "sighting_source_type": row.sighting_source_type,
        "case_id": row.report_case_id,
        **_contacts(session, row, row.report_id, "report_"),
    }


def _report_row(session: Session, row: Row[Any]) -> dict[str, Any]:
    person = person_fields(row)
    age = person["age_estimate"]
    last_seen = (
        str(PartialDate(row.last_seen_year, row.last_seen_month, row.last_seen_day))
        if row.last_seen_year is not None
        else None
    )
    return {
        "report_id": row.id,
        "status": row.status,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "given_name": person["given_name"],
        "family_name": person["family_name"],
        "patronymic": person["patronymic"],
        "full_name": person["full_name"],
        "other_names": person["other_names"],
        "sex": person["sex"],
        "date_of_birth": person["date_of_birth"],
        "age_min": age["min"] if age else None,
        "age_max": age["max"] if age else None,
        "distinguishing_marks": person["distinguishing_marks"],
        "institution": person["institution"],
        "home_settlement": row.home_settlement,
        "last_seen_date": last_seen,
        "last_seen_place": row.last_seen_place,
        "case_id": row.case_id,
        **_contacts(session, row, row.id),
    }


# --- PFIF ---------------------------------------------------------------------------------


def person_record_id(domain: str, report_id: str) -> str:
    return f"{domain}/report.{report_id}"


def note_record_id(domain: str, sighting_id: str) -> str:
    return f"{domain}/sighting.{sighting_id}"


def _pfif(
    session: Session,
    principal: Principal,
    export: Export,
    domain: str,
    batch_size: int,
    counts: Counter[str],
) -> Iterator[str]:
    reports = repository.report_rows(
        session, principal, status=None, contacts=export.include_contacts, batch_size=batch_size
    )
    persons = (_pfif_person(session, row, domain) for row in _counted(reports, counts, "persons"))
    # The second query starts only once every person is written (generators are lazy).
    matches = (
        _pfif_note(row, domain)
        for row in _counted(
            repository.confirmed_match_rows(
                session, principal, contacts=False, batch_size=batch_size
            ),
            counts,
            "notes",
        )
    )
    # Then two families' reports of one child: each person linked to the other (PFIF 1.4).
    linked = (
        note
        for row in _counted(
            repository.confirmed_duplicate_rows(session, principal, batch_size=batch_size),
            counts,
            "notes",
        )
        for note in _pfif_links(row, domain)
    )
    yield from pfif.write_document(persons, itertools.chain(matches, linked))


def _pfif_person(session: Session, row: Row[Any], domain: str) -> dict[str, str | None]:
    person = person_fields(row)
    given = person["given_name"]
    if given and person["patronymic"]:
        # PFIF's given_name is "the given name, then any middle names": the patronymic.
        given = f"{given} {person['patronymic']}"
    composed = " ".join(part for part in (given, person["family_name"]) if part)
    record: dict[str, str | None] = {
        # A report imported from another registry is a copy of its record there: it keeps
        # that record's id (and names no source, as Ridni is not where it was first entered).
        "person_record_id": row.external_id or person_record_id(domain, row.id),
        "entry_date": pfif.utc_time(row.created_at),
        "source_name": None if row.external_id else SOURCE_NAME,
        "source_date": pfif.utc_time(row.updated_at),
        "full_name": person["full_name"] or composed,
        "given_name": given,
        "family_name": person["family_name"],
        "alternate_names": "\n".join(person["other_names"]) or None,
        "description": _pfif_description(person),
        "sex": person["sex"] if person["sex"] in ("male", "female") else None,
        "date_of_birth": person["date_of_birth"],
        "age": _pfif_age(person["age_estimate"]),
        "home_city": row.home_settlement,
    }
    contact = _contacts(session, row, row.id)
    if "reporter_name" in contact:
        # The schema constrains these two; a contact PFIF cannot carry is left out, not mangled.
        email, phone = contact["reporter_email"], contact["reporter_phone"]
        record["author_name"] = contact["reporter_name"]
        record["author_email"] = email if email and pfif.EMAIL.fullmatch(email) else None
        record["author_phone"] = phone if phone and pfif.PHONE.fullmatch(phone) else None
    return record


def _pfif_description(person: dict[str, Any]) -> str | None:
    """PFIF has no field for an institution: it goes into the description, on a line of its own
    after the distinguishing marks."""
    institution = person["institution"]
    lines = [person["distinguishing_marks"], f"Institution: {institution}" if institution else None]
    return "\n".join(line for line in lines if line) or None


def _pfif_age(age: dict[str, int] | None) -> str | None:
    """PFIF 1.4 takes an age or an inclusive range `min-max`."""
    if age is None:
        return None
    return str(age["min"]) if age["min"] == age["max"] else f"{age['min']}-{age['max']}"


def _pfif_note(row: Row[Any], domain: str) -> dict[str, str | None]:
    """A confirmed sighting as a note on its report: when and where the child was seen and
    from what kind of source; never who the source is, nor the field contact's notes."""
    decided = pfif.utc_time(row.decided_at or row.updated_at)
    seen = f"Seen on {row.sighting_observed_on}" if row.sighting_observed_on else "Seen"
    if row.sighting_location:
        seen += f" in {row.sighting_location}"
    return {
        "note_record_id": note_record_id(domain, row.sighting_id),
        "person_record_id": row.report_external_id or person_record_id(domain, row.report_id),
        "entry_date": decided,
        "author_name": SOURCE_NAME,
        "source_date": decided,
        "status": "believed_alive",
        "last_known_location": row.sighting_location,
        "text": f"{seen} (source type: {row.sighting_source_type}). A coordinator confirmed on "
        f"{decided[:10]} that this sighting is this child.",
    }


def _pfif_links(row: Row[Any], domain: str) -> list[dict[str, str | None]]:
    """A confirmed duplicate pair as two notes, one on each person, linking it to the other:
    the same child reported by two families. Never who either family is."""
    decided = pfif.utc_time(row.decided_at or row.updated_at)
    report = row.report_external_id or person_record_id(domain, row.report_id)
    first = row.duplicate_of_external_id or person_record_id(domain, row.duplicate_of_id)
    return [
        {
            "note_record_id": f"{domain}/duplicate.{row.id}.{n}",
            "person_record_id": person,
            "linked_person_record_id": other,
            "entry_date": decided,
            "author_name": SOURCE_NAME,
            "source_date": decided,
            "text": f"A coordinator confirmed on {decided[:10]} that this record and "
            f"{other} are reports of the same child by two families.",
        }
        for n, (person, other) in enumerate(((report, first), (first, report)), 1)
    ]
