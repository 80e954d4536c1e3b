"""Dates as sources give them: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, real and not in the future;
and moments (RFC 3339 date-times) as clients send them in query parameters and cursors.

`parse_partial_date` is the one parser of dates for every way in (API bodies, CSV cells, PFIF
fields): what it refuses is refused everywhere, with the same words. A date is the engine's
`PartialDate` from the request to the columns and back to the engine.
"""

import re
from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from pydantic import AfterValidator, Strict, StringConstraints

from matching import PartialDate

# Nobody born before this is a child of this service's era; earlier years are typing slips.
EARLIEST_YEAR = 1950
# ASCII digits only: `\d` would also take full-width (２０１１) or Arabic-Indic digits.
PARTIAL_DATE_SHAPE = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")


def parse_partial_date(text: str) -> PartialDate:
    """The date a source wrote, if it is one this service accepts (else ValueError, why)."""
    found = PARTIAL_DATE_SHAPE.fullmatch(text)
    if not found:
        raise ValueError("must be YYYY, YYYY-MM or YYYY-MM-DD")
    year = int(found[1])
    month, day = (int(part) if part else None for part in found.groups()[1:])
    if year < EARLIEST_YEAR:
        raise ValueError(f"year must be {EARLIEST_YEAR} or later")
    if month == 0 or day == 0:
        raise ValueError("is not a real date: months and days count from 01")
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


def full_date(text: str) -> date:
    """A `YYYY-MM-DD` text as a date, by the rules of `parse_partial_date`."""
    parsed = parse_partial_date(text)
    if parsed.month is None or parsed.day is None:
        raise ValueError("must be a full date YYYY-MM-DD")
    return date(parsed.year, parsed.month, parsed.day)


def in_utc(moment: datetime) -> datetime:
    """An aware moment in UTC. ValueError when UTC cannot hold it: `0001-01-01T00:00:00+14:00`
    falls before the year 1 and `9999-12-31T23:59:59-12:00` after 9999."""
    if moment.tzinfo is None:
        raise ValueError("must have a time zone")
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValueError("is out of range in UTC") from None


def _partial_date(text: str) -> str:
    parse_partial_date(text)
    return text


def _full_date(text: str) -> str:
    full_date(text)
    return text


PartialDateText = Annotated[
    str, Strict(), StringConstraints(max_length=10), AfterValidator(_partial_date)
]
FullDateText = Annotated[
    str, Strict(), StringConstraints(max_length=10), AfterValidator(_full_date)
]
