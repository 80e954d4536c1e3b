"""Name knowledge: given-name groups, patronymics, surname keys and places.

What each piece adds and misses:

* Given-name groups (``given_names.tsv``) link forms that are different words (Микола = Николай,
  Ганна = Анна, Льоша = Олексій) and every diminutive. Lookups go through the exact normalised
  form and through the skeleton of every form, so Latin spellings under any system (Mykola,
  Nikolai, Kolya) reach the group without being listed. Names outside the file are compared by
  skeleton and Jaro-Winkler only: a Latin spelling of the same Cyrillic form is caught, a
  Russified form that is a different word (Ярема = Ерёма) is not.
* Patronymics are recognised by their endings (Ukrainian -ович/-івна/-ївна, Russian
  -ович/-евич/-овна/-евна/-ична/-ич, and their Latin forms) and reduced to the stem of the
  father's name, which is looked up among the stems of the Ukrainian and Russian forms of male
  groups: Олександрович = Александрович = Oleksandrovych.
* Surnames: Russian clerks respell і as е or и, и as ы, ї as йи, є as е, drop the apostrophe and
  write Russian gender endings (-ский/-ская, -ов/-ова). The *clerk key* folds these: skeleton,
  е/и merged, the gender ending cut. A consonant code (our own, Daitch-Mokotoff-like) is coarse
  enough for blocking but too coarse to score with.
* Places: ``places.tsv`` gives the Ukrainian, Russian, former and Latin names of a settlement;
  other places are compared by skeleton.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import OSA, JaroWinkler

from ._data import DATA, NameGroup, Place, load_given_names, load_places
from ._text import is_cyrillic, normalize, skeletons

__all__ = [
    "GivenNameIndex",
    "PlaceIndex",
    "best_jw",
    "clerk_keys",
    "given_index",
    "index_document",
    "index_sources_digest",
    "kindred_surnames",
    "patronymic_stems",
    "place_index",
    "russian_starts",
    "shipped_index",
    "surname_codes",
]

KIND_LABEL = {
    "uk": "uk",
    "ru": "ru",
    "dim": "diminutive",
    "other": "Western form",
    "typo": "misspelt",
}

# Kinds of form from the strongest evidence to the weakest (a form listed as Ukrainian in one
# group and as a diminutive in another is a name of its own there).
_KIND_STRENGTH = {"uk": 0, "ru": 1, "other": 2, "dim": 3, "typo": 4}


_LATIN = re.compile("[a-z]")


def _named(kinds: dict[str, str]) -> bool:
    """Whether a form is a Ukrainian or Russian name or diminutive somewhere (not only a
    Western form)."""
    return any(kind != "other" for kind in kinds.values())


def _keep_strongest(kinds: dict[str, str], gid: str, kind: str) -> None:
    old = kinds.get(gid)
    if old is None or _KIND_STRENGTH[kind] < _KIND_STRENGTH[old]:
        kinds[gid] = kind


# Patronymic endings in skeleton letters (see _text): -ович/-евич/-йович (ovic, evic),
# -івна/-ївна/-овна/-евна (ivna, ovna, evna), -ична/-інічна (iCna), -ич (iC: Ильич, Лукич).
# Latin readings reach the same letters (Oleksandrovych -> oleksandroviC).
_PATRONYMIC_SUFFIXES = ("iniCna", "oviC", "eviC", "ivna", "ovna", "evna", "iCna", "iC")
_FEMALE_PATRONYMIC = ("ivna", "ovna", "evna", "iCna")
_TRAILING_VOWELS = "aeiou"


def _stem(skel: str) -> str:
    return skel.rstrip(_TRAILING_VOWELS) or skel


def patronymic_stems(word: str) -> tuple[frozenset[str], str | None]:
    """Stems of the father's name if ``word`` looks like a patronymic, and its sex."""
    stems: set[str] = set()
    sex: str | None = None
    for sk in sorted(skeletons(word)):
        for suf in _PATRONYMIC_SUFFIXES:
            if sk.endswith(suf) and len(sk) - len(suf) >= 2:
                if suf == "iC" and len(sk) < 5:
                    continue
                stems.add(_stem(sk[: -len(suf)]))
                sex = "female" if suf in _FEMALE_PATRONYMIC else "male"
                break
    return frozenset(stems), sex


def best_jw(a: frozenset[str], b: frozenset[str]) -> float:
    """Best Jaro-Winkler similarity between any two readings."""
    best = 0.0
    for x in a:
        for y in b:
            if x == y:
                return 1.0
            s = JaroWinkler.similarity(x, y)
            if s > best:
                best = s
    return best


# --- Surnames ---------------------------------------------------------------------------------
# A family name built on a given name that Russian spells otherwise may be Russified with it:
# Олексієнко = Алексеенко, Олексюк = Алексюк, Миколаєв = Николаев (in skeleton letters), with
# the share of such names given the Russian first letter. Measured on names-translator's
# uk->ru surname dictionary (118,127 surnames): 16 of the 58 beginning Олек- (0.28) and 4 of
# the 35 beginning Мико- (0.11); no other first letter changes in more than two names (Вусач =
# Усач, Йолкін = Елкин).
_RUSSIAN_STARTS = (("oleks", "aleks", 0.28), ("mikol", "nikol", 0.11))


def russian_starts(skels: Iterable[str]) -> dict[str, float]:
    """The readings of a family name as a Russian clerk may begin it (Олексієнко: Алексеенко),
    each with the share of such names written so; empty when it begins otherwise."""
    return {
        alt + sk[len(uk) :]: share
        for sk in skels
        for uk, alt, share in _RUSSIAN_STARTS
        if sk.startswith(uk)
    }


_GENDER_ENDINGS = re.compile(r"(?<=[a-zSCc])(?:aia|ia|a|i)$")


@cache
def clerk_keys(word: str) -> frozenset[str]:
    """Keys that survive Russian clerk respelling and gender forms of a surname.

    Олійник/Олейник/Oliinyk/Oleinik, Білоус/Белоус, Ковальський/Ковальская/Kovalska,
    Соловйов/Соловьева all meet here. Measured against names-translator's uk->ru surname
    dictionary (3,000 sampled surnames, 1,559 whose first Russian form differs): merging е/і/и
    alone met 95.5% of pairs, merging о as well 99.6% (the rest: Рыночный for Ринковий,
    Аленичева for Оленічева, adjectival -ая endings), in Cyrillic and under KMU/ICAO/BGN alike.
    """
    out = set()
    for sk in skeletons(word):
        # е/і/и/о interchange in Russified spellings: Олійник/Олейник, Матківський/Матковский,
        # Перебійніс/Перебейнос, -ьов/-ев (Брильов/Брылев).
        k = sk.replace("e", "i").replace("o", "i")
        k = re.sub(r"i+", "i", k)
        if len(k) > 4:
            k = _GENDER_ENDINGS.sub("", k)
        out.add(k)
    return frozenset(out)


# Ukrainian family names are built from one stem with suffixes that make other families, not
# other spellings: Коваль, Коваленко, Ковальчук, Ковальський; Шевченко, Шевчук; Ткач,
# Ткаченко, Ткачишин; Мороз, Морозов. The suffixes in clerk-key letters (``clerk_keys``
# merges е/и/і/о and cuts the gender ending) and the kind of name each makes.
_SURNAME_SUFFIXES = {
    "ink": "-енко", "Cuk": "-чук", "iuk": "-юк", "uk": "-ук", "sk": "-ський", "ck": "-цький",
    "iSin": "-ишин", "iv": "-ів/-ов", "in": "-ин", "": "",
}  # fmt: skip
_SUFFIX_KIND = {"Cuk": "-ук", "iuk": "-ук", "uk": "-ук", "ck": "-ський"} | {
    sfx: kind for sfx, kind in _SURNAME_SUFFIXES.items() if sfx not in ("Cuk", "iuk", "ck")
}


@cache
def _surname_stems(key: str) -> frozenset[tuple[str, str]]:
    """The ways a clerk key reads as a stem (three letters at least) and a suffix's kind."""
    return frozenset(
        (key[: len(key) - len(sfx)], _SUFFIX_KIND[sfx])
        for sfx in _SURNAME_SUFFIXES
        if key.endswith(sfx) and len(key) - len(sfx) >= 3
    )


def kindred_surnames(x: str, y: str) -> bool:
    """Whether two clerk keys are two families of one stem (Коваль, Ковальчук): one stem with
    suffixes of different kinds, two letters apart at least (Петрик and Петрук, one letter
    apart, may be a slip; the caller rules out a slip of one written letter, Гребенююк)."""
    if OSA.distance(x, y, score_cutoff=1) <= 1:
        return False
    stems = dict(_surname_stems(x))
    return any(stems.get(stem, kind) != kind for stem, kind in _surname_stems(y))


_CODE_MAP = str.maketrans(
    {"p": "b", "t": "d", "s": "z", "c": "z", "C": "S", "k": "h", "x": "h", "f": "v", "n": "m"}
)


@cache
def surname_codes(word: str) -> frozenset[str]:
    """A Daitch-Mokotoff-like consonant code for blocking (first letter + up to 4 consonants).

    Written for this project (the only Python Daitch-Mokotoff is GPL); it works on skeleton
    letters, so every transliteration system already agrees before coding.
    """
    out = set()
    for k in clerk_keys(word):
        if not k:
            continue
        head = "V" if k[0] in _TRAILING_VOWELS else k[0].translate(_CODE_MAP)
        body = "".join(ch for ch in k[1:] if ch not in _TRAILING_VOWELS).translate(_CODE_MAP)
        body = re.sub(r"(.)\1+", r"\1", body)
        out.add((head + body)[:5])
    return frozenset(out)


# --- Given names ------------------------------------------------------------------------------
# The words whose groups a GivenNameIndex keeps (a few hundred bytes each).
_WORDS_HELD = 100_000


@dataclass(slots=True)
class GivenNameIndex:
    groups: dict[str, NameGroup] = field(default_factory=dict)
    by_form: dict[str, dict[str, str]] = field(default_factory=dict)  # form -> gid -> kind
    by_skeleton: dict[str, dict[str, str]] = field(default_factory=dict)
    # Western forms by skeleton, for words that are no full name of their own (see lookup).
    by_western_skeleton: dict[str, set[str]] = field(default_factory=dict)
    by_stem: dict[str, set[str]] = field(default_factory=dict)  # male stems for patronymics
    # The readings, and the Cyrillic forms as typed, by their first letter: a typing error
    # keeps the first (lookup_typo).
    _skeleton_keys: dict[str, list[str]] = field(default_factory=dict)
    _typed_keys: dict[str, list[str]] = field(default_factory=dict)
    # Each word's answer from ``lookup``, as computed the first time (most records share their
    # given names: a report's words are looked up again for every role they might play).
    _found: dict[str, dict[str, str]] = field(default_factory=dict)

    def add(self, group: NameGroup) -> None:
        self._skeleton_keys.clear()
        self._typed_keys.clear()
        self._found.clear()
        self.groups[group.gid] = group
        for kind, forms in (
            ("uk", group.ukrainian),
            ("ru", group.russian),
            ("dim", group.diminutives),
            ("other", group.other),
        ):
            for form in forms:
                _keep_strongest(self.by_form.setdefault(normalize(form), {}), group.gid, kind)
                # A Western form (Jean, Romeo) is a word of another language: its readings
                # reach the group only from words that are no name of their own (lookup).
                if kind == "other":
                    for sk in skeletons(form):
                        self.by_western_skeleton.setdefault(sk, set()).add(group.gid)
                    continue
                for sk in skeletons(form):
                    _keep_strongest(self.by_skeleton.setdefault(sk, {}), group.gid, kind)
                if group.sex == "male" and kind in ("uk", "ru"):
                    for sk in skeletons(form):
                        self.by_stem.setdefault(_stem(sk), set()).add(group.gid)

    def lookup(self, word: str) -> dict[str, str]:
        """Groups a single given-name word belongs to, with the kind of form it is there.

        The written form's own kind comes first; a group reached only through readings keeps
        the strongest kind among them, so the answer does not depend on the order a set of
        readings is walked in.
        """
        found = self._found.get(word)
        if found is None:
            if len(self._found) >= _WORDS_HELD:
                self._found.clear()
            found = self._found[word] = self._lookup(word)
        return dict(found)  # the caller's to change

    def _lookup(self, word: str) -> dict[str, str]:
        n = normalize(word)
        exact = self.by_form.get(n, {})
        found = dict(exact)
        for sk in skeletons(n):
            for gid, kind in self.by_skeleton.get(sk, {}).items():
                if gid not in exact:
                    _keep_strongest(found, gid, kind)
        # A word that is a full name of its own (Cyrillic Жан) is that name, not a spelling of
        # a foreign form (Jan, Іван's). A word that is none may be a Western form written in
        # another script, as Ukrainian transcribes Lisa: Ліса (a witness writes what was heard).
        if not any(kind in ("uk", "ru") for kind in found.values()):
            for sk in skeletons(n):
                for gid in self.by_western_skeleton.get(sk, ()):
                    found.setdefault(gid, "other")
        return dict(sorted(found.items()))

    def known(self, word: str) -> bool:
        """True when the word is a form of some name (not merely close to one)."""
        return bool(self.lookup(word))

    def lookup_typo(self, word: str) -> dict[str, str]:
        """Groups whose forms are one edit away (two for long names): typing errors (Олг, Ulti͡ana).

        Only for words the data does not know; the kind of form is ``typo``. A Cyrillic word
        is compared with the Cyrillic forms letter for letter as typed: an edit of the skeleton,
        which already merges и, і, ы and й, is two of the letters one types, and reached
        distinct names (Данияр: Дана, Данило). A Latin word, or one in both scripts, has no
        letters of its own to go by and is compared by its readings.
        """
        n = normalize(word)
        if is_cyrillic(n) and not _LATIN.search(n):  # Єgor, in two scripts, has readings only
            if not self._typed_keys:
                for form in sorted(self.by_form):
                    if is_cyrillic(form) and _named(self.by_form[form]):
                        self._typed_keys.setdefault(form[:1], []).append(form)
            return self._typo_groups({n}, self._typed_keys, self.by_form)
        if not self._skeleton_keys:
            for key in sorted(self.by_skeleton):
                self._skeleton_keys.setdefault(key[:1], []).append(key)
        return self._typo_groups(skeletons(n), self._skeleton_keys, self.by_skeleton)

    @staticmethod
    def _typo_groups(
        queries: Iterable[str], keys: dict[str, list[str]], forms: dict[str, dict[str, str]]
    ) -> dict[str, str]:
        found: dict[str, str] = {}
        for q in queries:
            if len(q) < 3:
                continue
            cutoff = 1 if len(q) < 7 else 2
            for key, _, _ in process.extract(
                q,
                keys.get(q[0], ()),
                scorer=OSA.distance,  # a swap of two letters counts as one edit
                score_cutoff=cutoff,
                limit=None,  # every form that close: more names must not crowd one out
            ):
                if abs(len(key) - len(q)) <= cutoff:
                    for gid, kind in forms[key].items():
                        if kind != "other":
                            found.setdefault(gid, "typo")
        return dict(sorted(found.items()))

    def father_groups(self, stems: frozenset[str]) -> frozenset[str]:
        out: set[str] = set()
        for st in stems:
            out |= self.by_stem.get(st, set())
        return frozenset(out)

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> GivenNameIndex:
        """The index as :func:`index_document` wrote it."""
        groups = (NameGroup(g, sex, *map(tuple, forms)) for g, sex, *forms in doc["groups"])
        return cls(
            groups={g.gid: g for g in groups},
            by_form=doc["by_form"],
            by_skeleton=doc["by_skeleton"],
            by_western_skeleton={k: set(v) for k, v in doc["by_western_skeleton"].items()},
            by_stem={k: set(v) for k, v in doc["by_stem"].items()},
        )


def given_index() -> GivenNameIndex:
    return _indexes()[0]


def _built_given_index() -> GivenNameIndex:
    idx = GivenNameIndex()
    for g in load_given_names():
        idx.add(g)
    return idx


# --- Places -----------------------------------------------------------------------------------
@dataclass(slots=True)
class PlaceIndex:
    places: list[Place] = field(default_factory=list)
    by_form: dict[str, set[int]] = field(default_factory=dict)
    by_skeleton: dict[str, set[int]] = field(default_factory=dict)

    def add(self, place: Place) -> None:
        pid = len(self.places)
        self.places.append(place)
        for form in (*place.ukrainian, *place.russian, *place.former, *place.latin):
            self.by_form.setdefault(normalize(form), set()).add(pid)
            for sk in skeletons(form.replace(" ", "")):
                self.by_skeleton.setdefault(sk, set()).add(pid)

    def lookup(self, text: str) -> frozenset[int]:
        n = normalize(text)
        if n in self.by_form:
            return frozenset(self.by_form[n])
        out: set[int] = set()
        for sk in skeletons(n.replace(" ", "")):
            out |= self.by_skeleton.get(sk, set())
        return frozenset(out)

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> PlaceIndex:
        return cls(
            places=[Place(oblast, *map(tuple, names)) for oblast, *names in doc["places"]],
            by_form={k: set(v) for k, v in doc["place_by_form"].items()},
            by_skeleton={k: set(v) for k, v in doc["place_by_skeleton"].items()},
        )


def place_index() -> PlaceIndex:
    return _indexes()[1]


def _built_place_index() -> PlaceIndex:
    idx = PlaceIndex()
    for p in load_places():
        idx.add(p)
    return idx


# --- The indexes as shipped -------------------------------------------------------------------
# Building the indexes reads every form of ~6,000 name groups through the transliteration
# skeleton: a quarter of a second, more than a whole `ridni link` of a small file spends
# comparing. ``data/index.json`` holds them built (``python tools/build_index.py``), with the
# digest of everything they are built from: when any of it changed and the file was not built
# again, the indexes are built here, as they always were (the same answers, only slower), and
# tests/matching/test_names.py fails until the file is rebuilt.
_INDEX_FILE = "index.json"
_INDEX_SOURCES = (
    "data/given_names.tsv",
    "data/given_names_registry.tsv",
    "data/places.tsv",
    "_data.py",
    "_names.py",
    "_text.py",
)


def index_sources_digest() -> str | None:
    """The SHA-256 of the files the indexes are built from (None: one of them is missing)."""
    root = DATA.parent
    digest = hashlib.sha256()
    for name in _INDEX_SOURCES:
        try:
            data = (root / name).read_bytes()
        except FileNotFoundError:
            return None
        digest.update(f"{name}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def index_document() -> dict[str, Any]:
    """The indexes built from the data files, as ``data/index.json`` holds them."""
    given, places = _built_given_index(), _built_place_index()

    def listed(sets: dict[str, set[Any]]) -> dict[str, list[Any]]:
        return {k: sorted(v) for k, v in sets.items()}

    return {
        "sources": index_sources_digest(),
        "groups": [
            [g.gid, g.sex, g.ukrainian, g.russian, g.diminutives, g.other]
            for g in given.groups.values()
        ],
        "by_form": given.by_form,
        "by_skeleton": given.by_skeleton,
        "by_western_skeleton": listed(given.by_western_skeleton),
        "by_stem": listed(given.by_stem),
        "places": [[p.oblast, p.ukrainian, p.russian, p.former, p.latin] for p in places.places],
        "place_by_form": listed(places.by_form),
        "place_by_skeleton": listed(places.by_skeleton),
    }


def shipped_index() -> dict[str, Any] | None:
    """``data/index.json``, when it was built from the data files and code as they are now."""
    try:
        text = (DATA / _INDEX_FILE).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    doc: dict[str, Any] = json.loads(text)
    digest = index_sources_digest()
    return doc if digest is not None and doc.get("sources") == digest else None


@cache
def _indexes() -> tuple[GivenNameIndex, PlaceIndex]:
    doc = shipped_index()
    if doc is None:
        return _built_given_index(), _built_place_index()
    return GivenNameIndex.from_document(doc), PlaceIndex.from_document(doc)
