"""Each field's ladder of levels (see ``_ladder.py``), best level first.

A weight is the log2 likelihood ratio m/u of seeing that level in a true pair (m) against a
random pair (u). The m values are set from what is known about the sources and the u values of
the names come from the share of a value among reports (term frequency), so a common name
(Олександр, Шевченко) counts less than a rare one.

To add a level, add a row where it belongs in its ladder: the first level whose test holds
fires, so a row sits below every level it must not shadow. A test reads the ladder's pair
(``_GivenPair``, ``_FamilyPair``, ``_Patronymics``, ``_Dates``, ``_AgeAtSighting``,
``_Estimates`` or ``Sides``); a value several levels read belongs on the pair, computed at most
once. A new field is a new ``Ladder``, called in ``_compare.py`` by ``compare_prepared`` and
``compare_prepared_each``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache

from rapidfuzz.distance import OSA, JaroWinkler

from ._ladder import Frequencies, Ladder, Level, always
from ._names import (
    KIND_LABEL,
    _surname_stems,
    best_jw,
    clerk_keys,
    given_index,
    kindred_surnames,
    place_index,
    russian_starts,
)
from ._person import LETTER_READINGS, DateParts, NameToken, Prepared
from ._text import is_cyrillic, normalize, skeletons, tokens

__all__ = [
    "AGE_AT_SIGHTING",
    "AGE_ESTIMATES",
    "DATE_OF_BIRTH",
    "FAMILY_NAME",
    "GIVEN_NAME",
    "INSTITUTION",
    "MONTH_AND_YEAR_AGREE",
    "PARTIAL_DATE_OF_BIRTH",
    "PARTIAL_MONTH_WEIGHT",
    "PARTIAL_YEAR_WEIGHT",
    "PATRONYMIC",
    "SETTLEMENT",
    "SEX",
    "YEAR_AGREES",
    "YEAR_OFF_BY_ONE",
    "weighed_shares",
]

# Frequencies default to the shares one sees among Ukrainian children's names when nothing is
# known: the most common given names reach ~3% per sex, the most common surnames ~0.5%.
DEFAULT_GIVEN_FREQ = 1 / 120
DEFAULT_FAMILY_FREQ = 1 / 1500
_MIN_FREQ = 1 / 5000
_GIVEN_LO, _GIVEN_HI = 2.5, 9.0
_FAMILY_LO, _FAMILY_HI = 3.0, 10.0


def _tf_weight(m: float, freq: float, lo: float, hi: float) -> float:
    return max(lo, min(hi, math.log2(m / max(freq, _MIN_FREQ))))


def _given_tf(m: float, freq: float) -> float:
    return _tf_weight(m, freq, _GIVEN_LO, _GIVEN_HI)


def weighed_shares(given: float, family: float) -> tuple[float, float]:
    """A given name's and a family name's shares as their exact agreement's weights take them:
    the share a weight says (m / 2^weight), which the floor and the bounds of the weights move
    off the share counted (a name one report holds among a million weighs as one of 1 / 570)."""
    return (
        0.9 / 2.0 ** _given_tf(0.9, given),
        0.9 / 2.0 ** _tf_weight(0.9, family, _FAMILY_LO, _FAMILY_HI),
    )


class Sides:
    """The pair of a field whose tests read the prepared people themselves."""

    __slots__ = ("a", "b")

    def __init__(self, a: Prepared, b: Prepared, _frequencies: Frequencies = None) -> None:
        self.a = a
        self.b = b


# --- names ------------------------------------------------------------------------------------
Words = tuple[NameToken, NameToken]  # a word of each side that a level found


def _words(words: Words | None, sign: str) -> str:
    """``Микола = Николай``: the words a level found, ``sign`` between them."""
    assert words is not None  # noqa: S101 - read only by the level whose test found them
    return f"{words[0].text} {sign} {words[1].text}"


def _first(
    words_a: tuple[NameToken, ...], words_b: tuple[NameToken, ...], same_skeleton: bool
) -> Words | None:
    """The first pair, in reading order, of the same word (or of words that meet under
    transliteration)."""
    for t in words_a:
        for s in words_b:
            if (t.skels & s.skels) if same_skeleton else t.norm == s.norm:
                return t, s
    return None


_UNSET: object = object()


class _NamePair:
    """Two people's words for one name. The same word is looked for at once (the first level of
    both names); the rest is found on first use, since most pairs stop at a level or two."""

    __slots__ = ("_closeness", "_closest", "_same_skeleton", "same", "words_a", "words_b")

    def __init__(self, words_a: tuple[NameToken, ...], words_b: tuple[NameToken, ...]) -> None:
        self.words_a = words_a
        self.words_b = words_b
        self.same = _first(words_a, words_b, same_skeleton=False)
        self._same_skeleton: object = _UNSET
        self._closeness = -1.0  # not looked for yet
        self._closest: Words = (words_a[0], words_b[0])

    @property
    def same_skeleton(self) -> Words | None:
        """Words that meet under transliteration."""
        if self._same_skeleton is _UNSET:
            self._same_skeleton = _first(self.words_a, self.words_b, same_skeleton=True)
        return self._same_skeleton  # type: ignore[return-value]

    def _find_closest(self) -> None:
        best = 0.0
        for t in self.words_a:
            for s in self.words_b:
                jw = best_jw(t.skels, s.skels)
                if jw > best:
                    best, self._closest = jw, (t, s)
        self._closeness = best

    @property
    def closest(self) -> Words:
        """The two words most alike in spelling (Jaro-Winkler over their readings)."""
        if self._closeness < 0.0:
            self._find_closest()
        return self._closest

    @property
    def closeness(self) -> float:
        if self._closeness < 0.0:
            self._find_closest()
        return self._closeness


# --- initials ---------------------------------------------------------------------------------
# Shares of Ukrainian family names by their first letter in skeleton letters (general knowledge
# of the commonest surnames: many begin with К, С, П, М, Б, Г/Х; few with Щ, У, Є, Ц). An
# agreeing initial weighs log2(m / share): К. tells little, Щ. much.
_FAMILY_INITIAL_SHARE = {
    "k": 0.12, "h": 0.10, "s": 0.08, "p": 0.08, "m": 0.08, "b": 0.07, "S": 0.055, "l": 0.05,
    "d": 0.05, "v": 0.05, "t": 0.04, "r": 0.04, "n": 0.03, "o": 0.03, "z": 0.03, "C": 0.025,
    "a": 0.02, "i": 0.02, "f": 0.015, "ia": 0.015, "c": 0.01, "iu": 0.01, "e": 0.01,
    "u": 0.005, "SC": 0.005,
}  # fmt: skip
_DEFAULT_INITIAL_SHARE = 0.03
_INITIAL_MOST = 7.5


@lru_cache(maxsize=1_000)
def _initial_readings(token: NameToken) -> frozenset[str]:
    """The letters an initial stands for. A Latin one may be the first letter of a longer
    spelling (S. of Shvets = Ш, Shch = Щ; K. of Kh = Х; T. of Ts = Ц; Y. of Ya = Я): its
    readings with each letter that can follow it in such a spelling."""
    if is_cyrillic(token.norm):
        return token.skels
    followers = ("", "h", "s", "hch", "a", "u", "e")
    readings = {r for f in followers for r in skeletons(token.norm + f)} | token.skels
    return frozenset(r for r in readings if r in LETTER_READINGS)


def _initials(words: tuple[NameToken, ...]) -> tuple[NameToken, ...]:
    """The words when every one is an initial (a listing's ``О.``), else none."""
    for t in words:  # a loop, not all(): on the hot path, and most first words are no initial
        if not t.initial:
            return ()
    return words


def family_initials(p: Prepared) -> bool:
    """Whether a person's family name is given only as initials (a registry listing's О.)."""
    return bool(_initials(p.family))


def _initial_of(initial: NameToken, skels: Iterable[str]) -> str | None:
    """The reading of ``initial`` that begins one of ``skels`` (the longest), if any."""
    found = None
    for reading in _initial_readings(initial):
        if any(sk.startswith(reading) for sk in skels) and (
            found is None or len(reading) > len(found)
        ):
            found = reading
    return found


class _InitialPair:
    """Where one side gives a name as initials only: the initial, the reading of it that
    begins the other side's name (None: it begins none), the share of names it begins, and
    the share of the other name's spellings that begin so (``kept``: 1, or a Russian clerk's
    first letter, ``russian_starts``)."""

    __slots__ = ("initial", "kept", "matched", "share", "word")

    def __init__(
        self,
        initial: NameToken,
        matched: str | None,
        word: NameToken,
        share: float = 1.0,
        kept: float = 1.0,
    ) -> None:
        self.initial = initial
        self.matched = matched
        self.word = word
        self.share = share
        self.kept = kept


def _share(t: NameToken, shares: Mapping[str, float], default: float) -> float:
    """The share of names an initial begins: the shares of every letter it may stand for."""
    return sum(shares.get(r, default) for r in _initial_readings(t))


def _initial_pair(
    words_a: tuple[NameToken, ...],
    words_b: tuple[NameToken, ...],
    shares: Mapping[str, float],
    default: float,
    groups_a: Iterable[str] = (),
    groups_b: Iterable[str] = (),
    respelt: Callable[[NameToken], Mapping[str, float]] | None = None,
) -> _InitialPair | None:
    """The initials of one side against the other side's words (and the readings of its
    given-name ``groups``), or None when neither side gives initials. ``respelt`` gives a
    word's readings in another spelling that may begin otherwise, each with the share of
    records written so (a family name's Russian start: Олексієнко, Алексеенко)."""
    init_a, init_b = _initials(words_a), _initials(words_b)
    if not (init_a or init_b) or not (words_a and words_b):
        return None
    readings_a = _group_readings(frozenset(groups_a)) if init_b else frozenset()
    readings_b = _group_readings(frozenset(groups_b)) if init_a else frozenset()
    sides = ((init_a, words_b, readings_b), (init_b, words_a, readings_a))
    first: _InitialPair | None = None
    best: tuple[float, str, str] | None = None
    agreeing: _InitialPair | None = None
    for initials, other, extra in sides:
        if not initials:
            continue
        for t in initials:
            found = [(w, _initial_of(t, w.skels), 1.0) for w in other]
            if respelt is not None:
                found = [
                    _respelt_initial(t, w, respelt) if m is None else (w, m, k) for w, m, k in found
                ]
            found.append((other[0], _initial_of(t, extra), 1.0))
            for w, matched, kept in found:
                if matched is None:
                    continue
                # Two initials (Y. and И.) are as weak as the one that stands for more letters,
                # whichever side it came from; of several agreeing pairs the strongest counts,
                # so that compare(a, b) == compare(b, a) and a record agrees best with itself.
                weak, word = (
                    (w, t)
                    if w.initial and _share(w, shares, default) > _share(t, shares, default)
                    else (t, w)
                )
                share = _share(weak, shares, default)
                key = (share / kept, min(t.norm, w.norm), max(t.norm, w.norm))
                if best is None or key < best:
                    best, agreeing = key, _InitialPair(weak, matched, word, share, kept)
            first = first or _InitialPair(t, None, other[0])
    return agreeing or first


def _respelt_initial(
    t: NameToken, w: NameToken, respelt: Callable[[NameToken], Mapping[str, float]]
) -> tuple[NameToken, str | None, float]:
    """The reading of the initial ``t`` that begins ``w`` as another spelling begins it, and
    the share of records written so (``w``, None, 1 when it begins none)."""
    other = respelt(w)
    matched = _initial_of(t, other) if other else None
    if matched is None:
        return w, None, 1.0
    return w, matched, max(k for sk, k in other.items() if sk.startswith(matched))


def _initial_agrees(p: _InitialPair | None) -> bool:
    return p is not None and p.matched is not None


def _initial_weight(p: _InitialPair | None) -> float:
    """log2(m / share): an initial is copied right (m = 0.9; times the share of records that
    spell the name so, when it agrees only with a Russian clerk's spelling) and begins that
    share of names, the shares of all the letters it may stand for (S.: С, Ш, Щ)."""
    assert p is not None and p.matched is not None  # noqa: S101 - read only once it agrees
    return max(1.0, min(_INITIAL_MOST, math.log2(0.9 * p.kept / p.share)))


@cache
def _given_initial_shares() -> dict[str, float]:
    """Share of the name groups (of ``given_names.tsv``) a given-name initial can stand for,
    by the first letters of their Ukrainian and Russian forms."""
    idx = given_index()
    # The readings of a group's Ukrainian and Russian forms, from the index (the readings of
    # every form, each with the strongest kind of form that has it), not read again.
    letters: dict[str, set[str]] = {}
    for sk, kinds in idx.by_skeleton.items():
        for gid, kind in kinds.items():
            if kind in ("uk", "ru"):
                letters.setdefault(gid, set()).update((sk[:1], sk[:2]))
    counts: dict[str, int] = {}
    for group_letters in letters.values():
        for letter in group_letters & LETTER_READINGS:
            counts[letter] = counts.get(letter, 0) + 1
    return {k: v / len(idx.groups) for k, v in counts.items()}


@lru_cache(maxsize=10_000)
def _group_readings(gids: frozenset[str]) -> frozenset[str]:
    """Readings of every Ukrainian and Russian form of the groups (Микола reaches Николай: an
    initial Н. agrees). Not the Western forms: a listing initials the name its register
    holds, the Russian passport form, and a Latin copy transliterates that (N. for Nikolai);
    Klaus or John would let К. agree with Микола and J. with Іван."""
    idx = given_index()
    return frozenset(
        sk
        for g in gids
        for f in (*idx.groups[g].ukrainian, *idx.groups[g].russian)
        for sk in skeletons(f)
    )


def _initial_detail(p: _InitialPair | None, sign: str) -> str:
    assert p is not None  # noqa: S101 - read only by the initials' levels
    spelt = ", as a Russian spelling begins it" if p.kept < 1.0 else ""
    return f"{p.initial.text}. {sign} {p.word.text} (initial{spelt})"


# --- given name -------------------------------------------------------------------------------
def _starts_alike(t: NameToken, s: NameToken) -> bool:
    for x in t.skels:
        for y in s.skels:
            short, long_ = (x, y) if len(x) <= len(y) else (y, x)
            if len(short) >= 3 and long_.startswith(short[: max(3, len(short) - 1)]):
                return True
    return False


class _GivenPair(_NamePair):
    __slots__ = ("_prefix", "a", "b", "group", "group_weight", "initials", "share")

    def __init__(self, a: Prepared, b: Prepared, frequencies: Frequencies) -> None:
        super().__init__(a.given, b.given)
        self.a = a
        self.b = b
        self.initials = _initial_pair(
            a.given, b.given, _given_initial_shares(), 0.05, a.given_groups, b.given_groups
        )
        self._prefix: object = _UNSET
        shared = sorted(a.given_groups.keys() & b.given_groups.keys())
        self.group: str | None = None  # the name group both forms belong to, if any
        self.share = DEFAULT_GIVEN_FREQ
        self.group_weight = 0.0
        if shared:
            self._weigh_groups(shared, frequencies or {})

    def _weigh_groups(self, shared: list[str], shares: Mapping[str, float]) -> None:
        a, b = self.a, self.b
        # When a form belongs to several groups (a diminutive such as Ліза), the agreement is
        # no rarer than the commonest shared group: that share sets the term frequency.
        f = max(shares.get("given:" + g, DEFAULT_GIVEN_FREQ) for g in shared)

        def group_weight(g: str) -> float:
            ka, kb = a.given_groups[g], b.given_groups[g]
            m = 0.1 if "typo" in (ka, kb) else 0.8 if "dim" in (ka, kb) else 0.9
            # An ambiguous form (Саша: Олександр or Олександра, sex unknown) says less.
            ambiguity = max(
                len(a.given_groups) if ka == "dim" else _western(a, ka, g, shares),
                len(b.given_groups) if kb == "dim" else _western(b, kb, g, shares),
            )
            return max(1.5, _given_tf(m, f) - math.log2(ambiguity))

        # Most pairs share one group: weigh it once (this is the engine's hottest path).
        if len(shared) == 1:
            self.group, self.group_weight = shared[0], group_weight(shared[0])
        else:
            weights = {g: group_weight(g) for g in shared}
            self.group = min(shared, key=lambda g: (-weights[g], g))
            self.group_weight = weights[self.group]
        self.share = f

    @property
    def form_a(self) -> str:
        assert self.group is not None  # noqa: S101 - read only by the shared-group levels
        return self.a.given_group_form[self.group]

    @property
    def form_b(self) -> str:
        assert self.group is not None  # noqa: S101 - read only by the shared-group levels
        return self.b.given_group_form[self.group]

    @property
    def kinds(self) -> str:
        """``Микола (uk) = Николай (ru), both Микола``."""
        assert self.group is not None  # noqa: S101 - read only by the shared-group levels
        ka, kb = self.a.given_groups[self.group], self.b.given_groups[self.group]
        canon = given_index().groups[self.group].canonical
        return f"{self.form_a} ({KIND_LABEL[ka]}) = {self.form_b} ({KIND_LABEL[kb]}), both {canon}"

    @property
    def prefix(self) -> Words | None:
        """An unknown diminutive is usually the name's start with a suffix (Сергійко, Назарчик)."""
        if self._prefix is _UNSET:
            self._prefix = next(
                ((t, s) for t in self.words_a for s in self.words_b if _starts_alike(t, s)), None
            )
        return self._prefix  # type: ignore[return-value]

    @property
    def both_known(self) -> bool:
        return bool(self.a.given_groups) and bool(self.b.given_groups)


def _western(p: Prepared, kind: str, group: str, shares: Mapping[str, float]) -> float:
    """How ambiguous a Western form is as a name of ``group``: a form of several groups
    (Alexander: Олександр and Олесь) stands for each as often as that group's children are
    named so, so its reading as a rare group says less (the commonest shares against this
    one's). 1 for any other kind of form, and for a form of one group."""
    if kind != "other" or len(p.given_groups) < 2:
        return 1.0
    share = {h: shares.get("given:" + h, DEFAULT_GIVEN_FREQ) for h in p.given_groups}
    return sum(share.values()) / share[group]


@lru_cache(maxsize=10_000)
def _diminutive_only(norm: str) -> bool:
    """Whether a word is only ever a diminutive (Діма, Dima), never a name of its own."""
    kinds = set(given_index().lookup(norm).values())
    return bool(kinds) and kinds <= {"dim"}


def _same_word_weight(p: _GivenPair, m: float) -> float:
    """The shared group's weight, and no less than an agreeing name of that share (m). A
    diminutive both sides write (Діма, one family listing it among other names) says no more
    than the diminutive against the full name: every Дмитро is called so."""
    words = p.same or p.same_skeleton
    # Only when one side writes that word alone: beside other words (Саша Олійник, in either
    # role) the same word is not all the two share.
    alone = len(p.words_a) == 1 or len(p.words_b) == 1
    if words is not None and alone and _diminutive_only(words[1].norm):
        return p.group_weight
    return max(p.group_weight, _given_tf(m, p.share))


def _given_present(a: Prepared, b: Prepared) -> bool:
    return bool(a.given) and bool(b.given)


GIVEN_NAME: Ladder[_GivenPair] = Ladder(
    "given_name",
    _given_present,
    _GivenPair,
    (
        # A listing's initial (Н.) agrees as far as it goes, by how many names it can begin.
        Level(
            "initial agrees",
            lambda p: _initial_agrees(p.initials),
            lambda p: _initial_weight(p.initials),
            lambda p: _initial_detail(p.initials, "="),
            ceiling=_INITIAL_MOST,
        ),
        Level(
            "initial differs",
            lambda p: p.initials is not None,
            -3.0,
            lambda p: _initial_detail(p.initials, "≠"),
        ),
        # A shared name group; the very same word is never less than an exact match of an
        # unknown name.
        Level(
            "exact",
            lambda p: p.group is not None and p.same is not None,
            lambda p: _same_word_weight(p, 0.9) + 0.3,
            lambda p: _words(p.same, "="),
            ceiling=_GIVEN_HI + 0.3,
        ),
        Level(
            "same under transliteration",
            lambda p: p.group is not None and p.same_skeleton is not None,
            lambda p: _same_word_weight(p, 0.85) + 0.2,
            lambda p: f"{p.form_a} = {p.form_b}",
            ceiling=_GIVEN_HI + 0.2,
        ),
        Level(
            "equivalent",
            lambda p: p.group is not None,
            lambda p: p.group_weight,
            lambda p: p.kinds,
            ceiling=_GIVEN_HI,
        ),
        # No shared group (a name the data does not know on one side at least).
        Level(
            "exact",
            lambda p: p.same is not None,
            _given_tf(0.9, DEFAULT_GIVEN_FREQ),
            lambda p: _words(p.same, "="),
        ),
        Level(
            "same under transliteration",
            lambda p: p.same_skeleton is not None,
            _given_tf(0.85, DEFAULT_GIVEN_FREQ),
            lambda p: _words(p.same_skeleton, "="),
        ),
        Level(
            "close",
            lambda p: p.closeness >= 0.93,
            3.0,
            lambda p: _words(p.closest, "≈") + " (spelling)",
        ),
        # Two names the data knows are no diminutive of each other (Олег, Олександр).
        Level(
            "possible diminutive",
            lambda p: not p.both_known and p.prefix is not None,
            1.5,
            lambda p: _words(p.prefix, "~"),
        ),
        # Spelt alike (Jaro-Winkler 0.87): a name the data does not know may be the other
        # misspelt (a little for). Two names it knows, of groups that are not each other's
        # (Олександра, Оксана), are as often two names as one misspelt: nothing either way.
        Level(
            "similar",
            lambda p: p.closeness >= 0.87,
            lambda p: 0.0 if p.both_known else 0.5,
            lambda p: _words(p.closest, "~"),
            ceiling=0.5,
        ),
        Level(
            "different",
            lambda p: p.both_known,
            -7.0,
            lambda p: _words(p.closest, "≠") + " (different names)",
        ),
        Level("different", always, -3.5, lambda p: _words(p.closest, "≠")),
    ),
)


# --- family name ------------------------------------------------------------------------------
def _meet(t: NameToken, s: NameToken) -> bool:
    """The same family name, under transliteration or a Russian spelling."""
    return bool(t.norm == s.norm or t.skels & s.skels or clerk_keys(t.norm) & clerk_keys(s.norm))


def _former_meets(a: Prepared, b: Prepared) -> Words | None:
    """A former family name of one side (in ``other_names``) that is the other's name, while
    the two current family names differ: the child was given a new one."""
    if not (a.former or b.former):
        return None
    current_a = a.family[: len(a.family) - len(a.former)]
    current_b = b.family[: len(b.family) - len(b.former)]
    if not (current_a and current_b) or any(_meet(t, s) for t in current_a for s in current_b):
        return None
    for t in a.former:
        for s in b.family:
            if _meet(t, s):
                return t, s
    for s in b.former:
        for t in a.family:
            if _meet(t, s):
                return t, s
    return None


@lru_cache(maxsize=10_000)
def _russian_start(t: NameToken) -> Mapping[str, float]:
    """A family name's readings as a Russian clerk may begin it otherwise (Олексієнко:
    Алексеенко, so a listing's А. agrees with it), with the share of records written so."""
    return russian_starts(t.skels)


@lru_cache(maxsize=100_000)
def _clerk_stems(keys: frozenset[str]) -> frozenset[str]:
    """The stems a person's surname keys read as (`_surname_stems`): most pairs compared
    share none, and need no closer look at their kinship (one set per person: the keys'
    set is shared among the records that write one family name)."""
    return frozenset(stem for key in keys for stem, _ in _surname_stems(key))


class _FamilyPair(_NamePair):
    __slots__ = ("_similarity", "a", "b", "former", "initials", "respelled", "top")

    def __init__(self, a: Prepared, b: Prepared, frequencies: Frequencies) -> None:
        super().__init__(a.family, b.family)
        self.a = a
        self.b = b
        self.initials = _initial_pair(
            a.family,
            b.family,
            _FAMILY_INITIAL_SHARE,
            _DEFAULT_INITIAL_SHARE,
            respelt=_russian_start,
        )
        self.former = _former_meets(a, b)
        shared = a.family_clerk & b.family_clerk
        f = DEFAULT_FAMILY_FREQ
        if shared and frequencies:
            f = min(frequencies.get("family:" + k, DEFAULT_FAMILY_FREQ) for k in shared)
        self.respelled = bool(shared)  # a Russian spelling or the other gender's form
        self.top = _tf_weight(0.9, f, _FAMILY_LO, _FAMILY_HI)
        self._similarity: float | None = None

    @property
    def kindred(self) -> bool:
        """Two families of one stem (Коваль, Ковальчук): alike in spelling, yet other names;
        not when a word is one letter from the other's (Гребенююк: a slip)."""
        if not _clerk_stems(self.a.family_clerk) & _clerk_stems(self.b.family_clerk):
            return False  # `kindred_surnames` holds only for keys of one stem
        slip = any(
            OSA.distance(x, y, score_cutoff=1) <= 1
            for t in self.words_a
            for s in self.words_b
            for x in t.skels
            for y in s.skels
        )
        return not slip and any(
            kindred_surnames(x, y) for x in self.a.family_clerk for y in self.b.family_clerk
        )

    @property
    def one_slip(self) -> bool:
        """The words are close in spelling, or their surname keys (which undo a Russian
        clerk's spelling and fold the vowels) are one edit apart: a slip of the pen. Folded
        keys are short, and keys that only begin alike come close in Jaro-Winkler too (sirik
        for Сорока, sirgink for a Sergієнко typed with a Cyrillic є: 0.93)."""
        if self.closeness >= 0.93:
            return True
        return any(
            OSA.distance(x, y, score_cutoff=1) <= 1
            for x in self.a.family_clerk
            for y in self.b.family_clerk
        )

    @property
    def similarity(self) -> float:
        """The closest words, or surname keys (which undo Russian spellings), in spelling."""
        if self._similarity is None:
            jwc = 0.0  # a loop, not max() over a generator: read for most pairs
            for x in self.a.family_clerk:
                for y in self.b.family_clerk:
                    jw = JaroWinkler.similarity(x, y)
                    if jw > jwc:
                        jwc = jw
            self._similarity = max(self.closeness, jwc)
        return self._similarity


def _family_present(a: Prepared, b: Prepared) -> bool:
    return bool(a.family) and bool(b.family)


FAMILY_NAME: Ladder[_FamilyPair] = Ladder(
    "family_name",
    _family_present,
    _FamilyPair,
    (
        # A listing's initial (О.) agrees with Олійник, Олейник, Oliinyk, weighed by how many
        # family names begin so; one that differs is no more than a changed name (the share
        # of listed children given a new one, about one in four, against 0.95 of random pairs).
        Level(
            "initial agrees",
            lambda p: _initial_agrees(p.initials),
            lambda p: _initial_weight(p.initials),
            lambda p: _initial_detail(p.initials, "="),
            ceiling=_INITIAL_MOST,
        ),
        Level(
            "initial differs",
            lambda p: p.initials is not None,
            -1.5,
            lambda p: (
                _initial_detail(p.initials, "≠")
                + ": consistent with a changed family name (new identity)"
            ),
        ),
        # A court file or school record that keeps the child's former name: the current
        # names differ because the child was given a new one, and the former name counts as
        # the family name itself would, a little less for the copying it went through.
        Level(
            "former name",
            lambda p: p.former is not None,
            lambda p: p.top - 0.3,
            lambda p: (
                _words(p.former, "=") + " (former name): consistent with a new identity (adoption)"
            ),
            ceiling=_FAMILY_HI - 0.3,
        ),
        Level(
            "exact",
            lambda p: p.same is not None,
            lambda p: p.top,
            lambda p: _words(p.same, "="),
            ceiling=_FAMILY_HI,
        ),
        Level(
            "same under transliteration",
            lambda p: p.same_skeleton is not None,
            lambda p: p.top - 0.2,
            lambda p: _words(p.same_skeleton, "="),
            ceiling=_FAMILY_HI - 0.2,
        ),
        Level(
            "respelled",
            lambda p: p.respelled,
            lambda p: p.top - 0.6,
            lambda p: (
                f"{p.words_a[0].text} = {p.words_b[0].text} (Russian spelling or gender form)"
            ),
            ceiling=_FAMILY_HI - 0.6,
        ),
        # One stem with suffixes of another kind (Коваль, Коваленко, Ковальчук): spelt alike,
        # but two families, and a common pair among other children (the stems of trades,
        # Коваль-, Бондар-, Ткач-, begin many names): m, a true pair written so (a slip, or a
        # new name that shares the stem), about 0.002, against u about 0.005: log2(0.4).
        Level(
            "different",
            lambda p: p.kindred,
            -1.5,
            lambda p: _words(p.closest, "≠") + " (another family name of the same stem)",
        ),
        Level(
            "close",
            lambda p: p.similarity >= 0.93 and p.one_slip,
            4.0,
            lambda p: _words(p.closest, "≈") + " (typo)",
        ),
        Level(
            "phonetic",
            lambda p: bool(p.a.family_codes & p.b.family_codes),
            2.0,
            lambda p: _words(p.closest, "~"),
        ),
        Level(
            "similar",
            lambda p: p.similarity >= 0.88,
            1.0,
            lambda p: _words(p.closest, "~"),
        ),
        # Children are given new family names: a disagreement is weak evidence against.
        Level(
            "different",
            always,
            -2.5,
            lambda p: _words(p.closest, "≠") + " (name may have been changed)",
        ),
    ),
)


# --- patronymic -------------------------------------------------------------------------------
def _patronymic_present(a: Prepared, b: Prepared) -> bool:
    return bool(a.father_stems) and bool(b.father_stems)


class _Patronymics(Sides):
    __slots__ = ()

    @property
    def father(self) -> str:
        """The father's given name both patronymics are formed from (the first, if several)."""
        shared = self.a.father_groups & self.b.father_groups
        return given_index().groups[min(shared)].canonical


PATRONYMIC: Ladder[_Patronymics] = Ladder(
    "patronymic",
    _patronymic_present,
    _Patronymics,
    (
        Level(
            "equivalent",
            lambda p: bool(p.a.father_groups & p.b.father_groups),
            4.0,
            lambda p: f"{p.a.patronymic_text} = {p.b.patronymic_text}: father {p.father}",
        ),
        Level(
            "same under transliteration",
            lambda p: bool(p.a.father_stems & p.b.father_stems),
            4.0,
            lambda p: f"{p.a.patronymic_text} = {p.b.patronymic_text}",
        ),
        Level(
            "close",
            lambda p: best_jw(p.a.father_stems, p.b.father_stems) >= 0.9,
            2.0,
            lambda p: f"{p.a.patronymic_text} ≈ {p.b.patronymic_text}",
        ),
        Level(
            "different",
            always,
            -3.0,
            lambda p: f"{p.a.patronymic_text} ≠ {p.b.patronymic_text} (father's name)",
        ),
    ),
)


# --- date of birth ----------------------------------------------------------------------------
class _Dates:
    """The dates of birth of two dated people."""

    __slots__ = ("a", "b")

    def __init__(self, a: Prepared, b: Prepared, _frequencies: Frequencies = None) -> None:
        assert a.dob is not None and b.dob is not None  # noqa: S101 - both are dated
        self.a: DateParts = a.dob
        self.b: DateParts = b.dob

    @property
    def years_apart(self) -> int:
        return abs(self.a.year - self.b.year)

    @property
    def one_digit(self) -> bool:
        """One wrong digit lies in the year, the month or the day: most pairs differ in more."""
        a, b = self.a, self.b
        if (a.year != b.year) + (a.month != b.month) + (a.day != b.day) != 1:
            return False
        sa = f"{a.year:04d}{a.month:02d}{a.day:02d}"
        sb = f"{b.year:04d}{b.month:02d}{b.day:02d}"
        return sum(x != y for x, y in zip(sa, sb, strict=True)) == 1


def _both_complete(a: Prepared, b: Prepared) -> bool:
    return a.dob is not None and b.dob is not None and a.dob.complete and b.dob.complete


def _both_dated_one_partly(a: Prepared, b: Prepared) -> bool:
    return a.dob is not None and b.dob is not None and not _both_complete(a, b)


def _born_vs(p: _Dates) -> str:
    return f"born {p.a.text} vs {p.b.text}"


# Dates of birth years apart. A date that is wrong altogether (another child's, a parent's)
# falls anywhere, but most errors fall near the truth (a year off, two years misremembered),
# so a date three years or more from the other is rarer still among true pairs: m about 0.004
# against u, the share of random pairs of children born that far apart, about 0.68:
# log2(0.004 / 0.68) = -7.4. (The levels above it weigh what falls nearer.)
_YEARS_APART = 3
_YEARS_APART_WEIGHT = -7.5


def _apart(p: _Dates) -> str:
    return f"born {p.a.text} vs {p.b.text} ({p.years_apart} years apart)"


# Two dates of one year whose months differ (see the level "same year" below).
_SAME_YEAR_WEIGHT = -1.5

# Two dates a year apart that differ in the month or the day too: two parts of the date
# disagree, as between two children. A true pair shows it when two slips meet (0.03 each), a
# month slipped across the new year (December for January), or a relative misremembers both:
# m about 0.007, against u, the share of random pairs born a year apart, about 0.11 (2 in 18
# birth years; 11 in 12 of them in other months): log2(0.007 / 0.11) = -4.0. New documents
# rewrite either the year or the day and month (``_compare``), not both, so they do not
# explain it either.
_TWO_PARTS_WEIGHT = -4.0

# Two complete dates a year apart whose day and month agree: a slip in the year, or a year
# rewritten on new documents (``_compare``).
YEAR_OFF_BY_ONE: Level[_Dates] = Level(
    "year off by one",
    lambda p: (p.a.month, p.a.day) == (p.b.month, p.b.day) and p.years_apart == 1,
    6.0,
    _born_vs,
)

# Two complete dates: the levels know the field's usual errors. The very same date is shared
# by about one random pair of children in 6,500 (18 birth years of 365 days) and kept by most
# true pairs, log2(0.85 * 6500) = 12.4; it weighs 9.5, kept lower since twins, and children
# whose records copy one register, share it too.
DATE_OF_BIRTH: Ladder[_Dates] = Ladder(
    "date_of_birth",
    _both_complete,
    _Dates,
    (
        Level(
            "exact",
            lambda p: (p.a.year, p.a.month, p.a.day) == (p.b.year, p.b.month, p.b.day),
            9.5,
            lambda p: f"born {p.a.text}",
        ),
        Level(
            "day and month swapped",
            lambda p: p.a.year == p.b.year and (p.a.month, p.a.day) == (p.b.day, p.b.month),
            6.5,
            _born_vs,
        ),
        YEAR_OFF_BY_ONE,
        # One digit typed or copied wrong (a year one apart is caught above; another year
        # one digit away, 2011 for 2017, lands here too): m about 0.07 against u about
        # 1/300 (some 20 of the 6,500 dates of 18 years lie one digit from a date):
        # log2(0.07 * 300) = 4.4.
        Level("one digit wrong", lambda p: p.one_digit, 4.5, _born_vs),
        Level(
            "same month", lambda p: (p.a.year, p.a.month) == (p.b.year, p.b.month), 2.5, _born_vs
        ),
        # A clerk's slip changes one part of a date (a digit, the year, the order); a day and a
        # month that both differ are another child's, or a date rewritten on new documents
        # (``_compare`` weighs that case): m about 0.01 against u, the share of random pairs
        # born in one year, about 0.065.
        Level("same year", lambda p: p.a.year == p.b.year, _SAME_YEAR_WEIGHT, _born_vs),
        Level(
            "year off by one, day differs",
            lambda p: p.years_apart == 1,
            _TWO_PARTS_WEIGHT,
            _born_vs,
        ),
        Level("different", lambda p: p.years_apart >= _YEARS_APART, _YEARS_APART_WEIGHT, _apart),
        Level("different", always, -6.0, _born_vs),
    ),
)

# Two dates that agree as far as both go, in the year and the month, or in the year alone:
# kept lower than what they tell (one random pair in about 216 shares a month of birth, one in
# 18 a year) for the same reason as the exact date (twins, one register copied); ``_compare``
# weighs what they tell between two records of two families.
PARTIAL_MONTH_WEIGHT = 5.0
PARTIAL_YEAR_WEIGHT = 3.0
MONTH_AND_YEAR_AGREE: Level[_Dates] = Level(
    "agrees as far as given",
    lambda p: p.a.year == p.b.year and bool(p.a.month and p.b.month) and p.a.month == p.b.month,
    PARTIAL_MONTH_WEIGHT,
    _born_vs,
)
YEAR_AGREES: Level[_Dates] = Level(
    "agrees as far as given", lambda p: p.a.year == p.b.year, PARTIAL_YEAR_WEIGHT, _born_vs
)

# A date without its day or month on one side at least: agree as far as both go.
PARTIAL_DATE_OF_BIRTH: Ladder[_Dates] = Ladder(
    "date_of_birth",
    _both_dated_one_partly,
    _Dates,
    (
        MONTH_AND_YEAR_AGREE,
        Level(
            "same year",
            lambda p: p.a.year == p.b.year and bool(p.a.month and p.b.month),
            _SAME_YEAR_WEIGHT,
            _born_vs,
        ),
        YEAR_AGREES,
        # A year off by one is a slip when the rest agrees as far as given; with the months
        # given and different too, two parts of the date disagree (``_TWO_PARTS_WEIGHT``).
        Level(
            "year off by one, month differs",
            lambda p: (
                p.years_apart == 1 and bool(p.a.month and p.b.month) and p.a.month != p.b.month
            ),
            _TWO_PARTS_WEIGHT,
            _born_vs,
        ),
        Level(
            "year off by one",
            lambda p: bool(p.a.year and p.b.year) and p.years_apart == 1,
            -1.0,
            _born_vs,
        ),
        Level("different", lambda p: p.years_apart >= _YEARS_APART, _YEARS_APART_WEIGHT, _apart),
        Level("different", always, -5.0, _born_vs),
    ),
)


# --- a date of birth against an age estimate --------------------------------------------------
class _AgeAtSighting:
    """A date of birth on one side, an age estimate (``lo``-``hi``) on the other, the ages
    the date gives at the observation date (``youngest``-``oldest``) and, when both dates give
    their month, the age in years and fractions (``years``)."""

    __slots__ = ("born", "hi", "lo", "oldest", "years", "youngest")

    def __init__(
        self, born: str, lo: int, hi: int, youngest: int, oldest: int, years: float | None
    ) -> None:
        self.born = born
        self.lo = lo
        self.hi = hi
        self.youngest = youngest
        self.oldest = oldest
        self.years = years

    @property
    def aged(self) -> str:
        return f"{self.youngest}" + (f"-{self.oldest}" if self.oldest != self.youngest else "")

    @property
    def overlaps(self) -> bool:
        return self.oldest >= self.lo and self.youngest <= self.hi

    @property
    def years_outside(self) -> int:
        return self.lo - self.oldest if self.oldest < self.lo else self.youngest - self.hi

    @property
    def weight_within(self) -> float:
        lo, hi = self.lo, self.hi
        w = 3.0 if hi - lo <= 2 else 2.0 if hi - lo <= 4 else 1.0
        # Estimates centre on the age the child looks: an age far from the middle of the
        # range is less likely than one near it. "10-13" covers the ages 10.0 to 13.99, so its
        # middle is 12.0; the age in fractions of a year says how far from it (a child of 10
        # and a month, at the very edge, loses half a bit; one of 12, none).
        if self.years is not None:
            centre, half = (lo + hi + 1) / 2, (hi + 1 - lo) / 2
            return w - 0.5 * min(1.0, abs(self.years - centre) / half)
        centre = (lo + hi) / 2
        off = min(abs(age - centre) for age in (self.youngest, self.oldest))
        if hi - lo >= 2 and off >= (hi - lo) / 2:
            w -= 0.5
        return w


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


def _years_at(dob: DateParts, obs: Prepared) -> float | None:
    """The age in years and fractions at the observation date, when both dates give their
    month (a day not given is taken as the middle of its month)."""
    seen = obs.observed
    if seen is None or seen.month is None or dob.month is None:
        return None
    born = dob.year + (dob.month - 1) / 12 + ((dob.day or 15) - 1) / 365.25
    then = seen.year + (seen.month - 1) / 12 + ((seen.day or 15) - 1) / 365.25
    return then - born


def _one_dated(a: Prepared, b: Prepared) -> bool:
    return (a.dob is None) != (b.dob is None)


def _age_at_sighting(a: Prepared, b: Prepared, _frequencies: Frequencies) -> _AgeAtSighting | None:
    dated, ranged = (a, b) if a.dob is not None else (b, a)
    p = ranged.person
    if p.age_min is None and p.age_max is None:
        return None
    assert dated.dob is not None  # noqa: S101 - _one_dated
    ages = _age_at(dated.dob, ranged)
    if ages is None:
        return None
    lo = p.age_min if p.age_min is not None else p.age_max
    hi = p.age_max if p.age_max is not None else p.age_min
    if lo is None or hi is None:
        return None
    years = _years_at(dated.dob, ranged)
    return _AgeAtSighting(dated.dob.text, min(lo, hi), max(lo, hi), *ages, years)


def _aged(p: _AgeAtSighting) -> str:
    return f"born {p.born}: aged {p.aged}, seen as {p.lo}-{p.hi}"


AGE_AT_SIGHTING: Ladder[_AgeAtSighting] = Ladder(
    "age",
    _one_dated,
    _age_at_sighting,
    (
        Level(
            "within the estimate",
            lambda p: p.overlaps,
            lambda p: p.weight_within,
            _aged,
            ceiling=3.0,
        ),
        Level("one year outside the estimate", lambda p: p.years_outside == 1, -0.7, _aged),
        Level("two years outside the estimate", lambda p: p.years_outside == 2, -2.5, _aged),
        # A child who looks four years older or younger than they are is rare (m about 0.004,
        # with a report's date that is wrong altogether) among random pairs that far apart
        # (u about 0.5): log2(0.008) = -7.
        Level("far outside the estimate", lambda p: p.years_outside >= 4, -7.0, _aged),
        Level("outside the estimate", always, -5.0, _aged),
    ),
)


# --- two age estimates ------------------------------------------------------------------------
class _Estimates:
    """Two inclusive ranges of plausible birth years."""

    __slots__ = ("a", "b")

    def __init__(self, a: tuple[int, int], b: tuple[int, int]) -> None:
        self.a = a
        self.b = b

    @property
    def weight_same(self) -> float:
        """The same estimate: as telling as a date inside it."""
        width = self.a[1] - self.a[0] - 1
        return 3.0 if width <= 2 else 2.0 if width <= 4 else 1.0


def _both_estimated(a: Prepared, b: Prepared) -> bool:
    return a.dob is None and b.dob is None and bool(a.birth_years) and bool(b.birth_years)


def _estimates(a: Prepared, b: Prepared, _frequencies: Frequencies) -> _Estimates:
    assert a.birth_years is not None and b.birth_years is not None  # noqa: S101 - _both_estimated
    return _Estimates(a.birth_years, b.birth_years)


def _estimated(p: _Estimates) -> str:
    return f"born {p.a[0]}-{p.a[1]} vs {p.b[0]}-{p.b[1]} (age estimates)"


AGE_ESTIMATES: Ladder[_Estimates] = Ladder(
    "age",
    _both_estimated,
    _estimates,
    (
        Level(
            "same estimate", lambda p: p.a == p.b, lambda p: p.weight_same, _estimated, ceiling=3.0
        ),
        Level(
            "estimates overlap", lambda p: p.a[0] <= p.b[1] and p.b[0] <= p.a[1], 0.5, _estimated
        ),
        Level("estimates disagree", always, -2.0, _estimated),
    ),
)


# --- sex and place ----------------------------------------------------------------------------
def _sex_present(a: Prepared, b: Prepared) -> bool:
    return bool(a.sex) and bool(b.sex)


SEX: Ladder[Sides] = Ladder(
    "sex",
    _sex_present,
    Sides,
    (
        Level("same", lambda p: p.a.sex == p.b.sex, 0.3, lambda p: f"{p.a.sex}"),
        Level(
            "different",
            lambda p: p.a.sex_inferred or p.b.sex_inferred,
            -2.0,
            lambda p: f"{p.a.sex} vs {p.b.sex} (inferred from the names)",
        ),
        Level("different", always, -4.0, lambda p: f"{p.a.sex} vs {p.b.sex}"),
    ),
)


# Cities of Russia and Belarus that Russian documents, lists and witnesses name as a deported
# child's birthplace or whereabouts (regional capitals and the towns children's homes, camps
# and adoptive families were reported in), in Russian; Latin spellings meet them through their
# readings (skeletons). General knowledge of the geography, not a list of any data set's names.
# A city whose name is also a Ukrainian place's (Подольск is Подільськ's Russian name) is in
# Ukraine's list: it agrees as that place, and differs as one that may lie abroad
# (_RUSSIAN_HOMONYMS).
_FOREIGN_CITY_NAMES = (
    "Москва", "Санкт-Петербург", "Ростов-на-Дону", "Таганрог", "Краснодар", "Анапа", "Сочи",
    "Новороссийск", "Ейск", "Геленджик", "Воронеж", "Курск", "Белгород", "Брянск", "Орёл",
    "Орел", "Тула", "Рязань", "Калуга", "Липецк", "Тамбов", "Смоленск", "Тверь", "Ярославль",
    "Кострома", "Иваново", "Владимир", "Нижний Новгород", "Казань", "Самара", "Саратов",
    "Волгоград", "Астрахань", "Элиста", "Ставрополь", "Пятигорск", "Кисловодск", "Махачкала",
    "Грозный", "Нальчик", "Владикавказ", "Пенза", "Ульяновск", "Уфа", "Оренбург", "Пермь",
    "Екатеринбург", "Челябинск", "Тюмень", "Курган", "Омск", "Новосибирск", "Томск",
    "Кемерово", "Барнаул", "Красноярск", "Иркутск", "Чита", "Улан-Удэ", "Якутск", "Хабаровск",
    "Владивосток", "Магадан", "Мурманск", "Архангельск", "Вологда", "Петрозаводск",
    "Сыктывкар", "Киров", "Ижевск", "Чебоксары", "Йошкар-Ола", "Саранск", "Псков",
    "Великий Новгород", "Калининград", "Минск", "Гомель", "Брест", "Гродно",
    "Витебск", "Могилёв", "Могилев",
)  # fmt: skip


@cache
def _foreign_readings() -> frozenset[str]:
    return frozenset(
        sk for name in _FOREIGN_CITY_NAMES for sk in skeletons(normalize(name).replace(" ", ""))
    )


def _foreign(p: Prepared) -> bool:
    """Whether a person's place is a city of Russia or Belarus and not a place of Ukraine's."""
    return not p.place_ids and bool(p.place_skels & _foreign_readings())


def _place_present(a: Prepared, b: Prepared) -> bool:
    return bool(a.place_text) and bool(b.place_text)


# Russian towns whose Russian name is also the Russian (or Soviet) name of a Ukrainian place
# in the list: Подольск (Moscow oblast; Подільськ, Odesa oblast), Дзержинск (Nizhny Novgorod
# oblast; Торецьк), Новомосковск (Tula oblast; Самар), Зеленодольск (Tatarstan), Владимир
# (Володимир, Volyn), Кировск (Murmansk and Leningrad oblasts; Голубівка), Красноармейск
# (Saratov and Moscow oblasts; Покровськ), Первомайск (Nizhny Novgorod oblast), Комсомольск
# (Ivanovo oblast; Горішні Плавні), Советский (Khanty-Mansi; Ічкі). On a Russian document
# the name is as likely the Russian town, often the likelier (Подольск, a birthplace on new
# documents): written so, it agrees with the Ukrainian place but differs from another only
# as a place that may lie outside Ukraine's list does. Russian spellings and their Latin
# transliterations; not the Ukrainian ones (Дзержинськ, Dzerzhynsk), which name Ukraine's.
_RUSSIAN_HOMONYMS = frozenset(
    normalize(w)
    for w in (
        "Подольск", "Podolsk", "Podol'sk", "Дзержинск", "Dzerzhinsk", "Новомосковск",
        "Novomoskovsk", "Зеленодольск", "Zelenodolsk", "Владимир", "Vladimir", "Кировск",
        "Kirovsk", "Красноармейск", "Krasnoarmeysk", "Krasnoarmeisk", "Первомайск",
        "Pervomaysk", "Комсомольск", "Komsomolsk", "Советский", "Sovetskiy", "Sovetsky",
        "Sovetskii",
    )
)  # fmt: skip


@lru_cache(maxsize=10_000)
def _also_in_russia(text: str) -> bool:
    """Whether a place as written is also the name of a town in Russia (``_RUSSIAN_HOMONYMS``)."""
    return normalize(text) in _RUSSIAN_HOMONYMS


def _maybe_abroad(p: Sides) -> bool:
    """One place is not in Ukraine's list, or is written as a Russian town's name too."""
    a, b = p.a, p.b
    if not (a.place_ids and b.place_ids):
        return True
    return _also_in_russia(a.place_text or "") or _also_in_russia(b.place_text or "")


SETTLEMENT: Ladder[Sides] = Ladder(
    "settlement",
    _place_present,
    Sides,
    (
        Level(
            "same place",
            lambda p: bool(p.a.place_ids & p.b.place_ids or p.a.place_skels & p.b.place_skels),
            2.5,
            lambda p: f"{p.a.place_text} = {p.b.place_text}",
        ),
        Level(
            "close",
            lambda p: best_jw(p.a.place_skels, p.b.place_skels) >= 0.92,
            1.5,
            lambda p: f"{p.a.place_text} ≈ {p.b.place_text}",
        ),
        # A place outside the list of Ukrainian settlements, or written as a Russian town's
        # name too (Подольск), says little against a child deported from Ukraine: a village
        # the list lacks may or may not be the other's town (-0.3, a mixture of "different"
        # and nothing). A city of Russia or Belarus (_FOREIGN_CITY_NAMES) is the birthplace
        # new documents gave, or where the child was seen: every Ukrainian child's record
        # disagrees with it alike, so it tells nothing of which child it is (0).
        Level(
            "different, one place not in Ukraine's list",
            _maybe_abroad,
            lambda p: 0.0 if _foreign(p.a) or _foreign(p.b) else -0.3,
            lambda p: f"{p.a.place_text} ≠ {p.b.place_text}",
            ceiling=0.0,
        ),
        # Two known Ukrainian places that differ. A true pair shows it when the sighting's
        # place is not the home the family wrote: a birthplace (children of the villages are
        # born in the district's or oblast's town), a place the child was moved to before,
        # a slip; m about 0.3 of the true pairs that name two known places, against u about
        # 0.95: log2(0.3 / 0.95) = -1.7, kept at -1.5. (At -0.7 the ladder said that true
        # pairs name two different places three times as often as one place.)
        Level("different", always, -1.5, lambda p: f"{p.a.place_text} ≠ {p.b.place_text}"),
    ),
)


# --- institution ------------------------------------------------------------------------------
# The kinds of institution children were held in, by their words in Ukrainian, Russian and
# English (normalised, joined by spaces): будинок дитини = дом ребенка = baby home.
_INSTITUTION_KINDS = {
    "baby home": (
        "будинок дитини", "дом ребенка", "дом ребёнка", "baby home", "infant home",
        "children's home", "childrens home", "children home",
    ),
    "children's home": (
        "дитячий будинок", "дитбудинок", "детский дом", "детдом", "children's home",
        "childrens home", "children home", "orphanage",
    ),
    "boarding school": (
        "школа інтернат", "школа интернат", "інтернат", "интернат", "boarding school",
    ),
    "hospital": ("лікарня", "больница", "hospital", "лечебница"),
    "rehabilitation centre": (
        "реабілітаційний центр", "реабилитационный центр", "rehabilitation centre",
        "rehabilitation center",
    ),
    "shelter": ("притулок", "приют", "shelter"),
    "sanatorium": ("санаторій", "санаторий", "sanatorium"),
}  # fmt: skip
# Words that say whose the institution is, not where: обласний = областной = regional.
_INSTITUTION_OWNERS = {
    "regional": ("обласний", "обласна", "областной", "областная", "regional", "oblast"),
    "city": ("міський", "міська", "городской", "городская", "city", "municipal"),
}  # fmt: skip
# Adjective endings of a town's name (Херсонський, Херсонский, Олешківська) and the English
# possessive: what is left is the town.
_TOWN_ADJECTIVE = re.compile(r"(ський|ська|ське|цький|цька|ский|ская|ское|цкий|цкая|'s)$")
_TOWN_STEM = re.compile(r"(ів|ов|ев|ьк|к)$")
_OWNER_WORDS = {normalize(w): k for k, ws in _INSTITUTION_OWNERS.items() for w in ws}
_KIND_PHRASES = sorted(
    ((normalize(w), k) for k, ws in _INSTITUTION_KINDS.items() for w in ws),
    key=lambda wk: -len(wk[0]),
)
_FILLER = frozenset(normalize(w) for w in ("of", "the", "no", "№", "n", "комунальний", "state"))


@dataclass(frozen=True, slots=True)
class _Institution:
    kinds: frozenset[str]
    owners: frozenset[str]
    towns: frozenset[str]  # readings of the town's name, adjective endings cut
    place_ids: frozenset[int]
    text: str


@lru_cache(maxsize=10_000)
def _institution(text: str) -> _Institution:
    """What an institution's name says: its kind, its owner and its town."""
    words = " ".join(tokens(text.replace("-", " ")))
    kinds: set[str] = set()
    found: list[str] = []
    for phrase, kind in _KIND_PHRASES:  # English "children's home" names either kind
        if re.search(rf"(^| ){re.escape(phrase)}( |$)", words):
            kinds.add(kind)
            found.append(phrase)
    for phrase in found:
        words = re.sub(rf"(^| ){re.escape(phrase)}( |$)", " ", words)
    owners = {_OWNER_WORDS[w] for w in words.split() if w in _OWNER_WORDS}
    rest = [w for w in words.split() if w not in _OWNER_WORDS and w not in _FILLER]
    towns = {_TOWN_ADJECTIVE.sub("", w) for w in rest if len(w) > 2}
    ids = frozenset(i for t in towns for i in _town_places(t))
    readings = frozenset(sk for t in towns for sk in skeletons(t) if len(sk) >= 4)
    return _Institution(frozenset(kinds), frozenset(owners), readings, ids, text.strip())


def _town_places(word: str) -> frozenset[int]:
    """The known places a town word names; an adjective's stem (олешків-, алешков-) reaches
    the places whose names begin with it (Олешки, Алешки)."""
    idx = place_index()
    found = idx.lookup(word)
    stem = _TOWN_STEM.sub("", word)
    if found or len(stem) < 4:
        return found
    return frozenset(i for form, ids in idx.by_form.items() if form.startswith(stem) for i in ids)


def _same_town(a: _Institution, b: _Institution) -> bool:
    """The towns meet as places, or one's reading begins the other's (Олешківська ~ Олешки)."""
    if a.place_ids & b.place_ids:
        return True
    return any(x[:5] == y[:5] for x in a.towns for y in b.towns)


class _Institutions:
    __slots__ = ("a", "b")

    def __init__(self, a: Prepared, b: Prepared, _frequencies: Frequencies = None) -> None:
        assert a.person.institution and b.person.institution  # noqa: S101 - _institutions_given
        self.a = _institution(a.person.institution)
        self.b = _institution(b.person.institution)

    @property
    def same_kind(self) -> bool:
        return bool(self.a.kinds & self.b.kinds) and not (
            self.a.owners and self.b.owners and not self.a.owners & self.b.owners
        )

    @property
    def towns_given(self) -> bool:
        return bool(self.a.towns) and bool(self.b.towns)


def _institutions_given(a: Prepared, b: Prepared) -> bool:
    return bool(a.person.institution) and bool(b.person.institution)


def _institution_vs(p: _Institutions, sign: str) -> str:
    return f"{p.a.text} {sign} {p.b.text}"


# Children were moved as groups (the Kherson regional children's home to Crimea): the same
# institution is evidence of its own, though a home holds dozens of children (u about 1/100 of
# the reports that name one, m about 0.6: log2 = 5.9, kept lower since housemates are alike in
# age and region); a different one says little, since children were moved between them.
INSTITUTION: Ladder[_Institutions] = Ladder(
    "institution",
    _institutions_given,
    _Institutions,
    (
        Level(
            "same institution",
            lambda p: p.same_kind and p.towns_given and _same_town(p.a, p.b),
            4.0,
            lambda p: _institution_vs(p, "="),
        ),
        Level(
            "same kind, town not given",
            lambda p: p.same_kind and not p.towns_given,
            1.0,
            lambda p: _institution_vs(p, "~"),
        ),
        Level(
            "same town",
            lambda p: p.towns_given and _same_town(p.a, p.b),
            1.0,
            lambda p: _institution_vs(p, "~"),
        ),
        Level("different", always, -1.0, lambda p: _institution_vs(p, "≠")),
    ),
)
