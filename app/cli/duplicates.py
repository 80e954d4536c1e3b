"""`ridni duplicates`: the engine's duplicate reports in a file of reports, without a database."""

import argparse
import sys
from pathlib import Path

from app.cli.link import add_threshold, threshold_of
from app.core.counting import counted
from matching import DUPLICATE_THRESHOLD, LinkInputError, write_duplicates


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--reports", required=True, type=Path)
    parser.add_argument("--out", required=True, type=Path)
    add_threshold(parser, "pairs")
    parser.set_defaults(run=_duplicates)


def _duplicates(args: argparse.Namespace) -> int:
    threshold = threshold_of(args, DUPLICATE_THRESHOLD)
    if threshold is None:
        return 2
    try:
        reports, pairs = write_duplicates(args.reports, args.out, threshold=threshold)
    except LinkInputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"error: {error.strerror}: {error.filename}", file=sys.stderr)
        return 1
    print(f"compared {counted(reports, 'report')}: {counted(pairs, 'duplicate pair')} proposed")
    return 0
