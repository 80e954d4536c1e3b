"""An uploaded file, held for its import in memory only.

The file holds what the database keeps encrypted (sources' contacts, notes): a copy written to
the temporary folder would leave it in clear on disk, after the import and after a crash too.
It is kept in an anonymous memory file instead (memfd: never written to disk, gone with its
process however the process ends), which the readers open by path like any file. Before that,
while the request is parsed, the upload stays in memory too (`keep_uploads_in_memory`).
"""

import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO

from starlette.formparsers import MultiPartParser

log = logging.getLogger("ridni.imports")

_LEFTOVERS = "ridni-import-*"  # the copies earlier versions wrote to the temporary folder


def keep_uploads_in_memory() -> None:
    """Have the form parser hold every uploaded file in memory, whatever its size.

    Starlette spools a file part to a `SpooledTemporaryFile` that moves to an unnamed file in
    the temporary folder past `MultiPartParser.spool_max_size` (1 MiB): an import's sources and
    notes in clear on disk, for as long as the request runs and in the disk's free blocks
    after. A maximum of 0 never moves. The body's size is bounded before it is parsed
    (`RequestBodyGuard`: RIDNI_MAX_UPLOAD_BYTES for uploads, far less for any other form).
    """
    MultiPartParser.spool_max_size = 0


class HeldUpload:
    def __init__(self, source: BinaryIO) -> None:
        self._descriptor = os.memfd_create("ridni-import", os.MFD_CLOEXEC)
        with open(self._descriptor, "wb", closefd=False) as copy:
            shutil.copyfileobj(source, copy)
        # Opening this path opens the memory file anew, from its start.
        self.path = Path(f"/proc/self/fd/{self._descriptor}")

    def close(self) -> None:
        os.close(self._descriptor)


def remove_leftovers() -> int:
    """Remove the upload copies that earlier versions left in the temporary folder (a crash
    kept them there, in clear); how many."""
    removed = 0
    for leftover in Path(tempfile.gettempdir()).glob(_LEFTOVERS):
        try:
            if leftover.is_file() and leftover.stat().st_uid == os.getuid():
                leftover.unlink()
                removed += 1
        except OSError as error:
            log.error("cannot remove a leftover upload copy: %s", type(error).__name__)
    if removed:
        log.warning("removed %d upload copies left in the temporary folder", removed)
    return removed
