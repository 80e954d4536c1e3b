"""`ridni link`: the engine on two files, without a database."""

import argparse
import gc
import sys
from pathlib import Path

from app.core.counting import counted
from matching import DEFAULT_THRESHOLD, LinkInputError, link_files


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--reports", required=True, type=Path)
    parser.add_argument("--sightings", required=True, type=Path)
    parser.add_argument("--out", required=True, type=Path)
    add_threshold(parser, "candidates")
    parser.set_defaults(run=_link)


def add_threshold(parser: argparse.ArgumentParser, proposed: str) -> None:
    """`--threshold` of the engine-alone commands (link, duplicates)."""
    parser.add_argument(
        "--threshold",
        type=float,
        default=None,
        help=f"propose {proposed} scoring at least this (default: the engine's)",
    )


def threshold_of(args: argparse.Namespace, default: float) -> float | None:
    """The threshold asked for, or None (said on standard error) when it is not a score."""
    threshold: float = default if args.threshold is None else args.threshold
    if not 0.0 <= threshold <= 1.0:
        print("error: --threshold must be between 0 and 1", file=sys.stderr)
        return None
    return threshold


# The run builds many small objects that live to its end (prepared people, field verdicts) and
# almost no reference cycles (a few hundred objects on dev): the cyclic collector, run every 700
# allocations by default, spent 7% of the run walking them. Every 20,000 it spends a third.
_GC_THRESHOLD = 20_000


def _link(args: argparse.Namespace) -> int:
    threshold = threshold_of(args, DEFAULT_THRESHOLD)
    if threshold is None:
        return 2
    # Restored after the run: main() also runs in-process (the tests, a notebook).
    threshold_before = gc.get_threshold()
    gc.set_threshold(_GC_THRESHOLD)
    try:
        summary = link_files(
            args.reports,
            args.sightings,
            args.out,
            threshold=threshold,
            progress=sys.stderr.isatty(),
        )
    except LinkInputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"error: {error.strerror}: {error.filename}", file=sys.stderr)
        return 1
    finally:
        gc.set_threshold(*threshold_before)
    print(
        f"linked {counted(summary.sightings, 'sighting')} against "
        f"{counted(summary.reports, 'report')}: {summary.proposed} proposed "
        f"({summary.seconds:.1f} s)"
    )
    return 0
