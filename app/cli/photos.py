"""`ridni photos check [--fix]`: files in the photo store that no photo names, and photos whose
files are gone; `--fix` removes both."""

import argparse
from datetime import timedelta

from app.cli.database import open_database
from app.core.counting import counted
from app.core.settings import get_settings
from app.crypto.orm import make_session_factory
from app.photos import service
from app.photos.store import PhotoStore, photo_dir


def register(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(title="actions")
    check = actions.add_parser(
        "check", help="list orphans: files no photo names, photos whose files are gone"
    )
    check.add_argument("--fix", action="store_true", help="remove the orphans listed")
    check.add_argument(
        "--grace-minutes",
        type=int,
        default=15,
        help="files younger than this are left alone: an upload may be writing them (15)",
    )
    check.set_defaults(run=_check)


def _check(args: argparse.Namespace) -> int:
    settings = get_settings()
    directory = photo_dir(settings)
    if directory is None:
        raise SystemExit("error: RIDNI_PHOTO_DIR is not set: there is no photo store to check")
    engine, keyring = open_database(settings)
    store = PhotoStore(directory)
    factory = make_session_factory(engine, keyring)
    try:
        with factory() as session, session.begin():
            orphans = service.find_orphans(
                session, store, grace=timedelta(minutes=max(0, args.grace_minutes))
            )
            print(f"photo store {directory}")
            for name in orphans.files:
                print(f"  file without a photo: {name}")
            for photo_id in orphans.rows:
                print(f"  photo without its files: {photo_id}")
            if not (orphans.files or orphans.rows):
                print("no orphans")
                return 0
            if not args.fix:
                print(
                    f"{counted(len(orphans.files), 'orphan file')}, "
                    f"{counted(len(orphans.rows), 'orphan photo')}: run with --fix to remove them"
                )
                return 1
            if orphans.rows and not store.names():
                raise SystemExit(
                    f"error: {directory} holds no file at all: is the photo store mounted? "
                    "Nothing was removed."
                )
            service.remove_orphans(session, store, orphans)
            print(
                f"removed {counted(len(orphans.files), 'orphan file')} and "
                f"{counted(len(orphans.rows), 'orphan photo')}"
            )
            return 0
    finally:
        engine.dispose()
