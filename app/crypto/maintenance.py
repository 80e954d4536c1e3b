"""A database's keyring: the checks before serving, rotation, status and verification.

These work on the tables directly (SQLAlchemy Core), in batches of their own transactions, so a
stopped run resumes where it stopped; each update is a compare-and-set on the value it read, so a
service running at the same time is never overwritten. The sealing itself is the keyring's.

The sealed columns are found in `Base.metadata`, which holds the tables of the models imported so
far: the caller imports every model first (`app.models`), as the entry points do.
"""

import logging
from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    Engine,
    Row,
    Table,
    and_,
    bindparam,
    case,
    create_engine,
    func,
    or_,
    select,
)
from sqlalchemy import update as sql_update
from sqlalchemy.pool import NullPool

from app.core.models import Base
from app.core.problems import Unreadable
from app.crypto.keyfile import KeyringError, create_key_file
from app.crypto.keyring import PLAINTEXT_VERSION, Keyring, MemoryKeyring, stored_version

log = logging.getLogger("ridni.keys")

SAMPLE = 3  # values per key version tried before serving


def sealed_tables() -> list[tuple[Table, list[Column[str]]]]:
    found = []
    for table in Base.metadata.sorted_tables:
        columns = [column for column in table.columns if column.info.get("sealed")]
        if columns:
            found.append((table, columns))
    if not found:
        # Checking or rotating nothing would look like success.
        raise RuntimeError("no table with sealed columns is known: import app.models first")
    return found


def _under(column: Column[str], version: int) -> ColumnElement[bool]:
    return column.like(f"v{version}:%")


def _outside(columns: Sequence[Column[str]], versions: Collection[int]) -> ColumnElement[bool]:
    """Rows with a value under none of `versions`."""
    return or_(
        *(and_(column.is_not(None), *(~_under(column, v) for v in versions)) for column in columns)
    )


# --- what the database holds -----------------------------------------------------------------
@dataclass(frozen=True)
class Census:
    """Stored values per key version (0: not sealed yet), and those under no known version."""

    by_version: dict[int, int]
    unknown: int

    @property
    def total(self) -> int:
        return sum(self.by_version.values()) + self.unknown


def census(engine: Engine, versions: Collection[int]) -> Census:
    counted = sorted({PLAINTEXT_VERSION, *versions})
    by_version = dict.fromkeys(counted, 0)
    unknown = 0
    with engine.connect() as connection:
        for table, columns in sealed_tables():
            figures = []
            for column in columns:
                figures.append(func.count(column))
                figures += [func.count(case((_under(column, v), 1))) for v in counted]
            row = connection.execute(select(*figures).select_from(table)).one()
            width = len(counted) + 1
            for start in range(0, len(row), width):
                total, *per_version = row[start : start + width]
                for version, count in zip(counted, per_version, strict=True):
                    by_version[version] += count
                unknown += total - sum(per_version)
    return Census(by_version, unknown)


def _unknown_versions(engine: Engine, versions: Collection[int]) -> set[str]:
    """Names of the versions found among values under none of `versions` (a sample)."""
    names = set()
    with engine.connect() as connection:
        for _table, columns in sealed_tables():
            rows = connection.execute(
                select(*columns).where(_outside(columns, [PLAINTEXT_VERSION, *versions])).limit(50)
            )
            for row in rows:
                for stored in row:
                    if stored is not None:
                        version = stored_version(stored)
                        names.add("not in the stored format" if version is None else f"v{version}")
    return names


# --- before serving -------------------------------------------------------------------------
def open_keyring(engine: Engine, path: Path | None) -> Keyring:
    """The keyring for this (migrated) database, ready to serve. On a first start it creates the
    key file; it refuses to go on when the keys cannot open what the database holds; then it
    seals what is still plaintext (values stored before encryption existed). A database in
    memory (no `path`) is as new as its engine: its key is made in memory, nothing to check."""
    if path is None:
        return MemoryKeyring()
    if not path.exists():
        before = census(engine, ())
        if before.total - before.by_version[PLAINTEXT_VERSION]:
            raise KeyringError(
                f"the database holds encrypted values, but there is no key file at {path}: "
                "put the key file back there, or set RIDNI_KEY_FILE to where it is"
            )
        if create_key_file(path):
            log.warning(
                "created a new encryption key file at %s: back it up, apart from the database "
                "(without it the protected fields cannot be read)",
                path,
            )
    keyring = Keyring(path)
    _check_keys(engine, keyring)
    check_reloads(engine, keyring)
    held = census(engine, keyring.versions)
    if held.by_version[PLAINTEXT_VERSION]:
        sealed = reseal(engine, keyring, keep=keyring.versions)
        log.warning(
            "sealed %d values stored before encryption existed under key v%d",
            sealed.values,
            keyring.current,
        )
        _purge_free_space(engine)
    return keyring


def check_reloads(engine: Engine, keyring: Keyring) -> None:
    """Let `keyring` adopt a changed key file only when it passes the check made at start. The
    check takes connections of its own: a reload happens within a flush, which may hold the
    last one of the pool."""
    checking = create_engine(engine.url, poolclass=NullPool, hide_parameters=True)
    keyring.check_reloads(lambda candidate: _check_keys(checking, candidate))


def _check_keys(engine: Engine, keyring: Keyring) -> None:
    """The keys hold every version the database holds values under, and open what is stored
    under each: refused (KeyringError) otherwise."""
    found = _unknown_versions(engine, keyring.versions)
    if found:
        raise KeyringError(
            f"the database holds values under key versions that {keyring.path} does not hold "
            f"({', '.join(sorted(found))}; the file holds {_names(keyring.versions)}): put "
            "those keys back into the key file"
        )
    for version in keyring.versions:
        _check_key_opens(engine, keyring, version)


def _names(versions: Collection[int]) -> str:
    return ", ".join(f"v{v}" for v in sorted(versions))


def _check_key_opens(engine: Engine, keyring: Keyring, version: int) -> None:
    """A wrong key file with the right version numbers opens nothing: refuse to serve with it.
    A few values that do not open (tampering) are the records' problem, not a reason to stop."""
    opened = failed = 0
    with engine.connect() as connection:
        for table, columns in sealed_tables():
            rows = connection.execute(
                select(table.c.id, *columns)
                .where(or_(*(_under(c, version) for c in columns)))
                .limit(SAMPLE)
            )
            for row in rows:
                for column in columns:
                    stored = row._mapping[column]
                    if stored is None or stored_version(stored) != version:
                        continue
                    try:
                        keyring.open(stored, table=table.name, record_id=row.id, column=column.name)
                        opened += 1
                    except Unreadable:
                        failed += 1
    if failed and not opened:
        raise KeyringError(
            f"key v{version} in {keyring.path} does not decrypt the values stored under v{version}:"
            " is this the key file of this database?"
        )
    if failed:
        log.error("some values under v%d do not decrypt: run `ridni keys status --verify`", version)


def _purge_free_space(engine: Engine) -> None:
    """Leave no copy of the plaintext just sealed: SQLite zeroes freed space (secure_delete,
    app/core/database.py), and the write-ahead log is emptied here."""
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    else:
        log.warning(
            "old row versions may still hold that plaintext until PostgreSQL reuses their space: "
            "run VACUUM FULL on the reports and sightings tables"
        )


# --- re-encryption -------------------------------------------------------------------------
@dataclass
class Resealed:
    values: int = 0
    unreadable: list[Unreadable] = field(default_factory=list)


Rows = list[Row[tuple[Any, ...]]]
Work = Callable[[Connection, Table, list[Column[str]], Rows], None]


def _in_batches(
    engine: Engine,
    where: Callable[[list[Column[str]]], ColumnElement[bool]],
    work: Work,
    *,
    size: int,
    done: Callable[[int], object] | None = None,
) -> None:
    """`work` on each batch of rows of the sealed tables matching `where`, by id, one
    transaction each; `done` is told the batch size once its transaction has committed."""
    for table, columns in sealed_tables():
        last = ""
        while True:
            with engine.begin() as connection:
                rows = list(
                    connection.execute(
                        select(table.c.id, *columns)
                        .where(table.c.id > last, where(columns))
                        .order_by(table.c.id)
                        .limit(size)
                    )
                )
                if not rows:
                    break
                work(connection, table, columns, rows)
            if done is not None:
                done(len(rows))
            last = rows[-1].id


def reseal(
    engine: Engine,
    keyring: Keyring,
    *,
    keep: Collection[int],
    batch_size: int = 500,
    done: Callable[[int], object] | None = None,
) -> Resealed:
    """Seal under the current key every value under none of the `keep` versions."""
    result = Resealed()

    def work(connection: Connection, table: Table, columns: list[Column[str]], rows: Rows) -> None:
        # Rows whose same columns change share one compare-and-set UPDATE, run for many rows.
        groups: dict[tuple[Column[str], ...], list[dict[str, str]]] = defaultdict(list)
        for row in rows:
            changed: list[Column[str]] = []
            params = {"_id": row.id}
            for column in columns:
                stored = row._mapping[column]
                if stored is None or stored_version(stored) in keep:
                    continue
                where = {"table": table.name, "record_id": row.id, "column": column.name}
                try:
                    if stored_version(stored) == PLAINTEXT_VERSION:
                        plaintext = stored.split(":", 1)[1]
                    else:
                        plaintext = keyring.open(stored, **where)
                except Unreadable as error:
                    result.unreadable.append(error)
                    continue
                changed.append(column)
                params[f"_old_{column.name}"] = stored
                params[f"_new_{column.name}"] = keyring.seal(plaintext, **where)
            if changed:
                groups[tuple(changed)].append(params)
        # Re-encrypting is not a change of the record: its updated_at stays.
        unchanged = {c.name: c for c in table.columns if c.onupdate is not None}
        for group, many in groups.items():
            # Compare-and-set: a value the service changed meanwhile is left to it.
            updated = connection.execute(
                sql_update(table)
                .where(
                    table.c.id == bindparam("_id"),
                    *(c == bindparam(f"_old_{c.name}") for c in group),
                )
                .values({**{c.name: bindparam(f"_new_{c.name}") for c in group}, **unchanged}),
                many,
            )
            result.values += updated.rowcount * len(group)

    _in_batches(engine, lambda columns: _outside(columns, keep), work, size=batch_size, done=done)
    return result


@dataclass(frozen=True)
class Rotation:
    version: int
    added: bool  # False: an unfinished rotation was resumed
    values: int
    unreadable: list[Unreadable]
    left: Census


def rotate(
    engine: Engine,
    keyring: Keyring,
    *,
    batch_size: int = 500,
    done: Callable[[int], object] | None = None,
) -> Rotation:
    """Add a key version and re-encrypt every value under it; when values from an earlier,
    unfinished rotation are still under older versions, finish that one instead."""
    behind = census(engine, keyring.versions).by_version
    added = not any(n for v, n in behind.items() if v != keyring.current)
    if added:
        keyring.add_version()
    values = 0
    while True:  # again while a pass still finds work: a service may write meanwhile
        passed = reseal(engine, keyring, keep=[keyring.current], batch_size=batch_size, done=done)
        values += passed.values
        if not passed.values:
            break
    return Rotation(
        keyring.current, added, values, passed.unreadable, census(engine, keyring.versions)
    )


def verify(
    engine: Engine, keyring: Keyring, *, batch_size: int = 500
) -> tuple[int, list[Unreadable]]:
    """Decrypt every stored value: how many opened, and those that did not."""
    opened, failed = 0, []

    def work(_connection: Connection, table: Table, columns: list[Column[str]], rows: Rows) -> None:
        nonlocal opened
        for row in rows:
            for column in columns:
                stored = row._mapping[column]
                if stored is None:
                    continue
                try:
                    keyring.open(stored, table=table.name, record_id=row.id, column=column.name)
                    opened += 1
                except Unreadable as error:
                    failed.append(error)

    _in_batches(
        engine, lambda columns: or_(*(c.is_not(None) for c in columns)), work, size=batch_size
    )
    return opened, failed
