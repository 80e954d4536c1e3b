"""Speed benchmark: ``python -m bench.speed [--reports N] [--queries Q] [--world DIR]``.

Prints, as a table: the time to link the dev world (load, index, ten best for every sighting);
on a synthetic world of N reports (default 100,000) generated from the engine's own name and
place data, the time to index it, the median and 95th-percentile time of one candidate query,
the candidates scored per query, and the peak memory of the process.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from matching import Linker, Person, link_files
from matching._data import load_given_names, load_places

DEFAULT_WORLD = Path(__file__).resolve().parents[1].parent / "shared/bench/dev"

# Surname pieces: common Ukrainian stems and suffixes, for a synthetic population only.
_STEMS = [
    "Коваль", "Шевч", "Бондар", "Ткач", "Кравч", "Олійн", "Мельн", "Савч", "Руд", "Лис", "Марч",
    "Петр", "Павл", "Бойк", "Гриц", "Кузьм", "Мороз", "Сидор", "Кравець", "Гончар", "Шв", "Левч",
    "Пономар", "Кирил", "Климч", "Литвин", "Онищ", "Дорош", "Гайдам", "Ярош", "Федор", "Мартин",
    "Білоус", "Гуцул", "Стельм", "Заїч", "Ковальч", "Андрі", "Власн", "Гаврил", "Данил", "Демч",
    "Єрем", "Жур", "Зінч", "Ігнат", "Кисел", "Костюк", "Лук", "Мацк", "Назар", "Остап", "Приход",
    "Рибак", "Семен", "Тимош", "Устим", "Хом", "Цап", "Чорн",
]
_SUFFIXES = ("енко", "ук", "юк", "чук", "ський", "ик", "ишин", "ів", "ець", "ак", "ич", "ко")


def _synthetic_person(rng: random.Random, groups: list, places: list) -> Person:
    g = rng.choice(groups)
    forms = g.ukrainian + g.russian + g.diminutives[:2] + g.other[:1]
    given = rng.choice(forms)
    family = rng.choice(_STEMS) + rng.choice(_SUFFIXES)
    if g.sex == "female" and family.endswith("ський"):
        family = family[:-2] + "ка"
    y = rng.randint(2004, 2022)
    dob = rng.choice([f"{y}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}", f"{y}", None])
    place = rng.choice(places)
    settlement = rng.choice(place.ukrainian + place.russian + place.latin) if place else None
    return Person(
        given_name=given,
        family_name=family,
        sex=g.sex,
        date_of_birth=dob,
        settlement=settlement,
    )


def _query(rng: random.Random, groups: list) -> Person:
    g = rng.choice(groups)
    if rng.random() < 0.5:  # a witness: diminutive, age range, often no family name
        given = rng.choice(g.diminutives or g.russian)
        lo = rng.randint(2, 15)
        family = rng.choice(_STEMS) + rng.choice(_SUFFIXES) if rng.random() < 0.5 else None
        return Person(given_name=given, family_name=family, age_min=lo, age_max=lo + 3,
                      observed_on="2024-05-01", sex=g.sex)
    y = rng.randint(2004, 2022)
    return Person(
        full_name=f"{rng.choice(_STEMS)}{rng.choice(_SUFFIXES)} {rng.choice(g.russian)}",
        date_of_birth=f"{y}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        sex=g.sex,
    )


def _peak_mib() -> float:
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib / 1024 if sys.platform != "darwin" else kib / 1024 / 1024


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.speed", description=__doc__)
    ap.add_argument("--reports", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=500)
    ap.add_argument("--world", type=Path, default=DEFAULT_WORLD)
    ap.add_argument("--seed", type=int, default=2024)
    args = ap.parse_args(argv)
    rows: list[tuple[str, str]] = []

    t0 = time.perf_counter()
    load_given_names()
    rows.append(("load name data", f"{(time.perf_counter() - t0) * 1000:.0f} ms"))

    world = args.world.resolve()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        summary = link_files(world / "reports.jsonl", world / "sightings.jsonl",
                             Path(tmp) / "out.jsonl", progress=False)
        rows.append((f"link dev ({summary.reports} reports × {summary.sightings} sightings)",
                     f"{time.perf_counter() - t0:.2f} s (one process)"))

    rng = random.Random(args.seed)
    groups = list(load_given_names())
    places = list(load_places()) or [None]
    people = [_synthetic_person(rng, groups, places) for _ in range(args.reports)]
    t0 = time.perf_counter()
    linker = Linker()
    for i, p in enumerate(people):
        linker.add(f"r{i}", p)
    rows.append((f"index {args.reports:,} synthetic reports", f"{time.perf_counter() - t0:.1f} s"))
    _ = linker.frequencies

    times: list[float] = []
    reached: list[int] = []
    for _ in range(args.queries):
        q = _query(rng, groups)
        t0 = time.perf_counter()
        linker.candidates(q, limit=10)
        times.append((time.perf_counter() - t0) * 1000)
        reached.append(len(linker.reachable(q)))
    times.sort()
    rows.append(("candidate query, median", f"{statistics.median(times):.2f} ms"))
    rows.append(("candidate query, p95", f"{times[int(0.95 * (len(times) - 1))]:.2f} ms"))
    rows.append(("candidates scored per query, median",
                 f"{statistics.median(reached):.0f} (max {max(reached)})"))
    rows.append(("peak memory (process RSS)", f"{_peak_mib():.0f} MiB"))

    print("| figure | value |")
    print("| --- | --- |")
    for k, v in rows:
        print(f"| {k} | {v} |")


if __name__ == "__main__":
    main()
