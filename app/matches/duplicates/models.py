from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.core.models import ID, Base, Timestamped, new_id
from app.matches.models import MatchStatus, Reviewed, ReviewEvent
from app.reports.models import Report


class Duplicate(Reviewed, Timestamped, Base):
    """A proposed pair of reports of one child (`report_id` filed after `duplicate_of_id`),
    and the coordinators' decision. Statuses and decisions are those of matches."""

    __tablename__ = "duplicates"
    __table_args__ = (
        UniqueConstraint("report_id", "duplicate_of_id"),
        CheckConstraint(
            f"status IN ({', '.join(repr(s.value) for s in MatchStatus)})", name="status"
        ),
        CheckConstraint("report_id <> duplicate_of_id", name="two_reports"),
        Index("ix_duplicates_status_score", "status", "score"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    report_id: Mapped[str] = mapped_column(ForeignKey(Report.id), index=True)
    duplicate_of_id: Mapped[str] = mapped_column(ForeignKey(Report.id), index=True)


class DuplicateEvent(ReviewEvent, Base):
    """Append-only history of a duplicate pair, with the case its reports were left in."""

    __tablename__ = "duplicate_events"

    duplicate_id: Mapped[str] = mapped_column(ForeignKey(Duplicate.id), index=True)
    # The case of `report_id` after the event: joined on a confirmation, its own (or none)
    # after a reopening split it.
    case_id: Mapped[str | None] = mapped_column(ID)

    @classmethod
    def of(
        cls,
        duplicate: Duplicate,
        action: str,
        from_status: str | None,
        *,
        case_id: str | None = None,
        actor_id: str | None = None,
        note: str | None = None,
    ) -> "DuplicateEvent":
        return cls(
            duplicate_id=duplicate.id,
            actor_id=actor_id,
            action=action,
            from_status=from_status,
            to_status=duplicate.status,
            score=duplicate.score,
            note=note,
            case_id=case_id,
        )
