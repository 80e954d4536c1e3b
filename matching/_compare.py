"""The calibrated score: each field's verdict from its ladder (``_fields.py``), summed.

Each field yields a level and a weight, the log2 likelihood ratio of that level in a true pair
against a random pair (Fellegi and Sunter). The total weight maps to a probability through a
logistic curve with two parameters (see ``_CAL_A``).
"""

from __future__ import annotations

import bisect
import dataclasses
import math
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from ._fields import (
    AGE_AT_SIGHTING,
    AGE_ESTIMATES,
    DATE_OF_BIRTH,
    DEFAULT_FAMILY_FREQ,
    DEFAULT_GIVEN_FREQ,
    FAMILY_NAME,
    GIVEN_NAME,
    INSTITUTION,
    MONTH_AND_YEAR_AGREE,
    PARTIAL_DATE_OF_BIRTH,
    PATRONYMIC,
    SETTLEMENT,
    SEX,
    YEAR_AGREES,
    YEAR_OFF_BY_ONE,
    weighed_shares,
)
from ._ladder import FieldComparison, Ladder
from ._person import Person, Prepared, prepare

__all__ = [
    "Comparison",
    "FieldComparison",
    "compare",
    "compare_each",
    "compare_prepared",
    "compare_prepared_each",
    "to_probability",
]

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True, slots=True, init=False)
class Comparison:
    """A calibrated probability in [0, 1] and the field verdicts behind it, largest first."""

    score: float
    explanation: tuple[FieldComparison, ...]
    total: float = 0.0

    def __init__(
        self, score: float, explanation: tuple[FieldComparison, ...], total: float = 0.0
    ) -> None:
        # One is made for every pair scored: the slots are set through their descriptors, as
        # FieldComparison's are (``_ladder.py``).
        set_score, set_explanation, set_total = _COMPARISON_SLOTS
        set_score(self, score)
        set_explanation(self, explanation)
        set_total(self, total)


# The setters of Comparison's slots, in the order of its fields.
_COMPARISON_SLOTS = tuple(
    getattr(Comparison, f.name).__set__ for f in dataclasses.fields(Comparison)
)


# The field ladders in the order they are compared. The date of birth and the age are one
# field: at most one of its ladders applies to a pair (two complete dates, two dates one of
# them partial, one date and an age, two ages).
_DATE_OR_AGE: tuple[Ladder[Any], ...] = (
    DATE_OF_BIRTH,
    PARTIAL_DATE_OF_BIRTH,
    AGE_AT_SIGHTING,
    AGE_ESTIMATES,
)
# The fields `compare_each` weighs after the names and the date, bounded by their ladders' most.
_REST: tuple[Ladder[Any], ...] = (PATRONYMIC, SEX, SETTLEMENT, INSTITUTION)


def _date_or_age(a: Prepared, b: Prepared) -> FieldComparison | None:
    for ladder in _DATE_OR_AGE:
        verdict = ladder.compare(a, b)
        if verdict is not None:
            return verdict
    return None


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


# --- namesakes ---------------------------------------------------------------------------------
# The given name's and the family name's weights each come from the name's own share among the
# reports, as if the two were drawn apart: a random report shares both with the sighting as
# often as the product of the shares says (u). Reports tell more than that: the other reports
# that carry this very given name and family name (the child's namesakes: cousins named after
# one grandfather, the same common name twice in one town) each agree with the sighting as well
# as the child's own report, so that a sighting with nothing else to tell them apart (a
# witness's "Паша Карпенко, 11-15") is one of them, not all. Each pair whose two names agree is
# weighed by u estimated from both: the namesakes counted (c, the reports of the two names
# other than the one compared) against those the shares expect (e = u * the reports held), as
# the mean of a rate whose prior is the shares' own (an exponential prior of mean e, after c
# are seen): u' = u (1 + c) / (1 + e). The names lose log2((1 + c) / (1 + e)) when more
# namesakes are held than the shares expect, nothing when fewer: one namesake of a rare name
# takes a bit, two 1.6; a common name's expected ones take none. Counted by
# `Linker` and `person_frequencies` as "names:<group>|<surname key>", beside "one:", the
# share one report holds (1 / the reports held). The other reports of the report's own child
# (two relatives' reports of one child, joined as one case) are not its namesakes: a
# comparison told how many of them hold each term (``same_child``, `same_child_terms`) does
# not count them.
NAMES_TERM = "names:"
ONE_REPORT = "one:"
# The levels at which both names agree as one child's name does (not a spelling that is only
# close, nor an initial: those say less than the namesakes' names do).
_SAME_GIVEN = frozenset(("exact", "same under transliteration", "equivalent"))
_SAME_FAMILY = frozenset(("exact", "same under transliteration", "respelled"))


def name_terms(p: Prepared) -> list[str]:
    """The given name and family name together, as counted for namesakes: each name group the
    given names reach with each surname key."""
    return [f"{NAMES_TERM}{g}|{k}" for g in p.given_groups for k in p.family_clerk]


def same_child_terms(others: Iterable[Person | Prepared]) -> Counter[str]:
    """How many of ``others`` (the other reports of one report's child) hold each namesakes'
    term: what a comparison of that report is told as its ``same_child``."""
    held: Counter[str] = Counter()
    for other in others:
        held.update(name_terms(other if isinstance(other, Prepared) else prepare(other)))
    return held


def _with_namesakes(
    a: Prepared,
    b: Prepared,
    given: FieldComparison | None,
    family: FieldComparison | None,
    frequencies: Mapping[str, float] | None,
    same_child: Mapping[str, int] | None = None,
) -> FieldComparison | None:
    """The family name's verdict, less what the namesakes of the report ``a`` held beside it
    take from the two names' agreement (see above); ``same_child``: how many other reports of
    ``a``'s child hold each term (not namesakes)."""
    if not frequencies or given is None or family is None:
        return family
    if given.verdict not in _SAME_GIVEN or family.verdict not in _SAME_FAMILY:
        return family
    one = frequencies.get(ONE_REPORT)
    if not one:
        return family
    lost, namesakes = 0.0, 0
    for g in a.given_groups.keys() & b.given_groups.keys():
        given_share = frequencies.get("given:" + g, DEFAULT_GIVEN_FREQ)
        for k in a.family_clerk & b.family_clerk:
            term = f"{NAMES_TERM}{g}|{k}"
            held = round(frequencies.get(term, 0.0) / one)
            # The report compared is one of them, and its child's other reports are no one's
            # namesakes.
            counted = max(0, held - 1 - (same_child.get(term, 0) if same_child else 0))
            # Expected as the names' weights took their shares, so that a pair whose weights
            # were already bounded (rare names among many reports) is not discounted twice.
            shares = weighed_shares(
                given_share, frequencies.get("family:" + k, DEFAULT_FAMILY_FREQ)
            )
            expected = shares[0] * shares[1] / one
            loss = math.log2((1 + counted) / (1 + expected))
            # The surname keys a pair shares read the name differently (a Latin spelling's
            # keys hold Latin spellings only): the key that counts the most of them counts.
            if loss > lost:
                lost, namesakes = loss, counted
    if lost <= 0.0:
        return family
    return FieldComparison(
        family.field,
        family.verdict,
        f"{family.detail}; {namesakes} other {'report' if namesakes == 1 else 'reports'}"
        " of the same given and family name",
        family.weight - lost,
        family.level,
    )


def compare_prepared(
    a: Prepared,
    b: Prepared,
    *,
    frequencies: Mapping[str, float] | None = None,
    same_child: Mapping[str, int] | None = None,
) -> Comparison:
    given = GIVEN_NAME.compare(a, b, frequencies)
    family = FAMILY_NAME.compare(a, b, frequencies)
    return _combine(
        given,
        _with_namesakes(a, b, given, family, frequencies, same_child),
        PATRONYMIC.compare(a, b),
        _date_or_age(a, b),
        SEX.compare(a, b),
        SETTLEMENT.compare(a, b),
        INSTITUTION.compare(a, b),
        patronymic_shown=bool(a.father_stems or b.father_stems),
    )


# A child given new documents after adoption or guardianship carries the adoptive family's
# name and the adoptive father's patronymic: the two disagree together, not independently.
# Weighed as one level: m, the share of true pairs with new identity documents (a sizeable
# minority of the children deported and placed in families: 0.2), against u, the share of
# random pairs whose family name and patronymic both differ (0.97): log2(0.2 / 0.97).
NEW_IDENTITY = FieldComparison(
    "family_name",
    "new identity",
    "family name and patronymic differ: consistent with a new identity (adoption)",
    -2.3,
)

# New documents may give the child a new given name too (Russia's Family Code lets adopters
# ask for it, and it is common for young children). So when the family name differs, and the
# patronymic does too or is not there on one record to say otherwise (on neither, nothing says
# either is a new identity's: ``_combine``), a given name that differs is not the
# near-proof against the pair that it is between two records of one name: m, the share of such
# true pairs whose given name was changed too (about one in four), against u, the share of
# random pairs whose given names differ (0.97): log2(0.25 / 0.97).
RENAMED_TOO_WEIGHT = -2.0
# The given name's verdicts that a new given name explains: another name, and a listing's
# given initial that begins none of the report's names (Т. for Микола). An initial says the
# same as the name it begins: a new name begins with another letter about as often as two
# random names do (0.93), so its weight is the name's, log2(m * 0.93 / 0.93), not the -3.0
# against a copying error of one identity.
_NEW_GIVEN = ("different", "initial differs")


# New documents may give a new birth date too: the day and month rewritten (the year stays),
# or the year (the day and month stay), each for about one child in six given new documents.
# Weighed as m = 0.16 against u, the share of random pairs born in one year (0.065) and born
# on one day of the year a year apart (about 0.0004): log2(0.16 / 0.065) and log2(0.16 /
# 0.0004), the latter kept below an exact date's.
REWRITTEN_DATE_WEIGHTS = {"same year": 1.3, "year off by one": 7.5}

# The very same full birth date weighs 9.5, kept below what it tells (one random pair in about
# 6,500 shares one, ``_fields.DATE_OF_BIRTH``) because twins share it, and twins share their
# family name too. Between two records of two families (two different family names, or a
# listing's initial that begins none of the report's names: a twin's would begin it; not a
# former name kept on record), no twin explains a shared date: it
# weighs what it tells, m = 0.68 (a true pair with new documents keeps the date unless the day
# and month or the year was rewritten, 0.16 each) against u = 1/6500: log2(0.68 * 6500) =
# 12.1. So the same date with another given name (new documents gave both) outweighs the same
# given name with a rewritten date, as the two m values say it should (0.25 * 0.68 against
# 0.75 * 0.16).
NEW_IDENTITY_EXACT_DATE = 12.1

# The same holds for two dates that agree as far as both go (a listing's month and year, a
# report's year alone), between two records of two families (two family names, or a listing's
# initial that begins none of the report's names): no twin explains the agreement, and it
# weighs what it tells. In the month and the year: m = 0.66 (kept unless new documents moved
# the year, 0.16, or the day and month, 0.16 of which 11 in 12 move the month, or a slip
# moved either, 0.03) against u = 1/216 (18 birth years of 12 months): log2(0.66 * 216) =
# 7.2. In the year alone: m = 0.81 against u = 1/18: log2(0.81 * 18) = 3.9.
# Keyed by the level that found the agreement (``_fields``).
NEW_IDENTITY_PARTIAL_DATE = {MONTH_AND_YEAR_AGREE: 7.2, YEAR_AGREES: 3.9}


# A listed child is one awaiting a family: a family initial in a listing that begins none of
# the report's names is not an adoptive family's but an identity rewritten without one (as
# for the children of the Kherson baby home registered anew in Russia), and such a rewrite
# gives a new given name too more often than an adoption does: about 0.6 of them. So with a
# listing's initial that differs, a given name that differs too weighs log2(0.6 / 0.97) =
# -0.7 (not ``RENAMED_TOO_WEIGHT``), and one that agrees is kept by 0.4 of those rewrites
# instead of the 0.9 of a record of one identity: log2(0.4 / 0.9) = -1.2 off its weight.
# That holds for every verdict a kept name gives, written as it was (exact, transliterated, a
# diminutive) or misspelt, and for a listing's given initial that agrees. Such a level, of
# likelihood ratio r = 2^weight, is also reached by a new name with the chance of a random
# pair (u): given the rewrite, m = 0.4 m_kept + 0.6 u; given one identity, 0.9 m_kept + 0.1 u.
# So it loses log2((0.4 r + 0.6) / (0.9 r + 0.1)): the -1.2 for a strong level, less for a
# weak one that a new name reaches too (a close spelling at 3.0 loses 0.9, a possible
# diminutive at 1.5 0.6, a similar name at 0.5 0.2; an initial by how many names it begins).
LISTING_RENAMED_TOO_WEIGHT = -0.7
_REWRITE_KEEPS, _IDENTITY_KEEPS = 0.4, 0.9
# What the strongest level loses (-1.2), and the bound of what any loses.
LISTING_NAME_KEPT = math.log2(_REWRITE_KEEPS / _IDENTITY_KEEPS)
# The given name's verdicts that say it was kept (possibly misspelt).
_KEPT = (
    "exact",
    "same under transliteration",
    "equivalent",
    "close",
    "possible diminutive",
    "similar",
    "initial agrees",
)


def _kept_with_new_initial(given: FieldComparison) -> FieldComparison:
    r = 2.0**given.weight
    lost = math.log2(
        (_REWRITE_KEEPS * r + 1 - _REWRITE_KEEPS) / (_IDENTITY_KEEPS * r + 1 - _IDENTITY_KEEPS)
    )
    return FieldComparison(
        given.field,
        given.verdict,
        given.detail + "; a listing's rewritten family initial seldom keeps the given name",
        given.weight + lost,
    )


# The family name's verdicts that a new identity explains: a name that differs, and a
# listing's initial that begins none of the report's names (the family name was changed, the
# listing shows the new one's initial).
_CHANGED = ("different", "initial differs")
# Those and a former name on record: the verdicts after which the given name and the birth
# date may have been rewritten too.
_CHANGED_OR_FORMER = (*_CHANGED, "former name")


# A patronymic that agrees under a family name that agrees tells less than either alone:
# another child of that family name is often the child's brother or sister (families report
# all their children, and children were taken together), and shares the father too. Of the
# other children who share a family name, about a third are siblings, so the patronymic
# agrees for u = 0.33 + 0.67 * 0.04 (two random children's fathers share a name) = 0.36,
# against m = 0.9 of true pairs: log2(0.9 / 0.36) = 1.3. That holds for a family name that is
# the same (as written, transliterated, respelt by a Russian clerk, or a former name on
# record): one only close or similar in spelling is most often another family's, among whom
# the patronymic agrees by chance alone, and it weighs its 4.0 (``_fields.PATRONYMIC``), as
# it does under another family name.
SIBLINGS_PATRONYMIC_WEIGHT = 1.3
_FAMILY_SHARED = ("exact", "same under transliteration", "respelled", "former name")


def _shared_by_siblings(patronymic: FieldComparison) -> FieldComparison:
    return FieldComparison(
        patronymic.field,
        patronymic.verdict,
        patronymic.detail,
        SIBLINGS_PATRONYMIC_WEIGHT,
        patronymic.level,
    )


def _renamed_too(given: FieldComparison, weight: float = RENAMED_TOO_WEIGHT) -> FieldComparison:
    return FieldComparison(
        "given_name",
        "changed with the family name",
        given.detail + "; new identity documents may give a new given name too",
        max(given.weight, weight),
    )


def _exact_unexplained(dob: FieldComparison) -> FieldComparison:
    return FieldComparison(
        dob.field,
        dob.verdict,
        dob.detail + "; the family names differ: no twin explains it",
        max(dob.weight, NEW_IDENTITY_EXACT_DATE),
    )


def _partial_unexplained(dob: FieldComparison, weight: float) -> FieldComparison:
    return FieldComparison(
        dob.field,
        dob.verdict,
        dob.detail + "; the family names differ: no twin explains it",
        weight,
    )


def _partly_agreeing(dob: FieldComparison | None) -> float | None:
    """What two dates that agree as far as both go (``_fields.PARTIAL_DATE_OF_BIRTH``) weigh
    between two families; None for any other verdict. Read by the level that gave it."""
    if dob is None or dob.level is None:
        return None
    return NEW_IDENTITY_PARTIAL_DATE.get(dob.level)


def _rewritable(dob: FieldComparison) -> bool:
    """A date new documents may have rewritten: the same year, or a year off by one whose day
    and month agree (two complete dates; between a partial date and another, "year off by
    one" agrees in nothing else and weighs against)."""
    return dob.verdict == "same year" or dob.level is YEAR_OFF_BY_ONE


def _rewritten_date(dob: FieldComparison) -> FieldComparison:
    return FieldComparison(
        dob.field,
        dob.verdict,
        dob.detail + "; new identity documents may give a new birth date too",
        max(dob.weight, REWRITTEN_DATE_WEIGHTS[dob.verdict]),
    )


def _combine(
    given: FieldComparison | None,
    family: FieldComparison | None,
    patronymic: FieldComparison | None,
    dob: FieldComparison | None,
    *fields: FieldComparison | None,
    patronymic_shown: bool = True,
) -> Comparison:
    """The fields' verdicts as one comparison; ``patronymic_shown``: either person shows a
    patronymic."""
    changed = family is not None and family.verdict in _CHANGED
    renamed = changed and (patronymic is None or patronymic.verdict == "different")
    # Read before a new identity takes the family's place: a listing with a patronymic that
    # differs is a listing still.
    listed = family is not None and family.verdict == "initial differs"
    # Russian documents name everyone with a patronymic, and new identity documents give the
    # adoptive father's. What says one of two records may be such a document (and so may show
    # a new given name and a rewritten birth date, as above) is a family name that differs
    # where a patronymic is shown, a listing's family initial that differs (a listing never
    # shows one), or a former name on record. Two records of which neither shows a patronymic
    # (a copy, a list, a document read in part, beside a family's report) show no sign of new
    # documents when their family names differ: the child may have been given another family
    # name, but a given name or a birth date that differs weighs as between two records of one
    # identity.
    documented = renamed and (patronymic_shown or listed)
    if renamed and patronymic is not None:
        family, patronymic = NEW_IDENTITY, None
    # A former name on record says the child was given new documents: the patronymic is the
    # adoptive father's, and the given name may be new too.
    former = family is not None and family.verdict == "former name"
    if former and patronymic is not None and patronymic.verdict == "different":
        patronymic = None
    documented = documented or former
    if documented and given is not None and given.verdict in _NEW_GIVEN:
        given = _renamed_too(given, LISTING_RENAMED_TOO_WEIGHT) if listed else _renamed_too(given)
    elif listed and given is not None and given.verdict in _KEPT:
        given = _kept_with_new_initial(given)
    if documented and dob is not None and _rewritable(dob):
        dob = _rewritten_date(dob)
    elif changed and dob is not None and dob.verdict == "exact" and dob.field == "date_of_birth":
        dob = _exact_unexplained(dob)
    elif changed and dob is not None and (partial := _partly_agreeing(dob)) is not None:
        dob = _partial_unexplained(dob, partial)
    if (
        patronymic is not None
        and patronymic.weight > SIBLINGS_PATRONYMIC_WEIGHT
        and family is not None
        and family.verdict in _FAMILY_SHARED
    ):
        patronymic = _shared_by_siblings(patronymic)
    items = [x for x in (given, family, patronymic, dob, *fields) if x is not None]
    items.sort(key=_rank)
    total = sum([fc.weight for fc in items])
    return Comparison(to_probability(total), tuple(items), total)


def _rank(fc: FieldComparison) -> tuple[float, str]:
    """A comparison's verdicts, largest weight first (either sign), then by field."""
    return -abs(fc.weight), fc.field


def compare(
    report: Person,
    sighting: Person,
    *,
    frequencies: Mapping[str, float] | None = None,
    same_child: Mapping[str, int] | None = None,
) -> Comparison:
    """Compare two people; ``frequencies`` maps "given:<group>" / "family:<key>" /
    "names:<group>|<key>" to shares among the reports, and "one:" to one report's share;
    ``same_child`` says how many other reports of the report's child hold each "names:" term
    (`same_child_terms`): they are not its namesakes."""
    return compare_prepared(
        prepare(report), prepare(sighting), frequencies=frequencies, same_child=same_child
    )


def compare_each(
    sighting: Person,
    reports: Mapping[K, Person | Prepared],
    *,
    frequencies: Mapping[str, float] | None = None,
    at_least: float | None = None,
    same_child: Mapping[K, Mapping[str, int]] | None = None,
) -> dict[K, Comparison]:
    """Compare one sighting with many reports (``compare(report, sighting)`` for each); with
    ``at_least``, only the reports whose score reaches it. ``same_child``: by report, its
    ``compare`` argument (the reports not in it have no other report of their child).

    Reports are prepared through the shared cache, since every new sighting meets them again
    (a caller that holds many may hand them over prepared); the sighting is prepared once and
    not cached, since it is scored once. That keeps memory to the reports when a service or a
    rematch scores many sightings.

    The reports a sighting's keys reach share their names (hundreds of Олександр, Сашко):
    each distinct given-name and family-name part is compared with the sighting once. With
    ``at_least``, a report whose names and date of birth leave it short of the score even if
    every other field agreed is not compared further (most of what the keys reach).
    """
    return compare_prepared_each(
        prepare.__wrapped__(sighting),
        reports,
        frequencies=frequencies,
        at_least=at_least,
        same_child=same_child,
    )


# What a cache of verdicts answers for a verdict it does not hold (None is a verdict: the
# field is not there to compare). Typed as one, so that the loop reads it with one lookup.
_UNSEEN = cast(FieldComparison, object())

# Field verdicts kept across comparisons: by field, then the sighting's part of the person
# that field reads (``Prepared.given_part``, ``date_part``...), then the report's.
Verdicts = dict[str, dict[Hashable, dict[Hashable, FieldComparison | None]]]


def compare_prepared_each(
    b: Prepared,
    reports: Mapping[K, Person | Prepared],
    *,
    frequencies: Mapping[str, float] | None = None,
    at_least: float | None = None,
    best: int | None = None,
    verdicts: Verdicts | None = None,
    same_child: Mapping[K, Mapping[str, int]] | None = None,
) -> dict[K, Comparison]:
    """:func:`compare_each` for a sighting already prepared. With ``best``, the ``best``
    comparisons ranked first (by total, then by the key's text, as :meth:`Linker.candidates`
    ranks them) are among those returned, and not every other is: reports are completed in the
    order of the most their names and date leave them, until no report left can enter.

    Reports that agree in what a field reads of them (names, date, sex, place...) get one
    verdict for that field; ``verdicts`` keeps them across calls (sightings of one name meet
    the same reports), for a caller whose ``frequencies`` do not change meanwhile."""
    needed = -math.inf if at_least is None else _total_for(at_least)
    held: Verdicts = {} if verdicts is None else verdicts
    given_by_part = held.setdefault("given", {}).setdefault(b.given_part, {})
    family_by_part = held.setdefault("family", {}).setdefault(b.family_part, {})
    date_by_part = held.setdefault("date", {}).setdefault(b.date_part, {})
    # Each verdict held is read with one lookup (``_UNSEEN`` when it is not held: a verdict
    # may be None), the ladders' methods looked up once.
    unseen, given_name, family_name = _UNSEEN, GIVEN_NAME.compare, FAMILY_NAME.compare
    # The most a report can reach is read only to leave some out (``at_least``) or to complete
    # the ``best`` first: comparing all, nothing reads it.
    bounded = at_least is not None or (best is not None and len(reports) > best)
    most = 0.0
    started = []
    for key, report in reports.items():
        a = report if isinstance(report, Prepared) else prepare(report)
        given = given_by_part.get(a.given_part, unseen)
        if given is unseen:
            given = given_by_part[a.given_part] = given_name(a, b, frequencies)
        family = family_by_part.get(a.family_part, unseen)
        if family is unseen:
            family = family_by_part[a.family_part] = family_name(a, b, frequencies)
        dob = date_by_part.get(a.date_part, unseen)
        if dob is unseen:
            dob = date_by_part[a.date_part] = _date_or_age(a, b)
        if bounded:
            known = (
                (given.weight if given else 0.0)
                + (family.weight if family else 0.0)
                + (dob.weight if dob else 0.0)
            )
            most = known + _most_from_the_rest(a, b, given, family, dob)
        if most >= needed:
            started.append((most, key, a, given, family, dob))
    if best is not None and len(started) > best:
        started.sort(key=lambda t: -t[0])
    patronymic_by_part = held.setdefault("patronymic", {}).setdefault(b.patronymic_part, {})
    sex_by_part = held.setdefault("sex", {}).setdefault(b.sex_part, {})
    place_by_text = held.setdefault("settlement", {}).setdefault(b.person.settlement, {})
    compared = {}
    ranked: list[tuple[float, str]] = []  # the ``best`` first of those completed
    for most, key, a, given, family, dob in started:
        # Less than the last of the best (by more than the sums' rounding): no report left,
        # each with at most its own ``most``, can enter them.
        if best is not None and len(ranked) == best and most < -ranked[-1][0] - 1e-9:
            break
        patronymic = patronymic_by_part.get(a.patronymic_part, unseen)
        if patronymic is unseen:
            patronymic = patronymic_by_part[a.patronymic_part] = PATRONYMIC.compare(a, b)
        sex = sex_by_part.get(a.sex_part, unseen)
        if sex is unseen:
            sex = sex_by_part[a.sex_part] = SEX.compare(a, b)
        # The settlement's and the institution's verdicts read only what the person wrote.
        person = a.person
        place = person.settlement
        settlement = place_by_text.get(place, unseen)
        if settlement is unseen:
            settlement = place_by_text[place] = SETTLEMENT.compare(a, b)
        comparison = _combine(
            given,
            _with_namesakes(
                a, b, given, family, frequencies, same_child.get(key) if same_child else None
            ),
            patronymic,
            dob,
            sex,
            settlement,
            INSTITUTION.compare(a, b) if person.institution else None,
            patronymic_shown=bool(a.father_stems or b.father_stems),
        )
        if at_least is None or comparison.score >= at_least:
            compared[key] = comparison
            if best is not None:
                bisect.insort(ranked, (-comparison.total, str(key)))
                del ranked[best:]
    return compared


def _total_for(score: float) -> float:
    """The weight total below which a comparison scores under ``score`` (a little less, so
    that rounding never drops a pair that reaches it)."""
    if score <= 0.0:
        return -math.inf
    if score >= 1.0:
        return math.inf
    return (math.log(score / (1.0 - score)) - _CAL_B) / _CAL_A - 1e-6


def _most_from_the_rest(
    a: Prepared,
    b: Prepared,
    given: FieldComparison | None,
    family: FieldComparison | None,
    dob: FieldComparison | None,
) -> float:
    """The largest weight the patronymic, sex and settlement can add (a patronymic that differs
    too turns a differing family name into a new identity, which weighs more), and what a
    differing given name and a rewritten birth date regain when the family name differs too."""
    most = 0.0
    changed = family is not None and family.verdict in _CHANGED
    for present, ladder_most, is_patronymic in _REST_BOUNDS:
        if present(a, b):
            most += ladder_most
            if is_patronymic and changed and family is not None:
                most += max(0.0, NEW_IDENTITY.weight - family.weight - ladder_most)
    if family is None or family.verdict not in _CHANGED_OR_FORMER:
        return most
    if given is not None and given.verdict in _NEW_GIVEN:
        regained = (
            LISTING_RENAMED_TOO_WEIGHT
            if family.verdict == "initial differs"
            else RENAMED_TOO_WEIGHT
        )
        most += max(0.0, regained - given.weight)
    if dob is not None and _rewritable(dob):
        most += max(0.0, REWRITTEN_DATE_WEIGHTS[dob.verdict] - dob.weight)
    if (
        dob is not None
        and dob.verdict == "exact"
        and family is not None
        and family.verdict in _CHANGED
    ):
        most += max(0.0, NEW_IDENTITY_EXACT_DATE - dob.weight)
    if family.verdict in _CHANGED and (partial := _partly_agreeing(dob)) is not None:
        assert dob is not None  # noqa: S101 - _partly_agreeing
        most += max(0.0, partial - dob.weight)
    return most


# ``_REST`` as ``_most_from_the_rest`` reads it for every pair: each ladder's test of presence,
# its most, and whether it is the patronymic's.
_REST_BOUNDS = tuple((ladder.present, ladder.most, ladder is PATRONYMIC) for ladder in _REST)
