"""The keyring: the keys of one key file, sealing and opening single values.

A value is stored as `v<version>:<base64url(nonce | ciphertext)>`: AES-256-GCM under the newest
key, a fresh random 96-bit nonce for every value, and the table, the record id and the column
bound in as associated data, so that a value copied to another row or column does not decrypt.
`v0:` marks a value written before encryption existed (migration 0005), still plaintext until
the keyring seals it at start-up (`app.crypto.maintenance.open_keyring`).
"""

import binascii
import hashlib
import hmac
import logging
import os
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.core.problems import Unreadable
from app.crypto.keyfile import KeyringError, b64decode, b64encode, locked, read_keys, write_keys

log = logging.getLogger("ridni.keys")

NONCE_BYTES = 12
PLAINTEXT_VERSION = 0  # `v0:` values await sealing; nothing ever writes them but migration 0005
_STORED = re.compile(r"v(0|[1-9][0-9]{0,8}):(.*)", re.DOTALL)


def _check_value(key: bytes) -> bytes:
    """A key check value: tells two keys apart without revealing either (HMAC under the key)."""
    return hmac.new(key, b"ridni key check", hashlib.sha256).digest()


@dataclass(frozen=True)
class _Keys:
    ciphers: Mapping[int, AESGCM]
    stamp: tuple[int, int, int]
    checks: Mapping[int, bytes]  # key check value per version

    @classmethod
    def of(cls, keys: Mapping[int, bytes], stamp: tuple[int, int, int]) -> "_Keys":
        return cls(
            {v: AESGCM(k) for v, k in keys.items()},
            stamp,
            {v: _check_value(k) for v, k in keys.items()},
        )

    @property
    def current(self) -> int:
        return max(self.ciphers)


def _associated(table: str, record_id: str, column: str) -> bytes:
    return "\0".join(("ridni", table, record_id, column)).encode()


def stored_version(stored: str) -> int | None:
    """The key version a stored value names (0: not sealed yet), None for no known format."""
    found = _STORED.fullmatch(stored)
    return int(found[1]) if found else None


ReloadCheck = Callable[["Keyring"], None]
"""Raises KeyringError when a changed key file's keys (as a keyring that never re-reads) must
not be adopted: `app.crypto.maintenance` checks them against what the database holds."""


class Keyring:
    """The keys of one key file. It re-reads the file when the file changes, so that a service
    running during `ridni keys rotate` opens the new version and seals under it at once. A
    changed file is adopted only when it keeps the key of every version in use here and passes
    the `check_reloads` check; otherwise the keys in use stay, and the log says why."""

    def __init__(self, path: Path, *, expected: Mapping[int, bytes] | None = None) -> None:
        self.path = path
        self._check: ReloadCheck | None = None
        self._refused: tuple[int, int, int] | None = None  # the file last refused, said once
        self._reloading = threading.Lock()
        self._keys = self._load()
        if expected is not None:
            # In a worker process: the keys its parent holds, or none (the file changed since).
            missing = set(expected) - set(self._keys.checks)
            if missing or _changed_versions(expected, self._keys.checks):
                raise KeyringError(f"{self.path} no longer holds the keys its parent holds")

    def __reduce__(self) -> tuple[Callable[..., "Keyring"], tuple[Path, dict[int, bytes]]]:
        # A worker process reads the key file itself and takes it only if it holds the keys
        # held here (their check values cross the pipe; key bytes never do).
        return (_worker_keyring, (self.path, dict(self._fresh().checks)))

    def check_reloads(self, check: ReloadCheck) -> None:
        self._check = check

    def _load(self) -> _Keys:
        keys, stamp = read_keys(self.path)
        return _Keys.of(keys, stamp)

    def _fresh(self) -> _Keys:
        try:
            info = os.stat(self.path)
        except OSError as error:
            # Keep serving with the keys already read; the operator sees why in the log.
            log.error("key file %s not re-read: %s", self.path, type(error).__name__)
            return self._keys
        if (info.st_ino, info.st_mtime_ns, info.st_size) in (self._keys.stamp, self._refused):
            return self._keys
        with self._reloading:
            found = self._load_or_none()
            if found is not None and found.stamp not in (self._keys.stamp, self._refused):
                try:
                    self._adopt(found)
                except KeyringError as error:
                    self._refused = found.stamp  # checked once, not at every value
                    log.error(
                        "key file %s changed and was not adopted; the keys read before stay in "
                        "use: %s",
                        self.path,
                        error,
                    )
        return self._keys

    def _load_or_none(self) -> _Keys | None:
        try:
            return self._load()
        except KeyringError as error:
            log.error("key file %s not re-read: %s", self.path, error)
            return None

    def _adopt(self, found: _Keys) -> None:
        changed = _changed_versions(self._keys.checks, found.checks)
        if changed:
            raise KeyringError(
                f"it holds other keys under {', '.join(f'v{v}' for v in changed)} than the "
                "ones in use: is this the key file of this database?"
            )
        if self._check is not None:
            self._check(FixedKeyring(self.path, found))
        self._keys, self._refused = found, None

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
        return f"v{keys.current}:{b64encode(nonce + sealed)}"

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
            raw = b64decode(stored.split(":", 1)[1])
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
        with locked(self.path):
            keys, _ = read_keys(self.path)
            if _changed_versions(
                self._fresh().checks, {v: _check_value(k) for v, k in keys.items()}
            ):
                raise KeyringError(f"{self.path} holds other keys than the ones in use")
            version = max(keys) + 1
            keys[version] = AESGCM.generate_key(bit_length=256)
            write_keys(self.path, keys, replace=True)
            self._keys = self._load()
        return version


def _changed_versions(held: Mapping[int, bytes], found: Mapping[int, bytes]) -> list[int]:
    """The versions held under another key in `found`."""
    return sorted(
        v for v, check in held.items() if v in found and not hmac.compare_digest(check, found[v])
    )


def _worker_keyring(path: Path, expected: dict[int, bytes]) -> Keyring:
    return Keyring(path, expected=expected)


class FixedKeyring(Keyring):
    """Keys that never change: the candidate a reload check opens values with, and the base of
    the keyring in memory."""

    def __init__(self, path: Path, keys: _Keys) -> None:
        self.path = path
        self._keys = keys

    def _fresh(self) -> _Keys:
        return self._keys

    def add_version(self) -> int:
        raise KeyringError(f"{self.path}: these keys are not written anywhere")

    def __reduce__(self) -> tuple[Callable[..., Keyring], tuple[Path, dict[int, bytes]]]:
        raise TypeError("these keys do not leave their process")


class MemoryKeyring(FixedKeyring):
    """One fresh key that lives and dies with the process, for a database in memory, which
    does too (nothing to keep, rotate or hand to another process)."""

    def __init__(self) -> None:
        super().__init__(
            Path(":memory:"), _Keys.of({1: AESGCM.generate_key(bit_length=256)}, (0, 0, 0))
        )

    def add_version(self) -> int:
        raise KeyringError("a database in memory has a key in memory: there is nothing to rotate")
