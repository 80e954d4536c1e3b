"""Quality benchmark: ``python -m bench.quality [--world DIR] [--threshold T] [--fit]``
``[--padding N]`` ``[--misses]``.

Runs the engine on a world in the format of ``shared/bench/README.md`` and prints its metrics
(R@1, R@10, precision, recall and F1 of proposals, R@1 per stratum of the world's ``kind``),
beside the peers' figures measured on that world (none for a world they were not measured on)
and the world's targets (``bench/targets.py``: met or not),
plus blocking recall, time, calibration tables (all pairs, then per stratum) and a threshold
sweep. ``--fit`` also fits the two parameters of the logistic score map on the world's scored
pairs (maximum likelihood) and prints them. ``--padding N`` also prints blocking recall per
stratum with N synthetic reports held beside the world's (a block as large as at that size).
``--misses`` also prints how each stratum's R@1 misses stand (tied at the top, outranked, not
among the ten, not reached), what the ties at the top would give by chance, and the commonest
kinds of outranked miss (the child's report's verdicts against the first's): categories to
reason about, never cases to fit.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench import targets
from bench.metrics import matching_metrics
from bench.synthetic import Population
from matching import DEFAULT_THRESHOLD, Linker, Person
from matching._compare import compare_prepared
from matching._groups import link_groups
from matching._person import prepare

DEFAULT_WORLD = Path(__file__).resolve().parents[1].parent / "shared/bench/dev"

# Peers' figures by world, as measured on that world (shared/bench/README.md and the issues);
# a world not listed here shows no peer column.
PEERS: dict[str, dict[str, dict[str, float | None]]] = {
    "dev": {
        "ASCII-fold + token_sort_ratio": {
            "R@1": 0.652, "R@10": 0.798, "precision": 0.415, "recall": 0.540, "F1": 0.469,
        },
        "Splink 5": {
            "R@1": 0.728, "R@10": 0.809, "precision": 0.851, "recall": 0.579, "F1": 0.689,
            "R@1 witness": 0.401, "R@1 renamed": 0.531,
        },
    },
    "dev_hard": {
        "ASCII-fold + token_sort_ratio": {
            "R@1": 0.456, "R@10": 0.629, "precision": 0.363, "recall": 0.268, "F1": 0.308,
            "R@1 registry": 0.452, "R@1 adopted": 0.058,
        },
        "Splink 5": {
            "R@1": 0.468, "R@10": 0.528, "precision": 0.956, "recall": 0.343, "F1": 0.505,
            "R@1 registry": 0.015, "R@1 adopted": 0.489,
        },
    },
}  # fmt: skip


def load_world(world: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]]:
    def jl(name: str) -> list[dict[str, Any]]:
        with (world / name).open(encoding="utf-8") as fh:
            return [json.loads(line) for line in fh if line.strip()]

    with (world / "truth.json").open(encoding="utf-8") as fh:
        truth = json.load(fh)
    return jl("reports.jsonl"), jl("sightings.jsonl"), truth


def bench_person(line: dict[str, Any]) -> Person:
    """The engine's view of a world's line: ``{"key", "child"}`` or ``{"key", "subject"}``."""
    return Person.from_api(line.get("child") or line.get("subject") or {})


def fit_logistic(xs: list[float], ys: list[int]) -> tuple[float, float]:
    """Maximum-likelihood a, b of p = 1/(1+exp(-(a x + b))) by Newton's method."""
    a, b = 0.5, -5.0
    for _ in range(50):
        ga = gb = haa = hab = hbb = 0.0
        for x, y in zip(xs, ys, strict=True):
            p = 1 / (1 + math.exp(-max(-30.0, min(30.0, a * x + b))))
            r = y - p
            ga += r * x
            gb += r
            w = p * (1 - p)
            haa += w * x * x
            hab += w * x
            hbb += w
        det = haa * hbb - hab * hab
        if det <= 1e-12:
            break
        da = (hbb * ga - hab * gb) / det
        db = (haa * gb - hab * ga) / det
        a += da
        b += db
        if abs(da) < 1e-7 and abs(db) < 1e-7:
            break
    return a, b


def run(world: Path, threshold: float, fit: bool, misses: bool = False) -> dict[str, float]:
    reports, sightings, truth = load_world(world)
    report_child: dict[str, str] = truth["report_child"]
    sighting_child: dict[str, str] = truth["sighting_child"]
    children_reported = set(report_child.values())

    t0 = time.perf_counter()
    linker = Linker()
    for r in reports:
        linker.add(r["key"], bench_person(r))
    people = [(s["key"], bench_person(s)) for s in sightings]
    # The group relations the world's lines carry (dev_groups: siblings, seen_with).
    results = link_groups(
        linker,
        dict(people),
        seen_with={s["key"]: s["seen_with"] for s in sightings if s.get("seen_with")},
        siblings={r["key"]: r["siblings"] for r in reports if r.get("siblings")},
    )
    link_seconds = time.perf_counter() - t0

    ranked = {key: [str(c.key) for c in results[key]] for key, _ in people}
    proposals = [
        (key, str(c.key)) for key, _ in people for c in results[key] if c.score >= threshold
    ]
    m: dict[str, float] = matching_metrics(ranked, proposals, truth)
    matchable = reached = 0
    for key, person in people:
        child = sighting_child.get(key)
        if child not in children_reported:
            continue
        matchable += 1
        if any(report_child.get(str(k)) == child for k in linker.reachable(person)):
            reached += 1
    m["blocking recall"] = reached / matchable
    m["link seconds"] = link_seconds

    print(
        f"world: {world}   reports {len(reports)}   sightings {len(sightings)}"
        f"   matchable {matchable}   threshold {threshold}"
    )
    peers = PEERS.get(world.name, {})
    print(f"| figure | Ridni | {''.join(p + ' | ' for p in peers)}target |")
    print("|" + " --- |" * (3 + len(peers)))
    wanted = targets.MATCHING.get(world.name, {})
    for name, value in m.items():
        cols = "".join(_fmt(peers[p].get(name)) + " | " for p in peers)
        print(f"| {name} | {_fmt(value)} | {cols}{targets.against(value, wanted.get(name))} |")

    # Calibration and threshold sweep over every pair the blocking keys reach.
    reps = {r["key"]: prepare(bench_person(r)) for r in reports}
    freqs = linker.frequencies
    pairs: list[tuple[float, float, int, str, str]] = []  # score, total, is_true, sighting, report
    for key, person in people:
        sp = prepare(person)
        child = sighting_child.get(key)
        for rk in linker.reachable(person):
            c = compare_prepared(reps[str(rk)], sp, frequencies=freqs)
            pairs.append((c.score, c.total, int(report_child.get(str(rk)) == child), key, str(rk)))
    print(f"\ncalibration over {len(pairs)} scored pairs (all pairs the blocking keys reach)")
    _calibration(pairs)
    renamed = set(truth.get("renamed", ()))
    kinds: dict[str, str] = truth.get("kind", {})
    for stratum in (*sorted(set(kinds.values())), "renamed"):
        members = [
            pair
            for pair in pairs
            if (pair[3] in renamed if stratum == "renamed" else kinds.get(pair[3]) == stratum)
        ]
        print(f"\ncalibration, stratum {stratum}: {len(members)} pairs")
        _calibration(members)
    raised = [
        (c.score, 0.0, int(report_child.get(str(c.key)) == sighting_child.get(key)), key, "")
        for key, _ in people
        for c in results[key]
        if any(fc.field == "group" for fc in c.explanation)
    ]
    if raised:
        print(f"\ncalibration of the group's evidence: {len(raised)} pairs it scored (ten best)")
        _calibration(raised)
    print("\nthreshold sweep (proposals among each sighting's ten best)")
    print("| threshold | precision | recall | F1 |")
    print("| --- | --- | --- | --- |")
    for t in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9):
        pt = ptt = 0
        rec: set[str] = set()
        for key, _ in people:
            child = sighting_child.get(key)
            for c in results[key]:
                if c.score >= t:
                    pt += 1
                    if report_child.get(str(c.key)) == child:
                        ptt += 1
                        rec.add(key)
        p_ = ptt / pt if pt else 0.0
        r_ = len(rec) / matchable
        f_ = 2 * p_ * r_ / (p_ + r_) if p_ + r_ else 0.0
        print(f"| {t:.1f} | {p_:.3f} | {r_:.3f} | {f_:.3f} |")
    if misses:
        _misses(results, people, truth)
    if fit:
        a, b = fit_logistic([t for _, t, _, _, _ in pairs], [y for _, _, y, _, _ in pairs])
        print(f"\nfitted logistic map: A = {a:.4f}, B = {b:.4f}")
    return m


def padded_recall(world: Path, padding: int, seed: int = 2024) -> None:
    """Blocking recall per stratum with ``padding`` synthetic reports (`bench.synthetic`) held
    beside the world's: what the keys and the first pass's cut to the best few hundred still
    reach when a block holds as many records as it would at that size."""
    reports, sightings, truth = load_world(world)
    report_child: dict[str, str] = truth["report_child"]
    sighting_child: dict[str, str] = truth["sighting_child"]
    kinds: dict[str, str] = truth.get("kind", {})
    linker = Linker()
    population = Population(seed=seed)
    for i in range(padding):
        linker.add(f"synthetic{i}", Person.from_api(population.report()["child"]))
    for r in reports:
        linker.add(r["key"], bench_person(r))
    children = set(report_child.values())
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # reached, matchable
    for s in sightings:
        child = sighting_child.get(s["key"])
        if child not in children:
            continue
        reached = any(report_child.get(str(k)) == child for k in linker.reachable(bench_person(s)))
        for stratum in (kinds.get(s["key"], "all"), "all"):
            counts[stratum][0] += reached
            counts[stratum][1] += 1
    print(f"\nblocking recall with {padding:,} synthetic reports added (seed {seed})")
    print("| stratum | reached | matchable | blocking recall |")
    print("| --- | --- | --- | --- |")
    for stratum in sorted(counts, key=lambda k: (k == "all", k)):
        got, of = counts[stratum]
        print(f"| {stratum} | {got} | {of} | {got / of:.3f} |")


def _total(c: Any) -> float:
    return sum(fc.weight for fc in c.explanation)


def _misses(
    results: dict[str, Any], people: list[tuple[str, Person]], truth: dict[str, Any]
) -> None:
    """How the R@1 misses of each stratum stand, and the commonest kinds of outranked miss."""
    report_child: dict[str, str] = truth["report_child"]
    sighting_child: dict[str, str] = truth["sighting_child"]
    kinds: dict[str, str] = truth.get("kind", {})
    reported = set(report_child.values())
    columns = ("first", "first in a tie", "lost in a tie", "outranked", "not in ten")
    counts: dict[str, dict[str, float]] = defaultdict(lambda: dict.fromkeys(columns, 0))
    chance: dict[str, float] = defaultdict(float)
    patterns: dict[tuple[str, str, str], int] = defaultdict(int)

    def verdicts(c: Any) -> str:
        return ", ".join(f"{fc.field} {fc.verdict}" for fc in sorted(c.explanation, key=_field))

    for key, _ in people:
        child = sighting_child.get(key)
        if child not in reported:
            continue
        ranked = results[key]
        stratum = kinds.get(key, "all")
        right = [c for c in ranked if report_child.get(str(c.key)) == child]
        if not right:
            counts[stratum]["not in ten"] += 1
            continue
        top = _total(ranked[0])
        tied = [c for c in ranked if abs(_total(c) - top) < 1e-9]
        true_tied = [c for c in tied if report_child.get(str(c.key)) == child]
        if len(tied) > 1 and true_tied:
            chance[stratum] += len(true_tied) / len(tied)
            first = report_child.get(str(ranked[0].key)) == child
            counts[stratum]["first in a tie" if first else "lost in a tie"] += 1
        elif right[0] is ranked[0]:
            counts[stratum]["first"] += 1
        else:
            counts[stratum]["outranked"] += 1
            patterns[(stratum, verdicts(right[0]), verdicts(ranked[0]))] += 1
    print("\nR@1 misses by stratum (ten best; a tie: the same weight total as the first)")
    print(f"| stratum | {' | '.join(columns)} | ties found by chance |")
    print("|" + " --- |" * (len(columns) + 2))
    for stratum in sorted(counts):
        row = counts[stratum]
        cells = " | ".join(f"{row[c]:.0f}" for c in columns)
        print(f"| {stratum} | {cells} | {chance[stratum]:.1f} |")
    print("\ncommonest outranked misses: the child's report's verdicts, the first's")
    for (stratum, mine, first), n in sorted(patterns.items(), key=lambda kv: -kv[1])[:15]:
        print(f"- {n} {stratum}: [{mine}] below [{first}]")


def _field(fc: Any) -> str:
    return str(fc.field)


def _calibration(pairs: list[tuple[float, float, int, str, str]]) -> None:
    """A calibration table, and the share of right pairs among those scored 0.5 and above."""
    print("| score bin | pairs | share true | mean score |")
    print("| --- | --- | --- | --- |")
    bins: dict[int, list[tuple[float, int]]] = defaultdict(list)
    for s, _, y, _, _ in pairs:
        bins[min(int(s * 10), 9)].append((s, y))
    for b in range(10):
        items = bins.get(b, [])
        if items:
            share = sum(y for _, y in items) / len(items)
            mean = sum(s for s, _ in items) / len(items)
            print(f"| {b / 10:.1f}-{(b + 1) / 10:.1f} | {len(items)} | {share:.3f} | {mean:.3f} |")
    high = [y for s, _, y, _, _ in pairs if s >= 0.5]
    if high:
        print(f"| ≥ 0.5 | {len(high)} | {sum(high) / len(high):.3f} | |")


def _fmt(v: float | None) -> str:
    if v is None:
        return "–"
    if isinstance(v, float) and math.isnan(v):
        return "–"
    return f"{v:.3f}"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.quality", description=__doc__)
    ap.add_argument("--world", type=Path, default=DEFAULT_WORLD)
    ap.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    ap.add_argument("--fit", action="store_true", help="fit the logistic score map")
    ap.add_argument(
        "--padding",
        type=int,
        default=0,
        help="also print blocking recall with this many synthetic reports held beside the world's",
    )
    ap.add_argument(
        "--misses",
        action="store_true",
        help="also print how each stratum's R@1 misses stand, and their commonest kinds",
    )
    args = ap.parse_args(argv)
    run(args.world.resolve(), args.threshold, args.fit, args.misses)
    if args.padding:
        padded_recall(args.world.resolve(), args.padding)


if __name__ == "__main__":
    main()
