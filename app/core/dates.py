"""Dates as sources give them: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, real and not in the future."""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from pydantic import AfterValidator, Strict, StringConstraints

# Nobody born before this is a child of this service's era; earlier years are typing slips.
EARLIEST_YEAR = 1950
_PARTIAL = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


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
        return cls(year, month, day)


def latest_allowed_date() -> date:
    # One day of slack: it is already tomorrow east of UTC.
    return datetime.now(UTC).date() + timedelta(days=1)


def _partial_date(text: str) -> str:
    PartialDate.parse(text)
    return text


def _full_date(text: str) -> str:
    if PartialDate.parse(text).day is None:
        raise ValueError("must be a full date YYYY-MM-DD")
    return text


PartialDateText = Annotated[
    str, Strict(), StringConstraints(max_length=10), AfterValidator(_partial_date)
]
FullDateText = Annotated[
    str, Strict(), StringConstraints(max_length=10), AfterValidator(_full_date)
]
