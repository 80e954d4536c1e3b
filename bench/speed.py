"""Speed benchmark: ``python -m bench.speed [--reports N] [--queries Q] [--world DIR]``.

Prints, as a table: the time to link the dev world (load, index, ten best for every sighting);
on a synthetic world of N reports (default 100,000; `bench.synthetic`, names skewed as in birth
registers), the time to index it, the median and 95th-percentile time of one candidate query
(wall, and the process's own CPU: the wall time moves with the machine's load), the candidates
scored per query, and the peak memory of the process.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.synthetic import Population
from matching import Linker, Person, link_files
from matching._data import load_given_names

DEFAULT_WORLD = Path(__file__).resolve().parents[1].parent / "shared/bench/dev"


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
        summary = link_files(
            world / "reports.jsonl",
            world / "sightings.jsonl",
            Path(tmp) / "out.jsonl",
            progress=False,
        )
        rows.append(
            (
                f"link dev ({summary.reports} reports × {summary.sightings} sightings)",
                f"{time.perf_counter() - t0:.2f} s (one process)",
            )
        )

    population = Population(seed=args.seed)
    people = [Person.from_api(population.report()["child"]) for _ in range(args.reports)]
    t0 = time.perf_counter()
    linker = Linker()
    for i, p in enumerate(people):
        linker.add(f"r{i}", p)
    rows.append((f"index {args.reports:,} synthetic reports", f"{time.perf_counter() - t0:.1f} s"))
    _ = linker.frequencies

    times: list[float] = []
    cpu: list[float] = []  # the process's own CPU time: the wall time moves with the load
    reached: list[int] = []
    for _ in range(args.queries):
        sighting = population.sighting()
        q = Person.from_api(sighting["subject"], observed_on=sighting["observed_on"])
        t0, c0 = time.perf_counter(), time.process_time()
        linker.candidates(q, limit=10)
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
        reached.append(len(linker.reachable(q)))
    for name, values in (("candidate query", times), ("candidate query, CPU", cpu)):
        values.sort()
        rows.append((f"{name}, median", f"{statistics.median(values):.2f} ms"))
        rows.append((f"{name}, p95", f"{values[int(0.95 * (len(values) - 1))]:.2f} ms"))
    rows.append(
        (
            "candidates scored per query, median",
            f"{statistics.median(reached):.0f} (max {max(reached)})",
        )
    )
    rows.append(("peak memory (process RSS)", f"{_peak_mib():.0f} MiB"))

    print("| figure | value |")
    print("| --- | --- |")
    for k, v in rows:
        print(f"| {k} | {v} |")


if __name__ == "__main__":
    main()
