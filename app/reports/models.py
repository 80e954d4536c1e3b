from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, SmallInteger, String, column
from sqlalchemy.orm import Mapped, mapped_column

from app.core.models import ID, Base, Timestamped, new_id
from app.core.person import PersonColumns
from app.crypto.orm import sealed_column
from app.users.models import User

# The longest registry id a report keeps (PFIF sets no limit; ids seen are under 100).
EXTERNAL_ID_MAX = 500


class ReportStatus(StrEnum):
    open = "open"
    located = "located"
    closed = "closed"


class Report(PersonColumns, Timestamped, Base):
    """A family's report of a missing child; the person columns describe the child."""

    __tablename__ = "reports"
    __table_args__ = (
        CheckConstraint(
            f"status IN ({', '.join(repr(s.value) for s in ReportStatus)})", name="status"
        ),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    owner_id: Mapped[str] = mapped_column(ForeignKey(User.id), index=True)
    status: Mapped[str] = mapped_column(String(10), default=ReportStatus.open.value, index=True)
    home_settlement: Mapped[str | None] = mapped_column(String(200))
    last_seen_year: Mapped[int | None] = mapped_column(SmallInteger)
    last_seen_month: Mapped[int | None] = mapped_column(SmallInteger)
    last_seen_day: Mapped[int | None] = mapped_column(SmallInteger)
    last_seen_place: Mapped[str | None] = mapped_column(String(200))
    # Encrypted at rest (app/crypto/): they would endanger the family if leaked.
    circumstances: Mapped[str | None] = sealed_column()
    reporter_name: Mapped[str | None] = sealed_column()
    reporter_relationship: Mapped[str | None] = sealed_column()
    reporter_phone: Mapped[str | None] = sealed_column()
    reporter_email: Mapped[str | None] = sealed_column()
    # The record's id in the registry it was imported from (a PFIF person_record_id), which
    # its exports keep: a copy keeps its original's id. None for reports filed here.
    external_id: Mapped[str | None] = mapped_column(
        String(EXTERNAL_ID_MAX), unique=True, index=True
    )
    # Reports of one child by several families, joined by confirmed duplicates
    # (app/matches/duplicates); None while the report stands alone.
    case_id: Mapped[str | None] = mapped_column(ID, index=True)
    # The engine and threshold its candidate keys and proposals were last computed with.
    matched_with: Mapped[str | None] = mapped_column(String(40), index=True)


class ReportSibling(Base):
    """Two reports of brothers or sisters (a symmetric relation: one row per pair, the smaller
    id first)."""

    __tablename__ = "report_siblings"
    __table_args__ = (CheckConstraint(column("report_id") < column("sibling_id"), name="order"),)

    report_id: Mapped[str] = mapped_column(ForeignKey(Report.id), primary_key=True)
    sibling_id: Mapped[str] = mapped_column(ForeignKey(Report.id), primary_key=True, index=True)
