"""Duplicate reports: two families' reports of one child, found among reports.

The same child reported twice is compared with the same name knowledge as a report against a
sighting (``prepare``, the field ladders of ``_fields.py``), but the evidence weighs otherwise.
A sighting's family name may be one given after adoption and its birth date one a clerk
altered; two relatives write the name the child was born with and the birth date they know.
So a family name that differs, a patronymic that differs, a birth date that differs or a given
name of another group are real evidence against, not a possible new identity. Spelling still
differs freely: a grandmother writes Cyrillic, an aunt abroad a Latin transliteration, one a
diminutive (Коля), the other the full name (Микола); those levels keep their weights.

The ladders are reused row for row: :meth:`Ladder.reweighed` gives each the weights of this
comparison, its tests and explanations unchanged.
"""

from __future__ import annotations

import json
import math
from collections.abc import Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from ._compare import Comparison
from ._fields import (
    AGE_ESTIMATES,
    DATE_OF_BIRTH,
    FAMILY_NAME,
    GIVEN_NAME,
    INSTITUTION,
    PARTIAL_DATE_OF_BIRTH,
    PATRONYMIC,
    SETTLEMENT,
    SEX,
    _initial_detail,
    _words,
)
from ._ladder import FieldComparison, Ladder
from ._linker import Linker, LinkInputError, _read, person_frequencies
from ._person import Person, Prepared, prepare

__all__ = [
    "DUPLICATE_THRESHOLD",
    "DuplicatePair",
    "compare_reports",
    "compare_reports_each",
    "find_duplicates",
    "write_duplicates",
]

# The weights of the levels that mean otherwise between two reports (log2 m/u as in
# ``_fields.py``; m is now the share of two relatives' reports of one child at that level).
# Given name: two relatives do not name a child with two names of different groups (m < 1/200);
# a name the data does not know, spelt unlike the other, is rarer still than in a sighting.
_GIVEN = GIVEN_NAME.reweighed({"different": (-12.0, -6.0)})
# Family name: a relative writes the child's own name. A sister-in-law's maiden name, a
# stepfather's name: a few in a hundred (m 0.02 against u 0.97: log2 = -5.6).
_FAMILY = FAMILY_NAME.reweighed(
    {
        "different": -5.6,
        "initial differs": -5.6,
    },
    details={
        "different": lambda p: _words(p.closest, "≠"),
        "initial differs": lambda p: _initial_detail(p.initials, "≠"),
    },
)
# Patronymic: one father (m 0.03: a stepfather's name, a mistake).
_PATRONYMIC = PATRONYMIC.reweighed({"different": -5.0})
# Dates of birth: each family knows the child's birthday. A swapped day and month or a slip of
# one digit happen in typing (a few in a hundred each); the same month of another day or the
# same year alone are what siblings and cousins share, not one child.
_DATE = DATE_OF_BIRTH.reweighed(
    {
        # As the duplicates' calibration was fitted (report-sighting matching weighs it 9.5).
        "exact": 9.0,
        "day and month swapped": 5.0,
        "year off by one": 3.0,
        "one digit wrong": 4.5,
        "same month": -4.0,
        "same year": -6.0,
        "year off by one, day differs": -9.0,
        "different": -10.0,
    }
)
_PARTIAL_DATE = PARTIAL_DATE_OF_BIRTH.reweighed(
    # Two parts wrong weigh more against than one.
    {
        "same year": -5.0,
        "year off by one": -5.0,
        "year off by one, month differs": -7.0,
        "different": -9.0,
    }
)
# Sex: a relative does not mistake it (an inferred one may be read wrong from a name).
_SEX = SEX.reweighed({"different": (-4.0, -9.0)})
# Place: two relatives write the child's home as each knew it (a move, a grandparent's
# village where the child lived): about half of one child's pairs of reports that name two
# known places name two different ones, m 0.5 against u 0.95: log2 = -0.9, as -0.7. Both are
# places a family wrote (no new document's Russian birthplace): one the list does not know
# weighs alike on either side.
_SETTLEMENT = SETTLEMENT.reweighed(
    {"different, one place not in Ukraine's list": -0.3, "different": -0.7}
)

_LADDERS: tuple[Ladder[object], ...] = (  # type: ignore[assignment]
    _GIVEN,
    _FAMILY,
    _PATRONYMIC,
    _SEX,
    _SETTLEMENT,
    INSTITUTION,
)
_DATE_LADDERS: tuple[Ladder[object], ...] = (_DATE, _PARTIAL_DATE, AGE_ESTIMATES)  # type: ignore[assignment]

# The weight total maps to a probability as in ``_compare.py`` (p = 1 / (1 + exp(-(A t + B)))),
# with its own offset: a report has far fewer duplicates among the reports its keys reach than
# sightings among them (one relative in ten files twice, against every sighting's one child).
# The scale stays the report-sighting one (0.8: its weights are read alike); the offset puts
# even odds where names of one child, its birth date and one more field agree (a total of 15).
_CAL_A = 0.8
_CAL_B = -12.0
# Proposed as duplicates from this score on.
DUPLICATE_THRESHOLD = 0.5

K = TypeVar("K", bound=Hashable)


def _probability(total: float) -> float:
    z = _CAL_A * total + _CAL_B
    return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))


def compare_prepared_reports(
    a: Prepared, b: Prepared, *, frequencies: Mapping[str, float] | None = None
) -> Comparison:
    items: list[FieldComparison] = []
    for ladder in _LADDERS:
        verdict = ladder.compare(a, b, frequencies)
        if verdict is not None:
            items.append(verdict)
    for ladder in _DATE_LADDERS:
        verdict = ladder.compare(a, b, frequencies)
        if verdict is not None:
            items.append(verdict)
            break
    items.sort(key=lambda fc: (-abs(fc.weight), fc.field))
    total = sum(fc.weight for fc in items)
    return Comparison(_probability(total), tuple(items), total)


def compare_reports(
    a: Person, b: Person, *, frequencies: Mapping[str, float] | None = None
) -> Comparison:
    """How likely two reports describe one child (symmetric); ``frequencies`` as for
    :func:`compare`."""
    return compare_prepared_reports(prepare(a), prepare(b), frequencies=frequencies)


def compare_reports_each(
    report: Person | Prepared,
    others: Mapping[K, Person | Prepared],
    *,
    frequencies: Mapping[str, float] | None = None,
    at_least: float | None = None,
) -> dict[K, Comparison]:
    """One report against many (a service's stored reports its blocking keys reach); with
    ``at_least``, only those whose score reaches it."""
    a = report if isinstance(report, Prepared) else prepare(report)
    found = {}
    for key, other in others.items():
        b = other if isinstance(other, Prepared) else prepare(other)
        c = compare_prepared_reports(a, b, frequencies=frequencies)
        if at_least is None or c.score >= at_least:
            found[key] = c
    return found


@dataclass(frozen=True, slots=True)
class DuplicatePair:
    """``report`` is likely a second report of ``duplicate_of`` (the one held first)."""

    report: Hashable
    duplicate_of: Hashable
    score: float
    explanation: tuple[FieldComparison, ...]


def find_duplicates(
    reports: Iterable[tuple[Hashable, Person]], *, threshold: float = DUPLICATE_THRESHOLD
) -> Iterator[DuplicatePair]:
    """Every pair of ``reports`` likely to be one child, each pair once, best first for each
    report: the later report of the two is the ``report``, the earlier its ``duplicate_of``.
    A report is compared only with the earlier ones its blocking keys reach; names are
    weighed by their shares among all ``reports``, so that the order does not change a score."""
    people = list(reports)
    linker = Linker(frequencies=person_frequencies(person for _, person in people))
    held: dict[Hashable, Prepared] = {}
    for key, person in people:
        reached = {k: held[k] for k in linker.reachable(person, widen=False)}
        compared = compare_reports_each(
            person, reached, frequencies=linker.frequencies, at_least=threshold
        )
        ranked = sorted(compared.items(), key=lambda kc: (-kc[1].total, str(kc[0])))
        for other, c in ranked:
            yield DuplicatePair(key, other, c.score, c.explanation)
        linker.add(key, person)
        held[key] = prepare(person)


def write_duplicates(
    reports_path: str | Path, out_path: str | Path, *, threshold: float = DUPLICATE_THRESHOLD
) -> tuple[int, int]:
    """Find the duplicate reports of a JSON-lines file of reports (``{"key", "child"}``) and
    write one line per pair: ``{"report", "duplicate_of", "score", "explanation"}``. Returns
    how many reports were read and pairs written; raises :class:`LinkInputError` on a
    malformed line or a key given twice."""
    people: list[tuple[str, Person]] = []
    seen: set[str] = set()
    for n, key, person, _siblings in _read(Path(reports_path), "child", "siblings"):
        if key in seen:
            raise LinkInputError(n, f"duplicate key {key!r}", str(reports_path))
        seen.add(key)
        people.append((key, person))
    written = 0
    with Path(out_path).open("w", encoding="utf-8") as out:
        for pair in find_duplicates(people, threshold=threshold):
            line = {
                "report": pair.report,
                "duplicate_of": pair.duplicate_of,
                "score": round(pair.score, 4),
                "explanation": [fc.as_dict(digits=2) for fc in pair.explanation],
            }
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
            written += 1
    return len(people), written
