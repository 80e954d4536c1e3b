"""`ridni rematch`."""

import argparse
import os
import sys

from app.cli.database import open_database
from app.core.settings import get_settings
from app.crypto.orm import make_session_factory
from app.matches.engine import MatchingSettings
from app.matches.rematch import rematch


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="processes scoring sightings (default: one per core)",
    )
    parser.set_defaults(run=_rematch)


def _rematch(args: argparse.Namespace) -> int:
    if args.batch_size < 1 or args.workers < 1:
        print("error: --batch-size and --workers must be at least 1", file=sys.stderr)
        return 2
    settings = get_settings()
    engine, keyring = open_database(settings)
    summary = rematch(
        make_session_factory(engine, keyring),
        settings=MatchingSettings.from_settings(settings),
        batch_size=args.batch_size,
        progress=sys.stderr.isatty(),
        workers=args.workers,
        database_url=settings.database_url,
    )
    engine.dispose()
    print(summary)
    return 0
