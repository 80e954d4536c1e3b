"""Field comparisons in the Fellegi-Sunter manner and the calibrated score.

Each field yields a level and a weight: the log2 likelihood ratio m/u of seeing that level in a
true pair (m) against a random pair (u). The m values are set from what is known about the
sources (see the docstrings of each level) and the u values come from the share of a value among
reports (term frequency), so a common name (Олександр, Шевченко) counts less than a rare one.
The total weight maps to a probability through a logistic curve with two parameters (see
``_calibrate``).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from rapidfuzz.distance import JaroWinkler

from ._names import KIND_LABEL, best_jw, given_index
from ._person import DateParts, Part, Person, Prepared, prepare

__all__ = [
    "Comparison",
    "FieldComparison",
    "compare",
    "compare_each",
    "compare_prepared",
    "to_probability",
]

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True, slots=True)
class FieldComparison:
    """One field's verdict: e.g. ("given_name", "equivalent", "Микола (uk) = Николай (ru)", 3.1)."""

    field: str
    verdict: str
    detail: str
    weight: float

    def as_dict(self) -> dict[str, str | float]:
        return {
            "field": self.field,
            "verdict": self.verdict,
            "detail": self.detail,
            "weight": round(self.weight, 2),
        }


@dataclass(frozen=True, slots=True)
class Comparison:
    """A calibrated probability in [0, 1] and the field verdicts behind it, largest first."""

    score: float
    explanation: tuple[FieldComparison, ...]
    total: float = 0.0


# Frequencies default to the shares one sees among Ukrainian children's names when nothing is
# known: the most common given names reach ~3% per sex, the most common surnames ~0.5%.
DEFAULT_GIVEN_FREQ = 1 / 120
DEFAULT_FAMILY_FREQ = 1 / 1500
_MIN_FREQ = 1 / 5000


def _tf_weight(m: float, freq: float, lo: float, hi: float) -> float:
    return max(lo, min(hi, math.log2(m / max(freq, _MIN_FREQ))))


# --- given name -------------------------------------------------------------------------------
def _given(a: Prepared, b: Prepared, freqs: Mapping[str, float] | None) -> FieldComparison | None:
    if not a.given or not b.given:
        return None
    shared = sorted(a.given_groups.keys() & b.given_groups.keys())
    if shared:
        idx = given_index()
        # When a form belongs to several groups (a diminutive such as Ліза), the agreement is
        # no rarer than the commonest shared group: that share sets the term frequency.
        shares = freqs or {}
        f = max(shares.get("given:" + g, DEFAULT_GIVEN_FREQ) for g in shared)

        def group_weight(g: str) -> float:
            ka, kb = a.given_groups[g], b.given_groups[g]
            m = 0.1 if "typo" in (ka, kb) else 0.8 if "dim" in (ka, kb) else 0.9
            # An ambiguous form (Саша: Олександр or Олександра, sex unknown) says less.
            ambiguity = max(
                len(a.given_groups) if ka == "dim" else 1,
                len(b.given_groups) if kb == "dim" else 1,
            )
            return max(1.5, _tf_weight(m, f, 2.5, 9.0) - math.log2(ambiguity))

        # Most pairs share one group: weigh it once (this is the engine's hottest path).
        if len(shared) == 1:
            gid, w = shared[0], group_weight(shared[0])
        else:
            weights = {g: group_weight(g) for g in shared}
            gid = min(shared, key=lambda g: (-weights[g], g))
            w = weights[gid]
        ka, kb = a.given_groups[gid], b.given_groups[gid]
        fa, fb = a.given_group_form[gid], b.given_group_form[gid]
        same = [(t, s) for t in a.given for s in b.given if t.norm == s.norm]
        if same:  # the very same word: never less than an exact match of an unknown name
            w = max(w, _tf_weight(0.9, f, 2.5, 9.0))
            t, s_ = same[0]
            return FieldComparison("given_name", "exact", f"{t.text} = {s_.text}", w + 0.3)
        if any(t.skels & s.skels for t in a.given for s in b.given):
            w = max(w, _tf_weight(0.85, f, 2.5, 9.0))
            return FieldComparison(
                "given_name", "same under transliteration", f"{fa} = {fb}", w + 0.2
            )
        canon = idx.groups[gid].canonical
        return FieldComparison(
            "given_name",
            "equivalent",
            f"{fa} ({KIND_LABEL[ka]}) = {fb} ({KIND_LABEL[kb]}), both {canon}",
            w,
        )
    pairs = [(t, s) for t in a.given for s in b.given]
    for t, s in pairs:
        if t.norm == s.norm:
            w = _tf_weight(0.9, DEFAULT_GIVEN_FREQ, 2.5, 9.0)
            return FieldComparison("given_name", "exact", f"{t.text} = {s.text}", w)
    for t, s in pairs:
        if t.skels & s.skels:
            w = _tf_weight(0.85, DEFAULT_GIVEN_FREQ, 2.5, 9.0)
            return FieldComparison(
                "given_name", "same under transliteration", f"{t.text} = {s.text}", w
            )
    best, bt, bs = 0.0, a.given[0], b.given[0]
    for t, s in pairs:
        jw = best_jw(t.skels, s.skels)
        if jw > best:
            best, bt, bs = jw, t, s
    if best >= 0.93:
        return FieldComparison("given_name", "close", f"{bt.text} ≈ {bs.text} (spelling)", 3.0)
    # An unknown diminutive is usually the name's start with a suffix (Сергійко, Назарчик).
    for t, s in pairs:
        for x in t.skels:
            for y in s.skels:
                short, long_ = (x, y) if len(x) <= len(y) else (y, x)
                if len(short) >= 3 and long_.startswith(short[: max(3, len(short) - 1)]):
                    return FieldComparison(
                        "given_name",
                        "possible diminutive",
                        f"{t.text} ~ {s.text}",
                        1.5,
                    )
    if best >= 0.87:
        return FieldComparison("given_name", "similar", f"{bt.text} ~ {bs.text}", 0.5)
    known = bool(a.given_groups) and bool(b.given_groups)
    return FieldComparison(
        "given_name",
        "different",
        f"{bt.text} ≠ {bs.text}" + (" (different names)" if known else ""),
        -7.0 if known else -3.5,
    )


# --- family name ------------------------------------------------------------------------------
def _family(a: Prepared, b: Prepared, freqs: Mapping[str, float] | None) -> FieldComparison | None:
    if not a.family or not b.family:
        return None
    shared = a.family_clerk & b.family_clerk
    f = DEFAULT_FAMILY_FREQ
    if shared and freqs:
        f = min(freqs.get("family:" + k, DEFAULT_FAMILY_FREQ) for k in shared)
    top = _tf_weight(0.9, f, 3.0, 10.0)
    pairs = [(t, s) for t in a.family for s in b.family]
    for t, s in pairs:
        if t.norm == s.norm:
            return FieldComparison("family_name", "exact", f"{t.text} = {s.text}", top)
    for t, s in pairs:
        if t.skels & s.skels:
            return FieldComparison(
                "family_name", "same under transliteration", f"{t.text} = {s.text}", top - 0.2
            )
    if shared:
        ta, tb = a.family[0].text, b.family[0].text
        return FieldComparison(
            "family_name", "respelled", f"{ta} = {tb} (Russian spelling or gender form)", top - 0.6
        )
    best, bt, bs = 0.0, a.family[0], b.family[0]
    for t, s in pairs:
        jw = best_jw(t.skels, s.skels)
        if jw > best:
            best, bt, bs = jw, t, s
    jwc = max(
        (JaroWinkler.similarity(x, y) for x in a.family_clerk for y in b.family_clerk),
        default=0.0,
    )
    best = max(best, jwc)
    if best >= 0.93:
        return FieldComparison("family_name", "close", f"{bt.text} ≈ {bs.text} (typo)", 4.0)
    if a.family_codes & b.family_codes:
        return FieldComparison("family_name", "phonetic", f"{bt.text} ~ {bs.text}", 2.0)
    if best >= 0.88:
        return FieldComparison("family_name", "similar", f"{bt.text} ~ {bs.text}", 1.0)
    # Children are given new family names: a disagreement is weak evidence against.
    return FieldComparison(
        "family_name", "different", f"{bt.text} ≠ {bs.text} (name may have been changed)", -2.5
    )


# The largest weight of each of these fields, which bounds what they can add to a comparison.
_SAME_FATHER = 4.0
_SAME_SEX = 0.3
_SAME_PLACE = 2.5


# --- patronymic -------------------------------------------------------------------------------
def _patronymic(a: Prepared, b: Prepared) -> FieldComparison | None:
    if not a.father_stems or not b.father_stems:
        return None
    pa, pb = a.patronymic_text or "", b.patronymic_text or ""
    shared = sorted(a.father_groups & b.father_groups)
    if shared:
        canon = given_index().groups[shared[0]].canonical
        return FieldComparison(
            "patronymic", "equivalent", f"{pa} = {pb}: father {canon}", _SAME_FATHER
        )
    if a.father_stems & b.father_stems:
        return FieldComparison(
            "patronymic", "same under transliteration", f"{pa} = {pb}", _SAME_FATHER
        )
    jw = best_jw(a.father_stems, b.father_stems)
    if jw >= 0.9:
        return FieldComparison("patronymic", "close", f"{pa} ≈ {pb}", 2.0)
    return FieldComparison("patronymic", "different", f"{pa} ≠ {pb} (father's name)", -3.0)


# --- date of birth and age --------------------------------------------------------------------
def _one_digit(a: DateParts, b: DateParts) -> bool:
    # One wrong digit lies in the year, the month or the day: most pairs differ in more.
    if (a.year != b.year) + (a.month != b.month) + (a.day != b.day) != 1:
        return False
    sa = f"{a.year:04d}{a.month:02d}{a.day:02d}"
    sb = f"{b.year:04d}{b.month:02d}{b.day:02d}"
    return sum(x != y for x, y in zip(sa, sb, strict=True)) == 1


def _age_at(dob: DateParts, obs: Prepared) -> tuple[int, int] | None:
    """Possible ages (min, max) at the observation date of ``obs``."""
    seen = obs.observed
    if seen is None:
        return None
    if dob.month is None:
        return seen.year - dob.year - 1, seen.year - dob.year
    before = (seen.month or 1, seen.day or 1) < (dob.month, dob.day or 1)
    age = seen.year - dob.year - (1 if before else 0)
    return age, age


def _dob(a: Prepared, b: Prepared) -> FieldComparison | None:
    da, db = a.dob, b.dob
    if da and db:
        sa, sb = da.text, db.text
        if da.year and db.year and da.month and db.month and da.day and db.day:
            if (da.year, da.month, da.day) == (db.year, db.month, db.day):
                return FieldComparison("date_of_birth", "exact", f"born {sa}", 9.0)
            if da.year == db.year and (da.month, da.day) == (db.day, db.month):
                return FieldComparison(
                    "date_of_birth", "day and month swapped", f"born {sa} vs {sb}", 6.5
                )
            if (da.month, da.day) == (db.month, db.day) and abs(da.year - db.year) == 1:
                return FieldComparison(
                    "date_of_birth", "year off by one", f"born {sa} vs {sb}", 6.0
                )
            if _one_digit(da, db):
                return FieldComparison(
                    "date_of_birth", "one digit wrong", f"born {sa} vs {sb}", 5.5
                )
            if (da.year, da.month) == (db.year, db.month):
                return FieldComparison("date_of_birth", "same month", f"born {sa} vs {sb}", 2.5)
            if da.year == db.year:
                return FieldComparison("date_of_birth", "same year", f"born {sa} vs {sb}", 0.5)
            if abs(da.year - db.year) == 1:
                return FieldComparison(
                    "date_of_birth", "year off by one, day differs", f"born {sa} vs {sb}", -2.5
                )
            return FieldComparison("date_of_birth", "different", f"born {sa} vs {sb}", -6.0)
        # Partial dates: agree as far as both go.
        if da.year == db.year:
            if da.month and db.month:
                if da.month == db.month:
                    return FieldComparison(
                        "date_of_birth", "agrees as far as given", f"born {sa} vs {sb}", 5.0
                    )
                return FieldComparison("date_of_birth", "same year", f"born {sa} vs {sb}", 0.5)
            return FieldComparison(
                "date_of_birth", "agrees as far as given", f"born {sa} vs {sb}", 3.0
            )
        if da.year and db.year and abs(da.year - db.year) == 1:
            return FieldComparison("date_of_birth", "year off by one", f"born {sa} vs {sb}", -1.0)
        return FieldComparison("date_of_birth", "different", f"born {sa} vs {sb}", -5.0)
    if da or db:
        dated, ranged = (a, b) if da else (b, a)
        p = ranged.person
        if p.age_min is None and p.age_max is None:
            return None
        assert dated.dob is not None  # noqa: S101 - da or db
        ages = _age_at(dated.dob, ranged)
        if ages is None:
            return None
        lo = p.age_min if p.age_min is not None else p.age_max
        hi = p.age_max if p.age_max is not None else p.age_min
        if lo is None or hi is None:
            return None
        lo, hi = min(lo, hi), max(lo, hi)
        amin, amax = ages
        detail = (
            f"born {dated.dob.text}: aged {amin}"
            + (f"-{amax}" if amax != amin else "")
            + f", seen as {lo}-{hi}"
        )
        if amax >= lo and amin <= hi:
            w = 3.0 if hi - lo <= 2 else 2.0 if hi - lo <= 4 else 1.0
            # Estimates centre on the age the child looks: an age at the edge of a wide range
            # is a little less likely than one near its middle.
            centre = (lo + hi) / 2
            off = min(abs(a - centre) for a in (amin, amax))
            if hi - lo >= 2 and off >= (hi - lo) / 2:
                w -= 0.5
            return FieldComparison("age", "within the estimate", detail, w)
        gap = lo - amax if amax < lo else amin - hi
        if gap == 1:
            return FieldComparison("age", "one year outside the estimate", detail, -0.7)
        if gap == 2:
            return FieldComparison("age", "two years outside the estimate", detail, -2.5)
        return FieldComparison("age", "outside the estimate", detail, -5.0)
    ya, yb = a.birth_years, b.birth_years
    if ya and yb:
        detail = f"born {ya[0]}-{ya[1]} vs {yb[0]}-{yb[1]} (age estimates)"
        if ya == yb:  # the same estimate: as telling as a date inside it
            width = ya[1] - ya[0] - 1
            w = 3.0 if width <= 2 else 2.0 if width <= 4 else 1.0
            return FieldComparison("age", "same estimate", detail, w)
        if ya[0] <= yb[1] and yb[0] <= ya[1]:
            return FieldComparison("age", "estimates overlap", detail, 0.5)
        return FieldComparison("age", "estimates disagree", detail, -2.0)
    return None


# --- sex and place ----------------------------------------------------------------------------
def _sex(a: Prepared, b: Prepared) -> FieldComparison | None:
    if not a.sex or not b.sex:
        return None
    if a.sex == b.sex:
        return FieldComparison("sex", "same", a.sex, _SAME_SEX)
    inferred = a.sex_inferred or b.sex_inferred
    return FieldComparison(
        "sex",
        "different",
        f"{a.sex} vs {b.sex}" + (" (inferred from the names)" if inferred else ""),
        -2.0 if inferred else -4.0,
    )


def _place(a: Prepared, b: Prepared) -> FieldComparison | None:
    if not a.place_text or not b.place_text:
        return None
    pa, pb = a.place_text, b.place_text
    if a.place_ids & b.place_ids or a.place_skels & b.place_skels:
        return FieldComparison("settlement", "same place", f"{pa} = {pb}", _SAME_PLACE)
    if best_jw(a.place_skels, b.place_skels) >= 0.92:
        return FieldComparison("settlement", "close", f"{pa} ≈ {pb}", 1.5)
    return FieldComparison("settlement", "different", f"{pa} ≠ {pb}", -0.7)


# --- total and calibration --------------------------------------------------------------------
# Logistic map of the weight total to a probability: p = 1 / (1 + exp(-(A * total + B))).
# Two parameters, fitted by maximum likelihood (``python -m bench.quality --fit``) on the
# 30,909 pairs the blocking keys reach in the dev world (A = 0.798, B = -8.94), rounded. Only
# the scale and offset are fitted: the field weights themselves are set by reasoning, not fitted
# to dev. Measured after the fit: pairs scored 0.6-0.7 were 72% true, 0.7-0.8 73%, 0.8-0.9 90%,
# 0.9-1.0 99%, below 0.1 0.4% (small bins in 0.2-0.6 are noisy: 31-53 pairs each).
_CAL_A = 0.80
_CAL_B = -9.0


def to_probability(total: float) -> float:
    z = _CAL_A * total + _CAL_B
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def compare_prepared(
    a: Prepared, b: Prepared, *, frequencies: Mapping[str, float] | None = None
) -> Comparison:
    return _combine(
        _given(a, b, frequencies),
        _family(a, b, frequencies),
        _patronymic(a, b),
        _dob(a, b),
        _sex(a, b),
        _place(a, b),
    )


def _combine(*fields: FieldComparison | None) -> Comparison:
    items = [x for x in fields if x is not None]
    items.sort(key=lambda fc: (-abs(fc.weight), fc.field))
    total = sum(fc.weight for fc in items)
    return Comparison(to_probability(total), tuple(items), total)


def compare(
    report: Person, sighting: Person, *, frequencies: Mapping[str, float] | None = None
) -> Comparison:
    """Compare two people; ``frequencies`` maps "given:<group>" / "family:<key>" to shares."""
    return compare_prepared(prepare(report), prepare(sighting), frequencies=frequencies)


def compare_each(
    sighting: Person,
    reports: Mapping[K, Person | Prepared],
    *,
    frequencies: Mapping[str, float] | None = None,
    at_least: float | None = None,
) -> dict[K, Comparison]:
    """Compare one sighting with many reports (``compare(report, sighting)`` for each); with
    ``at_least``, only the reports whose score reaches it.

    Reports are prepared through the shared cache, since every new sighting meets them again
    (a caller that holds many may hand them over prepared); the sighting is prepared once and
    not cached, since it is scored once. That keeps memory to the reports when a service or a
    rematch scores many sightings.

    The reports a sighting's keys reach share their names (hundreds of Олександр, Сашко):
    each distinct given-name and family-name part is compared with the sighting once. With
    ``at_least``, a report whose names and date of birth leave it short of the score even if
    every other field agreed is not compared further (most of what the keys reach).
    """
    b = prepare.__wrapped__(sighting)
    needed = -math.inf if at_least is None else _total_for(at_least)
    given_by_part: dict[Part, FieldComparison | None] = {}
    family_by_part: dict[Part, FieldComparison | None] = {}
    compared = {}
    for key, report in reports.items():
        a = report if isinstance(report, Prepared) else prepare(report)
        if a.given_part in given_by_part:
            given = given_by_part[a.given_part]
        else:
            given = given_by_part[a.given_part] = _given(a, b, frequencies)
        if a.family_part in family_by_part:
            family = family_by_part[a.family_part]
        else:
            family = family_by_part[a.family_part] = _family(a, b, frequencies)
        dob = _dob(a, b)
        known = (
            (given.weight if given else 0.0)
            + (family.weight if family else 0.0)
            + (dob.weight if dob else 0.0)
        )
        if known + _most_from_the_rest(a, b) < needed:
            continue
        comparison = _combine(given, family, dob, _patronymic(a, b), _sex(a, b), _place(a, b))
        if at_least is None or comparison.score >= at_least:
            compared[key] = comparison
    return compared


def _total_for(score: float) -> float:
    """The weight total below which a comparison scores under ``score`` (a little less, so
    that rounding never drops a pair that reaches it)."""
    if score <= 0.0:
        return -math.inf
    if score >= 1.0:
        return math.inf
    return (math.log(score / (1.0 - score)) - _CAL_B) / _CAL_A - 1e-6


def _most_from_the_rest(a: Prepared, b: Prepared) -> float:
    """The largest weight the patronymic, sex and settlement can add (see their functions)."""
    most = 0.0
    if a.father_stems and b.father_stems:
        most += _SAME_FATHER
    if a.sex and b.sex:
        most += _SAME_SEX
    if a.place_text and b.place_text:
        most += _SAME_PLACE
    return most
