"""Rows as every reader hands them to the import pipeline, and what the pipeline counts."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RowError:
    """Where a row went wrong and why: no value of the row, ever."""

    line: int
    field: str | None  # the import field (`date_of_birth`), when one is to blame
    column: str | None  # the file's name for that field (its header), when known
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "field": self.field,
            "column": self.column,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class SourceRow:
    """One record of a file, parsed: the API request body it stands for, or the errors that
    kept it from becoming one. `line` is where it starts in the file; `sources` names, for each
    field, the column (or element) it came from. `key` is the record's own id where the file
    has one (a PFIF `person_record_id`): then the key, not the content, says whether the
    record was imported before. `group` is the row's group value (a CSV `group` column): rows
    of one file with the same value are siblings, or children seen together."""

    line: int
    body: dict[str, Any] | None
    errors: tuple[RowError, ...] = ()
    sources: Mapping[str, str] = field(default_factory=dict)
    key: str | None = None
    group: str | None = None


@dataclass
class Tally:
    """Counts of rows (one row, one count) and the errors of the skipped ones."""

    read: int = 0
    loaded: int = 0  # in a dry run: rows that would be loaded
    duplicates: int = 0
    skipped: int = 0
    errors: list[RowError] = field(default_factory=list)

    def add(self, other: "Tally") -> None:
        self.read += other.read
        self.loaded += other.loaded
        self.duplicates += other.duplicates
        self.skipped += other.skipped
        self.errors += other.errors
