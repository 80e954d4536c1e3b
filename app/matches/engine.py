"""The bridge between stored records and the `matching` library: rows in, plain values out."""

import hashlib
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Row

import matching
from app.core.person import person_fields
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


def match_signature(threshold: float) -> str:
    """What a record's keys and proposals were computed with: the engine and the threshold."""
    return f"{engine_version()}@{threshold:.4f}"
