"""The `ridni` command as the CLI tests run it, for `ridni photos` and `ridni keys`."""

from tests.app.cli.test_cli import cli_database, ridni

__all__ = ["cli_database", "ridni"]
