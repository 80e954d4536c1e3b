"""Request-level dependencies shared by the domain routers."""

from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Header, Path, Request

from app.core.idempotency import KEY_MAX
from app.core.settings import Settings
from app.core.text import NulFree

# The id of a record in a path: a report, sighting, match, user or import.
RecordId = Annotated[NulFree, Path(max_length=36)]

IdempotencyKeyHeader = Annotated[
    NulFree | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=KEY_MAX,
        description="Retrying with the same key and body returns the first answer.",
    ),
]


def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]


def claim_lifetime(settings: SettingsDep) -> timedelta:
    return timedelta(seconds=settings.idempotency_claim_seconds)


ClaimLifetime = Annotated[timedelta, Depends(claim_lifetime)]
