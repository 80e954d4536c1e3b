"""PFIF files as import rows: each person becomes a report, through the same row pipeline as a
CSV row (the API's validation, fingerprints, matching). Notes are counted, not imported.

How a PFIF person becomes a report, the inverse of the PFIF export:
- `given_name` is the given name then any middle names: a last word shaped like a patronymic
  (Андрійович, Андріївна, Andriiovych, ...) becomes the `patronymic`;
- `full_name` is kept when it says more than the given and family names together (its first
  line; further lines, PFIF's other full names, join the other names);
- `alternate_names` (one a line) are the `other_names`; `description` the
  `distinguishing_marks`; `home_city` the `home_settlement`; `age` (`12` or `12-14`) the age
  estimate; sex `other` is left out (Ridni knows male, female and unknown);
- `author_name`, `author_email` and `author_phone` are the reporter.

A person's `person_record_id` is its identity: a person imported before (from this file, or
an earlier export of the same registry) is a duplicate and creates nothing, whatever changed.
A person this Ridni exported itself (its id starts with RIDNI_PFIF_DOMAIN) whose report is
still here is skipped, with that reason.
"""

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

from app.formats.pfif import Record, read_records
from app.imports.fields import Kind, build_body
from app.imports.rows import RowError, SourceRow
from app.reports.models import EXTERNAL_ID_MAX

# Which PFIF element each import field comes from (for the errors of a skipped person).
SOURCES = {
    "given_name": "given_name",
    "patronymic": "given_name",
    "family_name": "family_name",
    "full_name": "full_name",
    "other_names": "alternate_names",
    "sex": "sex",
    "date_of_birth": "date_of_birth",
    "age": "age",
    "distinguishing_marks": "description",
    "home_settlement": "home_city",
    "reporter_name": "author_name",
    "reporter_email": "author_email",
    "reporter_phone": "author_phone",
}
# East Slavic patronymics, in Cyrillic and in the usual Latin spellings (the bare Latin -ich
# is left out: German given names end so).
_PATRONYMIC = re.compile(
    r"\w{2,}(ович|евич|євич|ич|іч|івна|ївна|овна|евна|ична"
    r"|ovych|ovich|evych|evich|ivna|yivna|ovna|evna|ychna|ichna)",
    re.IGNORECASE,
)
_CHECK = 500  # persons looked up at once for "exported by this Ridni and still here"


@dataclass(frozen=True)
class PfifFile:
    """A PFIF file read whole once before its import, so that a file that is not PFIF, not
    well-formed or hostile is refused before anything is loaded (`PfifError`)."""

    persons: int
    notes: int  # counted, not imported
    kind: Kind = Kind.reports


def inspect_pfif(path: Path) -> PfifFile:
    persons = notes = 0
    with path.open("rb") as source:
        for record in read_records(source):
            if record.kind == "person":
                persons += 1
            else:
                notes += 1
    return PfifFile(persons, notes)


def read_pfif_rows(
    path: Path, *, own_prefix: str, still_here: Callable[[list[str]], set[str]]
) -> Iterator[SourceRow]:
    """Each person of the file as the report it stands for. `own_prefix` is this Ridni's
    `DOMAIN/report.`; `still_here` says which of some report ids exist here."""
    with path.open("rb") as source:
        yield from person_rows(read_records(source), own_prefix=own_prefix, still_here=still_here)


def person_rows(
    records: Iterable[Record], *, own_prefix: str, still_here: Callable[[list[str]], set[str]]
) -> Iterator[SourceRow]:
    persons = (record for record in records if record.kind == "person")
    while chunk := list(islice(persons, _CHECK)):
        ids = [r.fields.get("person_record_id", "") for r in chunk]
        own = [i.removeprefix(own_prefix) for i in ids if i.startswith(own_prefix)]
        here = still_here(own) if own else set()
        for record, record_id in zip(chunk, ids, strict=True):
            if record_id.startswith(own_prefix) and record_id.removeprefix(own_prefix) in here:
                reason = "was exported by this Ridni, and its report is still here"
                yield _refused(record, "person_record_id", reason)
            else:
                yield person_row(record)


def person_row(record: Record) -> SourceRow:
    """One PFIF person as the body of `POST /api/v1/reports`, keyed by its record id."""
    fields = record.fields
    record_id = fields.get("person_record_id")
    if not record_id:
        return _refused(record, "person_record_id", "a PFIF person needs a person_record_id")
    if len(record_id) > EXTERNAL_ID_MAX:
        reason = f"a person_record_id must be at most {EXTERNAL_ID_MAX} characters"
        return _refused(record, "person_record_id", reason)
    given, patronymic = split_given_name(fields.get("given_name", ""))
    full_names = [line.strip() for line in fields.get("full_name", "").splitlines()]
    full_names = [name for name in full_names if name]
    as_written = " ".join(
        part for part in (fields.get("given_name"), fields.get("family_name")) if part
    )
    full_name = full_names[0] if full_names else ""
    if _same(full_name, as_written):
        full_name = ""  # it says nothing the given and family names do not
    values = {
        "given_name": given,
        "patronymic": patronymic,
        "family_name": fields.get("family_name", ""),
        "full_name": full_name,
        "sex": "" if fields.get("sex") == "other" else fields.get("sex", ""),
        "date_of_birth": fields.get("date_of_birth", ""),
        "age": fields.get("age", ""),
        "distinguishing_marks": fields.get("description", ""),
        "home_settlement": fields.get("home_city", ""),
        "reporter_name": fields.get("author_name", ""),
        "reporter_email": fields.get("author_email", ""),
        "reporter_phone": fields.get("author_phone", ""),
    }
    body, problems = build_body(Kind.reports, values)
    others = [*full_names[1:], *fields.get("alternate_names", "").splitlines()]
    others = list(dict.fromkeys(name.strip() for name in others if name.strip()))
    if others:
        body["child"]["other_names"] = others
    sources = {name: SOURCES[name] for name, value in values.items() if value}
    if others:
        sources["other_names"] = SOURCES["other_names"]
    errors = tuple(
        RowError(record.line, name, SOURCES.get(name), reason) for name, reason in problems.items()
    )
    return SourceRow(record.line, None if errors else body, errors, sources, key=record_id)


def split_given_name(text: str) -> tuple[str, str]:
    """PFIF's given name is "the given name, then any middle names": a last word shaped like a
    patronymic is one (`Микола Андрійович` → `Микола`, `Андрійович`). Anything else stays."""
    words = text.split()
    if len(words) >= 2 and _PATRONYMIC.fullmatch(words[-1]):
        return " ".join(words[:-1]), words[-1]
    return text.strip(), ""


def _same(a: str, b: str) -> bool:
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())


def _refused(record: Record, element: str, reason: str) -> SourceRow:
    return SourceRow(record.line, None, (RowError(record.line, None, element, reason),))
