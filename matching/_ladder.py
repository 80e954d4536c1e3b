"""Comparison levels as data: a field's ladder of levels, and the verdict it yields.

As in splink, a field is compared through an ordered list of levels, each with a name (the
verdict), a test, a weight and an explanation template; the first level whose test holds fires.
Tests, computed weights and templates are small functions of the pair (a template is an
f-string in a lambda: ``str.format`` costs several times as much, on the engine's hottest path).
A ladder first builds a *pair* from the two prepared people (a small object with the values its
tests read, computed once per comparison); a ladder whose pair cannot be built (a side lacks the
field) yields no verdict. The last level's test is :func:`always`, so every pair gets a verdict.

The largest weight a ladder can give (:attr:`Ladder.most`) is computed from its levels; a level
whose weight depends on the pair (term frequency, the width of an age estimate) states its
``ceiling``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from ._person import Prepared

__all__ = ["FieldComparison", "Ladder", "Level", "always"]

P = TypeVar("P")


@dataclass(frozen=True, slots=True, init=False)
class FieldComparison:
    """One field's verdict: e.g. ("given_name", "equivalent", "Микола (uk) = Николай (ru)", 3.1)."""

    field: str
    verdict: str
    detail: str
    weight: float
    # The ladder's level that gave the verdict (None for one composed in ``_compare``): what
    # the engine reads to tell two levels of one verdict apart, never their weights. Not part
    # of the verdict as compared, hashed or answered.
    level: Level[Any] | None = dataclasses.field(default=None, compare=False, repr=False)

    def __init__(
        self,
        field: str,
        verdict: str,
        detail: str,
        weight: float,
        level: Level[Any] | None = None,
    ) -> None:
        # One is made for every field of every pair compared: its slots are set through their
        # descriptors, not through object.__setattr__ (as a frozen class's own __init__ does),
        # which took twice as long.
        set_field, set_verdict, set_detail, set_weight, set_level = _FIELD_COMPARISON_SLOTS
        set_field(self, field)
        set_verdict(self, verdict)
        set_detail(self, detail)
        set_weight(self, weight)
        set_level(self, level)

    def as_dict(self, *, digits: int | None = None) -> dict[str, str | float]:
        """The verdict as stored and answered; ``digits`` rounds the weight for a file people
        read (``link_files``), the service keeps it whole."""
        return {
            "field": self.field,
            "verdict": self.verdict,
            "detail": self.detail,
            "weight": self.weight if digits is None else round(self.weight, digits),
        }


# The setters of FieldComparison's slots, in the order of its fields.
_FIELD_COMPARISON_SLOTS = tuple(
    getattr(FieldComparison, f.name).__set__ for f in dataclasses.fields(FieldComparison)
)


def always(_pair: object) -> bool:
    """The test of a ladder's last level."""
    return True


@dataclass(frozen=True, slots=True, eq=False)
class Level(Generic[P]):
    """One rung: if ``test(pair)`` holds, the verdict is ``verdict`` with ``weight`` (a number,
    or a function of the pair bounded by ``ceiling``) and ``detail(pair)``, the words a
    coordinator reads. A level is itself (equal and hashed by identity): two levels of one
    verdict are two rungs, and the verdicts they give say which (``FieldComparison.level``)."""

    verdict: str
    test: Callable[[P], bool]
    weight: float | Callable[[P], float]
    detail: Callable[[P], str]
    ceiling: float | None = None

    def __post_init__(self) -> None:
        if callable(self.weight) and self.ceiling is None:
            raise ValueError(f"level {self.verdict!r}: a computed weight needs a ceiling")

    @property
    def most(self) -> float:
        if callable(self.weight):
            assert self.ceiling is not None  # noqa: S101 - checked in __post_init__
            return self.ceiling
        return self.weight


Frequencies = Mapping[str, float] | None
_Row = tuple[Callable[[P], bool], str, float | Callable[[P], float], Callable[[P], str], Level[P]]


@dataclass(frozen=True, slots=True)
class Ladder(Generic[P]):
    """A field's levels, best first: ``present`` says whether both people give the field,
    ``pair`` builds what the tests read (None: nothing to compare after all)."""

    field: str
    present: Callable[[Prepared, Prepared], bool]
    pair: Callable[[Prepared, Prepared, Frequencies], P | None]
    levels: tuple[Level[P], ...]
    most: float = dataclasses.field(init=False)
    # The levels as plain tuples, read without attribute lookups for every pair.
    _rows: tuple[_Row[P], ...] = dataclasses.field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not self.levels or self.levels[-1].test is not always:
            raise ValueError(f"ladder {self.field!r}: the last level's test must be `always`")
        object.__setattr__(self, "most", max(level.most for level in self.levels))
        rows = tuple((lv.test, lv.verdict, lv.weight, lv.detail, lv) for lv in self.levels)
        object.__setattr__(self, "_rows", rows)

    def compare(
        self, a: Prepared, b: Prepared, frequencies: Frequencies = None
    ) -> FieldComparison | None:
        if not self.present(a, b):
            return None
        pair = self.pair(a, b, frequencies)
        if pair is None:
            return None
        for test, verdict, weight, detail, level in self._rows:
            if test(pair):
                w = weight(pair) if callable(weight) else weight
                return FieldComparison(self.field, verdict, detail(pair), w, level)
        raise AssertionError("unreachable: the last level is `always`")

    def reweighed(
        self,
        weights: Mapping[str, float | tuple[float, ...]],
        *,
        details: Mapping[str, Callable[[P], str]] | None = None,
    ) -> Ladder[P]:
        """The same levels (tests, order) with other weights for the verdicts named: a number
        for every level of that verdict, or one per level of it in order. ``details`` replaces
        the words of a verdict. For another comparison of the same field (two reports rather
        than a report and a sighting), whose evidence weighs otherwise."""
        seen: dict[str, int] = {}
        levels = []
        for level in self.levels:
            n = seen[level.verdict] = seen.get(level.verdict, -1) + 1
            wanted = weights.get(level.verdict)
            if isinstance(wanted, tuple):
                wanted = wanted[n]
            if wanted is not None:
                level = dataclasses.replace(level, weight=wanted, ceiling=None)
            if details and level.verdict in details:
                level = dataclasses.replace(level, detail=details[level.verdict])
            levels.append(level)
        unknown = (set(weights) | set(details or ())) - set(seen)
        if unknown:
            raise ValueError(f"ladder {self.field!r} has no level {sorted(unknown)}")
        return Ladder(self.field, self.present, self.pair, tuple(levels))
