"""The matching metrics of shared/bench/README.md, computed exactly as defined there."""

from collections.abc import Mapping, Sequence
from typing import Any


def matching_metrics(
    ranked: Mapping[str, Sequence[str]],
    proposals: Sequence[tuple[str, str]],
    truth: Mapping[str, Any],
) -> dict[str, float]:
    """`ranked`: each sighting key's candidate report keys, best first (ten or more);
    `proposals`: the (sighting key, report key) pairs in the review queue."""
    report_child: Mapping[str, str] = truth["report_child"]
    sighting_child: Mapping[str, str] = truth["sighting_child"]
    renamed = set(truth.get("renamed", ()))
    kinds: Mapping[str, str] = truth.get("kind", {})
    reported = set(report_child.values())
    matchable = [s for s, child in sighting_child.items() if child in reported]

    def correct(sighting: str, report: str) -> bool:
        return report_child.get(report) == sighting_child.get(sighting)

    top1 = {s for s in matchable if ranked.get(s) and correct(s, ranked[s][0])}
    top10 = {s for s in matchable if any(correct(s, r) for r in ranked.get(s, [])[:10])}
    right = [(s, r) for s, r in proposals if correct(s, r)]
    precision = len(right) / len(proposals) if proposals else 0.0
    recall = len({s for s, _ in right} & set(matchable)) / len(matchable)
    figures = {
        "R@1": len(top1) / len(matchable),
        "R@10": len(top10) / len(matchable),
        "precision": precision,
        "recall": recall,
        "F1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
    }
    # The strata are the world's own kinds of sighting (dev: document, witness, list; dev_hard
    # adds registry and adopted), then the renamed children.
    for stratum in (*sorted(set(kinds.values())), "renamed"):
        members = [
            s
            for s in matchable
            if (s in renamed if stratum == "renamed" else kinds.get(s) == stratum)
        ]
        figures[f"R@1 {stratum}"] = (
            len([s for s in members if s in top1]) / len(members) if members else float("nan")
        )
    # Sightings filed as seen with other children (dev_groups' truth: with_sibling).
    with_sibling = [s for s in matchable if s in set(truth.get("with_sibling", ()))]
    if with_sibling:
        figures["R@1 with sibling"] = len([s for s in with_sibling if s in top1]) / len(
            with_sibling
        )
    return figures
