"""The `ridni` command: serve the API, manage users and keys, migrate, link files offline.

A module per command. The parser lists every command, but only the module of the one being run
(or whose help is asked for) is imported and adds its arguments: `ridni link` loads neither the
web framework nor the encryption modules, and no command pays for the imports of another.
"""

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Protocol


class Command(Protocol):
    """A command's module: it adds its arguments and actions to its own parser."""

    def register(self, parser: argparse.ArgumentParser) -> None: ...


# Name, module (`import` is a keyword: `imports`, and `exports` beside it) and one-line help of
# each command, in the order `ridni --help` lists them.
COMMANDS = (
    ("serve", "serve", "apply pending migrations, then serve the API"),
    ("migrate", "migrate", "apply pending database migrations"),
    ("users", "users", "manage users"),
    ("keys", "keys", "field-encryption keys"),
    ("photos", "photos", "check the photo store: orphan files and photos, removed with --fix"),
    ("rematch", "rematch", "recompute candidate keys and proposals for every record (resumable)"),
    ("import", "imports", "import a CSV file of reports or sightings, or a PFIF file"),
    ("link", "link", "link a file of sightings against a file of reports, offline"),
    ("duplicates", "duplicates", "find duplicate reports in a file of reports, offline"),
    (
        "export",
        "exports",
        "write a file for partners or other registries (recorded in the audit trail)",
    ),
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser(argv)
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    result: int = args.run(args)
    return result


def _parser(argv: Sequence[str] | None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ridni", description="Ridni: link missing-child reports with sightings."
    )
    commands = parser.add_subparsers(title="commands")
    # `ridni` takes no option with a value, so the first word that is not an option names the
    # command (or none that exists, which argparse then refuses by itself).
    words = [word for word in (argv if argv is not None else sys.argv[1:]) if word[:1] != "-"]
    for name, module, help_text in COMMANDS:
        command = commands.add_parser(name, help=help_text)
        if words[:1] == [name]:
            chosen: Command = importlib.import_module(f"{__name__}.{module}")
            chosen.register(command)
    return parser
