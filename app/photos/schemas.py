"""What the photo routes answer: metadata only (the image is its own route). The upload is a
multipart form, read by `app.photos.forms`."""

from datetime import datetime

from pydantic import ConfigDict

from app.core.schemas import OutputModel


class PhotoOut(OutputModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "id": "0b9c6f1e-4f1d-4d38-9a8e-2f0f3c1d7a55",
                "report_id": "5f2b8a9e-3c41-4e0b-8d7a-6a1c2e9f0b13",
                "sighting_id": None,
                "width": 1536,
                "height": 2048,
                "content_type": "image/jpeg",
                "caption": "Шкільне фото, 2021",
                "created_at": "2026-12-02T04:10:00Z",
            }
        }
    )

    id: str
    """The photo's id: `GET /api/v1/photos/{id}` serves it."""
    report_id: str | None
    """The report it belongs to (null for a sighting's photo)."""
    sighting_id: str | None
    """The sighting it belongs to (null for a report's photo)."""
    width: int
    """Width in pixels of the image served (at most 2048 on the long side)."""
    height: int
    """Height in pixels of the image served."""
    content_type: str
    """What Ridni serves: always `image/jpeg`, whatever was sent (it is re-encoded)."""
    caption: str | None
    """The caption sent with it, as written (encrypted at rest)."""
    created_at: datetime
    """When it was added (RFC 3339, UTC)."""


class PhotoList(OutputModel):
    items: list[PhotoOut]
    """The record's photos, oldest first (at most 10: never more than one page)."""
    next_cursor: str | None = None
    """Always null: a record's photos fit on one page."""
