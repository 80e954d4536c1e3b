"""`ridni import reports|sightings|pfif FILE`: a file through the API's validation and matching."""

import argparse
import os
import sys
from pathlib import Path
from time import perf_counter

from sqlalchemy.orm import Session, sessionmaker
from tqdm import tqdm

from app.cli.database import open_database
from app.core.counting import counted
from app.core.security import Principal, Role
from app.core.settings import get_settings
from app.crypto.orm import make_session_factory
from app.formats.csvtext import DELIMITERS, ENCODINGS, CsvFileError
from app.formats.pfif import PfifError
from app.imports import pipeline, service
from app.imports.csvfile import Layout, MappingError, inspect, parse_map
from app.imports.fields import Kind
from app.imports.pfif import PfifFile, inspect_pfif
from app.imports.rows import RowError, Tally
from app.matches.engine import MatchingSettings
from app.sightings.models import SourceType
from app.users import repository as users

PFIF = "pfif"
# Who may file a list for everyone: as the API's import route allows.
IMPORTERS = (Role.coordinator, Role.admin)


class _Stopped(Exception):
    """The command stops: `error: <message>` on standard error, and `status` as its exit status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def register(parser: argparse.ArgumentParser) -> None:
    kinds = parser.add_subparsers(title="kinds")
    for kind in (*(kind.value for kind in Kind), PFIF):
        what = (
            "the persons of a PFIF file as reports" if kind == PFIF else f"{kind} from a CSV file"
        )
        command = kinds.add_parser(kind, help=f"import {what}")
        command.add_argument("file", type=Path)
        command.add_argument(
            "--as",
            dest="as_user",
            metavar="USER_ID",
            help="the coordinator or admin the records are filed as (required unless --dry-run)",
        )
        if kind != PFIF:
            _csv_options(command, Kind(kind))
        command.add_argument(
            "--dry-run", action="store_true", help="check every row, write nothing"
        )
        command.add_argument("--batch-size", type=int, default=500)
        command.add_argument(
            "--workers",
            type=int,
            default=os.cpu_count() or 1,
            help="processes loading rows (default: one per core; small files use one)",
        )
        command.set_defaults(run=_import, kind=kind)


def _csv_options(command: argparse.ArgumentParser, kind: Kind) -> None:
    command.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="HEADER=FIELD,...",
        help="what other columns hold (FIELD - leaves a column out); @FILE reads the "
        "pairs from a file, one a line",
    )
    command.add_argument("--encoding", choices=ENCODINGS, help="default: detected")
    command.add_argument("--delimiter", choices=sorted(DELIMITERS), help="default: detected")
    if kind == Kind.sightings:
        command.add_argument(
            "--source-type",
            choices=[t.value for t in SourceType],
            help="for rows that do not say (default: list)",
        )


def _import(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except _Stopped as stopped:
        print(f"error: {stopped}", file=sys.stderr)
        return stopped.status


def _run(args: argparse.Namespace) -> int:
    kind = Kind.reports if args.kind == PFIF else Kind(args.kind)
    if args.batch_size < 1 or args.workers < 1:
        raise _Stopped(2, "--batch-size and --workers must be at least 1")
    if args.as_user is None and not args.dry_run:
        raise _Stopped(
            2, "--as USER_ID is required: the coordinator or admin the records are filed as"
        )
    layout = _inspect(args, kind)

    settings = get_settings()
    engine, keyring = open_database(settings)
    factory = make_session_factory(engine, keyring)
    try:
        owner = None if args.as_user is None else _owner(factory, args.as_user)
    except BaseException:
        engine.dispose()
        raise
    rows = _describe(args.file, layout)
    import_id = None
    if owner is not None and not args.dry_run:
        with factory() as session, session.begin():
            import_id = service.start(session, owner, layout, dry_run=False).id
    started = perf_counter()
    # Worker processes pay for themselves on large files only.
    workers = max(1, min(args.workers, rows // args.batch_size))
    with tqdm(total=rows, desc=args.kind, unit="row", disable=not sys.stderr.isatty()) as bar:
        try:
            result = service.run(
                factory,
                args.file,
                layout,
                owner=owner,
                import_id=import_id,
                dry_run=args.dry_run,
                matching=MatchingSettings.from_settings(settings),
                pfif_domain=settings.pfif_domain,
                source_type=getattr(args, "source_type", None),
                workers=1 if args.dry_run else workers,
                database_url=settings.database_url,
                batch_size=args.batch_size,
                on_batch=lambda tally: bar.update(tally.read),
            )
        except Exception as error:
            raise _Stopped(1, f"the import stopped: {type(error).__name__}") from None
        finally:
            engine.dispose()
    print(
        f"{_summary(import_id, result.tally, dry_run=args.dry_run)} "
        f"({perf_counter() - started:.1f} s, peak memory {result.peak_mib:.0f} MiB)"
    )
    shown = result.tally.errors[: pipeline.MAX_ERRORS]
    for row_error in shown:
        print(_row_error(row_error))
    if len(result.tally.errors) > len(shown):
        print(f"... and {len(result.tally.errors) - len(shown)} more")
    return 0


def _inspect(args: argparse.Namespace, kind: Kind) -> Layout | PfifFile:
    """The file's layout, read before the database is opened: exit 2 for a wrong --map, 1 for
    a file that cannot be read."""
    mapping = _mapping(getattr(args, "map", []), kind)
    try:
        if args.kind == PFIF:
            return inspect_pfif(args.file)
        return inspect(
            args.file, kind, encoding=args.encoding, delimiter=args.delimiter, mapping=mapping
        )
    except PfifError as error:
        raise _Stopped(1, f"{args.file}: {error}") from None
    except CsvFileError as error:
        what = "not CSV text: " if error.not_text else ""
        raise _Stopped(1, f"{args.file}: {what}{error.reason}") from None
    except OSError as error:
        raise _Stopped(1, f"{error.strerror}: {args.file}") from None


def _mapping(options: list[str], kind: Kind) -> dict[str, str]:
    """The --map pairs, each given inline or as @FILE."""
    mapping = {}
    try:
        for text in options:
            if text.startswith("@"):
                text = Path(text[1:]).read_text(encoding="utf-8")
            mapping.update(parse_map(text, kind))
    except MappingError as error:
        raise _Stopped(2, f"--map: {error}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise _Stopped(2, f"--map: cannot read the mapping file ({type(error).__name__})") from None
    return mapping


def _owner(factory: sessionmaker[Session], user_id: str) -> Principal:
    """The user named by --as, who must be an active coordinator or admin."""
    with factory() as session:
        user = users.get(session, user_id)
    if user is None or user.disabled or user.role not in IMPORTERS:
        raise _Stopped(2, "--as must name an active coordinator or admin user")
    return Principal(user.id, Role(user.role))


def _describe(file: Path, layout: Layout | PfifFile) -> int:
    """Say how the file is read; the number of rows (or persons) it holds."""
    if isinstance(layout, PfifFile):
        print(
            f"reading {file}: PFIF, {counted(layout.persons, 'person')} (loaded as "
            f"reports) and {counted(layout.notes, 'note')} (not imported)"
        )
        return layout.persons
    delimiter = "tab" if layout.delimiter == "\t" else layout.delimiter
    print(f"reading {file}: {layout.encoding}, delimiter '{delimiter}'")
    print("columns: " + ", ".join(f"{h} → {f}" for h, f in layout.mapped.items()))
    if layout.ignored:
        print("ignored columns (not known; see --map): " + ", ".join(layout.ignored))
    for header in layout.unmatched_map:
        print(f"warning: --map names a column the file does not have ({header})")
    return layout.lines


def _summary(import_id: str | None, tally: Tally, *, dry_run: bool) -> str:
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
