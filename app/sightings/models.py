from datetime import date
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String, column
from sqlalchemy.orm import Mapped, mapped_column

from app.core.models import ID, Base, Timestamped, new_id
from app.core.person import PersonColumns
from app.crypto.orm import sealed_column
from app.users.models import User


class SourceType(StrEnum):
    document = "document"
    witness = "witness"
    list = "list"
    media = "media"
    other = "other"


class Sighting(PersonColumns, Timestamped, Base):
    """A field contact's sighting; the person columns describe the child seen."""

    __tablename__ = "sightings"
    __table_args__ = (
        CheckConstraint(
            f"source_type IN ({', '.join(repr(s.value) for s in SourceType)})",
            name="source_type",
        ),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    owner_id: Mapped[str] = mapped_column(ForeignKey(User.id), index=True)
    origin_settlement: Mapped[str | None] = mapped_column(String(200))
    observed_on: Mapped[date | None]
    location: Mapped[str | None] = mapped_column(String(200))
    source_type: Mapped[str] = mapped_column(String(10))
    # Encrypted at rest (app/crypto/): they could expose the source if leaked.
    notes: Mapped[str | None] = sealed_column()
    source_contact: Mapped[str | None] = sealed_column()
    source_details: Mapped[str | None] = sealed_column()
    # The engine and threshold its candidate keys and proposals were last computed with.
    matched_with: Mapped[str | None] = mapped_column(String(40), index=True)


class SeenTogether(Base):
    """Two sightings of children seen together (a symmetric relation: one row per pair, the
    smaller id first)."""

    __tablename__ = "sightings_seen_together"
    __table_args__ = (
        CheckConstraint(column("sighting_id") < column("companion_id"), name="order"),
    )

    sighting_id: Mapped[str] = mapped_column(ForeignKey(Sighting.id), primary_key=True)
    companion_id: Mapped[str] = mapped_column(ForeignKey(Sighting.id), primary_key=True, index=True)
