"""The SQLite database file and the files SQLite keeps beside it are owner-only, like the key
file: they hold the children's names, dates and places in clear."""

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from app.core.database import make_engine
from app.core.migrations import upgrade

# Files every test here makes; the suite's own database is another file.
pytestmark = pytest.mark.nodb


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """The umask most systems start with, under which SQLite alone makes files 0644."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_migrating_a_new_database_makes_an_owner_only_file(tmp_path: Path):
    path = tmp_path / "ridni.db"
    upgrade(f"sqlite:///{path}")
    assert mode(path) == 0o600


def test_the_write_ahead_log_and_shared_memory_are_owner_only(tmp_path: Path):
    path = tmp_path / "ridni.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE t (x INTEGER)"))
            connection.execute(text("INSERT INTO t VALUES (1)"))
            # Both files exist while a connection is open.
            modes = {file.name: mode(file) for file in tmp_path.iterdir() if file.name != "t"}
    finally:
        engine.dispose()
    assert modes == {"ridni.db": 0o600, "ridni.db-wal": 0o600, "ridni.db-shm": 0o600}


def test_a_file_left_readable_by_others_is_tightened(tmp_path: Path):
    path = tmp_path / "ridni.db"
    for name in ("ridni.db", "ridni.db-wal", "ridni.db-shm", "ridni.db-journal"):
        (tmp_path / name).touch(mode=0o644)
        (tmp_path / name).chmod(0o644)
    make_engine(f"sqlite:///{path}").dispose()
    assert {file.name: mode(file) for file in tmp_path.iterdir()} == {
        "ridni.db": 0o600,
        "ridni.db-wal": 0o600,
        "ridni.db-shm": 0o600,
        "ridni.db-journal": 0o600,
    }
