"""CPU of ``ridni link`` beside Splink 5's: ``python -m bench.cpu [--world W] [--runs N]``.

Runs ``ridni link`` and the Splink peer (``bench.splink_peer``: trained in its run) on the same
world, each in a process of its own, one after the other, ``--runs`` times (after one run of
each that is not counted, which compiles their modules' bytecode), and prints a table:
each one's process CPU time (user + system, every thread; the median of the runs), the ratio,
and the quality figures of each one's output (R@1, R@10, and precision, recall and F1 of its
proposals: Ridni's at its threshold, Splink's at p >= 0.2 as in shared/bench/README.md). CPU
time, unlike wall time, hardly moves with the load of the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from bench.metrics import matching_metrics

DEFAULT_WORLD = Path(__file__).resolve().parents[1].parent / "shared/bench/dev"
# The peer row's threshold in shared/bench/README.md.
SPLINK_THRESHOLD = 0.2


def cpu_seconds(command: Sequence[str], env: Mapping[str, str]) -> float:
    """User and system CPU time of ``command`` run as a child process (its threads included)."""
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, env=env)  # noqa: S603 - ours
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise SystemExit(f"{command[2]} failed with status {child.returncode}")
    return usage.ru_utime + usage.ru_stime


def quality(out: Path, truth: dict[str, object], threshold: float | None) -> dict[str, float]:
    """R@1, R@10, precision, recall and F1 of a linking output (``ridni link``'s lines)."""
    ranked: dict[str, list[str]] = {}
    proposals: list[tuple[str, str]] = []
    with out.open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            ranked[row["key"]] = [c["key"] for c in row["candidates"]]
            for c in row["candidates"]:
                if c["proposed"] if threshold is None else c["score"] >= threshold:
                    proposals.append((row["key"], c["key"]))
    return matching_metrics(ranked, proposals, truth)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.cpu", description=__doc__)
    ap.add_argument("--world", type=Path, default=DEFAULT_WORLD)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args(argv)
    world = args.world.resolve()
    with (world / "truth.json").open(encoding="utf-8") as fh:
        truth = json.load(fh)
    with tempfile.TemporaryDirectory() as tmp:
        ours, peer = Path(tmp) / "ridni.jsonl", Path(tmp) / "splink.jsonl"
        ridni = [sys.executable, "-m", "app.cli", "link", "--out", str(ours)]
        ridni += ["--reports", str(world / "reports.jsonl")]
        ridni += ["--sightings", str(world / "sightings.jsonl")]
        splink = [sys.executable, "-m", "bench.splink_peer", "--world", str(world)]
        splink += ["--out", str(peer)]
        # Installed packages have their bytecode; a process that compiles every module it
        # imports (PYTHONDONTWRITEBYTECODE, as on the development machines) measures the
        # compiler. Each command's modules are compiled once, in a run not counted.
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "bytecode")
        times: dict[str, list[float]] = {"ridni": [], "splink": []}
        cpu_seconds(ridni, env)
        cpu_seconds(splink, env)
        for _ in range(args.runs):
            times["ridni"].append(cpu_seconds(ridni, env))
            times["splink"].append(cpu_seconds(splink, env))
        figures = {
            "ridni": quality(ours, truth, None),
            "splink": quality(peer, truth, SPLINK_THRESHOLD),
        }
    cpu = {name: statistics.median(runs) for name, runs in times.items()}
    print(f"World {world.name}, {args.runs} runs each, alternating (median CPU seconds)\n")
    print("| figure | ridni link | Splink 5 (DuckDB, trained in the run) |")
    print("| --- | --- | --- |")
    spread = {name: f"{min(runs):.2f}-{max(runs):.2f}" for name, runs in times.items()}
    print(f"| CPU s, user + sys | {cpu['ridni']:.2f} | {cpu['splink']:.2f} |")
    print(f"| CPU s, range of the runs | {spread['ridni']} | {spread['splink']} |")
    for name in ("R@1", "R@10", "precision", "recall", "F1"):
        print(f"| {name} | {figures['ridni'][name]:.3f} | {figures['splink'][name]:.3f} |")
    print(f"\nCPU ratio ridni / Splink: {cpu['ridni'] / cpu['splink']:.2f} (target ≤ 0.33)")


if __name__ == "__main__":
    main()
