"""The bridge between stored records and the `matching` library: rows in, plain values out."""

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Protocol

import matching
from app.core.person import StoredPerson, age_range, birth_date
from app.core.settings import Settings


class StoredReport(StoredPerson, Protocol):
    home_settlement: str | None


class StoredSighting(StoredPerson, Protocol):
    origin_settlement: str | None
    observed_on: date | None
    created_at: datetime


def person_from_report(report: StoredReport) -> matching.Person:
    """The engine's view of a stored report (an ORM row, or a plain row of the same columns)."""
    return _person(report, settlement=report.home_settlement, observed_on=None)


def person_from_sighting(sighting: StoredSighting) -> matching.Person:
    """The engine's view of a stored sighting (an ORM row, or a plain row of the same columns)."""
    # A witness gives an age "now": without an observation date, the day it was filed stands in.
    observed = sighting.observed_on or sighting.created_at.date()
    return _person(
        sighting,
        settlement=sighting.origin_settlement,
        observed_on=matching.PartialDate(observed.year, observed.month, observed.day),
    )


def _person(
    row: StoredPerson, *, settlement: str | None, observed_on: matching.PartialDate | None
) -> matching.Person:
    age = age_range(row)
    return matching.Person(
        given_name=row.given_name,
        family_name=row.family_name,
        patronymic=row.patronymic,
        full_name=row.full_name,
        other_names=tuple(row.other_names or ()),
        sex=row.sex,
        date_of_birth=birth_date(row),
        age_min=age[0] if age else None,
        age_max=age[1] if age else None,
        settlement=settlement or None,
        observed_on=observed_on,
        institution=row.institution,
    )


def cached_reports() -> int:
    """How many prepared people the engine keeps in memory, least recently used dropped first
    (about 1.2 KiB each in the service: some 360 MiB when full, whatever the number of reports
    stored; `python -m bench.service latency` prints the resident memory)."""
    return matching.prepare.cache_info().maxsize or 0


def name_terms(person: matching.Person) -> frozenset[str]:
    """The terms whose frequency among reports tells a common name from a rare one (and a
    name held by namesakes); not one report's share, which `repository.term_shares` gives."""
    return frozenset(matching.person_frequencies([person])) - {matching.ONE_REPORT}


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
