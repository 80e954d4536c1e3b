"""Loaders for the name and place knowledge shipped under ``matching/data``.

Sources and what each adds or misses:

* ``given_names.tsv`` (hand-written by the project, checked against names-translator's uk->ru
  dictionary): name groups with the Ukrainian, Russian, diminutive and Western forms of one name.
  It is the only source of diminutives (Коля, Льоша, Сашко) and of the Russified forms that are
  different words (Микола = Николай, Олексій = Алексей). It misses names outside its ~200 groups
  per sex; those fall back to the transliteration skeleton and Jaro-Winkler (see ``_names``).
* ``places.tsv`` (hand-written from the renaming laws of 2016 and 2024): settlements with their
  Ukrainian, Russian, former and Latin names. It misses villages; other places are compared by
  skeleton only.
* The transliteration tables behind the skeleton (``_text``) are written from the published
  systems (KMU 2010, ISO 9, GOST 7.79, BGN/PCGN, ALA-LC, ICAO 9303, German/French/Polish usage).
  Checked, outside the package, against translitua 2.0 (17 Ukrainian systems) and iuliia 0.13
  (27 Russian schemas) over every form of ``given_names.tsv``: a Latin rendering reaches its
  group for 99.9-100% of forms under every system except German (98.9%: s for з, z for ц).

Not used at run time, and why:

* names-translator (MIT): its 11k uk->ru given names add 143 pairs whose Russian form is not a
  spelling of the Ukrainian one beyond what ``given_names.tsv`` holds (mostly double names and
  misspellings), it has no diminutives, and its surname dictionary is matched by the clerk key
  (99.6%, see ``_names.clerk_keys``). It served to measure, not to run.
* rigour (MIT): links Latin pairs poorly and needs PyICU and ~440 MB.
* translitua / iuliia (MIT): they transliterate from Cyrillic; the engine needs the reverse
  fold of any Latin spelling, which the skeleton does.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

__all__ = ["NameGroup", "Place", "load_given_names", "load_places"]


@dataclass(frozen=True, slots=True)
class NameGroup:
    """One given name in all its forms. ``gid`` is a short stable id (sex + canonical form)."""

    gid: str
    sex: str  # 'male' | 'female'
    ukrainian: tuple[str, ...]
    russian: tuple[str, ...]
    diminutives: tuple[str, ...]
    other: tuple[str, ...]

    @property
    def canonical(self) -> str:
        return self.ukrainian[0] if self.ukrainian else self.russian[0]


@dataclass(frozen=True, slots=True)
class Place:
    oblast: str
    ukrainian: tuple[str, ...]
    russian: tuple[str, ...]
    former: tuple[str, ...]
    latin: tuple[str, ...]

    @property
    def canonical(self) -> str:
        return self.ukrainian[0] if self.ukrainian else self.latin[0]


def _split(cell: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in cell.split(",") if x.strip())


def _rows(name: str) -> list[list[str]]:
    try:
        text = resources.files("matching").joinpath("data", name).read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    rows = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        cells = line.split("\t")
        rows.append(cells + [""] * (5 - len(cells)))
    return rows


@cache
def load_given_names() -> tuple[NameGroup, ...]:
    """Name groups from ``given_names.tsv``; malformed rows (no sex or no form) are skipped."""
    groups: list[NameGroup] = []
    seen: dict[str, int] = {}
    for cells in _rows("given_names.tsv"):
        sex_code = cells[0].strip().lower()
        if sex_code not in ("m", "f"):
            continue
        uk, ru, dim, other = (_split(c) for c in cells[1:5])
        if not uk and not ru:
            continue
        sex = "male" if sex_code == "m" else "female"
        base = f"{sex_code}:{(uk or ru)[0].lower()}"
        seen[base] = seen.get(base, 0) + 1
        gid = base if seen[base] == 1 else f"{base}#{seen[base]}"
        groups.append(NameGroup(gid, sex, uk, ru, dim, other))
    return tuple(groups)


@cache
def load_places() -> tuple[Place, ...]:
    places: list[Place] = []
    for cells in _rows("places.tsv"):
        uk, ru, former, latin = (_split(c) for c in cells[1:5])
        if not (uk or ru or latin):
            continue
        places.append(Place(cells[0].strip(), uk, ru, former, latin))
    return tuple(places)
