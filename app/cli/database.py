"""Opening the database, for the commands that read or write it."""

from sqlalchemy import Engine

from app.core.database import make_engine
from app.core.migrations import upgrade
from app.core.settings import Settings
from app.crypto.keyfile import KeyringError, key_file
from app.crypto.keyring import Keyring
from app.crypto.maintenance import open_keyring


def open_database(settings: Settings) -> tuple[Engine, Keyring]:
    """Migrate, then open the keyring; exit 1 saying why when the keys cannot be used."""
    from app import models  # noqa: F401 - every table, for the keyring to see every sealed column

    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        keyring = open_keyring(engine, key_file(settings))
    except BaseException as error:
        engine.dispose()
        if isinstance(error, KeyringError):
            raise SystemExit(f"error: {error}") from None
        raise
    return engine, keyring
