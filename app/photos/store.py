"""The photo store: a directory of ciphertext files under random names.

Each photo has a data key of its own (AES-256-GCM); its files are `nonce | ciphertext`, with the
photo's id and which rendition it is bound in as associated data, so that a file moved to another
photo, or an image swapped with its thumbnail, does not decrypt. A file is written whole or not
at all: into a temporary file in the same directory (ciphertext already), flushed to the disk,
then renamed into place. Several instances may share the directory (a mounted volume).
"""

import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.engine import make_url

from app.core.settings import Settings

NONCE_BYTES = 12
TEMPORARY_PREFIX = ".tmp-"
_NAME_BYTES = 24  # 192 random bits: 32 characters of base64url


class Damaged(Exception):
    """A file that is missing, or whose ciphertext does not decrypt under its photo's key."""


def photo_dir(settings: Settings) -> Path | None:
    """RIDNI_PHOTO_DIR, or for a SQLite file the database's own name plus `.photos` (beside it,
    like its key file); absolute. None (no photos stored) for PostgreSQL without the setting,
    where the instances need a directory they share, and for a database in memory."""
    if settings.photo_dir is not None:
        return settings.photo_dir.absolute()
    url = make_url(settings.database_url)
    database = url.database or ""
    if (
        url.get_backend_name() != "sqlite"
        or database in ("", ":memory:")
        or "mode=memory" in database
    ):
        return None
    path = Path(database.removeprefix("file:").split("?", 1)[0]).absolute()
    return path.with_name(path.name + ".photos")


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def _associated(photo_id: str, rendition: str) -> bytes:
    return "\0".join(("ridni", "photos", photo_id, rendition)).encode()


def seal(key: bytes, photo_id: str, rendition: str, plaintext: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, _associated(photo_id, rendition))


def open_sealed(key: bytes, photo_id: str, rendition: str, sealed: bytes) -> bytes:
    if len(sealed) < NONCE_BYTES + 16:
        raise Damaged("too short to be a ciphertext")
    try:
        return AESGCM(key).decrypt(
            sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], _associated(photo_id, rendition)
        )
    except InvalidTag:
        raise Damaged("does not decrypt under its key: altered, or another photo's") from None


class PhotoStore:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _ready(self) -> None:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)

    def write(self, ciphertext: bytes) -> str:
        """Store a ciphertext under a new random name, whole or not at all; the name."""
        self._ready()
        name = secrets.token_urlsafe(_NAME_BYTES)
        temporary = self.directory / f"{TEMPORARY_PREFIX}{name}"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(ciphertext)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, self.directory / name)
        finally:
            temporary.unlink(missing_ok=True)
        self._sync_directory()
        return name

    def read(self, name: str) -> bytes:
        try:
            return (self.directory / name).read_bytes()
        except FileNotFoundError:
            raise Damaged("its file is missing from the photo store") from None

    def remove(self, *names: str) -> None:
        for name in names:
            (self.directory / name).unlink(missing_ok=True)
        self._sync_directory()

    def names(self) -> list[tuple[str, float]]:
        """Every file in the store (temporary ones included) with its modification time."""
        if not self.directory.exists():
            return []
        with os.scandir(self.directory) as entries:
            return [
                (entry.name, entry.stat(follow_symlinks=False).st_mtime)
                for entry in entries
                if entry.is_file(follow_symlinks=False)
            ]

    def _sync_directory(self) -> None:
        if not self.directory.exists():
            return
        folder = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
