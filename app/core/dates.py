"""Dates as sources give them: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, real and not in the future;
and moments (RFC 3339 date-times) as clients send them in query parameters and cursors.

`PartialDate.parse` is the one parser of dates for every way in (API bodies, CSV cells, PFIF
fields): what it refuses is refused everywhere, with the same words.
"""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from pydantic import AfterValidator, Strict, StringConstraints

# Nobody born before this is a child of this service's era; earlier years are typing slips.
EARLIEST_YEAR = 1950
# ASCII digits only: `\d` would also take full-width (２０１１) or Arabic-Indic digits.
PARTIAL_DATE_SHAPE = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")


@dataclass(frozen=True)
class PartialDate:
    year: int
    month: int | None = None
    day: int | None = None

    def __str__(self) -> str:
        text = f"{self.year:04d}"
        if self.month is not None:
            text += f"-{self.month:02d}"
            if self.day is not None:
                text += f"-{self.day:02d}"
        return text

    @classmethod
    def parse(cls, text: str) -> "PartialDate":
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
        return cls(year, month, day)

    def full(self) -> date:
        """The day itself; ValueError for a year or a month."""
        if self.month is None or self.day is None:
            raise ValueError("must be a full date YYYY-MM-DD")
        return date(self.year, self.month, self.day)


def latest_allowed_date() -> date:
    # One day of slack: it is already tomorrow east of UTC.
    return datetime.now(UTC).date() + timedelta(days=1)


def full_date(text: str) -> date:
    """A `YYYY-MM-DD` text as a date, by the rules of `PartialDate.parse`."""
    return PartialDate.parse(text).full()


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
    PartialDate.parse(text)
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
