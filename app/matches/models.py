from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.core.models import ID, Base, Timestamped, new_id, utcnow
from app.reports.models import Report
from app.sightings.models import Sighting
from app.users.models import User


class MatchStatus(StrEnum):
    proposed = "proposed"
    confirmed = "confirmed"
    rejected = "rejected"
    # An undecided proposal whose score fell below the threshold after an amendment.
    withdrawn = "withdrawn"


class Decision(StrEnum):
    confirm = "confirm"
    reject = "reject"
    reopen = "reopen"


class ReportKey(Base):
    """The candidate index: one row per blocking key of a report."""

    __tablename__ = "report_keys"
    # Covering: candidates are looked up by key and need only the report id.
    __table_args__ = (Index("ix_report_keys_key_report_id", "key", "report_id"),)

    report_id: Mapped[str] = mapped_column(
        ForeignKey(Report.id, ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(64), primary_key=True)


class ReportCodes(Base):
    """Beside the candidate index: what the engine's first pass weighs of a report besides the
    keys it shares (`matching.first_pass_codes`: birth year, month and day, place, the family
    names' first letters), as integers. A sighting whose keys reach more reports than are
    compared ranks them by these too, as the engine ranks its own index (migration 0018)."""

    __tablename__ = "report_codes"

    report_id: Mapped[str] = mapped_column(
        ForeignKey(Report.id, ondelete="CASCADE"), primary_key=True
    )
    birth_year: Mapped[int] = mapped_column(SmallInteger)  # 0: not given
    birth_month: Mapped[int] = mapped_column(SmallInteger)
    birth_day: Mapped[int] = mapped_column(SmallInteger)
    place: Mapped[int] = mapped_column(Integer)  # -1: none
    initials: Mapped[int] = mapped_column(BigInteger)  # one bit a letter


class SightingKey(Base):
    """The candidate index: one row per blocking key of a sighting."""

    __tablename__ = "sighting_keys"
    __table_args__ = (Index("ix_sighting_keys_key_sighting_id", "key", "sighting_id"),)

    sighting_id: Mapped[str] = mapped_column(
        ForeignKey(Sighting.id, ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(64), primary_key=True)


class ReportTerm(Base):
    """Name terms of each report, so that common names can be weighed as common."""

    __tablename__ = "report_terms"

    report_id: Mapped[str] = mapped_column(
        ForeignKey(Report.id, ondelete="CASCADE"), primary_key=True
    )
    term: Mapped[str] = mapped_column(String(100), primary_key=True, index=True)


_CONFIRMED = text(f"status = '{MatchStatus.confirmed.value}'")


class Reviewed:
    """What the engine proposes and people decide on, for a match and a duplicate pair alike:
    the score and its explanation, the status, the version a decision quotes, the last decision."""

    score: Mapped[float] = mapped_column(Float)
    explanation: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10), default=MatchStatus.proposed.value)
    version: Mapped[int] = mapped_column(Integer, default=1)
    decided_by: Mapped[str | None] = mapped_column(ForeignKey(User.id))
    decided_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(Text)


class ReviewEvent:
    """An append-only history entry of a reviewed row: a proposal or a move by the engine
    (`actor_id` None), or a person's decision."""

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    actor_id: Mapped[str | None] = mapped_column(ForeignKey(User.id))
    action: Mapped[str] = mapped_column(String(20))
    from_status: Mapped[str | None] = mapped_column(String(10))
    to_status: Mapped[str] = mapped_column(String(10))
    score: Mapped[float] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Match(Reviewed, Timestamped, Base):
    """A proposed link between one report and one sighting, and the coordinators' decision."""

    __tablename__ = "matches"
    __table_args__ = (
        UniqueConstraint("report_id", "sighting_id"),
        CheckConstraint(
            f"status IN ({', '.join(repr(s.value) for s in MatchStatus)})", name="status"
        ),
        # A sighting is one child: it may be confirmed for one report at a time.
        Index(
            "uq_matches_confirmed_sighting",
            "sighting_id",
            unique=True,
            sqlite_where=_CONFIRMED,
            postgresql_where=_CONFIRMED,
        ),
        # The review queue's order: best first, then by id (many proposals share a score); with
        # the sighting, so that the queue narrowed to a source type walks it without reading
        # the rows it passes over (migration 0017).
        Index("ix_matches_status_score_id_sighting_id", "status", "score", "id", "sighting_id"),
        # A sighting's matches, and the queue narrowed to a source type (migration 0016).
        Index("ix_matches_sighting_id_status_score", "sighting_id", "status", "score"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    report_id: Mapped[str] = mapped_column(ForeignKey(Report.id), index=True)
    sighting_id: Mapped[str] = mapped_column(ForeignKey(Sighting.id))


class QueuedKind(StrEnum):
    report = "report"
    sighting = "sighting"


class MatchingQueueItem(Base):
    """A filed or amended record waiting for the matching worker (`app.matches.queue`).

    Written in the filing's own transaction, so that the answer to a filing never waits for
    matching (its time would tell whether a child is sought) and no filing goes unmatched. A
    worker claims a row (`claimed_by`, `claimed_at`), matches the record and deletes the row; a
    record that fails MAX_ATTEMPTS times keeps its row, `failed_at` set, for `ridni rematch`.
    """

    __tablename__ = "matching_queue"
    __table_args__ = (
        CheckConstraint(f"kind IN ({', '.join(repr(k.value) for k in QueuedKind)})", name="kind"),
    )

    # Rows are matched in the order they were filed: a report filed before a sighting is
    # indexed before the sighting is scored.
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(10))
    # No foreign key: the row is the worker's note, and a record's deletion leaves it nothing
    # to do (the worker drops the row).
    record_id: Mapped[str] = mapped_column(ID)
    enqueued_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(300))  # processes.this_process()
    claimed_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(100))  # the error's class, no message
    failed_at: Mapped[datetime | None]


class MatchEvent(ReviewEvent, Base):
    """Append-only history of a match: proposals by the engine and decisions by people."""

    __tablename__ = "match_events"

    match_id: Mapped[str] = mapped_column(ForeignKey("matches.id"), index=True)

    @classmethod
    def of(
        cls,
        match: Match,
        action: str,
        from_status: str | None,
        *,
        actor_id: str | None = None,
        note: str | None = None,
    ) -> "MatchEvent":
        """The event of `match` reaching its present status and score by `action`: a
        decision, or the status the engine moved it to (proposed, withdrawn)."""
        return cls(
            match_id=match.id,
            actor_id=actor_id,
            action=action,
            from_status=from_status,
            to_status=match.status,
            score=match.score,
            note=note,
        )
