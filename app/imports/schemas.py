from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import Field

from app.core.schemas import OutputModel
from app.imports.fields import Kind
from app.imports.models import ImportStatus


class FileKind(StrEnum):
    """What an uploaded file holds."""

    reports = "reports"
    sightings = "sightings"
    pfif = "pfif"


class ImportCounts(OutputModel):
    read: int = Field(description="Data rows read (blank rows are passed over).")
    loaded: int = Field(description="Rows loaded; in a dry run, rows that would be loaded.")
    duplicates: int = Field(
        description="Rows an earlier import (or an earlier row of the file) loaded already."
    )
    skipped: int = Field(description="Rows that did not validate; `errors` says why.")


class RowErrorOut(OutputModel):
    line: int = Field(description="The line of the file where the row starts (the header is 1).")
    field: str | None = Field(description="The import field at fault, when one is.")
    column: str | None = Field(description="The file's header for that field, when known.")
    reason: str = Field(description="Why; never the rejected value.")


class ImportSummary(OutputModel):
    id: str
    """The import's id."""
    kind: Kind
    """What the rows became: reports or sightings."""
    status: ImportStatus
    """queued, running, done or failed."""
    format: Literal["csv", "pfif"] = Field(
        description="csv, or pfif: a PFIF 1.2 to 1.4 document, whose persons become reports."
    )
    dry_run: bool
    """True when the rows were only checked, and nothing was written."""
    encoding: str | None = Field(description="CSV only.")
    delimiter: str | None = Field(description="CSV only.")
    columns: dict[str, str] = Field(description="Each header of the file that was used: field.")
    ignored_columns: list[str] = Field(description="Headers of the file no field was found for.")
    counts: ImportCounts
    """How many rows were read, loaded, already present and skipped."""
    detail: str | None = Field(description="Why the import failed, when it did.")
    created_by: str
    """The user the records are filed as."""
    created_at: datetime
    """When the import was recorded."""
    started_at: datetime | None
    """When loading began."""
    finished_at: datetime | None
    """When loading ended; null while it runs."""


class ImportOut(ImportSummary):
    errors: list[RowErrorOut] = Field(description="Why rows were skipped, by line.")
    errors_truncated: bool = Field(
        description="True when there were more row errors than are kept (1,000)."
    )


class ImportPage(OutputModel):
    items: list[ImportSummary]
    """Imports, newest first."""
    next_cursor: str | None
    """Pass as `cursor` for the next page; null on the last page."""
