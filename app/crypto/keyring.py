"""The keyring: the keys of one key file, sealing and opening single values.

A value is stored as `v<version>:<base64url(nonce | ciphertext)>`: AES-256-GCM under the newest
key, a fresh random 96-bit nonce for every value, and the table, the record id and the column
bound in as associated data, so that a value copied to another row or column does not decrypt.
`v0:` marks a value written before encryption existed (migration 0005), still plaintext until
the keyring seals it at start-up (`app.crypto.maintenance.open_keyring`).
"""

import binascii
import logging
import os
import re
from collections.abc import Mapping
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
        keys, stamp = read_keys(self.path)
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
            version = max(keys) + 1
            keys[version] = AESGCM.generate_key(bit_length=256)
            write_keys(self.path, keys, replace=True)
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
