"""Engine and session handling: one request, one transaction. The sessions themselves are made
with the keyring of the encrypted columns (`app.crypto.orm.make_session_factory`).

SQLite has one writer at a time. Left to itself, every writer that waits for it holds a pooled
connection and polls the file's lock, so that a burst of writes runs the pool dry and stalls
readers too. Here writers queue in the process instead: a transaction opens only at its first
write, as `BEGIN IMMEDIATE`, once it holds the database's writer lock, and gives the lock back
when it ends. Reads run outside any transaction, and WAL lets them read while a write is open.
"""

import logging
import os
import re
import sqlite3
import stat
import threading
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger("ridni.database")

SQLITE_BUSY_SECONDS = 30
# Threads that can run requests' database work at once (anyio's default thread limiter is 40):
# a SQLite pool this large lets every one of them wait for the writer while readers still get
# a connection. A connection to SQLite is a file handle, not a server process.
SQLITE_POOL = 60
# The statements that open a transaction: pysqlite begins one before a write of its own accord;
# a savepoint outside a transaction would open one that its RELEASE commits, so one begins first.
_WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)
_SAVEPOINT = re.compile(r"\s*SAVEPOINT\b", re.IGNORECASE)

_writer_locks: dict[str, threading.Lock] = {}
_writer_locks_guard = threading.Lock()


def make_engine(url: str) -> Engine:
    # hide_parameters: a database error's message would otherwise quote the row's values
    # (names, dates, contacts) wherever it is printed.
    if url.startswith("sqlite"):
        make_sqlite_file_owner_only(url)
        database = make_url(url).database
        in_memory = not database or database == ":memory:"
        engine = create_engine(
            url,
            connect_args={
                "check_same_thread": False,
                "timeout": SQLITE_BUSY_SECONDS,
                "factory": QueuedWriterConnection,
                # The transaction pysqlite opens before a write takes the write lock at once.
                "isolation_level": "IMMEDIATE",
            },
            # An in-memory database lives in one connection per thread (SQLAlchemy's own pool).
            **({} if in_memory else {"pool_size": SQLITE_POOL, "max_overflow": 0}),
            hide_parameters=True,
        )
        writer = _writer_lock(None if in_memory else database)

        @event.listens_for(engine, "connect")
        def _connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.writer = writer
            _sqlite_pragmas(dbapi_connection)

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


def _writer_lock(database: str | None) -> threading.Lock:
    """One lock per database file in this process (each in-memory database is its own)."""
    if database is None:
        return threading.Lock()
    with _writer_locks_guard:
        return _writer_locks.setdefault(os.path.realpath(database), threading.Lock())


class QueuedWriterConnection(sqlite3.Connection):
    """A SQLite connection that opens a transaction only while it holds its database's writer
    lock (`writer`), and holds the lock exactly as long as the transaction is open. A caller
    that manages transactions itself (`isolation_level = None`) is left alone. A rollback (and
    so the pool, taking it back) closes every cursor still open."""

    writer: "threading.Lock"  # set as the engine connects
    _writing = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.open_cursors: weakref.WeakSet[sqlite3.Cursor] = weakref.WeakSet()

    # Every cursor queues: typeshed's overloads describe only the factories a caller passes.
    def cursor(self, factory: Any = None) -> sqlite3.Cursor:  # type: ignore[override]
        cursor = super().cursor(factory or QueuedWriterCursor)
        self.open_cursors.add(cursor)
        return cursor

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.transaction_ended()

    def rollback(self) -> None:
        """Also what the pool does to a connection given back: no statement is left running. A
        SELECT left unfinished (a stream that stopped) keeps the snapshot it read, so that the
        connection would read stale rows, and fail every write, for as long as it lives."""
        for cursor in list(self.open_cursors):
            cursor.close()
        try:
            super().rollback()
        finally:
            self.transaction_ended()

    def close(self) -> None:
        writing = self._writing
        try:
            super().close()  # rolls back what is open
        finally:
            if writing:
                self._release()

    def before_statement(self, sql: str) -> None:
        if self.isolation_level is None or self.in_transaction:
            return
        if _WRITE.match(sql):
            self._acquire()
        elif _SAVEPOINT.match(sql):
            self._acquire()
            sqlite3.Cursor(self).execute("BEGIN IMMEDIATE")

    def transaction_ended(self) -> None:
        if self._writing and not self.in_transaction:
            self._release()

    def _acquire(self) -> None:
        if not self.writer.acquire(timeout=SQLITE_BUSY_SECONDS):
            raise sqlite3.OperationalError("database is locked")
        self._writing = True

    def _release(self) -> None:
        self._writing = False
        self.writer.release()


class QueuedWriterCursor(sqlite3.Cursor):
    connection: QueuedWriterConnection

    def execute(self, sql: str, parameters: Any = (), /) -> "QueuedWriterCursor":
        __tracebackhide__ = True  # for logs.where: the statement's place is the caller's
        self.connection.before_statement(sql)
        try:
            return super().execute(sql, parameters)
        finally:
            self.connection.transaction_ended()

    def executemany(self, sql: str, parameters: Any, /) -> "QueuedWriterCursor":
        __tracebackhide__ = True  # for logs.where: the statement's place is the caller's
        self.connection.before_statement(sql)
        try:
            return super().executemany(sql, parameters)
        finally:
            self.connection.transaction_ended()


def _sqlite_pragmas(dbapi_connection: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
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
