"""The bridge between stored records and the `matching` library: rows in, plain values out."""

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Row

import matching
from app.core.person import person_fields
from app.core.settings import Settings
from app.reports.models import Report
from app.sightings.models import Sighting


def report_person(report: Report | Row[Any]) -> matching.Person:
    """The engine's view of a report (an ORM row, or a plain row of the same columns)."""
    return matching.Person.from_api(
        {**person_fields(report), "home_settlement": report.home_settlement}
    )


def sighting_person(sighting: Sighting | Row[Any]) -> matching.Person:
    # A witness gives an age "now": without an observation date, the day it was filed stands in.
    observed = sighting.observed_on or sighting.created_at.date()
    return matching.Person.from_api(
        {**person_fields(sighting), "origin_settlement": sighting.origin_settlement},
        observed_on=observed.isoformat(),
    )


def name_terms(person: matching.Person) -> frozenset[str]:
    """The terms whose frequency among reports tells a common name from a rare one."""
    return frozenset(matching.person_frequencies([person]))


@cache
def engine_version() -> str:
    """Changes whenever the engine's code or data change, so that `ridni rematch` knows."""
    digest = hashlib.sha256()
    package = Path(matching.__file__).parent
    for path in sorted(package.rglob("*")):
        if path.is_file() and path.suffix in {".py", ".tsv", ".csv", ".json", ".txt"}:
            digest.update(path.relative_to(package).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class MatchingSettings:
    """What matching runs with in this deployment. Built once from the settings (by
    `create_app`, and by the commands that rematch or import) and handed to what files,
    amends or rematches records."""

    proposal_threshold: float  # candidates scoring at or above it are proposed

    @classmethod
    def from_settings(cls, settings: Settings) -> "MatchingSettings":
        return cls(proposal_threshold=settings.proposal_threshold)

    @property
    def signature(self) -> str:
        """What a record's keys and proposals were computed with: the engine and the threshold."""
        return f"{engine_version()}@{self.proposal_threshold:.4f}"
