"""Every table, imported in one place so that Alembic sees the whole schema."""

from app.core.idempotency import IdempotencyKey
from app.core.models import Base
from app.reports.models import Report
from app.sightings.models import Sighting
from app.users.models import User

__all__ = ["Base", "IdempotencyKey", "Report", "Sighting", "User"]
