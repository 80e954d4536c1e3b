"""Service configuration, read from the environment (see the README's Configuration table)."""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from limits import parse_many
from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from matching import DEFAULT_THRESHOLD

# Where rate limits may be counted (`limits` storage schemes): this process, or a Redis.
RATE_LIMIT_STORAGES = ("memory", "redis", "rediss", "redis+unix")


def check_storage_uri(uri: str) -> str:
    """`uri` if it names a store the rate limits can be counted in; ValueError otherwise."""
    scheme, separator, _ = uri.partition("://")
    if not separator or scheme not in RATE_LIMIT_STORAGES:
        raise ValueError("must start with " + ", ".join(s + "://" for s in RATE_LIMIT_STORAGES))
    return uri


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RIDNI_", extra="ignore", populate_by_name=True)

    database_url: str = Field(
        default="sqlite:///./ridni.db",
        validation_alias=AliasChoices("DATABASE_URL", "RIDNI_DATABASE_URL"),
        description="SQLAlchemy URL; PostgreSQL as postgresql+psycopg://user@host/db.",
    )
    key_file: Path | None = Field(
        default=None,
        description="The field-encryption key file (owner-only). Default for a SQLite file: "
        "the database's name plus .keys, created on first start; required otherwise.",
    )
    photo_dir: Path | None = Field(
        default=None,
        description="The photo store: a directory holding only encrypted photos (several "
        "instances may share it). Default for a SQLite file: the database's name plus "
        ".photos; with PostgreSQL no photos are stored (the photo routes answer 503) until set.",
    )
    proposal_threshold: float = Field(
        default=DEFAULT_THRESHOLD,
        ge=0.0,
        le=1.0,
        description="Candidates scoring at or above this are proposed to coordinators.",
    )
    max_body_bytes: int = Field(
        default=64 * 1024, gt=0, description="Request bodies larger than this get 413."
    )
    max_upload_bytes: int = Field(
        default=50 * 1024 * 1024,
        gt=0,
        description="Files uploaded to POST /api/v1/imports larger than this get 413.",
    )
    warm_engine: bool = Field(
        default=True,
        description="Before serving, prepare every report's name forms (about 15 s for 100,000 "
        "reports), so that early requests are as fast as later ones.",
    )
    matching_interval: float = Field(
        default=0.25,
        ge=0,
        description="Seconds between rounds of the matching worker, which proposes for filed and "
        "amended records after their answer (so that its time does not tell whether they "
        "matched); 0 runs no worker (tests drain the queue themselves).",
    )
    cors_origins: list[str] = Field(
        default=[],
        description="Browser origins allowed to call the API (CORS); none unless configured.",
    )
    docs_enabled: bool = Field(default=True, description="Serve /docs and /openapi.json.")
    idempotency_claim_seconds: int = Field(
        default=60,
        gt=0,
        description="A request still in flight after this long is taken as abandoned, "
        "so that a retry with the same Idempotency-Key may proceed.",
    )
    pfif_domain: str = Field(
        default="ridni.example",
        pattern=r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$",
        max_length=200,
        description="The domain in the record ids of PFIF exports (`DOMAIN/report.ID`): the "
        "deployment's own, lower-case ASCII, so that other registries can tell its records apart.",
    )
    token_lifetime_days: int = Field(
        default=90,
        gt=0,
        le=3650,
        description="A bearer token stops working this many days after it was issued.",
    )
    rate_limit_writes: str = Field(
        default="120/minute",
        description="Writes (POST, PATCH, DELETE) each caller may make, as `N/period`; several "
        "limits separated by `;` all apply (`120/minute;2000/day`).",
    )
    rate_limit_reports: str = Field(
        default="10/hour;30/day",
        description="Reports a family may file or amend, on top of the write limit.",
    )
    rate_limit_storage: str = Field(
        default="memory://",
        description="Where the rate limits are counted: `memory://` (this process alone) or "
        "`redis://HOST:PORT/DB` (shared by every process that names the same Redis).",
    )
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        default="info",
        description="Lowest level of the JSON log lines `ridni serve` writes to standard error.",
    )

    @field_validator("rate_limit_writes", "rate_limit_reports")
    @classmethod
    def _rate_limit(cls, value: str) -> str:
        try:
            items = parse_many(value)
        except ValueError:
            items = []
        if not items or any(item.amount < 1 for item in items):
            raise ValueError("must be limits such as 120/minute or 10/hour;30/day")
        return value

    @field_validator("rate_limit_storage")
    @classmethod
    def _storage(cls, value: str) -> str:
        return check_storage_uri(value)


@lru_cache
def get_settings() -> Settings:
    return Settings()
