"""Build ``matching/data/given_names_registry.tsv`` from registry-derived name dictionaries.

Run by hand when the sources change, never at run time (the engine reads only the TSV):

    pip install names-translator==2.1.0 pymorphy3 pymorphy3-dicts-uk pymorphy3-dicts-ru
    python tools/build_names.py

Sources (both MIT-compatible, see matching/data/README.md):

* names-translator 2.1 (MIT): its Ukrainian -> Russian dictionaries of given names and of
  patronymics, compiled from registry records. The given-name pairs give the Russian passport
  form of a Ukrainian name (Пилип -> Филипп). The patronymic pairs give the Russian form of a
  father's name where the given-name dictionary only copies the letters: Прокопович ->
  Прокопьевич links Прокіп with Прокопий, Онисимович -> Анисимович links Онисим with Анисим.
* pymorphy3-dicts-uk and pymorphy3-dicts-ru (code MIT, data CC BY-SA 3.0): the lemmas tagged
  ``Name``, with their sex. Only the list of names and their sex is taken from them.

The hand-written ``given_names.tsv`` stays the first source: a name it holds in any form
(diminutives included) is not repeated; a Russian form it lacks is added to its group by a row
with the same Ukrainian canonical form, which the loader merges.
"""

from __future__ import annotations

import sys
import unicodedata
from collections import defaultdict
from pathlib import Path

from rapidfuzz import process
from rapidfuzz.distance import OSA

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from matching._text import skeletons

DATA = Path(__file__).resolve().parents[1] / "matching" / "data"
HAND = DATA / "given_names.tsv"
OUT = DATA / "given_names_registry.tsv"

_UK_ONLY = set("іїєґ")
_DIMINUTIVE_ENDINGS = (
    "ка", "ко", "ша", "га", "ня", "ся", "ля", "ик", "ік", "ек", "ок", "ьо", "юша", "уша",
    "уля", "юля", "уня", "юня", "уся", "юся", "чик", "чок", "енька", "онька", "ечка",
)  # fmt: skip
_RU_ONLY = set("ыэъё")


def _is_name_word(word: str) -> bool:
    """A single Cyrillic word of at least two letters (no double names, no initials)."""
    return len(word) >= 2 and all(
        ch == "'" or unicodedata.name(ch, "").startswith("CYRILLIC SMALL") for ch in word
    )


def _norm(word: str) -> str:
    return word.lower().replace("ё", "е").replace("’", "'").replace("ʼ", "'")


def _hand_forms() -> tuple[dict[tuple[str, str], str], set[str]]:
    """The hand table: (sex, any uk/ru form) -> canonical uk form, and every form it lists."""
    canonical: dict[tuple[str, str], str] = {}
    every: set[str] = set()
    for line in HAND.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        cells = [*line.split("\t"), "", "", "", ""]
        sex = cells[0].strip()
        uk = [_norm(x) for x in cells[1].split(",") if x.strip()]
        ru = [_norm(x) for x in cells[2].split(",") if x.strip()]
        for form in (*uk, *ru):
            canonical.setdefault((sex, form), (uk or ru)[0])
        for cell in cells[1:5]:
            every |= {_norm(x) for x in cell.split(",") if x.strip()}
    return canonical, every


def _pymorphy_names(lang: str) -> dict[str, str]:
    """Lemmas tagged as given names, with their sex (m or f)."""
    import pymorphy3

    d = pymorphy3.MorphAnalyzer(lang=lang).dictionary
    wanted: dict[int, str] = {}
    for pid, paradigm in enumerate(d.paradigms):
        tag = str(d.gramtab[paradigm[len(paradigm) // 3]])
        # Erro marks a misspelt form the dictionary keeps on purpose.
        if (
            "Name" in tag
            and "Pltm" not in tag
            and "Erro" not in tag
            and ("masc" in tag) != ("femn" in tag)
        ):
            wanted[pid] = "m" if "masc" in tag else "f"
    out: dict[str, str] = {}
    for word, (pid, idx) in d.words.iteritems():
        if idx == 0 and pid in wanted and _is_name_word(word):
            out.setdefault(_norm(word), wanted[pid])
    return out


def _uk_patronymics(name: str) -> set[str]:
    """Ukrainian patronymics a male name forms (Прокіп -> Прокопович, Хома -> Хомич)."""
    out: set[str] = set()
    if name.endswith("й"):  # Олексій -> Олексійович, Миколай -> Миколайович
        out.add(name + "ович")
    elif name.endswith("о"):
        out.add(name[:-1] + "ович")
    elif name.endswith(("а", "я")):
        out |= {name[:-1] + "ович", name[:-1] + "ич"}
    elif name.endswith("ь"):
        out.add(name[:-1] + "ьович")
    else:
        out.add(name + "ович")
        # і in a closed last syllable is о or е in the open one: Прокіп/Прокопа, Федір/Федора.
        if len(name) > 3 and name[-2] == "і":
            out |= {name[:-2] + v + name[-1] + "ович" for v in "ое"}
    return out


def _ru_fathers(patronymic: str) -> set[str]:
    """Russian male names a Russian patronymic may be formed from."""
    p = patronymic
    if p.endswith("ьевич"):
        return {p[:-5] + "ий", p[:-5] + "ей", p[:-5] + "ь"}
    if p.endswith("еевич"):
        return {p[:-4] + "й", p[:-5] + "ий"}
    if p.endswith(("аевич", "оевич", "уевич")):
        return {p[:-4] + "й"}
    if p.endswith("евич"):
        return {p[:-4], p[:-4] + "ь", p[:-4] + "й"}
    if p.endswith("ович"):
        return {p[:-4]}
    if p.endswith("ьич"):
        return {p[:-3] + "ья"}
    if p.endswith("ич"):
        return {p[:-2] + "а", p[:-2] + "я"}
    return set()


def build() -> list[tuple[str, list[str], list[str]]]:
    from names_translator.dicts import default_dicts

    dicts = default_dicts()
    first = {_norm(k): [_norm(v) for v in vs] for k, vs in dicts.as_dict("first").items()}
    patronymics = {
        _norm(k): [_norm(v) for v in vs] for k, vs in dicts.as_dict("patronymic").items()
    }
    uk_names = _pymorphy_names("uk")
    ru_names = _pymorphy_names("ru")
    hand, hand_every = _hand_forms()

    def sex_of(uk: str, ru: list[str]) -> str | None:
        for source, word in ((uk_names, uk), *((ru_names, r) for r in ru)):
            if word in source:
                return source[word]
        if any(p in patronymics for p in _uk_patronymics(uk)):
            return "m"
        return None

    # Ukrainian name -> its Russian forms, from both dictionaries.
    forms: dict[str, list[str]] = defaultdict(list)
    for uk, ru in first.items():
        if _is_name_word(uk):
            forms[uk] += [r for r in ru if _is_name_word(r)]
    for uk, sex in uk_names.items():
        if sex == "m" or uk not in forms:
            forms[uk] += []
    male_ru = {w for w, s in ru_names.items() if s == "m"}
    for uk in list(forms):
        for pat in sorted(_uk_patronymics(uk)):
            for ru_pat in patronymics.get(pat, ()):
                forms[uk] += sorted(_ru_fathers(ru_pat) & male_ru)

    # Forms attested by a curated dictionary; a word only the registry dictionary holds and
    # that is one typing error from one of these is a misspelling (Олександер, Олексан), which
    # the engine's typo fallback reaches, not a name of its own.
    attested = hand_every | set(uk_names) | set(ru_names)
    held = sorted({sk for word in attested for sk in skeletons(word)})

    def misspelt(word: str) -> bool:
        return word not in attested and any(_one_typo_from(sk, held) for sk in skeletons(word))

    # The dictionaries tag many diminutives as names (Серега, Федечка, Тришка): a word with a
    # diminutive ending that starts like a hand-written name is left to the engine's
    # diminutive rule, not made a name that differs from its own full form.
    hand_heads = {sk[:3] for word in hand_every for sk in skeletons(word) if len(sk) >= 3}

    def diminutive(word: str) -> bool:
        return word.endswith(_DIMINUTIVE_ENDINGS) and any(
            sk[:3] in hand_heads for sk in skeletons(word)
        )

    groups: dict[tuple[str, str], tuple[list[str], list[str]]] = {}  # (sex, key) -> uk, ru

    def add(sex: str, key: str, uk: list[str], ru: list[str]) -> None:
        old_uk, old_ru = groups.setdefault((sex, key), ([], []))
        old_uk += [u for u in uk if u not in old_uk]
        old_ru += [r for r in ru if r not in old_ru and r not in hand_every]

    reached_ru: set[str] = set()
    for uk in sorted(forms):
        ru = list(dict.fromkeys(r for r in forms[uk] if r != uk))
        if set(uk) & _RU_ONLY:
            continue
        top = ru[0] if ru else uk
        hand_sexes = {sx for sx in "mf" if (sx, top) in hand}
        sex = hand_sexes.pop() if len(hand_sexes) == 1 else sex_of(uk, ru)
        if sex is None:
            continue
        reached_ru |= set(ru) | {uk}
        if (sex, uk) in hand:  # a hand-written group: add only the Russian forms it lacks
            add(sex, hand[(sex, uk)], [hand[(sex, uk)]], ru)
        elif uk in hand_every or misspelt(uk) or diminutive(uk):
            continue
        elif (sex, top) in hand:  # another spelling of a hand-written name (Олександер)
            add(sex, hand[(sex, top)], [hand[(sex, top)], uk], ru)
        else:  # one group per Russian passport form: Ukrainian spellings of it join
            add(sex, top, [uk], ru)
    rows = [(sex, uk, ru) for (sex, _), (uk, ru) in groups.items()]
    # Russian names no Ukrainian form reached (OpenCorpora): a group of their own unless
    # misspelt (it keeps Алексанр, Светалана as names).
    for ru, sex in sorted(ru_names.items()):
        if ru in reached_ru or ru in hand_every or set(ru) & _UK_ONLY or diminutive(ru):
            continue
        if not any(_one_typo_from(sk, held, ru) for sk in skeletons(ru)):
            rows.append((sex, [], [ru]))
    return rows


def _one_typo_from(sk: str, held: list[str], itself: str = "") -> bool:
    """The engine's typo rule (see matching._names.GivenNameIndex.lookup_typo), a word's own
    readings aside."""
    own = skeletons(itself) if itself else frozenset()
    cutoff = 1 if len(sk) < 7 else 2
    return any(
        abs(len(key) - len(sk)) <= cutoff and key[0] == sk[0] and key not in own
        for key, _, _ in process.extract(
            sk, held, scorer=OSA.distance, score_cutoff=cutoff, limit=12
        )
    )


def _title(word: str) -> str:
    return word[:1].upper() + word[1:]


def main() -> int:
    rows = build()
    header = [
        "# Given names derived from registry dictionaries; generated by tools/build_names.py,",
        "# do not edit by hand (edit given_names.tsv, which wins, or the script).",
        "# Sources: names-translator 2.1 (MIT) uk->ru given-name and patronymic dictionaries;",
        "#   given-name lemmas and their sex from pymorphy3-dicts-uk and pymorphy3-dicts-ru.",
        "# Format as given_names.tsv: sex, Ukrainian forms, Russian forms (no diminutives).",
    ]
    lines = [
        f"{sex}\t{','.join(map(_title, uk))}\t{','.join(map(_title, ru))}" for sex, uk, ru in rows
    ]
    OUT.write_text("\n".join(header + lines) + "\n", encoding="utf-8")
    print(f"{len(rows)} rows -> {OUT.name}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
