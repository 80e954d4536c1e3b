"""`ridni keys status|rotate`."""

import argparse
import sys

from tqdm import tqdm

from app.cli.database import open_database
from app.core.counting import counted
from app.core.settings import get_settings
from app.crypto.maintenance import census, rotate, verify


def register(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(title="actions")
    status = actions.add_parser(
        "status", help="the key file, and how many stored values each key version holds"
    )
    status.add_argument(
        "--verify", action="store_true", help="also decrypt every value; list those that fail"
    )
    status.set_defaults(run=_status)
    rotating = actions.add_parser(
        "rotate",
        help="add a key version and re-encrypt every value under it (resumable, safe to rerun)",
    )
    rotating.add_argument("--batch-size", type=int, default=500)
    rotating.set_defaults(run=_rotate)


def _status(args: argparse.Namespace) -> int:
    engine, keyring = open_database(get_settings())
    held = census(engine, keyring.versions)
    print(
        f"key file {keyring.path}: {', '.join(f'v{v}' for v in keyring.versions)}; "
        f"new values are encrypted under v{keyring.current}"
    )
    for version, count in held.by_version.items():
        if version:
            print(f"v{version}: {counted(count, 'value')}")
    unused = [f"v{v}" for v, n in held.by_version.items() if v and v != keyring.current and not n]
    if unused:
        print(
            f"no value is under {', '.join(unused)} any more: it can be removed from the key "
            "file (backups of the database taken before then still need it)"
        )
    status = 0
    if args.verify:
        opened, failed = verify(engine, keyring)
        print(
            f"{counted(opened, 'value')} {'decrypts' if opened == 1 else 'decrypt'}, "
            f"{len(failed)} {'does' if len(failed) == 1 else 'do'} not"
        )
        for error in failed:
            print(f"  {error.table} {error.record_id} {error.column}: {error.reason}")
        status = 1 if failed else 0
    engine.dispose()
    return status


def _rotate(args: argparse.Namespace) -> int:
    if args.batch_size < 1:
        print("error: --batch-size must be at least 1", file=sys.stderr)
        return 2
    engine, keyring = open_database(get_settings())
    before = keyring.current
    with tqdm(desc="re-encrypting", unit="record", disable=not sys.stderr.isatty()) as bar:
        rotation = rotate(engine, keyring, batch_size=args.batch_size, done=bar.update)
    engine.dispose()
    if rotation.added:
        print(f"added key v{rotation.version} to {keyring.path}")
    else:
        print(f"finished the earlier rotation to v{before}")
    print(f"re-encrypted {counted(rotation.values, 'value')} under v{rotation.version}")
    older = [f"v{v}" for v in keyring.versions if v != rotation.version]
    for error in rotation.unreadable:
        print(f"  cannot decrypt {error.table} {error.record_id} {error.column}: {error.reason}")
    if rotation.unreadable:
        print(
            f"{counted(len(rotation.unreadable), 'value')} could not be decrypted and "
            f"{'stays as it is' if len(rotation.unreadable) == 1 else 'stay as they are'}: "
            "keep every older key until they are repaired"
        )
        return 1
    if older:
        print(
            f"every value is under v{rotation.version}: {', '.join(older)} can be removed from "
            "the key file (backups of the database taken before now still need it)"
        )
    return 0
