"""Text normalisation and the transliteration skeleton.

The skeleton folds Ukrainian and Russian Cyrillic and Latin spellings under any common system
(KMU 2010, older Ukrainian passport tables, BGN/PCGN, ISO 9, GOST 7.79, ALA-LC, ICAO 9303,
scholarly diacritics, German, French and Polish emigrant spellings) into a coarse lower-case key.
It is deliberately lossy: г/ґ/h/g share one letter (х/kh has its own: Негода and Нехода are two
names, so two Cyrillic spellings never meet across г/х; a Latin h, ch or x reads as either),
и/і/ї/й/ы/y/i/j share one letter,
е/є/э/ё (and ye/je/ie/yo after a consonant) share one letter, ж and ш share one letter, щ is ш+ч,
soft signs and apostrophes vanish and doubled letters collapse. Ambiguous Latin sequences
(``ch`` = ч in English, ш in French, х in German and Polish; ``c`` = ц or к) give several
readings, so :func:`skeletons` returns a small set.

Internal letters of the skeleton: the Latin letters a b d e f h i k l m n o p r s t u v z, plus
``c`` for ц, ``C`` for ч, ``S`` for ж/ш and ``x`` for х.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from itertools import product

__all__ = [
    "fix_mixed_script",
    "is_cyrillic",
    "normalize",
    "skeleton",
    "skeletons",
    "tokens",
]

# Every apostrophe-like mark found in Ukrainian names (and the soft/hard sign transliterations).
_APOSTROPHES = "'’ʼ`´ʹʺ‘′″\u02bb\u02bd\u0313\u0314"
_APOS_RE = re.compile(f"[{re.escape(_APOSTROPHES)}]")
_SPACE_RE = re.compile(r"[\s\u00a0_]+")
_TOKEN_RE = re.compile(r"[^\W\d_]+", re.UNICODE)

# Look-alike letters typed from the wrong keyboard layout.
_LAT_TO_CYR = str.maketrans("aceiopxykbhmt", "асеіорхуквнмт")
_CYR_TO_LAT = str.maketrans("асеіорхукмтвн", "aceiopxykmtbh")
_CYR_RE = re.compile("[\u0400-\u04ff]")
_LAT_RE = re.compile("[a-z\u00c0-\u024f]")


def is_cyrillic(text: str) -> bool:
    """True when the text holds at least one Cyrillic letter."""
    return _CYR_RE.search(text) is not None


def fix_mixed_script(word: str) -> str:
    """Fix Latin look-alikes inside a Cyrillic word ("Олeг") and the reverse ("Sergіy")."""
    cyr = len(_CYR_RE.findall(word))
    lat = len(_LAT_RE.findall(word))
    if cyr and lat:
        if cyr >= lat:
            return word.translate(_LAT_TO_CYR)
        return word.translate(_CYR_TO_LAT)
    return word


@lru_cache(maxsize=200_000)
def normalize(text: str) -> str:
    """NFKC, lower case, one kind of apostrophe removed, hyphens and spaces to single spaces.

    Idempotent: ``normalize(normalize(x)) == normalize(x)``.
    """
    t = unicodedata.normalize("NFKC", text).lower()
    # Combining marks left after composition (ALA-LC tie bars in i͡a, ISO 9 g̀) carry nothing.
    if any(unicodedata.combining(ch) for ch in t):
        t = "".join(ch for ch in t if not unicodedata.combining(ch))
    t = t.replace("ё", "е")
    t = _APOS_RE.sub("", t)
    t = t.replace("-", " ").replace("\u2010", " ").replace("\u2011", " ").replace("\u2013", " ")
    t = t.replace(".", " ").replace(",", " ")
    t = _SPACE_RE.sub(" ", t).strip()
    return " ".join(fix_mixed_script(w) for w in t.split(" ")) if t else ""


def tokens(text: str) -> list[str]:
    """Words of a normalised text (letters only)."""
    return _TOKEN_RE.findall(normalize(text))


# --- Cyrillic to skeleton letters ------------------------------------------------------------
_CYR_MAP = {
    "а": "a", "б": "b", "в": "v", "г": "h", "ґ": "h", "д": "d", "е": "e", "є": "ie",
    "ж": "S", "з": "z", "и": "i", "і": "i", "ї": "ii", "й": "i", "к": "k", "л": "l",
    "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u",
    "ф": "f", "х": "x", "ц": "c", "ч": "C", "ш": "S", "щ": "SC", "ъ": "", "ы": "i",
    "ь": "", "э": "e", "ю": "iu", "я": "ia", "ё": "io", "ў": "u",
}  # fmt: skip

# --- Latin to skeleton letters ---------------------------------------------------------------
# Precomposed letters of the scholarly, ISO 9 / GOST 7.79, Polish, Czech and French systems.
_LAT_SPECIAL = {
    "š": "S", "ž": "S", "ż": "S", "ź": "z", "ś": "s", "č": "C", "ć": "C", "ŝ": "SC",
    "ł": "l", "ń": "n", "ó": "o", "û": "iu", "â": "ia", "ê": "ie", "ë": "io", "ï": "ii",
    "ì": "i", "ĭ": "i", "ȳ": "i", "ý": "i", "ǐ": "i", "è": "e", "é": "e", "ė": "e",
    "ě": "ie", "ŭ": "u", "ù": "u", "ú": "u", "ü": "iu", "ö": "io", "ä": "ia", "ř": "rS",
    "ğ": "h", "ĥ": "h", "ħ": "h", "ß": "s", "å": "a", "á": "a", "à": "a", "í": "i",
    "ĕ": "e", "ą": "a", "ę": "e", "ý́": "i",
}  # fmt: skip

# Latin sequences, longest first; each maps to its possible readings (first = most likely).
_LAT_SEQ: list[tuple[str, tuple[str, ...]]] = sorted(
    [
        ("schtsch", ("SC",)),  # German щ
        ("shtch", ("SC",)),
        ("chtch", ("SC",)),  # French щ
        ("shch", ("SC",)),  # KMU, BGN, ICAO щ
        ("szcz", ("SC",)),  # Polish щ
        ("shtsh", ("SC",)),
        ("tsch", ("C",)),  # German ч
        ("tch", ("C", "tC")),  # French ч; т+ч (Renatchyk)
        ("gue", ("he", "hue")),  # French gu before e/i = г (Serguei, Evguenii)
        ("gui", ("hi", "hui")),
        ("sch", ("S", "SC")),  # German ш/ж; informal щ
        ("shh", ("SC",)),  # GOST 7.79-B щ
        ("zh", ("S",)),
        ("sh", ("S",)),
        ("sz", ("S",)),  # Polish ш
        ("rz", ("S", "rz")),  # Polish ж
        ("cz", ("C", "c")),  # Polish ч; GOST 7.79-B ц before и/е/ы (Gricz`ko)
        ("eh", ("eh", "ex", "e")),  # GOST 16876-71 э = eh; е + ISO 9 х (Nehoda = Нехода)
        ("ch", ("C", "x", "S")),  # English ч, German/Polish х, French ш
        ("kh", ("x",)),
        ("gh", ("h",)),
        ("ck", ("k", "ck")),  # Western к; ць+к with the soft sign dropped (Hryc'ko)
        ("rzh", ("rS",)),
        ("ts", ("c",)),
        ("tz", ("c",)),
        ("th", ("t",)),
        ("ph", ("f",)),
        ("ou", ("u",)),  # French у
        ("jou", ("iu", "Su")),  # French ю / жу
        ("you", ("iu",)),
        ("iou", ("iu",)),
        ("yo", ("io", "o")),  # ё; ьо (Seryoga = Серьога)
        ("jo", ("io", "So", "o")),  # French/Telegram j = ж; DSTU ьо (Bronjo)
        ("ye", ("ie",)),
        ("je", ("ie", "Se")),
        ("yu", ("iu",)),
        ("ju", ("iu", "Su")),
        ("ya", ("ia",)),
        ("ja", ("ia", "Sa")),
        ("sc", ("sk", "SC", "sc")),  # Telegram щ = sc
        ("tc", ("c", "tk")),  # GOST 2006 ц = tc
        ("c", ("c", "k")),  # ISO/Polish ц; Western к
        ("x", ("ks", "x")),  # ISO 9 / scholarly х = x
        ("h", ("h", "x")),  # KMU г = h; ISO 9, Czech, Spanish-style х = h
        ("q", ("k",)),
        ("w", ("v",)),
        ("g", ("h",)),
        ("y", ("i",)),
        ("j", ("i", "S")),
    ],
    key=lambda kv: -len(kv[0]),
)
_LAT_SEQ_BY_FIRST: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
for _seq, _alts in _LAT_SEQ:
    _LAT_SEQ_BY_FIRST.setdefault(_seq[0], []).append((_seq, _alts))

_MAX_READINGS = 8
_VOWELS = frozenset("aeiouy")
_GERMAN_RE = re.compile(r"sch|w|tsch|ck|j")
# German spellings: z = ц, s (not before a consonant) = з.
_GERMAN = {"z": ("c", "z"), "s": ("z", "s")}
_DOUBLE_RE = re.compile(r"(.)\1+")


def _latin_units(word: str) -> list[tuple[str, ...]]:
    """Cut a Latin word into units, each with its possible skeleton readings."""
    word = "".join(_LAT_SPECIAL.get(ch, ch) for ch in word)
    # Remaining diacritics (tie bars of ALA-LC, breves, acute accents): drop the marks.
    word = "".join(
        ch for ch in unicodedata.normalize("NFKD", word) if not unicodedata.combining(ch)
    )
    german = _GERMAN_RE.search(word) is not None
    units: list[tuple[str, ...]] = []
    i = 0
    n = len(word)
    while i < n:
        ch = word[i]
        if ch in "SC":  # already a skeleton letter from _LAT_SPECIAL
            units.append((ch,))
            i += 1
            continue
        if (
            ch == "j"
            and i > 0
            and word[i - 1] not in _VOWELS
            and word[i - 1].isalpha()
            and (i + 1 == n or word[i + 1] not in _VOWELS)
        ):  # DSTU 9112 / Polish soft sign: Kovaljsjkyj, Gudzj; French final ж: Serj
            if i + 1 == n:
                units.append(("", "S"))
            i += 1
            continue
        if ch == "e" and i + 1 == n and word.endswith("ine"):  # MVD 310 French: Martine = Мартин
            units.append(("e", ""))
            i += 1
            continue
        if ch == "z" and i + 1 == n and i > 0:  # German final ц (Hryz = Гриць)
            units.append(("z", "c"))
            i += 1
            continue
        if (
            ch == "s"
            and not german
            and i + 1 < n
            and word[i + 1] in _VOWELS
            and (i == 0 or word[i - 1] in _VOWELS)
        ):  # German s = з before a vowel (Nasar, Sachar) even without other German marks
            units.append(("s", "z"))
            i += 1
            continue
        if (
            german
            and ch in _GERMAN
            and not any(
                len(seq) > 1 and word.startswith(seq, i) for seq, _ in _LAT_SEQ_BY_FIRST.get(ch, ())
            )
            and not (ch == "s" and i + 1 < n and word[i + 1] not in _VOWELS)
        ):
            units.append(_GERMAN[ch])
            i += 1
            continue
        for seq, alts in _LAT_SEQ_BY_FIRST.get(ch, ()):
            if word.startswith(seq, i):
                units.append(alts)
                i += len(seq)
                break
        else:
            if "a" <= ch <= "z":
                units.append((ch,))
            i += 1
    return units


def _fold(raw: str) -> str:
    """Post-rules shared by every script, applied to the letter string."""
    s = raw
    s = s.replace("ii", "i")
    s = s.replace("ie", "e")  # є/je/ye/ie and е merge; Андрієвич ~ Андреевич
    if len(s) > 2:  # ё after a consonant (Семён ~ Semyon ~ Семен); keep Йосип/Iosif initial
        s = s[0] + s[1:].replace("io", "e")
    s = _DOUBLE_RE.sub(r"\1", s)
    return s


@lru_cache(maxsize=200_000)
def skeletons(word: str) -> frozenset[str]:
    """All skeleton readings of one word (or a whole name: spaces are dropped)."""
    w = normalize(word)
    if not w:
        return frozenset()
    out: set[str] = set()
    if is_cyrillic(w):
        raw = "".join(_CYR_MAP.get(ch, ch if "a" <= ch <= "z" else "") for ch in w)
        out.add(_fold(raw))
        return frozenset(x for x in out if x)
    units = _latin_units(w)
    ambiguous = [k for k, u in enumerate(units) if len(u) > 1]
    if not ambiguous:
        out.add(_fold("".join(u[0] for u in units)))
        return frozenset(x for x in out if x)
    for n, combo in enumerate(product(*(units[k] for k in ambiguous)), 1):
        parts = [u[0] for u in units]
        for k, alt in zip(ambiguous, combo, strict=True):
            parts[k] = alt
        out.add(_fold("".join(parts)))
        if n >= _MAX_READINGS:
            break
    return frozenset(x for x in out if x)


def skeleton(word: str) -> str:
    """The principal skeleton (first reading) of a word: for display and sorting."""
    w = normalize(word)
    if not w:
        return ""
    if is_cyrillic(w):
        return _fold("".join(_CYR_MAP.get(ch, ch if "a" <= ch <= "z" else "") for ch in w))
    return _fold("".join(u[0] for u in _latin_units(w)))
