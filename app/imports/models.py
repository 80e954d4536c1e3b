from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.models import ID, Base, Timestamped, new_id, utcnow
from app.imports.fields import Kind
from app.reports.models import Report
from app.sightings.models import Sighting
from app.users.models import User


class ImportStatus(StrEnum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


class Import(Timestamped, Base):
    """One import of a file: how it was read, its counts, and why rows were skipped.

    Row errors say where (line, field, column) and why, never the row's values.
    """

    __tablename__ = "imports"
    __table_args__ = (
        CheckConstraint(f"kind IN ({', '.join(repr(k.value) for k in Kind)})", name="kind"),
        CheckConstraint(
            f"status IN ({', '.join(repr(s.value) for s in ImportStatus)})", name="status"
        ),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), default=ImportStatus.queued.value)
    # csv, or pfif: a PFIF document, whose persons are loaded as reports. XML says its own
    # encoding, and has no delimiter: a PFIF import has "xml" and "" in those two columns.
    format: Mapped[str] = mapped_column(String(10), default="csv", server_default="csv")
    dry_run: Mapped[bool] = mapped_column(default=False)
    created_by: Mapped[str] = mapped_column(ForeignKey(User.id), index=True)
    encoding: Mapped[str] = mapped_column(String(20))
    delimiter: Mapped[str] = mapped_column(String(4))
    # {header as written in the file: field}; headers are the file's labels, not its data.
    columns: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    ignored_columns: Mapped[list[str]] = mapped_column(JSON, default=list)
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    rows_loaded: Mapped[int] = mapped_column(Integer, default=0)
    rows_duplicate: Mapped[int] = mapped_column(Integer, default=0)
    rows_skipped: Mapped[int] = mapped_column(Integer, default=0)
    # [{"line", "field", "column", "reason"}], the first MAX_ERRORS of them.
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    errors_truncated: Mapped[bool] = mapped_column(default=False)
    detail: Mapped[str | None] = mapped_column(String(500))  # why it failed, when it did
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    # The process running it (`app.core.processes.this_process`) and when it last counted a
    # batch: an import whose process ended, or that stopped counting, is failed at start-up.
    runner: Mapped[str | None] = mapped_column(String(300))
    heartbeat_at: Mapped[datetime | None]


class ImportedRecord(Base):
    """The fingerprint of every row an import loaded, so that loading it again creates nothing."""

    __tablename__ = "imported_records"
    __table_args__ = (
        CheckConstraint("(report_id IS NULL) <> (sighting_id IS NULL)", name="one_record"),
    )

    # SHA-256 of the kind and the validated row, normalized (see pipeline.fingerprint).
    fingerprint: Mapped[str] = mapped_column(String(64), primary_key=True)
    import_id: Mapped[str] = mapped_column(ForeignKey("imports.id"), index=True)
    report_id: Mapped[str | None] = mapped_column(
        ForeignKey(Report.id, ondelete="CASCADE"), index=True
    )
    sighting_id: Mapped[str | None] = mapped_column(
        ForeignKey(Sighting.id, ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
