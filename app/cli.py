"""The `ridni` command: serve the API, manage users and keys, migrate, link files offline."""

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from time import perf_counter
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from app.core.security import Role
from app.core.settings import Settings, get_settings
from app.core.text import counted
from app.formats.csvtext import DELIMITERS, ENCODINGS
from app.imports.rows import RowError, Tally
from app.sightings.models import SourceType
from app.users.models import User

if TYPE_CHECKING:
    from fastapi import FastAPI
    from sqlalchemy import Engine

    from app.crypto.keyring import Keyring


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    result: int = args.run(args)
    return result


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ridni", description="Ridni: link missing-child reports with sightings."
    )
    commands = parser.add_subparsers(title="commands")

    serve = commands.add_parser("serve", help="apply pending migrations, then serve the API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(run=_serve)

    migrate = commands.add_parser("migrate", help="apply pending database migrations")
    migrate.set_defaults(run=_migrate)

    users = commands.add_parser("users", help="manage users").add_subparsers(title="actions")
    add = users.add_parser("add", help="create a user; prints its bearer token as the last line")
    add.add_argument("--name", required=True)
    add.add_argument("--role", required=True, choices=[role.value for role in Role])
    add.set_defaults(run=_users_add)
    listing = users.add_parser("list", help="list users: id, role, state, token expiry, name")
    listing.set_defaults(run=_users_list)
    token = users.add_parser(
        "token",
        help="issue a new token for a user (the old one stops working); "
        "it is printed as the last line, shown once",
    )
    token.add_argument("--user", required=True, help="the user's id, or its name if unique")
    token.set_defaults(run=_users_token)
    revoke = users.add_parser("revoke", help="revoke a user's token at once")
    revoke.add_argument("--user", required=True, help="the user's id, or its name if unique")
    revoke.set_defaults(run=_users_revoke)

    keys = commands.add_parser("keys", help="field-encryption keys").add_subparsers(title="actions")
    status = keys.add_parser(
        "status", help="the key file, and how many stored values each key version holds"
    )
    status.add_argument(
        "--verify", action="store_true", help="also decrypt every value; list those that fail"
    )
    status.set_defaults(run=_keys_status)
    rotate = keys.add_parser(
        "rotate",
        help="add a key version and re-encrypt every value under it (resumable, safe to rerun)",
    )
    rotate.add_argument("--batch-size", type=int, default=500)
    rotate.set_defaults(run=_keys_rotate)

    rematch = commands.add_parser(
        "rematch", help="recompute candidate keys and proposals for every record (resumable)"
    )
    rematch.add_argument("--batch-size", type=int, default=500)
    rematch.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="processes scoring sightings (default: one per core)",
    )
    rematch.set_defaults(run=_rematch)

    imports = commands.add_parser(
        "import", help="import a CSV file of reports or sightings, or a PFIF file"
    ).add_subparsers(title="kinds")
    for kind in ("reports", "sightings", "pfif"):
        what = (
            "the persons of a PFIF file as reports" if kind == "pfif" else f"{kind} from a CSV file"
        )
        one = imports.add_parser(kind, help=f"import {what}")
        one.add_argument("file", type=Path)
        one.add_argument(
            "--as",
            dest="as_user",
            metavar="USER_ID",
            help="the coordinator or admin the records are filed as (required unless --dry-run)",
        )
        if kind == "pfif":
            _import_options(one, kind)
            continue
        one.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="HEADER=FIELD,...",
            help="what other columns hold (FIELD - leaves a column out); @FILE reads the "
            "pairs from a file, one a line",
        )
        one.add_argument("--encoding", choices=ENCODINGS, help="default: detected")
        one.add_argument("--delimiter", choices=sorted(DELIMITERS), help="default: detected")
        if kind == "sightings":
            one.add_argument(
                "--source-type",
                choices=[t.value for t in SourceType],
                help="for rows that do not say (default: list)",
            )
        _import_options(one, kind)

    link = commands.add_parser(
        "link", help="link a file of sightings against a file of reports, offline"
    )
    link.add_argument("--reports", required=True, type=Path)
    link.add_argument("--sightings", required=True, type=Path)
    link.add_argument("--out", required=True, type=Path)
    link.add_argument(
        "--threshold",
        type=float,
        default=None,
        help="propose candidates scoring at least this (default: the engine's)",
    )
    link.set_defaults(run=_link)

    export = commands.add_parser(
        "export", help="write a file for partners or other registries (recorded in the audit trail)"
    ).add_subparsers(title="what")
    pfif = export.add_parser(
        "pfif", help="every report as a PFIF 1.4 person, confirmed sightings as notes"
    )
    matches = export.add_parser("matches", help="confirmed matches, as CSV or JSON")
    reports = export.add_parser("reports", help="reports with a status, as CSV or JSON")
    reports.add_argument("--status", choices=["open", "located", "closed"], default="open")
    for command, kind in ((pfif, "pfif"), (matches, "matches"), (reports, "reports")):
        if kind != "pfif":
            command.add_argument("--format", choices=["csv", "json"], default="csv")
        command.add_argument("--out", required=True, type=Path)
        command.add_argument(
            "--include-contacts",
            action="store_true",
            help="add the reporter's name, relationship, phone and email (admins; never a "
            "sighting's source)",
        )
        command.set_defaults(run=_export, kind=kind)
    return parser


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from app.core.logs import UVICORN_LOGGING, configure_logging
    from app.core.migrations import upgrade
    from app.core.protocol import HTTP_PROTOCOL
    from app.matches.service import warm_engine

    settings = get_settings()
    configure_logging(settings.log_level)
    upgrade(settings.database_url)
    app = _create_app(settings)
    if settings.warm_engine:
        started = perf_counter()
        with app.state.session_factory() as session:
            count = warm_engine(session)
        logging.getLogger("ridni.engine").info(
            "matching engine ready",
            extra={"fields": {"reports": count, "seconds": round(perf_counter() - started, 1)}},
        )
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level=settings.log_level,
        http=HTTP_PROTOCOL,
        **UVICORN_LOGGING,
    )
    return 0


def _migrate(_args: argparse.Namespace) -> int:
    from app.core.migrations import upgrade

    upgrade(get_settings().database_url)
    print("database is up to date")
    return 0


def _open_database(settings: Settings) -> tuple["Engine", "Keyring"]:
    """Migrate, then open the keyring; exit 1 saying why when the keys cannot be used."""
    from app import models  # noqa: F401 - every table, for the keyring to see every sealed column
    from app.core.database import make_engine
    from app.core.migrations import upgrade
    from app.crypto.keyfile import KeyringError, key_file
    from app.crypto.maintenance import open_keyring

    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        keyring = open_keyring(engine, key_file(settings))
    except BaseException as error:
        engine.dispose()
        if isinstance(error, KeyringError):
            raise SystemExit(f"error: {error}") from None
        raise
    return engine, keyring


def _create_app(settings: Settings) -> "FastAPI":
    """The app (which opens the keyring); exit 1 saying why when the keys cannot be used."""
    from app.crypto.keyfile import KeyringError
    from app.main import create_app

    try:
        return create_app(settings)
    except KeyringError as error:
        raise SystemExit(f"error: {error}") from None


def _users_add(args: argparse.Namespace) -> int:
    from app.crypto.orm import make_session_factory
    from app.users.service import create_user

    name = args.name.strip()
    if not name or len(name) > 200:
        print("error: --name must be 1 to 200 characters", file=sys.stderr)
        return 2
    engine, keyring = _open_database(get_settings())
    with make_session_factory(engine, keyring)() as session, session.begin():
        user, token = create_user(session, name=name, role=Role(args.role))
    engine.dispose()
    print(f"created {user.role} user {user.id}; its token is shown once, below:")
    print(token)
    return 0


def _users_list(_args: argparse.Namespace) -> int:
    from app.core.models import utcnow
    from app.crypto.orm import make_session_factory
    from app.users.repository import everyone
    from app.users.service import token_expires_at

    settings = get_settings()
    lifetime = timedelta(days=settings.token_lifetime_days)
    engine, keyring = _open_database(settings)
    now = utcnow()
    with make_session_factory(engine, keyring)() as session:
        for user in everyone(session):
            expires_at = token_expires_at(user, lifetime)
            if expires_at is None:
                validity = "no token"
            elif expires_at <= now:
                validity = f"expired {expires_at:%Y-%m-%d}"
            else:
                validity = f"expires {expires_at:%Y-%m-%d}"
            state = "disabled" if user.disabled else "enabled"
            print(f"{user.id}  {user.role:<11}  {state:<8}  {validity:<18}  {user.name}")
    engine.dispose()
    return 0


def _users_token(args: argparse.Namespace) -> int:
    from app.users.service import issue_token

    settings = get_settings()
    lifetime = timedelta(days=settings.token_lifetime_days)

    def issue(session: Session, user: User) -> str:
        issued = issue_token(session, user, lifetime=lifetime)
        note = " (the user is disabled: it works once enabled)" if user.disabled else ""
        return (
            f"new token for {user.role} user {user.id}, valid until "
            f"{issued.expires_at:%Y-%m-%d %H:%M} UTC{note}; the old one no longer works. "
            f"Shown once, below:\n{issued.token}"
        )

    return _on_user(args.user, issue)


def _users_revoke(args: argparse.Namespace) -> int:
    from app.users.service import revoke_token

    def revoke(session: Session, user: User) -> str:
        revoke_token(session, user)
        return f"revoked the token of {user.role} user {user.id}; `ridni users token` issues one"

    return _on_user(args.user, revoke)


def _on_user(reference: str, action: Callable[[Session, User], str]) -> int:
    """Run `action` on the user named by id (or unique name) in one transaction; print what
    it says."""
    from app.crypto.orm import make_session_factory
    from app.users.service import find_user

    engine, keyring = _open_database(get_settings())
    try:
        with make_session_factory(engine, keyring)() as session, session.begin():
            message = action(session, find_user(session, reference))
    except LookupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(message)
    return 0


def _keys_status(args: argparse.Namespace) -> int:
    from app.crypto.maintenance import census, verify

    engine, keyring = _open_database(get_settings())
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


def _keys_rotate(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from app.crypto.maintenance import rotate

    if args.batch_size < 1:
        print("error: --batch-size must be at least 1", file=sys.stderr)
        return 2
    engine, keyring = _open_database(get_settings())
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


def _rematch(args: argparse.Namespace) -> int:
    from app.crypto.orm import make_session_factory
    from app.matches.rematch import rematch

    if args.batch_size < 1 or args.workers < 1:
        print("error: --batch-size and --workers must be at least 1", file=sys.stderr)
        return 2
    settings = get_settings()
    engine, keyring = _open_database(settings)
    summary = rematch(
        make_session_factory(engine, keyring),
        threshold=settings.proposal_threshold,
        batch_size=args.batch_size,
        progress=sys.stderr.isatty(),
        workers=args.workers,
        database_url=settings.database_url,
    )
    engine.dispose()
    print(summary)
    return 0


def _import_options(command: argparse.ArgumentParser, kind: str) -> None:
    command.add_argument("--dry-run", action="store_true", help="check every row, write nothing")
    command.add_argument("--batch-size", type=int, default=500)
    command.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="processes loading rows (default: one per core; small files use one)",
    )
    command.set_defaults(run=_import, kind=kind)


def _import(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from app.core.security import Principal
    from app.crypto.orm import make_session_factory
    from app.formats.csvtext import CsvFileError
    from app.formats.pfif import PfifError
    from app.imports import service
    from app.imports.csvfile import Layout, MappingError, inspect, parse_map
    from app.imports.fields import Kind
    from app.imports.pfif import PfifFile, inspect_pfif
    from app.users import repository as users

    kind = Kind.reports if args.kind == "pfif" else Kind(args.kind)
    if args.batch_size < 1 or args.workers < 1:
        print("error: --batch-size and --workers must be at least 1", file=sys.stderr)
        return 2
    if args.as_user is None and not args.dry_run:
        print(
            "error: --as USER_ID is required: the coordinator or admin the records are filed as",
            file=sys.stderr,
        )
        return 2
    try:
        mapping = {}
        for text in getattr(args, "map", []):
            if text.startswith("@"):
                text = Path(text[1:]).read_text(encoding="utf-8")
            mapping.update(parse_map(text, kind))
    except MappingError as error:
        print(f"error: --map: {error}", file=sys.stderr)
        return 2
    except (OSError, UnicodeDecodeError) as error:
        print(
            f"error: --map: cannot read the mapping file ({type(error).__name__})", file=sys.stderr
        )
        return 2
    layout: Layout | PfifFile
    try:
        if args.kind == "pfif":
            layout = inspect_pfif(args.file)
        else:
            layout = inspect(
                args.file, kind, encoding=args.encoding, delimiter=args.delimiter, mapping=mapping
            )
    except PfifError as error:
        print(f"error: {args.file}: {error}", file=sys.stderr)
        return 1
    except CsvFileError as error:
        what = "not CSV text: " if error.not_text else ""
        print(f"error: {args.file}: {what}{error.reason}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"error: {error.strerror}: {args.file}", file=sys.stderr)
        return 1

    settings = get_settings()
    engine, keyring = _open_database(settings)
    factory = make_session_factory(engine, keyring)
    owner = None
    if args.as_user is not None:
        with factory() as session:
            owner = users.get(session, args.as_user)
        if owner is None or owner.disabled or owner.role not in ("coordinator", "admin"):
            print("error: --as must name an active coordinator or admin user", file=sys.stderr)
            engine.dispose()
            return 2
    if isinstance(layout, PfifFile):
        print(
            f"reading {args.file}: PFIF, {counted(layout.persons, 'person')} (loaded as "
            f"reports) and {counted(layout.notes, 'note')} (not imported)"
        )
        rows = layout.persons
    else:
        delimiter = "tab" if layout.delimiter == "\t" else layout.delimiter
        print(f"reading {args.file}: {layout.encoding}, delimiter '{delimiter}'")
        print("columns: " + ", ".join(f"{h} → {f}" for h, f in layout.mapped.items()))
        if layout.ignored:
            print("ignored columns (not known; see --map): " + ", ".join(layout.ignored))
        for header in layout.unmatched_map:
            print(f"warning: --map names a column the file does not have ({header})")
        rows = layout.lines
    import_id = None
    if not args.dry_run:
        assert owner is not None  # noqa: S101 - checked above
        with factory() as session, session.begin():
            principal = Principal(owner.id, Role(owner.role))
            import_id = service.start(session, principal, layout, dry_run=False).id
    started = perf_counter()
    # Worker processes pay for themselves on large files only.
    workers = max(1, min(args.workers, rows // args.batch_size))
    with tqdm(total=rows, desc=args.kind, unit="row", disable=not sys.stderr.isatty()) as bar:
        try:
            result = service.run(
                factory,
                args.file,
                layout,
                owner=Principal(owner.id, Role(owner.role)) if owner else None,
                import_id=import_id,
                dry_run=args.dry_run,
                threshold=settings.proposal_threshold,
                pfif_domain=settings.pfif_domain,
                source_type=getattr(args, "source_type", None),
                workers=1 if args.dry_run else workers,
                database_url=settings.database_url,
                batch_size=args.batch_size,
                on_batch=lambda tally: bar.update(tally.read),
            )
        except Exception as error:
            print(f"error: the import stopped: {type(error).__name__}", file=sys.stderr)
            return 1
        finally:
            engine.dispose()
    print(
        f"{_import_summary(import_id, result.tally, dry_run=args.dry_run)} "
        f"({perf_counter() - started:.1f} s, peak memory {result.peak_mib:.0f} MiB)"
    )
    shown = result.tally.errors[: service.MAX_ERRORS]
    for row_error in shown:
        print(_row_error(row_error))
    if len(result.tally.errors) > len(shown):
        print(f"... and {len(result.tally.errors) - len(shown)} more")
    return 0


def _import_summary(import_id: str | None, tally: Tally, *, dry_run: bool) -> str:
    counts = (
        f"{counted(tally.read, 'row')} read, "
        f"{tally.loaded} {'would be loaded' if dry_run else 'loaded'}, "
        f"{tally.duplicates} already present, {tally.skipped} skipped"
    )
    if dry_run:
        return f"dry run: {counts}; nothing was written"
    return f"import {import_id}: {counts}"


def _row_error(error: RowError) -> str:
    where = ""
    if error.field:
        where = f"{error.field} ({error.column}): " if error.column else f"{error.field}: "
    return f"line {error.line}: {where}{error.reason}"


def _link(args: argparse.Namespace) -> int:
    from matching import DEFAULT_THRESHOLD, LinkInputError, link_files

    threshold = DEFAULT_THRESHOLD if args.threshold is None else args.threshold
    if not 0.0 <= threshold <= 1.0:
        print("error: --threshold must be between 0 and 1", file=sys.stderr)
        return 2
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
    print(
        f"linked {counted(summary.sightings, 'sighting')} against "
        f"{counted(summary.reports, 'report')}: {summary.proposed} proposed "
        f"({summary.seconds:.1f} s)"
    )
    return 0


def _export(args: argparse.Namespace) -> int:
    from collections import Counter

    from app.core.problems import Unreadable
    from app.crypto.orm import make_session_factory
    from app.exports import service
    from app.exports.schemas import ExportFormat
    from app.exports.service import Export, ExportKind

    export = Export(
        ExportKind(args.kind),
        format=ExportFormat(args.format) if args.kind != "pfif" else None,
        status=args.status if args.kind == "reports" else None,
        include_contacts=args.include_contacts,
    )
    settings = get_settings()
    engine, keyring = _open_database(settings)
    sessions = make_session_factory(engine, keyring)
    counts: Counter[str] = Counter()
    # Written beside the target and renamed at the end: a failed export leaves no partial file.
    partial = args.out.with_name(f".{args.out.name}.partial")
    started = perf_counter()
    try:
        with sessions() as session, session.begin():
            service.start(session, None, export)
        with partial.open("w", encoding="utf-8", newline="") as out:
            for piece in service.stream(
                sessions, None, export, pfif_domain=settings.pfif_domain, counts=counts
            ):
                out.write(piece)
        partial.replace(args.out)
    except OSError as error:
        partial.unlink(missing_ok=True)
        print(f"error: cannot write {args.out}: {error.strerror}", file=sys.stderr)
        return 1
    except Unreadable as error:
        partial.unlink(missing_ok=True)
        print(
            f"error: cannot decrypt {error.table}.{error.column} of record {error.record_id} "
            f"({error.reason}); nothing was written",
            file=sys.stderr,
        )
        return 1
    finally:
        engine.dispose()
    if export.kind == ExportKind.pfif:
        written = f"{counted(counts['persons'], 'person')} and {counted(counts['notes'], 'note')}"
    else:
        written = counted(counts["rows"], "row")
    contacts = " with reporters' contacts" if export.include_contacts else ""
    print(f"wrote {written}{contacts} to {args.out} in {perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
