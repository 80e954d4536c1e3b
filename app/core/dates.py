"""Dates as sources give them: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, real and not in the future.

A date is the engine's `PartialDate` from the request to the columns and back to the engine."""

import re
from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from pydantic import AfterValidator, Strict, StringConstraints

from matching import PartialDate

# Nobody born before this is a child of this service's era; earlier years are typing slips.
EARLIEST_YEAR = 1950
_PARTIAL = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def parse_partial_date(text: str) -> PartialDate:
    """The date a source wrote, if it is one this service accepts (else ValueError, why)."""
    found = _PARTIAL.fullmatch(text)
    if not found:
        raise ValueError("must be YYYY, YYYY-MM or YYYY-MM-DD")
    year = int(found[1])
    month, day = (int(part) if part else None for part in found.groups()[1:])
    if year < EARLIEST_YEAR:
        raise ValueError(f"year must be {EARLIEST_YEAR} or later")
    try:
        first_possible = date(year, month or 1, day or 1)
    except ValueError:
        raise ValueError("is not a real date") from None
    if first_possible > latest_allowed_date():
        raise ValueError("must not be in the future")
    return PartialDate(year, month, day)


def latest_allowed_date() -> date:
    # One day of slack: it is already tomorrow east of UTC.
    return datetime.now(UTC).date() + timedelta(days=1)


def _partial_date(text: str) -> str:
    parse_partial_date(text)
    return text


def _full_date(text: str) -> str:
    if parse_partial_date(text).day is None:
        raise ValueError("must be a full date YYYY-MM-DD")
    return text


PartialDateText = Annotated[
    str, Strict(), StringConstraints(max_length=10), AfterValidator(_partial_date)
]
FullDateText = Annotated[
    str, Strict(), StringConstraints(max_length=10), AfterValidator(_full_date)
]
