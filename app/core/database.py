"""Engine and session handling: one request, one transaction. The sessions themselves are made
with the keyring of the encrypted columns (`app.crypto.orm.make_session_factory`)."""

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker


def make_engine(url: str) -> Engine:
    # hide_parameters: a database error's message would otherwise quote the row's values
    # (names, dates, contacts) wherever it is printed.
    if url.startswith("sqlite"):
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
