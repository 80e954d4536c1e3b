"""`python -m tests.postgres URL`: exit 0 when PostgreSQL answers at URL, creating the database
if the server is up but the database is missing; exit 1 when no server answers."""

import sys

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError


def ensure_database(url: str) -> bool:
    target = make_url(url)
    server = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as connection:
            exists = connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"),
                {"name": target.database},
            )
            if not exists:
                connection.execute(text(f'CREATE DATABASE "{target.database}"'))
    except OperationalError:
        return False
    finally:
        server.dispose()
    return True


if __name__ == "__main__":
    sys.exit(0 if ensure_database(sys.argv[1]) else 1)
