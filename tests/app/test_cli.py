"""The `ridni` command, run as a user would, against a real database file."""

import subprocess
import sys

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from app.users.models import User
from app.users.service import hash_token


@pytest.fixture
def cli_database(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


def ridni(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own command, fixed arguments
        [sys.executable, "-m", "app.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"},
    )


def test_users_add_prints_a_working_token_once_and_stores_its_hash(cli_database: str):
    result = ridni(
        "users", "add", "--name", "Олена Коваль", "--role", "coordinator", database_url=cli_database
    )
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip().splitlines()[-1]
    assert token.startswith("rdn_") and len(token) > 40
    engine = create_engine(cli_database)
    with Session(engine) as session:
        user = session.scalars(select(User)).one()
        assert user.name == "Олена Коваль"
        assert user.role == "coordinator"
        assert user.token_hash == hash_token(token)
        assert token not in user.token_hash
    engine.dispose()


def test_users_add_refuses_an_unknown_role(cli_database: str):
    result = ridni("users", "add", "--name", "x", "--role", "superuser", database_url=cli_database)
    assert result.returncode == 2
    assert "invalid choice" in result.stderr


def test_migrate_is_repeatable(cli_database: str):
    for _ in range(2):
        result = ridni("migrate", database_url=cli_database)
        assert result.returncode == 0, result.stderr
        assert "up to date" in result.stdout
