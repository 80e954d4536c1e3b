"""Engine and session handling: one request, one transaction. The sessions themselves are made
with the keyring of the encrypted columns (`app.crypto.orm.make_session_factory`)."""

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger("ridni.database")


def make_engine(url: str) -> Engine:
    # hide_parameters: a database error's message would otherwise quote the row's values
    # (names, dates, contacts) wherever it is printed.
    if url.startswith("sqlite"):
        make_sqlite_file_owner_only(url)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            hide_parameters=True,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(
        url, pool_pre_ping=True, pool_size=10, max_overflow=20, hide_parameters=True
    )


def make_sqlite_file_owner_only(url: str) -> None:
    """Make a SQLite database file owner-only (0600), like the key file, before SQLite opens it.

    SQLite creates its write-ahead log, shared-memory and rollback journal files with the
    database file's mode, so they follow. Files an earlier version left readable by others are
    tightened, with a warning. Anything but a SQLite file is left alone.
    """
    database = make_url(url).database if url.startswith("sqlite") else None
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        return
    except FileExistsError:
        pass
    except FileNotFoundError:
        return  # no such folder: SQLite says so when it opens the file
    for file in (path, *(path.with_name(path.name + end) for end in ("-wal", "-shm", "-journal"))):
        try:
            mode = stat.S_IMODE(file.stat().st_mode)
            if mode & 0o077:
                file.chmod(mode & 0o700)
                log.warning(
                    "made a database file owner-only", extra={"fields": {"file": str(file)}}
                )
        except FileNotFoundError:
            continue
        except PermissionError:
            log.warning(
                "a database file is readable by others and not ours to change",
                extra={"fields": {"file": str(file)}},
            )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    # Freed space is zeroed (some builds do so by default, others not): an overwritten or
    # deleted value, such as plaintext sealed at start-up, leaves no copy in the file.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def get_session(request: Request) -> Iterator[Session]:
    """Commit when the endpoint returns, roll back when it raises; services only flush."""
    factory: sessionmaker[Session] = request.app.state.session_factory
    with factory() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


# "function" scope: commit before the response is sent, so a failed commit is never answered 2xx.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def begin_writing(session: Session) -> None:
    """Before a transaction's first write is a SAVEPOINT: on SQLite, open the transaction now
    (taking the write lock). pysqlite opens one only at the first INSERT, UPDATE or DELETE, so
    the SAVEPOINT would be the outermost, and releasing it would commit, splitting the
    transaction in two."""
    connection = session.connection()
    dbapi = connection.connection.dbapi_connection
    if connection.dialect.name == "sqlite" and not dbapi.in_transaction:  # type: ignore[union-attr]
        connection.exec_driver_sql("BEGIN IMMEDIATE")
