"""The partial date the engine takes: a year, perhaps its month, perhaps the day."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PartialDate"]


@dataclass(frozen=True, slots=True)
class PartialDate:
    """A date as far as a source gives it (a birth year alone is a real answer)."""

    year: int
    month: int | None = None
    day: int | None = None  # only with a month

    def __str__(self) -> str:
        """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``."""
        text = f"{self.year:04d}"
        if self.month is not None:
            text += f"-{self.month:02d}"
            if self.day is not None:
                text += f"-{self.day:02d}"
        return text
