"""Duplicate-report benchmark: ``python -m bench.duplicates [--world DIR] [--threshold T]``.

Finds the duplicate reports of a world's ``reports.jsonl`` (``matching.find_duplicates``, what
``ridni duplicates`` writes) and prints the precision and recall of the proposed pairs against
``truth.json``'s ``duplicates`` (``shared/bench/README.md``; in a world without them, the
reports ``report_child`` gives one child), a threshold sweep, the blocking
recall of the true pairs and a calibration table of every pair scored.
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from itertools import combinations
from pathlib import Path
from typing import Any

from bench import targets
from bench.quality import bench_person, load_world
from matching import DUPLICATE_THRESHOLD, find_duplicates

DEFAULT_WORLD = Path(__file__).resolve().parents[1].parent / "shared/bench/dev_groups"


def _true_pairs(truth: dict[str, Any]) -> set[frozenset[str]]:
    """``duplicates``, or for a world without it (dev, dev_hard) the pairs of reports that
    ``report_child`` gives one child."""
    if "duplicates" in truth:
        return {frozenset(pair) for pair in truth["duplicates"]}
    by_child: dict[str, list[str]] = defaultdict(list)
    for report, child in truth["report_child"].items():
        by_child[child].append(report)
    return {frozenset((a, b)) for keys in by_child.values() for a, b in combinations(keys, 2)}


def run(world: Path, threshold: float) -> dict[str, float]:
    reports, _, truth = load_world(world)
    true_pairs = _true_pairs(truth)
    people = [(r["key"], bench_person(r)) for r in reports]
    t0 = time.perf_counter()
    scored = {
        frozenset((str(p.report), str(p.duplicate_of))): p.score
        for p in find_duplicates(people, threshold=0.0)
    }
    seconds = time.perf_counter() - t0

    def figures(t: float) -> tuple[int, float, float, float]:
        proposed = {pair for pair, score in scored.items() if score >= t}
        right = len(proposed & true_pairs)
        precision = right / len(proposed) if proposed else 0.0
        recall = right / len(true_pairs) if true_pairs else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return len(proposed), precision, recall, f1

    proposed, precision, recall, f1 = figures(threshold)
    m = {
        "pairs proposed": float(proposed),
        "precision": precision,
        "recall": recall,
        "F1": f1,
        "blocking recall": len(true_pairs & scored.keys()) / len(true_pairs),
        "seconds": seconds,
    }
    print(
        f"world: {world}   reports {len(reports)}   true duplicate pairs {len(true_pairs)}"
        f"   pairs scored {len(scored)}   threshold {threshold}"
    )
    print("| figure | Ridni | target |")
    print("| --- | --- | --- |")
    wanted = targets.DUPLICATES.get(world.name, {})
    for name, value in m.items():
        shown = f"{value:.0f}" if name == "pairs proposed" else f"{value:.3f}"
        print(f"| {name} | {shown} | {targets.against(value, wanted.get(name))} |")
    print("\nthreshold sweep")
    print("| threshold | proposed | precision | recall | F1 |")
    print("| --- | --- | --- | --- | --- |")
    for t in (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9):
        n, p_, r_, f_ = figures(t)
        print(f"| {t:.1f} | {n} | {p_:.3f} | {r_:.3f} | {f_:.3f} |")
    print(f"\ncalibration over the {len(scored)} pairs the blocking keys reach")
    print("| score bin | pairs | share true | mean score |")
    print("| --- | --- | --- | --- |")
    bins: dict[int, list[tuple[float, bool]]] = defaultdict(list)
    for pair, score in scored.items():
        bins[min(int(score * 10), 9)].append((score, pair in true_pairs))
    for b in sorted(bins):
        items = bins[b]
        share = sum(y for _, y in items) / len(items)
        mean = sum(s for s, _ in items) / len(items)
        print(f"| {b / 10:.1f}-{(b + 1) / 10:.1f} | {len(items)} | {share:.3f} | {mean:.3f} |")
    return m


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.duplicates", description=__doc__)
    ap.add_argument("--world", type=Path, default=DEFAULT_WORLD)
    ap.add_argument("--threshold", type=float, default=DUPLICATE_THRESHOLD)
    args = ap.parse_args(argv)
    run(args.world.resolve(), args.threshold)


if __name__ == "__main__":
    main()
