"""`ridni migrate`."""

import argparse

from app.core.migrations import upgrade
from app.core.settings import get_settings


def register(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults(run=_migrate)


def _migrate(_args: argparse.Namespace) -> int:
    upgrade(get_settings().database_url)
    print("database is up to date")
    return 0
