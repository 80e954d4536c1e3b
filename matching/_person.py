"""The person record the engine takes in, and its prepared (derived, cached) form."""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

from ._dates import PartialDate
from ._names import (
    GivenNameIndex,
    clerk_keys,
    given_index,
    patronymic_stems,
    place_index,
    surname_codes,
)
from ._text import is_cyrillic, normalize, skeleton, skeletons, tokens

__all__ = ["DateParts", "NameToken", "Person", "Prepared", "prepare"]

_SEXES = {"male": "male", "female": "female", "m": "male", "f": "female", "unknown": None}


@dataclass(frozen=True, slots=True)
class Person:
    """A child as a report or a sighting describes it. All fields optional; strings as recorded.

    ``date_of_birth`` is a :class:`PartialDate`, or its text ``YYYY``, ``YYYY-MM`` or
    ``YYYY-MM-DD``; ``age_min``/``age_max`` are years at ``observed_on`` (a full date, or its text
    ``YYYY-MM-DD``); ``sex`` is ``male``, ``female``, ``unknown`` or None.
    """

    given_name: str | None = None
    family_name: str | None = None
    patronymic: str | None = None
    full_name: str | None = None
    other_names: tuple[str, ...] = ()
    sex: str | None = None
    date_of_birth: PartialDate | str | None = None
    age_min: int | None = None
    age_max: int | None = None
    settlement: str | None = None
    observed_on: PartialDate | str | None = None
    institution: str | None = None  # a children's home, boarding school or hospital, as written

    @classmethod
    def from_api(cls, data: Mapping[str, Any], *, observed_on: str | None = None) -> Person:
        """Build from the API's person description (reports' ``child``, sightings' ``subject``)."""
        age = data.get("age_estimate") or {}
        other = data.get("other_names") or ()
        return cls(
            given_name=data.get("given_name"),
            family_name=data.get("family_name"),
            patronymic=data.get("patronymic"),
            full_name=data.get("full_name"),
            other_names=tuple(other),
            sex=data.get("sex"),
            date_of_birth=data.get("date_of_birth"),
            age_min=age.get("min"),
            age_max=age.get("max"),
            settlement=data.get("home_settlement") or data.get("origin_settlement"),
            observed_on=observed_on or data.get("observed_on"),
            institution=data.get("institution"),
        )


@dataclass(frozen=True, slots=True)
class DateParts:
    year: int
    month: int | None
    day: int | None
    text: str
    complete: bool = dataclasses.field(init=False)  # year, month and day all given

    def __post_init__(self) -> None:
        object.__setattr__(self, "complete", bool(self.year and self.month and self.day))


# The readings of one Cyrillic letter, from the transliteration knowledge itself: a word whose
# every reading is one of these (О, O, Shch, Yu, Kh) is an initial, as listings write names.
LETTER_READINGS = frozenset(skeleton(ch) for ch in "абвгґдеєжзиіїйклмнопрстуфхцчшщэюяё") - {""}


@dataclass(frozen=True, slots=True)
class NameToken:
    text: str  # as written (one word)
    norm: str
    skels: frozenset[str]
    initial: bool = dataclasses.field(init=False)  # a letter standing for a name (О., Shch.)

    def __post_init__(self) -> None:
        object.__setattr__(self, "initial", _is_initial(self.norm, self.skels))


def _is_initial(norm: str, skels: frozenset[str]) -> bool:
    """Whether a word is an initial: every reading is one letter's (О, O, Shch, Yu, Kh), or it
    is a short Latin group that one system writes for one letter while its other readings are
    longer (Ju, Ja and Je of the German, Czech and scholarly tables: Ю, Я, Є; French Tch: Ч;
    ISO 9 X: Х)."""
    if not skels:
        return False
    if skels <= LETTER_READINGS:
        return True
    return len(norm) <= 3 and not is_cyrillic(norm) and bool(skels & LETTER_READINGS)


_CODES = itertools.count()


@lru_cache(maxsize=100_000)
def _code(value: Hashable) -> int:
    """A number for each distinct value: a part of a person looked up for every pair it is
    compared in hashes as a number. (A value dropped from the cache and met again gets a new
    number: equal parts then compare apart, never different ones alike.)"""
    return next(_CODES)


@dataclass(frozen=True, slots=True)
class Prepared:
    """Derived forms computed once per person."""

    person: Person
    given: tuple[NameToken, ...]
    given_groups: Mapping[str, str]  # gid -> kind of the form that reached it
    given_group_form: Mapping[str, str]  # gid -> the written form that reached it
    family: tuple[NameToken, ...]
    family_clerk: frozenset[str]
    family_codes: frozenset[str]
    former: tuple[NameToken, ...]  # the last of ``family``: those from ``other_names``
    # All that the given-name and the family-name comparisons read of this person, as one
    # number each (`_code`): people with equal parts compare alike, so a comparison is reused.
    given_part: int
    family_part: int
    father_stems: frozenset[str]
    father_groups: frozenset[str]
    patronymic_text: str | None
    sex: str | None
    sex_inferred: bool
    dob: DateParts | None
    birth_years: tuple[int, int] | None  # inclusive range of plausible birth years
    observed: DateParts | None  # the day a sighting was made (ages are counted to it)
    place_ids: frozenset[int]
    place_skels: frozenset[str]
    place_text: str | None
    # What the date (or age), sex and patronymic comparisons read of this person, as one value
    # each, as ``given_part`` is for the given name.
    date_part: int
    sex_part: int
    patronymic_part: int


_DATE_RE = re.compile(r"^\s*(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?")


def _parse_date(value: PartialDate | str | None) -> DateParts | None:
    if isinstance(value, PartialDate):
        y, mo, d, text = value.year, value.month, value.day, str(value)
    else:
        m = _DATE_RE.match(value or "")
        if m is None:
            return None
        y = int(m.group(1))
        mo = int(m.group(2)) if m.group(2) else None
        d = int(m.group(3)) if m.group(3) else None
        text = m.string
    if mo is not None and not 1 <= mo <= 12:
        mo, d = None, None
    if d is not None and not 1 <= d <= 31:
        d = None
    return DateParts(y, mo, d, text.strip())


def _display(word: str) -> str:
    """A normalised word as a coordinator reads it (Микола, not микола or МИКОЛА)."""
    return word[:1].upper() + word[1:]


@lru_cache(maxsize=100_000)
def _token(word: str) -> NameToken:
    return NameToken(_display(word), normalize(word), skeletons(word))


_V = TypeVar("_V", bound=Hashable)


@lru_cache(maxsize=100_000)
def _shared(value: _V) -> _V:
    """One instance for equal values: records repeat surname keys, places and empty sets, and
    a cache of 100,000 prepared reports holds one copy of each instead of one per record."""
    return value


def _words(text: str | None) -> list[str]:
    return tokens(text) if text else []


def _female_surname(word: str) -> bool | None:
    n = normalize(word)
    if re.search(r"(ська|цька|зька|ская|цкая|ова|ева|єва|іна|ина|ая)$", n) or re.search(
        r"(ska|skaya|skaia|ova|eva|ina)$", n
    ):
        return True
    if re.search(r"(ський|цький|ский|цкий|ов|ев|єв|ін|ин)$", n) or re.search(
        r"(sky|skyi|skiy|skii|skij|ov|ev|in|off)$", n
    ):
        return False
    return None


@lru_cache(maxsize=100_000)
def _given_maps(
    groups: tuple[tuple[str, str], ...], forms: tuple[tuple[str, str], ...]
) -> tuple[Mapping[str, str], Mapping[str, str]]:
    """One pair of (never changed) mappings for people with equal given names, as `_shared`
    does for other values: most of the 100,000 reports a service holds share their names."""
    return dict(groups), dict(forms)


# An age given without the day it was observed is counted to this year: the year the engine's
# weights and threshold were measured in (every observation in the bench worlds is of 2024).
# The service always gives a sighting's date (the day it was filed, if no other).
_UNDATED_OBSERVATION_YEAR = 2024


@dataclass(slots=True)
class _NameWords:
    """A person's words by the role they play, from the name fields and ``full_name``."""

    given: list[str]
    family: list[str]
    patronymic: list[str]
    other_given: list[str]  # given names among ``other_names``
    former: list[str]  # family names among ``other_names`` (a former name, kept in a court file)


def _capitalised_words(text: str) -> set[str]:
    """Normalised words written in capitals (ИСАЕВИЧ): documents write the family name so."""
    return {normalize(w) for w in re.findall(r"[^\W\d_]+", text) if len(w) > 1 and w.isupper()}


def _pick_patronymic(full: list[str], capitals: set[str], idx: GivenNameIndex) -> int | None:
    """Which word of a full name is the patronymic, if any.

    A family name may end like a patronymic (ИСАЕВИЧ Филипп Стефанович, Белевич Виктор
    Тимофеевич), so the first such word does not win: a patronymic is built on a known
    father's name (Стефан -> Стефанович), is not written in capitals as a family name is,
    and is not the first word (documents put the family name first, speech the given name).
    """
    if len(full) < 3:
        return None
    best: tuple[int, int] | None = None
    for i, w in enumerate(full):
        stems, _ = patronymic_stems(w)
        if not stems:
            continue
        score = (
            2 * bool(idx.father_groups(stems))
            + (i > 0)
            - 2 * (w in capitals and len(capitals) < len(full))
        )
        if best is None or score >= best[0]:
            best = (score, i)
    return None if best is None else best[1]


def _split_given_family(
    rest: list[str],
    order: list[int],
    patronymic_at: int | None,
    capitals: set[str],
    idx: GivenNameIndex,
) -> tuple[list[str], list[str]] | None:
    """The given and family words of a full name's words other than the patronymic.

    A word in capitals among words that are not is the family name. Next comes position: in
    "Family Given Patronymic" and "Given Patronymic Family" the given name stands next to the
    patronymic, which settles ЯРЕМА Онисим Дмитриевич even when both words are given names.
    Then knowledge: a known given name and an unknown word. None when nothing tells them apart.
    """
    if len(rest) == 2:
        caps = [w in capitals for w in rest]
        if caps[0] != caps[1]:
            return [rest[caps.index(False)]], [rest[caps.index(True)]]
        if patronymic_at is not None:
            # order[k] is the position of rest[k] in the full name
            if patronymic_at == order[1] + 1:  # Family Given Patronymic
                return [rest[1]], [rest[0]]
            if patronymic_at == order[0] + 1 and patronymic_at < order[1]:  # Given Patr Family
                return [rest[0]], [rest[1]]
    known = [w for w in rest if idx.known(w)]
    unknown = [w for w in rest if not idx.known(w)]
    if known and unknown:
        return known, unknown
    if len(rest) == 1:
        return (rest, []) if known else ([], rest)
    return None


def _name_words(person: Person, idx: GivenNameIndex) -> _NameWords:
    words = _NameWords(
        _words(person.given_name), _words(person.family_name), _words(person.patronymic), [], []
    )
    if person.full_name:
        full = _words(person.full_name)
        capitals = _capitalised_words(person.full_name)
        patronymic_at = None if words.patronymic else _pick_patronymic(full, capitals, idx)
        if patronymic_at is not None:
            words.patronymic.append(full[patronymic_at])
        order = [i for i in range(len(full)) if i != patronymic_at]
        rest = [full[i] for i in order]
        split = _split_given_family(rest, order, patronymic_at, capitals, idx)
        if split is None:  # nothing tells the parts apart: keep every word in both roles
            words.given += rest
            words.family += rest
        else:
            words.given += split[0]
            words.family += split[1]
    for w in person.other_names:
        for part in _words(w):
            if idx.known(part):
                words.other_given.append(part)
            else:
                words.family.append(part)
                words.former.append(part)
    return words


def _given_groups(words: _NameWords, idx: GivenNameIndex) -> tuple[dict[str, str], dict[str, str]]:
    """The name groups the given names reach: group -> kind of form, group -> written form."""
    groups: dict[str, str] = {}
    group_form: dict[str, str] = {}
    for w in (*words.given, *words.other_given):
        for gid, kind in idx.lookup(w).items():
            if gid not in groups:
                groups[gid] = kind
                group_form[gid] = _display(w)
    if not groups:  # no known form: perhaps a typing error in a known name
        for w in words.given:
            for gid, kind in idx.lookup_typo(w).items():
                if gid not in groups:
                    groups[gid] = kind
                    group_form[gid] = _display(w)
    return groups, group_form


def _father_stems(words: _NameWords) -> tuple[set[str], str | None]:
    """The father's name stems the patronymic gives, and the sex its ending tells."""
    father_stems: set[str] = set()
    pat_sex: str | None = None
    for w in words.patronymic:
        st, ps = patronymic_stems(w)
        father_stems |= st or {s.rstrip("aeiou") for s in skeletons(w)}
        pat_sex = pat_sex or ps
    return father_stems, pat_sex


def _inferred_sex(
    groups: Mapping[str, str], pat_sex: str | None, words: _NameWords, idx: GivenNameIndex
) -> str | None:
    """The sex the names tell when the record gives none: given name, patronymic, surname."""
    sexes = {idx.groups[g].sex for g in groups}
    if len(sexes) == 1:
        return sexes.pop()
    if pat_sex:
        return pat_sex
    fem = [_female_surname(w) for w in words.family]
    if any(f is True for f in fem) and not any(f is False for f in fem):
        return "female"
    if any(f is False for f in fem) and not any(f is True for f in fem):
        return "male"
    return None


def _birth_years(
    person: Person, dob: DateParts | None, observed: DateParts | None
) -> tuple[int, int] | None:
    """The inclusive range of plausible birth years: the date's, or the age estimate's."""
    if dob and dob.year:
        return dob.year, dob.year
    lo_age = person.age_min if person.age_min is not None else person.age_max
    hi_age = person.age_max if person.age_max is not None else person.age_min
    if lo_age is None or hi_age is None:
        return None
    ref = observed.year if observed else _UNDATED_OBSERVATION_YEAR
    lo_age, hi_age = min(lo_age, hi_age), max(lo_age, hi_age)
    return ref - hi_age - 1, ref - lo_age


def _place_forms(settlement: str | None) -> tuple[frozenset[int], frozenset[str]]:
    """The known places a settlement names, and its readings."""
    if not settlement:
        return frozenset(), frozenset()
    place_ids = place_index().lookup(settlement)
    place_skels = skeletons(normalize(settlement).replace(" ", ""))
    # Russian spellings of Ukrainian place names (Старобільськ/Старобельск, Нова/Новая
    # Каховка) meet under the surname clerk keys, word by word.
    place_words = [sorted(clerk_keys(w)) for w in tokens(settlement)]
    if place_words and all(place_words):
        place_skels = place_skels | {"~" + " ".join(w[0] for w in place_words)}
    return place_ids, place_skels


@lru_cache(maxsize=300_000)
def prepare(person: Person) -> Prepared:
    """Compute the derived forms of a person (cached: Person is frozen and hashable)."""
    idx = given_index()
    words = _name_words(person, idx)
    groups, group_form = _given_groups(words, idx)
    father_stems, pat_sex = _father_stems(words)
    sex = _SEXES.get((person.sex or "").strip().lower())
    sex_inferred = False
    if sex is None:
        sex = _inferred_sex(groups, pat_sex, words, idx)
        sex_inferred = sex is not None
    if sex is not None:  # a form of both sexes (Саша) stands for the one the record gives
        same = {g: k for g, k in groups.items() if idx.groups[g].sex == sex}
        if same:
            groups = same
    dob = _parse_date(person.date_of_birth)
    observed = _parse_date(person.observed_on)
    place_ids, place_skels = _place_forms(person.settlement)

    family = _shared(tuple(_token(w) for w in words.family))
    clerk: set[str] = set()
    codes: set[str] = set()
    for w in words.family:
        clerk |= clerk_keys(w)
        codes |= surname_codes(w)
    given = _shared(tuple(_token(w) for w in (*words.given, *words.other_given)))
    family_clerk = _shared(frozenset(clerk))
    family_codes = _shared(frozenset(codes))
    former = family[len(family) - len(words.former) :]
    group_items, form_items = tuple(groups.items()), tuple(group_form.items())
    given_part = _code((given, group_items, form_items))
    given_groups, given_group_form = _given_maps(group_items, form_items)
    father_stems_held = _shared(frozenset(father_stems))
    patronymic_text = " ".join(_display(w) for w in words.patronymic) or None
    dated = (person.date_of_birth, person.age_min, person.age_max, person.observed_on)
    return Prepared(
        person=person,
        given=given,
        given_groups=given_groups,
        given_group_form=given_group_form,
        family=family,
        family_clerk=family_clerk,
        family_codes=family_codes,
        former=former,
        given_part=given_part,
        family_part=_code((family, family_clerk, family_codes, former)),
        father_stems=father_stems_held,
        father_groups=_shared(idx.father_groups(father_stems_held)),
        patronymic_text=patronymic_text,
        sex=sex,
        sex_inferred=sex_inferred,
        dob=dob,
        birth_years=_birth_years(person, dob, observed),
        observed=observed,
        place_ids=_shared(place_ids),
        place_skels=_shared(place_skels),
        place_text=person.settlement if place_skels else None,
        date_part=_code(dated),
        sex_part=_code((sex, sex_inferred)),
        patronymic_part=_code((father_stems_held, patronymic_text)),
    )
