"""Blocking keys, the in-memory Linker and the offline ``link_files`` command body."""

from __future__ import annotations

import json
import math
import sys
import time
from array import array
from collections import Counter
from collections.abc import Callable, Collection, Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from json.encoder import encode_basestring
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from ._compare import (
    ONE_REPORT,
    Comparison,
    Verdicts,
    compare_prepared_each,
    name_terms,
    same_child_terms,
)
from ._fields import _initial_readings, family_initials
from ._ladder import FieldComparison
from ._person import Person, Prepared, prepare

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = [
    "CANDIDATES_MOST",
    "DEFAULT_THRESHOLD",
    "Candidate",
    "LinkInputError",
    "LinkSummary",
    "Linker",
    "PassCodes",
    "blocking_keys",
    "first_pass",
    "first_pass_codes",
    "link_files",
    "person_frequencies",
]

# Proposal threshold on the calibrated score, chosen on the dev world with bench.quality
# (proposals among each sighting's ten best; 1,212 matchable of 1,741 sightings):
#   threshold  0.3    0.4    0.5    0.6    0.7    0.8
#   precision  0.908  0.927  0.943  0.963  0.969  0.981
#   recall     0.884  0.874  0.866  0.850  0.837  0.807
#   F1         0.896  0.899  0.903  0.903  0.898  0.886
# F1 is flat from 0.4 to 0.6; 0.5 sits in the middle of the plateau, so a world whose scores
# drift a little either way loses little. At 0.5 about 94% of proposals are right.
DEFAULT_THRESHOLD = 0.5

# Birth years assumed for a record that gives neither a date nor an age (children born
# 2000-2025): the record is reachable from any dated record of the same name.
_ANY_YEARS = (2000, 2025)


def _years(p: Prepared) -> range:
    if p.birth_years is None:
        return range(_ANY_YEARS[0], _ANY_YEARS[1] + 1)
    lo, hi = p.birth_years
    if lo == hi:  # a date of birth: tolerate a year off by one on each side
        return range(lo - 1, hi + 2)
    return range(lo, hi + 1)


def _keys(p: Prepared, *, indexed: bool = False) -> frozenset[str]:
    keys: set[str] = set()
    years = _years(p)
    given_keys = {f"g{gid}" for gid in p.given_groups}
    if not given_keys:  # a name the data does not know: its skeleton's first letters
        given_keys = {f"k{sk[:3]}" for t in p.given for sk in t.skels if sk}
    for gk in given_keys:
        for y in years:
            keys.add(f"{gk}|{y}")
    dob = p.dob
    if dob and dob.year and dob.month and dob.day:
        lo, hi = sorted((dob.month, dob.day))
        keys.add(f"d{dob.year}{lo:02d}{hi:02d}")  # exact date, or day and month swapped
        for gk in given_keys:  # year wrong, day and month right
            keys.add(f"m{dob.month:02d}{dob.day:02d}{gk}")
    for code in p.family_codes:
        for y in years:
            keys.add(f"f{code}|{y}")
        for gk in given_keys:  # survives a wrong or missing date
            keys.add(f"f{code}|{gk}")
    sexes = (p.sex,) if p.sex else ("male", "female")
    if dob and dob.month:
        # A listing (Тимофей К., 2009-05) may show a changed given name: the family name's
        # first letter with the birth month and sex still reaches the report.
        for letter in {sk[:1] for t in p.family for sk in t.skels}:
            for sex in sexes:
                keys.add(f"i{letter}|{dob.year}{dob.month:02d}{sex}")
    if dob and dob.month and (indexed or family_initials(p)):
        # A listing may show a new given name and the new family's initial (Тимофей К. for
        # Давид Лисенко): only the birth month and sex are left to reach the report. Reports
        # are indexed under this key, but only listings look it up, so that a document's
        # candidates do not grow with every child born in its month.
        for sex in sexes:
            keys.add(f"l{dob.year}{dob.month:02d}{sex}")
    if dob and dob.complete:
        # New documents after adoption: another name, and the year often altered by one.
        for y in (dob.year, dob.year + 1):
            for sex in sexes:
                keys.add(f"x{y}{dob.month:02d}{dob.day:02d}{sex}")
    return frozenset(keys)


def _wide_keys(p: Prepared, *, indexed: bool = False) -> tuple[str, ...]:
    """The keys of the fallback tier: birth year and sex, all that is left of a child whose
    given name, family name and patronymic were all rewritten. Identities are rewritten by
    documents and registries: a listing that shows a new given name and the new family's
    initial (Олег Ю., 2007), a document issued after adoption (another given name, the
    adoptive family's name and father's patronymic, the year kept or only an age range). So
    only a sighting that gives a family initial or a patronymic looks these keys up (a
    witness or a published list repeats the name the child is known by, which the narrower
    keys reach). A report is indexed under its birth years, or under ``?`` when it gives
    none (it shares only the sex); a sighting looks up its own years and ``?``, and nothing
    when it gives no year (its block would be every child of that sex). These blocks grow
    with the registry: `Linker` ranks their members by a first pass and cuts them, and looks
    them up only when the narrower keys find no likely match."""
    if not indexed and not (p.patronymic_text or family_initials(p)):
        return ()
    sexes = (p.sex,) if p.sex else ("male", "female")
    if p.birth_years is None:
        return tuple(f"?{sex}" for sex in sexes) if indexed else ()
    lo, hi = p.birth_years
    years = range(lo, hi + 1)
    return (
        *(f"{y}{sex}" for y in years for sex in sexes),
        *(() if indexed else (f"?{sex}" for sex in sexes)),
    )


def blocking_keys(
    person: Person, *, remember: bool = True, indexed: bool = False
) -> frozenset[str]:
    """Short strings; two people who may be one child share at least one key, when the one
    looked up is indexed with ``indexed`` (a report: a few keys are only looked up by the
    records that need them, a listing by its birth month).

    Keys combine a given-name group (or skeleton prefix) with a plausible birth year, a surname
    code with a birth year, and a surname code with a given-name group. None of them needs the
    family name to agree, so renamed children stay reachable through the given-name keys.

    The person's derived forms stay in the engine's cache, to be compared later (a report),
    unless ``remember`` is false (a sighting matched once: a rematch of 100,000 sightings
    would otherwise keep all of them).
    """
    return _keys(prepare(person) if remember else prepare.__wrapped__(person), indexed=indexed)


def person_frequencies(people: Iterable[Person]) -> dict[str, float]:
    """Shares of given-name groups and surname keys among ``people`` (for term frequencies)."""
    counts: Counter[str] = Counter()
    n = 0
    for person in people:
        p = prepare(person)
        n += 1
        for gid in p.given_groups:
            counts["given:" + gid] += 1
        for k in p.family_clerk:
            counts["family:" + k] += 1
        for k in name_terms(p):
            counts[k] += 1
    return {k: v / n for k, v in counts.items()} | {ONE_REPORT: 1 / n} if n else {}


class _Shares(Mapping[str, float]):
    """A live view of counts as shares of the records held (no copy on every add)."""

    def __init__(self, counts: Counter[str], total: Callable[[], int]) -> None:
        self._counts = counts
        self._total = total

    def __getitem__(self, key: str) -> float:
        if key == ONE_REPORT:
            return 1 / max(self._total(), 1)
        n = self._counts.get(key)
        if not n:
            raise KeyError(key)
        return n / max(self._total(), 1)

    def __iter__(self) -> Iterator[str]:
        return iter(self._counts)

    def __len__(self) -> int:
        return len(self._counts)


@dataclass(frozen=True, slots=True)
class Candidate:
    key: Hashable
    score: float
    explanation: tuple[FieldComparison, ...]


# The reports a Linker compares with one sighting at most. Below it every report the keys
# reach is compared; above it (a common name at a million reports: thousands share its given
# name and year) a first pass over integer arrays ranks them and the best are compared.
# Measured (bench.speed): at 1,000,000 synthetic reports the keys reach 3,020 a query
# (median; max 24,740), and the first pass costs 0.7 ms of the query's CPU; with 100,000
# reports beside a bench world (bench.quality --padding 100000) the cut loses no true pair
# of the document, list and witness strata.
CANDIDATES_MOST = 400

# The first pass's weights for what a report shares with the sighting beside its keys: an
# exact birth year, month and day, a known place, a family name's first letter (keys weigh
# log(reports / block size), 3 to 10 at a million reports). In the fallback tier, whose
# members share no key, these alone rank them: an adoptive family may keep the day and
# month of birth, and a new-identity document the birthplace.
_FIRST_PASS = {"year": 1.0, "month": 1.5, "day": 1.5, "place": 2.0, "initial": 0.5}

# A first letter of a family name's skeleton as one bit (skeletons are Latin letters).
_LETTER_BITS = {
    ch: 1 << i for i, ch in enumerate("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
}


def _initial_bits(p: Prepared, *, readings: bool = False) -> int:
    """The first letters of a person's family names (a listing's initial: every letter it
    may stand for, when ``readings``), as bits."""
    bits = 0
    for t in p.family:
        for sk in _initial_readings(t) if readings and t.initial else t.skels:
            bits |= _LETTER_BITS.get(sk[:1], 0)
    return bits


@dataclass(frozen=True, slots=True)
class PassCodes:
    """What the first pass weighs of a report beside its keys, as integers: kept beside an
    index held elsewhere (a database's table of keys), they let `first_pass` rank as the
    `Linker` does (`first_pass_codes` makes them)."""

    year: int = 0  # 0: not given
    month: int = 0
    day: int = 0
    place: int = -1  # the smallest known place id, -1: none
    initials: int = 0  # the family names' first letters (`_initial_bits`)


_NO_CODES = PassCodes()


def _codes(p: Prepared) -> PassCodes:
    dob = p.dob
    return PassCodes(
        year=dob.year if dob and 0 < dob.year < 10_000 else 0,
        month=dob.month or 0 if dob else 0,
        day=dob.day or 0 if dob else 0,
        place=min(p.place_ids) if p.place_ids else -1,
        initials=_initial_bits(p),
    )


def first_pass_codes(person: Person) -> PassCodes:
    """A report's `PassCodes` (its derived forms stay in the engine's cache, as with
    `blocking_keys`)."""
    return _codes(prepare(person))


class _Beside:
    """What the first pass weighs of each record beside its keys, in arrays by number."""

    __slots__ = ("day", "initial", "month", "place", "year")

    def __init__(self) -> None:
        self.year = array("h")
        self.month = array("b")
        self.day = array("b")
        self.place = array("i")
        self.initial = array("q")

    @classmethod
    def of(cls, held: list[PassCodes]) -> _Beside:
        """The arrays of ``held``, by number: a column at a time (25,000 records, the most a
        sighting's keys reached at a million reports: 5.0 ms, against 8.3 ms appending each
        record's codes)."""
        beside = cls()
        beside.year = array("h", [c.year for c in held])
        beside.month = array("b", [c.month for c in held])
        beside.day = array("b", [c.day for c in held])
        beside.place = array("i", [c.place for c in held])
        beside.initial = array("q", [c.initials for c in held])
        return beside

    def append(self, codes: PassCodes) -> None:
        self.year.append(codes.year)
        self.month.append(codes.month)
        self.day.append(codes.day)
        self.place.append(codes.place)
        self.initial.append(codes.initials)

    def shared(self, p: Prepared, members: npt.NDArray[np.int32]) -> npt.NDArray[np.float64]:
        """The first pass's weight of what each member shares with ``p`` beside its keys."""
        import numpy as np  # only a large block needs it (`_vectorised`)

        score = np.zeros(len(members))
        dob = p.dob
        if dob is not None:
            fields = (("year", self.year, dob.year), ("month", self.month, dob.month))
            for name, values, wanted in (*fields, ("day", self.day, dob.day)):
                if wanted:
                    got = np.frombuffer(values, dtype=values.typecode)[members]
                    score += _FIRST_PASS[name] * (got == wanted)
        if p.place_ids:
            got = np.frombuffer(self.place, dtype=np.int32)[members]
            score += _FIRST_PASS["place"] * np.isin(got, list(p.place_ids))
        bits = _initial_bits(p, readings=True)
        if bits:
            got = np.frombuffer(self.initial, dtype=np.int64)[members]
            score += _FIRST_PASS["initial"] * ((got & bits) != 0)
        return score

    def shared_of(self, p: Prepared, members: list[int]) -> list[float]:
        """`shared` for members in a list: the same weights, added in the same order."""
        score = [0.0] * len(members)
        dob = p.dob
        if dob is not None:
            fields = (("year", self.year, dob.year), ("month", self.month, dob.month))
            for name, values, wanted in (*fields, ("day", self.day, dob.day)):
                if wanted:
                    weight = _FIRST_PASS[name]
                    score = [
                        s + (weight if values[n] == wanted else 0.0)
                        for s, n in zip(score, members, strict=True)
                    ]
        if p.place_ids:
            weight, places, held = _FIRST_PASS["place"], p.place_ids, self.place
            score = [
                s + (weight if held[n] in places else 0.0)
                for s, n in zip(score, members, strict=True)
            ]
        bits = _initial_bits(p, readings=True)
        if bits:
            weight, initials = _FIRST_PASS["initial"], self.initial
            score = [
                s + (weight if initials[n] & bits else 0.0)
                for s, n in zip(score, members, strict=True)
            ]
        return score


def _best(members: npt.NDArray[np.int32], score: npt.NDArray[np.float64], k: int) -> list[int]:
    """The ``k`` members of highest score; among equal scores the lowest (the first held),
    so that a query's candidates do not depend on the order numpy partitions in."""
    import numpy as np  # only a large block needs it (`_vectorised`)

    if len(members) <= k:
        return cast(list[int], members.tolist())
    kth = np.partition(score, len(score) - k)[len(score) - k]
    above = members[score > kth]
    return [*above.tolist(), *members[score == kth][: k - len(above)].tolist()]


def _best_of(members: list[int], score: list[float], k: int) -> list[int]:
    """`_best` for members in a list (ascending), member for member the same choice."""
    if len(members) <= k:
        return members
    kth = sorted(score)[len(score) - k]
    above = [n for n, s in zip(members, score, strict=True) if s > kth]
    tied = [n for n, s in zip(members, score, strict=True) if s == kth]
    return [*above, *tied[: k - len(above)]]


# From this many members on, a block is ranked over numpy arrays (numpy is imported then:
# `ridni link` on a world of a few thousand reports never pays for loading it, about 0.1 s of
# CPU); below it, in plain Python. Once numpy is loaded (a large block met already: a service
# holding many reports), from `_NUMPY_PAYS_FROM` on: measured, plain Python ranks 100 members
# in 0.045 ms and numpy in 0.050, 400 in 0.16 and 0.05 ms. The two rank alike: the same
# weights added in the same order.
_VECTORISED_FROM = 2_000
_NUMPY_PAYS_FROM = 200


def _vectorised(size: int) -> bool:
    return size >= _VECTORISED_FROM or (size >= _NUMPY_PAYS_FROM and "numpy" in sys.modules)


_K = TypeVar("_K", bound=Hashable)


def _first_pass(
    blocks: list[array[int]],
    held: int,
    shared: Callable[[npt.NDArray[np.int32]], npt.NDArray[np.float64]] | None = None,
    most: int = CANDIDATES_MOST,
) -> list[int]:
    """The members (numbers, ascending when all are kept) of ``blocks`` to compare: all of
    them, or the ``most`` best by the first pass: the keys each shares, each weighing
    log(``held`` / its block's size), and what ``shared`` adds beside them."""
    if sum(len(b) for b in blocks) <= most:
        return sorted({n for b in blocks for n in b})
    import numpy as np  # only a block beyond `CANDIDATES_MOST` needs it

    sizes = np.array([len(b) for b in blocks])
    numbers = np.concatenate([np.frombuffer(b, dtype=np.int32) for b in blocks])
    members, at = np.unique(numbers, return_inverse=True)
    if len(members) <= most:
        return cast(list[int], members.tolist())
    weights = np.repeat(np.log((held + 1) / sizes), sizes)
    score = np.bincount(at, weights=weights, minlength=len(members))
    beside = np.zeros(len(members)) if shared is None else shared(members)
    return _best(members, score + beside, most)


def first_pass(
    blocks: Iterable[Iterable[_K]],
    held: int,
    most: int = CANDIDATES_MOST,
    *,
    sighting: Person | Prepared | None = None,
    codes: Mapping[_K, PassCodes] | None = None,
) -> list[_K]:
    """The records of ``blocks`` (each the records indexed under one of a sighting's blocking
    keys, of ``held`` records in all) worth comparing: every one when they are at most
    ``most``, else the ``most`` that the `Linker`'s first pass ranks best: by the keys they
    share (a key weighs log(``held`` / its block's size)) and, given the ``sighting`` and the
    records' ``codes`` (`first_pass_codes`; a record without them shares nothing beside its
    keys), by what they share beside them, as the Linker weighs it. For an index kept
    elsewhere (a database's table of keys). Among equal ranks the record met first wins."""
    if (sighting is None) != (codes is None):
        raise ValueError("the first pass weighs the codes of reports against a sighting: both")
    numbers: dict[_K, int] = {}
    arrays = []
    for block in blocks:
        arrays.append(array("i", (numbers.setdefault(k, len(numbers)) for k in block)))
    records = list(numbers)
    shared = None
    if sighting is not None and codes is not None:
        p = sighting if isinstance(sighting, Prepared) else prepare.__wrapped__(sighting)
        known = codes

        def shared(members: npt.NDArray[np.int32]) -> npt.NDArray[np.float64]:
            beside = _Beside.of([known.get(record, _NO_CODES) for record in records])
            return beside.shared(p, members)

    return [records[n] for n in _first_pass(arrays, held, shared, most=most)]


# The field verdicts a Linker keeps at most (``verdicts_held``), about 250 bytes each
# (measured: 116,498 verdicts, 29.5 MiB with the rest of a run): some 20 MiB. They are counted
# every `_PAIRS_COUNTED` pairs compared (each adds at most a few: a few tens of thousands more
# may be held between two counts), and let go all at once when there are more. A service's
# sightings come one by one and seldom meet one name's verdicts again (bench.speed: the same
# CPU a query with four times as many); a file of sightings does (`link_files`, which
# orders them by name), and keeps `LINK_VERDICTS_HELD` (some 50 MiB).
VERDICTS_HELD = 75_000
LINK_VERDICTS_HELD = 200_000
_PAIRS_COUNTED = 50_000


class Linker:
    """An in-memory index of reports; ``candidates`` scores only what the blocking keys reach,
    at most `CANDIDATES_MOST` reports a sighting (the best of a first pass when they reach
    more). A sighting none of whose candidates scores ``widen_below`` or more also meets the
    best of the fallback tier (`_wide_keys`: birth year and sex), up to the same number; with
    ``widen_below=None`` none does (the tier about doubles the pairs compared on dev_hard).

    Term frequencies are computed from the reports held unless ``frequencies`` is given. The
    field verdicts of the sightings compared are kept for the next (one name meets the same
    reports), up to about ``verdicts_held`` of them (`VERDICTS_HELD`).
    """

    def __init__(
        self,
        *,
        frequencies: Mapping[str, float] | None = None,
        widen_below: float | None = DEFAULT_THRESHOLD,
        verdicts_held: int = VERDICTS_HELD,
    ) -> None:
        self._people: dict[Hashable, Prepared] = {}
        # Reports by number (the order they were added): blocks hold numbers, and the first
        # pass reads what it weighs of each from arrays by number.
        self._keys_at: list[Hashable] = []
        self._held_at: list[Prepared] = []
        self._index: dict[str, array[int]] = {}
        self._wide: dict[str, array[int]] = {}
        self._beside = _Beside()
        self._widen_below = widen_below
        self._verdicts_held = verdicts_held
        self._fixed_freqs = frequencies
        self._counts: Counter[str] = Counter()
        self._shares = _Shares(self._counts, self.__len__)
        # The field verdicts of the sightings compared since the last report was added (which
        # changes the frequencies the names were weighed with).
        self._verdicts: Verdicts = {}
        self._pairs_held = 0  # the pairs compared since the verdicts were last counted
        # Each report's other reports of its child (`same_child`), and the namesakes' terms
        # they hold (made again when a report is added).
        self._same_child: dict[Hashable, frozenset[Hashable]] = {}
        self._same_child_terms: dict[Hashable, Counter[str]] | None = None

    def __len__(self) -> int:
        return len(self._people)

    def add(self, key: Hashable, person: Person) -> None:
        if key in self._people:
            raise ValueError(f"duplicate key {key!r}")
        p = prepare(person)
        n = len(self._keys_at)
        self._people[key] = p
        self._keys_at.append(key)
        self._held_at.append(p)
        self._forget_verdicts()
        for index, keys in (
            (self._index, _keys(p, indexed=True)),
            (self._wide, _wide_keys(p, indexed=True)),
        ):
            for k in keys:
                block = index.get(k)
                if block is None:
                    index[k] = array("i", (n,))
                else:
                    block.append(n)
        self._beside.append(_codes(p))
        for gid in p.given_groups:
            self._counts["given:" + gid] += 1
        for ck in p.family_clerk:
            self._counts["family:" + ck] += 1
        for k in name_terms(p):
            self._counts[k] += 1
        self._same_child_terms = None

    def same_child(self, relation: Mapping[Any, Collection[Any]]) -> None:
        """Tell which held reports are of one child (each report's other reports of its
        child, two relatives' reports joined as one case): they are not each other's
        namesakes. Replaces what was told before; keys not held are ignored."""
        self._same_child = {k: frozenset(v) for k, v in relation.items() if v}
        self._same_child_terms = None
        self._forget_verdicts()

    def _mates_terms(self) -> dict[Hashable, Counter[str]] | None:
        """By report, how many of its child's other held reports hold each namesakes' term."""
        if not self._same_child:
            return None
        if self._same_child_terms is None:
            held = self._people
            self._same_child_terms = {
                k: same_child_terms(held[m] for m in mates if m in held and m != k)
                for k, mates in self._same_child.items()
                if k in held
            }
        return self._same_child_terms

    def _forget_verdicts(self) -> None:
        self._verdicts.clear()
        self._pairs_held = 0

    @property
    def prepared(self) -> Mapping[Hashable, Prepared]:
        """The held reports' prepared forms, by key."""
        return self._people

    @property
    def frequencies(self) -> Mapping[str, float]:
        if self._fixed_freqs is not None:
            return self._fixed_freqs
        return self._shares

    def _narrow(self, p: Prepared) -> list[int]:
        """The reports the keys reach, by number: all of them, or the `CANDIDATES_MOST` best
        by the first pass (`_first_pass`, with what `_Beside.shared` adds). The blocks in the
        order of their keys: each member's weights are added in the same order in every run
        (a set's order follows the process's string hashing), as the service adds them."""
        blocks = [b for k in sorted(_keys(p)) if (b := self._index.get(k)) is not None]
        beside = self._beside
        return _first_pass(blocks, len(self._keys_at), lambda members: beside.shared(p, members))

    def _wider(self, p: Prepared, room: int, reached: list[int]) -> list[int]:
        """Up to ``room`` reports of the fallback tier not in ``reached``, best first pass."""
        blocks = [b for k in _wide_keys(p) if (b := self._wide.get(k)) is not None]
        if not blocks or room <= 0:
            return []
        if not _vectorised(sum(len(b) for b in blocks)):
            known = set(reached)
            members = sorted({n for b in blocks for n in b if n not in known})
            return _best_of(members, self._beside.shared_of(p, members), room)
        import numpy as np  # only a large block needs it (`_vectorised`)

        every = np.unique(np.concatenate([np.frombuffer(b, dtype=np.int32) for b in blocks]))
        every = every[np.isin(every, reached, invert=True)]
        return _best(every, self._beside.shared(p, every), room)

    def _compared(
        self, p: Prepared, limit: int, *, widen: bool = True
    ) -> tuple[list[int], dict[Hashable, Comparison]]:
        """The reports reached (by number) and the comparisons among them that hold their
        ``limit`` best."""
        if self._pairs_held > _PAIRS_COUNTED:
            self._pairs_held = 0
            kept = sum(len(v) for by_part in self._verdicts.values() for v in by_part.values())
            if kept > self._verdicts_held:
                self._forget_verdicts()
        keys, held = self._keys_at, self._held_at
        reached = self._narrow(p)
        compared = self._compare(p, {keys[n]: held[n] for n in reached}, limit)
        below = self._widen_below
        if widen and below is not None and not any(c.score >= below for c in compared.values()):
            wider = self._wider(p, CANDIDATES_MOST - len(reached), reached)
            if wider:
                # Those that cannot enter the ``limit`` best found already are not completed.
                scores = sorted((c.score for c in compared.values()), reverse=True)
                floor = scores[limit - 1] if len(scores) >= limit else None
                more = {keys[n]: held[n] for n in wider}
                compared.update(self._compare(p, more, limit, at_least=floor))
                reached = reached + wider
        return reached, compared

    def _compare(
        self,
        p: Prepared,
        reports: dict[Hashable, Prepared],
        limit: int,
        at_least: float | None = None,
    ) -> dict[Hashable, Comparison]:
        self._pairs_held += len(reports)
        # Reports reached share their names: compare_prepared_each compares each once.
        return compare_prepared_each(
            p,
            reports,
            frequencies=self.frequencies,
            at_least=at_least,
            best=limit,
            verdicts=self._verdicts,
            same_child=self._mates_terms(),
        )

    def reachable(self, person: Person, *, widen: bool = True) -> set[Hashable]:
        """Keys of the held records ``candidates`` compares with ``person``: those that share
        a blocking key with it (the first pass's best, when they are many), and, unless
        ``widen`` is false, the fallback tier's best when none of them is a likely match."""
        p = prepare(person)
        if not widen:
            return {self._keys_at[n] for n in self._narrow(p)}
        reached, _ = self._compared(p, 1)
        return {self._keys_at[n] for n in reached}

    def compared(
        self, sighting: Prepared, keys: Iterable[Hashable] | None = None
    ) -> dict[Hashable, Comparison]:
        """A prepared sighting compared with each held report of ``keys`` (by default those
        `reachable` gives), every comparison complete. The field verdicts are shared with the
        other comparisons of this Linker: a sighting's names met in `reachable` are not
        compared again."""
        if keys is None:
            reached, _ = self._compared(sighting, 1)
            reports = {self._keys_at[n]: self._held_at[n] for n in reached}
        else:
            held = self._people
            reports = {k: held[k] for k in keys if k in held}
        self._pairs_held += len(reports)
        return compare_prepared_each(
            sighting,
            reports,
            frequencies=self.frequencies,
            verdicts=self._verdicts,
            same_child=self._mates_terms(),
        )

    def candidates(self, person: Person, limit: int = 10) -> list[Candidate]:
        _, compared = self._compared(prepare(person), limit)
        ranked = sorted(compared.items(), key=lambda kv: (-kv[1].total, str(kv[0])))
        return [Candidate(key, c.score, c.explanation) for key, c in ranked[:limit]]


# --- offline linking --------------------------------------------------------------------------
# json.dumps(value, ensure_ascii=False), without making an encoder for every call (a float is
# written as its repr, as json writes it).
_dumps = json.JSONEncoder(ensure_ascii=False).encode
# What json.dumps writes for a string (ensure_ascii=False): the encoder's own function for it.
_quoted = encode_basestring


def _verdict_json(fc: FieldComparison) -> str:
    """``_dumps(fc.as_dict(digits=2))``, byte for byte, without building the dict and walking
    it through the encoder (which cost more than all the rest of the writing): the keys in
    ``as_dict``'s order, json's separators, a finite float as its repr."""
    weight = round(fc.weight, 2)
    number = repr(weight) if type(weight) is float and math.isfinite(weight) else _dumps(weight)
    return (
        f'{{"field": {_quoted(fc.field)}, "verdict": {_quoted(fc.verdict)}, '
        f'"detail": {_quoted(fc.detail)}, "weight": {number}}}'
    )


class LinkInputError(ValueError):
    """A malformed input line: ``line_number`` (1-based) and a plain ``reason``."""

    def __init__(self, line_number: int, reason: str, path: str | None = None) -> None:
        self.line_number = line_number
        self.reason = reason
        self.path = path
        where = f"{path}, line {line_number}" if path else f"line {line_number}"
        super().__init__(f"{where}: {reason}")


@dataclass(frozen=True, slots=True)
class LinkSummary:
    reports: int
    sightings: int
    proposed: int
    seconds: float


_STR_FIELDS = (
    "given_name",
    "family_name",
    "patronymic",
    "full_name",
    "sex",
    "date_of_birth",
    "home_settlement",
    "origin_settlement",
    "observed_on",
    "distinguishing_marks",
    "source_type",
    "location",
)


def _check_person(data: Any, where: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ValueError(f"'{where}' must be an object")
    for f in _STR_FIELDS:
        if f in data and data[f] is not None and not isinstance(data[f], str):
            raise ValueError(f"'{where}.{f}' must be a string")
    other = data.get("other_names")
    if other is not None and (
        not isinstance(other, list) or not all(isinstance(x, str) for x in other)
    ):
        raise ValueError(f"'{where}.other_names' must be a list of strings")
    age = data.get("age_estimate")
    if age is not None:
        if not isinstance(age, dict):
            raise ValueError(f"'{where}.age_estimate' must be an object")
        for k in ("min", "max"):
            v = age.get(k)
            if v is not None and (not isinstance(v, int) or isinstance(v, bool)):
                raise ValueError(f"'{where}.age_estimate.{k}' must be an integer")
    if not any(isinstance(data.get(k), str) for k in ("given_name", "family_name", "full_name")):
        raise ValueError(f"'{where}' needs given_name, family_name or full_name")
    return data


_Line = tuple[int, str, Person, dict[str, list[str]]]


def _read(path: Path, field: str, *relations: str) -> Iterator[_Line]:
    """Each line's number, key, person and the keys it lists under each of ``relations`` (a
    report's ``siblings`` and ``same_child``, a sighting's ``seen_with``)."""
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                raise LinkInputError(n, f"not valid JSON ({e.msg})", str(path)) from None
            try:
                if not isinstance(obj, dict):
                    raise ValueError("a line must be a JSON object")
                key = obj.get("key")
                if not isinstance(key, str) or not key:
                    raise ValueError("missing or non-string 'key'")
                if field not in obj:
                    raise ValueError(f"missing '{field}'")
                data = _check_person(obj[field], field)
                lists = {}
                for relation in relations:
                    related = obj.get(relation) or []
                    if not isinstance(related, list) or not all(
                        isinstance(k, str) and k for k in related
                    ):
                        raise ValueError(f"'{relation}' must be a list of keys")
                    if key in related:
                        raise ValueError(f"'{relation}' lists the line's own key")
                    lists[relation] = related
                yield n, key, Person.from_api(data), lists
            except ValueError as e:
                raise LinkInputError(n, str(e), str(path)) from None


def _relation(lines: list[_Line], relation: str, path: Path) -> dict[str, set[str]]:
    """A file's relation made symmetric; a key no line of the file holds is an input error."""
    keys = {key for _, key, _, _ in lines}
    related: dict[str, set[str]] = {}
    for n, key, _, lists in lines:
        for other in lists[relation]:
            if other not in keys:
                raise LinkInputError(
                    n, f"'{relation}' names {other!r}, not a key of the file", str(path)
                )
            related.setdefault(key, set()).add(other)
            related.setdefault(other, set()).add(key)
    return related


def _closed(relation: dict[str, set[str]]) -> dict[str, set[str]]:
    """Each key with every other key it is joined to, directly or through others (the
    reports of one child: a third relative's report joined to either of two is all three's)."""
    closed: dict[str, set[str]] = {}
    for start in relation:
        if start in closed:
            continue
        group, frontier = {start}, [start]
        while frontier:
            for other in relation.get(frontier.pop(), ()):
                if other not in group:
                    group.add(other)
                    frontier.append(other)
        for key in group:
            closed[key] = group - {key}
    return closed


def _written_name(line: tuple[str, Person]) -> tuple[str, str, str, str]:
    """A sighting's names as written, the family name first (its verdicts cost the most)."""
    person = line[1]
    return (
        person.family_name or "",
        person.full_name or "",
        person.given_name or "",
        person.patronymic or "",
    )


def link_files(
    reports_path: str | Path,
    sightings_path: str | Path,
    out_path: str | Path,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    progress: bool = True,
    limit: int = 10,
) -> LinkSummary:
    """Link a file of reports against a file of sightings (bench/API JSON lines).

    Writes one line per sighting: ``{"key", "candidates": [{"key", "score", "proposed",
    "explanation"}]}`` with its ``limit`` best reports, best first. A report line may list
    ``siblings`` and a sighting line ``seen_with``, the keys of other lines of its file (the
    relation is symmetric): their group's evidence is weighed (``_groups.py``); a report line's
    ``same_child`` lists the other reports of its child (two relatives' reports of one child:
    one child to the group's evidence, and not each other's namesakes). Raises
    :class:`LinkInputError` on a malformed line or a key no line holds.
    """
    from ._groups import link_groups  # builds on Linker, defined here

    t0 = time.perf_counter()
    linker = Linker(verdicts_held=LINK_VERDICTS_HELD)
    report_lines = list(_read(Path(reports_path), "child", "siblings", "same_child"))
    for n, key, person, _ in report_lines:
        try:
            linker.add(key, person)
        except ValueError as e:
            raise LinkInputError(n, str(e), str(reports_path)) from None
    sighting_lines = list(_read(Path(sightings_path), "subject", "seen_with"))
    sightings = [(key, person) for _, key, person, _ in sighting_lines]
    # Sightings that write one name reach the same reports: compared one after another, they
    # find that name's field verdicts still held (the Linker lets them go when it holds
    # `LINK_VERDICTS_HELD`). Each sighting's candidates are its own, whatever the order; the
    # file's order is the one written.
    ranked = link_groups(
        linker,
        dict(sorted(sightings, key=_written_name)),
        seen_with=_relation(sighting_lines, "seen_with", Path(sightings_path)),
        siblings=_relation(report_lines, "siblings", Path(reports_path)),
        same_child=_closed(_relation(report_lines, "same_child", Path(reports_path))),
        limit=limit,
    )
    proposed = 0
    total = len(sightings)
    # Pairs share their field verdicts (one object for every pair of those two names): each
    # is written as JSON once. By id, since every verdict held in `ranked` lives to the end.
    # A line is put together from those pieces, as json.dumps would write it, byte for byte
    # (its separators, ensure_ascii=False): encoding every verdict again on every line cost
    # more than the rest of the writing.
    explained: dict[int, str] = {}
    with Path(out_path).open("w", encoding="utf-8") as out:
        for i, (key, _) in enumerate(sightings, 1):
            cands = []
            for c in ranked[key]:
                is_proposed = c.score >= threshold
                proposed += is_proposed
                explanation = ", ".join(
                    explained.get(id(fc)) or explained.setdefault(id(fc), _verdict_json(fc))
                    for fc in c.explanation
                )
                cands.append(
                    f'{{"key": {_dumps(c.key)}, "score": {round(c.score, 4)!r}, '
                    f'"proposed": {"true" if is_proposed else "false"}, '
                    f'"explanation": [{explanation}]}}'
                )
            out.write(f'{{"key": {_dumps(key)}, "candidates": [{", ".join(cands)}]}}\n')
            if progress and (i % 500 == 0 or i == total):
                print(f"\rlinked {i}/{total} sightings", end="", file=sys.stderr, flush=True)
    if progress and total:
        print(file=sys.stderr)
    return LinkSummary(len(linker), total, proposed, time.perf_counter() - t0)
