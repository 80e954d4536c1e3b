"""A photo's row: its record, its size, where its two ciphertext files are, and its data key.

The image itself is never in the database: the store holds it encrypted (`app.photos.store`).
The data key is a sealed column, so the deployment's key file wraps it and `ridni keys rotate`
and `ridni keys status --verify` re-wrap and check it like every other protected value; deleting
the row destroys the key, and with it every copy of the files, backups of the store included.
"""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.models import ID, Base, new_id, utcnow
from app.crypto.orm import sealed_column
from app.reports.models import Report
from app.sightings.models import Sighting
from app.users.models import User

STORED_TYPE = "image/jpeg"  # what every photo is re-encoded to and served as
FILE_NAME_MAX = 64


class Photo(Base):
    __tablename__ = "photos"
    __table_args__ = (
        # A photo belongs to exactly one record: a report or a sighting.
        CheckConstraint("(report_id IS NULL) <> (sighting_id IS NULL)", name="one_record"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    report_id: Mapped[str | None] = mapped_column(ForeignKey(Report.id), index=True)
    sighting_id: Mapped[str | None] = mapped_column(ForeignKey(Sighting.id), index=True)
    uploaded_by: Mapped[str] = mapped_column(ForeignKey(User.id))
    content_type: Mapped[str] = mapped_column(String(20), default=STORED_TYPE)
    width: Mapped[int]
    height: Mapped[int]
    thumbnail_width: Mapped[int]
    thumbnail_height: Mapped[int]
    # Random names in the photo store; they say nothing about the photo or its record.
    image_file: Mapped[str] = mapped_column(String(FILE_NAME_MAX), unique=True)
    thumbnail_file: Mapped[str] = mapped_column(String(FILE_NAME_MAX), unique=True)
    # Encrypted at rest: a caption is free text, and the key opens the files.
    caption: Mapped[str | None] = sealed_column()
    data_key: Mapped[str] = sealed_column()  # base64url of the photo's AES-256 key
