"""CSV text as a format: its encoding, its delimiter and its header line.

The encoding is settled by reading the whole stream once (constant memory whatever its size): a
BOM, else strict UTF-8, else Windows-1251. What the columns hold is the reader's business
(`app.imports.csvfile`).
"""

import codecs
import csv
import io
from typing import BinaryIO

ENCODINGS = ("utf-8", "utf-8-sig", "cp1251")
DELIMITERS = {",": ",", ";": ";", "tab": "\t"}
_CHUNK = 1 << 20
_SAMPLE = 64 * 1024
# A cell may hold a long note, but not a whole file: a stray quote would otherwise swallow it.
csv.field_size_limit(1 << 20)
# A header names columns (a few dozen, of a few words each); its headers are stored with the
# import record, and it is read whole before anything else.
HEADER_MAX_CHARS = 64 * 1024


class CsvFileError(Exception):
    """The file as a whole cannot be read: `reason` says why, `not_text` when it is no text."""

    def __init__(self, reason: str, *, not_text: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.not_text = not_text


def settle_encoding(raw: BinaryIO, encoding: str | None) -> tuple[str, int]:
    """The encoding to read with, and the number of lines; `CsvFileError` for binary data or
    bytes the encoding cannot decode."""
    head = raw.read(_SAMPLE)
    if b"\x00" in head:
        raise CsvFileError("it holds binary data (a spreadsheet? save it as CSV)", not_text=True)
    raw.seek(0)
    if encoding is None and head.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif encoding is None:
        lines = _decodes(raw, "utf-8")
        if lines is not None:
            return "utf-8", lines
        raw.seek(0)
        encoding = "cp1251"
    lines = _decodes(raw, encoding)
    if lines is None:
        raise CsvFileError(f"it does not decode as {encoding}", not_text=True)
    return encoding, lines


def _decodes(raw: BinaryIO, encoding: str) -> int | None:
    """The number of lines when the whole stream decodes strictly, else None."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    lines = 0
    last = ""
    try:
        while chunk := raw.read(_CHUNK):
            text = decoder.decode(chunk)
            if "\x00" in text:
                return None
            lines += text.count("\n")
            last = text[-1:] or last
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return None
    return lines + (1 if last and last != "\n" else 0)


def first_line(text: io.TextIOWrapper) -> str | None:
    """The header: the first line that is not blank, read no further than its limit."""
    while line := text.readline(HEADER_MAX_CHARS + 1):
        if len(line.rstrip("\r\n")) > HEADER_MAX_CHARS:
            raise CsvFileError(f"the header row is longer than {HEADER_MAX_CHARS} characters")
        if line.strip():
            return line.rstrip("\r\n")
    return None


def header_cells(header: str, delimiter: str) -> list[str]:
    """The header line's cells; `CsvFileError` when it is not valid CSV."""
    try:
        # Strict: a quote left open would make the rows' reader take the next lines as header.
        return next(csv.reader([header], delimiter=delimiter, strict=True), [])
    except csv.Error:
        raise CsvFileError("the header row is not valid CSV") from None


def guess_delimiter(header: str) -> str:
    """The delimiter that splits the header into the most cells (a comma for one column)."""
    best, most = ",", 1
    for candidate in (",", ";", "\t"):
        cells = len(header_cells(header, candidate))
        if cells > most:
            best, most = candidate, cells
    return best
