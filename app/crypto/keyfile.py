"""The key file: one line per key version, `<version> <key in base64url>`, the highest version
sealing and every version opening. It lives apart from the database, readable by its owner only,
and is always written whole and moved into place.
"""

import base64
import binascii
import contextlib
import fcntl
import os
import secrets
from collections.abc import Iterator, Mapping
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.engine import make_url

from app.core.settings import Settings

KEY_BYTES = 32
_HEADER = """\
# Ridni field-encryption keys: one line per version, "<version> <256-bit key, base64url>".
# The highest version encrypts new values; the others still decrypt older ones. Keep this file
# secret and owner-only (chmod 600), and back it up apart from the database: without it the
# protected fields cannot be read. Remove a version only when `ridni keys status` shows that no
# value is under it any more.
"""


class KeyringError(Exception):
    """The keys cannot be used as configured; the message says what to do. Never holds a key."""


def key_file(settings: Settings) -> Path | None:
    """RIDNI_KEY_FILE, or for a SQLite file the database's own name plus `.keys`; absolute, so
    that what the logs and commands say is where it is. None for a SQLite database in memory,
    whose key lives in memory too."""
    if settings.key_file is not None:
        return settings.key_file.absolute()
    url = make_url(settings.database_url)
    database = url.database or ""
    if url.get_backend_name() == "sqlite":
        if database in ("", ":memory:") or "mode=memory" in database:
            return None
        path = Path(database.removeprefix("file:").split("?", 1)[0]).absolute()
        return path.with_name(path.name + ".keys")
    raise KeyringError(
        "RIDNI_KEY_FILE is not set: name the file that holds (or, on a first start, will hold) "
        "the field-encryption keys. Keep it outside the database's backups."
    )


def b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64decode(text: str) -> bytes:
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
            version, key = int(fields[0]), b64decode(fields[1])
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


def read_keys(path: Path) -> tuple[dict[int, bytes], tuple[int, int, int]]:
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


def write_keys(path: Path, keys: Mapping[int, bytes], *, replace: bool) -> bool:
    """Write the key file whole, owner-only, then move it into place. Without `replace`, an
    existing file wins (False): two first starts must not end up with two different keys."""
    try:
        return _write_file(path, keys, replace=replace)
    except OSError as error:
        raise KeyringError(f"cannot write the key file {path}: {error.strerror}") from None


def _write_file(path: Path, keys: Mapping[int, bytes], *, replace: bool) -> bool:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    text = _HEADER + "".join(f"{v} {b64encode(k)}\n" for v, k in sorted(keys.items()))
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
    return write_keys(path, {1: AESGCM.generate_key(bit_length=256)}, replace=False)


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """One writer of the key file at a time (two rotations must not both add a version)."""
    descriptor = os.open(path.with_name(f".{path.name}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)
