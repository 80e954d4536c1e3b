"""Field-level encryption at rest, for what would endanger someone if the database leaked.

A column made with `sealed_column()` is stored as `v<version>:<base64url(nonce | ciphertext)>`:
AES-256-GCM under the keyring's newest key, a fresh random 96-bit nonce for every value, and the
table, the record id and the column bound in as associated data, so that a value copied to
another row or column does not decrypt. NULL stays NULL. `v0:` marks a value written before
encryption existed (migration 0005), still plaintext until the keyring seals it at start-up.

ORM events seal values on INSERT and UPDATE and open them on load, so the application only ever
holds plaintext and the database only ever ciphertext. The keyring travels in `Session.info`
(`session_info`); a session without one refuses to load or store sealed columns. A query that
selects a sealed column on its own (`select(Report.notes)`) bypasses the events and gets the
ciphertext: select whole entities, or pass the values through `open_columns`.

The keys live in a key file, never in the database: one line per version, `<version> <key in
base64url>`, the highest version sealing and every version opening. The file must be readable by
its owner only. `app.crypto.maintenance` creates it, checks it against the database and rotates it.
"""

import base64
import binascii
import contextlib
import fcntl
import logging
import os
import re
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Table, Text, event, inspect
from sqlalchemy.orm import MappedColumn, Mapper, Session, mapped_column
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.state import InstanceState

from app.core.models import Base, new_id
from app.core.problems import Unreadable

log = logging.getLogger("ridni.keys")

NONCE_BYTES = 12
KEY_BYTES = 32
PLAINTEXT_VERSION = 0  # `v0:` values await sealing; nothing ever writes them but migration 0005
_STORED = re.compile(r"v(0|[1-9][0-9]{0,8}):(.*)", re.DOTALL)
_KEYRING = "ridni.keyring"
_PLAIN = "ridni.plaintext"  # InstanceState.info: what a flush sealed, restored after it
_HEADER = """\
# Ridni field-encryption keys: one line per version, "<version> <256-bit key, base64url>".
# The highest version encrypts new values; the others still decrypt older ones. Keep this file
# secret and owner-only (chmod 600), and back it up apart from the database: without it the
# protected fields cannot be read. Remove a version only when `ridni keys status` shows that no
# value is under it any more.
"""


class KeyringError(Exception):
    """The keys cannot be used as configured; the message says what to do. Never holds a key."""


def sealed_column() -> MappedColumn[Any]:
    """A nullable column stored encrypted (Text: the ciphertext is longer than the plaintext,
    whose length the input schemas bound)."""
    return mapped_column(Text, info={"sealed": True})


# --- the key file ----------------------------------------------------------------------------
def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _parse(path: Path, text: str) -> dict[int, bytes]:
    keys: dict[int, bytes] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        # The line itself is never quoted: it holds a key.
        fields = line.split()
        try:
            if len(fields) != 2 or not fields[0].isdigit():
                raise ValueError
            version, key = int(fields[0]), _b64decode(fields[1])
        except (ValueError, binascii.Error):
            raise KeyringError(
                f"{path}, line {number}: expected '<version> <key in base64url>'"
            ) from None
        if version < 1 or len(key) != KEY_BYTES:
            raise KeyringError(
                f"{path}, line {number}: versions start at 1 and keys are {KEY_BYTES} bytes"
            )
        if version in keys:
            raise KeyringError(f"{path}, line {number}: version {version} appears twice")
        keys[version] = key
    if not keys:
        raise KeyringError(f"{path} holds no key")
    return keys


def _read(path: Path) -> tuple[dict[int, bytes], tuple[int, int, int]]:
    try:
        with path.open("rb") as file:
            info = os.fstat(file.fileno())
            if info.st_mode & 0o077:
                raise KeyringError(
                    f"{path} may be read by others (mode {info.st_mode & 0o777:o}); "
                    f"make it owner-only: chmod 600 {path}"
                )
            text = file.read().decode("utf-8")
    except FileNotFoundError:
        raise KeyringError(f"there is no key file at {path}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise KeyringError(f"cannot read the key file {path}: {type(error).__name__}") from None
    return _parse(path, text), (info.st_ino, info.st_mtime_ns, info.st_size)


def _write(path: Path, keys: Mapping[int, bytes], *, replace: bool) -> bool:
    """Write the key file whole, owner-only, then move it into place. Without `replace`, an
    existing file wins (False): two first starts must not end up with two different keys."""
    try:
        return _write_file(path, keys, replace=replace)
    except OSError as error:
        raise KeyringError(f"cannot write the key file {path}: {error.strerror}") from None


def _write_file(path: Path, keys: Mapping[int, bytes], *, replace: bool) -> bool:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    text = _HEADER + "".join(f"{v} {_b64encode(k)}\n" for v, k in sorted(keys.items()))
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            os.fchmod(file.fileno(), 0o600)  # whatever the umask
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        if replace:
            os.replace(temporary, path)
        else:
            try:
                os.link(temporary, path)
            except FileExistsError:
                return False
    finally:
        temporary.unlink(missing_ok=True)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
    return True


def create_key_file(path: Path) -> bool:
    """A new key file with one fresh key, version 1; False when one appeared meanwhile."""
    return _write(path, {1: AESGCM.generate_key(bit_length=256)}, replace=False)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One writer of the key file at a time (two rotations must not both add a version)."""
    descriptor = os.open(path.with_name(f".{path.name}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


# --- the keyring -----------------------------------------------------------------------------
@dataclass(frozen=True)
class _Keys:
    ciphers: Mapping[int, AESGCM]
    stamp: tuple[int, int, int]

    @property
    def current(self) -> int:
        return max(self.ciphers)


def _associated(table: str, record_id: str, column: str) -> bytes:
    return "\0".join(("ridni", table, record_id, column)).encode()


def stored_version(stored: str) -> int | None:
    """The key version a stored value names (0: not sealed yet), None for no known format."""
    found = _STORED.fullmatch(stored)
    return int(found[1]) if found else None


class Keyring:
    """The keys of one key file. It re-reads the file when the file changes, so that a service
    running during `ridni keys rotate` opens the new version and seals under it at once."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._keys = self._load()

    def __reduce__(self) -> tuple[type["Keyring"], tuple[Path]]:
        # A worker process reads the key file itself; key bytes never cross a pipe.
        return (Keyring, (self.path,))

    def _load(self) -> _Keys:
        keys, stamp = _read(self.path)
        return _Keys({v: AESGCM(k) for v, k in keys.items()}, stamp)

    def _fresh(self) -> _Keys:
        try:
            info = os.stat(self.path)
            if (info.st_ino, info.st_mtime_ns, info.st_size) != self._keys.stamp:
                self._keys = self._load()
        except (OSError, KeyringError) as error:
            # Keep serving with the keys already read; the operator sees why in the log.
            log.error("key file %s not re-read: %s", self.path, error)
        return self._keys

    @property
    def current(self) -> int:
        return self._fresh().current

    @property
    def versions(self) -> tuple[int, ...]:
        return tuple(sorted(self._fresh().ciphers))

    def seal(self, plaintext: str, *, table: str, record_id: str, column: str) -> str:
        keys = self._fresh()
        nonce = os.urandom(NONCE_BYTES)
        sealed = keys.ciphers[keys.current].encrypt(
            nonce, plaintext.encode("utf-8"), _associated(table, record_id, column)
        )
        return f"v{keys.current}:{_b64encode(nonce + sealed)}"

    def open(self, stored: str, *, table: str, record_id: str, column: str) -> str:
        """The plaintext of a sealed value, or `Unreadable` saying why (never the value)."""

        def unreadable(reason: str) -> Unreadable:
            return Unreadable(table=table, record_id=record_id, column=column, reason=reason)

        version = stored_version(stored)
        if version is None:
            raise unreadable("not in the stored format")
        if version == PLAINTEXT_VERSION:
            raise unreadable("never sealed (v0): start the service to seal it")
        cipher = self._keys.ciphers.get(version)
        if cipher is None:  # perhaps added by a rotation since the file was read
            cipher = self._fresh().ciphers.get(version)
        if cipher is None:
            raise unreadable(f"no key v{version} in {self.path}")
        try:
            raw = _b64decode(stored.split(":", 1)[1])
            if len(raw) < NONCE_BYTES + 16:
                raise ValueError
            plaintext = cipher.decrypt(
                raw[:NONCE_BYTES], raw[NONCE_BYTES:], _associated(table, record_id, column)
            )
            return plaintext.decode("utf-8")
        except (ValueError, binascii.Error):
            raise unreadable("not in the stored format") from None
        except InvalidTag:
            raise unreadable(
                f"does not decrypt under key v{version}: moved from another record or "
                "column, altered, or another key file"
            ) from None

    def add_version(self) -> int:
        """Add a fresh key as the newest version and write the key file; the new version."""
        with _locked(self.path):
            keys, _ = _read(self.path)
            version = max(keys) + 1
            keys[version] = AESGCM.generate_key(bit_length=256)
            _write(self.path, keys, replace=True)
        self._keys = self._load()
        return version


class MemoryKeyring(Keyring):
    """One fresh key that lives and dies with the process, for a database in memory, which
    does too (nothing to keep, rotate or hand to another process)."""

    def __init__(self) -> None:
        self.path = Path(":memory:")
        self._keys = _Keys({1: AESGCM(AESGCM.generate_key(bit_length=256))}, (0, 0, 0))

    def _fresh(self) -> _Keys:
        return self._keys

    def add_version(self) -> int:
        raise KeyringError("a database in memory has a key in memory: there is nothing to rotate")

    def __reduce__(self) -> tuple[type[Keyring], tuple[Path]]:
        raise TypeError("a key in memory does not leave its process")


# --- the ORM: seal on flush, open on load ------------------------------------------------------
def session_info(keyring: Keyring) -> dict[str, Any]:
    """`info=` for a Session or sessionmaker whose sessions read and write sealed columns."""
    return {_KEYRING: keyring}


def keyring_of(session: Session | None) -> Keyring:
    keyring = session.info.get(_KEYRING) if session is not None else None
    if not isinstance(keyring, Keyring):
        raise RuntimeError("this session has no keyring: make it with fieldcrypt.session_info()")
    return keyring


_SEALED: dict[Mapper[Any], tuple[tuple[str, str], ...]] = {}


def _table_name(mapper: Mapper[Any]) -> str:
    return cast(Table, mapper.local_table).name


def _sealed(mapper: Mapper[Any]) -> tuple[tuple[str, str], ...]:
    """(attribute, column name) of each sealed column of a mapped class."""
    if mapper not in _SEALED:
        _SEALED[mapper] = tuple(
            (prop.key, prop.columns[0].name)
            for prop in mapper.column_attrs
            if prop.columns[0].info.get("sealed")
        )
    return _SEALED[mapper]


def _opened(keyring: Keyring, stored: str, *, table: str, record_id: str, column: str) -> str:
    try:
        return keyring.open(stored, table=table, record_id=record_id, column=column)
    except Unreadable as error:
        log.error("cannot decrypt %s.%s of record %s: %s", table, column, record_id, error.reason)
        raise


def open_columns(
    session: Session, *, table: str, record_id: str, values: Mapping[str, str | None]
) -> dict[str, str | None]:
    """Sealed values a query selected as plain columns (the events only see whole entities),
    opened: {column name: plaintext}. A value that does not open is logged and raised."""
    keyring = keyring_of(session)
    return {
        column: None
        if stored is None
        else _opened(keyring, stored, table=table, record_id=record_id, column=column)
        for column, stored in values.items()
    }


def _open_loaded(state: InstanceState[Any], session: Session, attrs: Any) -> None:
    sealed = _sealed(state.mapper)
    if not sealed:
        return
    keyring = keyring_of(session)
    table = _table_name(state.mapper)
    record_id = str(state.identity[0]) if state.identity else "?"
    for key, column in sealed:
        stored = state.dict.get(key)
        if stored is None or (attrs is not None and key not in attrs):
            continue
        plaintext = _opened(keyring, stored, table=table, record_id=record_id, column=column)
        set_committed_value(state.obj(), key, plaintext)


@event.listens_for(Base, "load", propagate=True)
def _on_load(target: Any, context: Any) -> None:
    _open_loaded(inspect(target), context.session, None)


@event.listens_for(Base, "refresh", propagate=True)
def _on_refresh(target: Any, context: Any, attrs: Any) -> None:
    _open_loaded(inspect(target), context.session, attrs)


def _seal_for_flush(mapper: Mapper[Any], target: Any, *, inserting: bool) -> None:
    sealed = _sealed(mapper)
    if not sealed:
        return
    state: InstanceState[Any] = inspect(target)
    keyring = keyring_of(state.session)
    if inserting and target.id is None:
        target.id = new_id()  # the associated data needs the id before the INSERT makes one
    plaintexts = {}
    for key, column in sealed:
        if not inserting and not state.attrs[key].history.has_changes():
            continue
        value = state.dict.get(key)
        if value is None:
            continue
        plaintexts[key] = value
        setattr(
            target,
            key,
            keyring.seal(value, table=_table_name(mapper), record_id=target.id, column=column),
        )
    if plaintexts:
        state.info[_PLAIN] = plaintexts


def _restore_plaintext(_mapper: Mapper[Any], _connection: Any, target: Any) -> None:
    state: InstanceState[Any] = inspect(target)
    for key, value in state.info.pop(_PLAIN, {}).items():
        set_committed_value(target, key, value)


@event.listens_for(Base, "before_insert", propagate=True)
def _on_insert(mapper: Mapper[Any], _connection: Any, target: Any) -> None:
    _seal_for_flush(mapper, target, inserting=True)


@event.listens_for(Base, "before_update", propagate=True)
def _on_update(mapper: Mapper[Any], _connection: Any, target: Any) -> None:
    _seal_for_flush(mapper, target, inserting=False)


event.listen(Base, "after_insert", _restore_plaintext, propagate=True)
event.listen(Base, "after_update", _restore_plaintext, propagate=True)
