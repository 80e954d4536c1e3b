"""`ridni export pfif|matches|reports`."""

import argparse
import sys
from collections import Counter
from pathlib import Path
from time import perf_counter

from app.cli.database import open_database
from app.core.counting import counted
from app.core.problems import Unreadable
from app.core.settings import get_settings
from app.crypto.orm import make_session_factory
from app.exports import service
from app.exports.schemas import ExportFormat
from app.exports.service import Export, ExportKind
from app.reports.models import ReportStatus

_HELP = {
    ExportKind.pfif: "every report as a PFIF 1.4 person, confirmed sightings as notes",
    ExportKind.matches: "confirmed matches, as CSV or JSON",
    ExportKind.reports: "reports with a status, as CSV or JSON",
}


def register(parser: argparse.ArgumentParser) -> None:
    kinds = parser.add_subparsers(title="what")
    for kind, help_text in _HELP.items():
        command = kinds.add_parser(kind.value, help=help_text)
        if kind == ExportKind.reports:
            command.add_argument(
                "--status",
                choices=[status.value for status in ReportStatus],
                default=ReportStatus.open.value,
            )
        if kind != ExportKind.pfif:
            command.add_argument(
                "--format",
                choices=[each.value for each in ExportFormat],
                default=ExportFormat.csv.value,
            )
        command.add_argument("--out", required=True, type=Path)
        command.add_argument(
            "--include-contacts",
            action="store_true",
            help="add the reporter's name, relationship, phone and email (admins; never a "
            "sighting's source)",
        )
        command.set_defaults(run=_export, kind=kind)


def _export(args: argparse.Namespace) -> int:
    export = Export(
        args.kind,
        format=ExportFormat(args.format) if args.kind != ExportKind.pfif else None,
        status=args.status if args.kind == ExportKind.reports else None,
        include_contacts=args.include_contacts,
    )
    settings = get_settings()
    engine, keyring = open_database(settings)
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
