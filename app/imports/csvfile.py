"""Reading a CSV file of reports or sightings: its encoding, delimiter and header, then its rows.

A file is read twice, each time as a stream (constant memory whatever its size): once to
settle the encoding (a BOM, else strict UTF-8, else Windows-1251) and count its lines, once for
the rows. Problems with the file as a whole (`CsvFileError`) mean nothing could be read;
problems with a row are reported with the row's line number and the row is skipped.
"""

import codecs
import csv
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from app.imports.fields import FIELDS, Kind, build_body, header_lookup, normalize_header
from app.imports.rows import RowError, SourceRow

ENCODINGS = ("utf-8", "utf-8-sig", "cp1251")
DELIMITERS = {",": ",", ";": ";", "tab": "\t"}
IGNORE = "-"  # `--map "Column=-"` leaves a column out
_CHUNK = 1 << 20
_SAMPLE = 64 * 1024
# A cell may hold a long note, but not a whole file: a stray quote would otherwise swallow it.
csv.field_size_limit(1 << 20)


class CsvFileError(Exception):
    """The file as a whole cannot be read: `reason` says why, `not_text` when it is no text."""

    def __init__(self, reason: str, *, not_text: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.not_text = not_text


class MappingError(ValueError):
    """A `--map` text that does not parse or names an unknown field."""


@dataclass(frozen=True)
class Layout:
    """How to read one file: settled once, before any row is read."""

    kind: Kind
    encoding: str
    delimiter: str
    columns: dict[int, str]  # column position -> field
    header: list[str]
    ignored: list[str] = field(default_factory=list)  # headers no field was found for
    unmatched_map: list[str] = field(default_factory=list)  # --map headers the file lacks
    lines: int = 0  # physical lines after the header (an estimate of the rows, for progress)

    @property
    def mapped(self) -> dict[str, str]:
        """{header as written: field}, for the summary and the import record."""
        return {self.header[i]: name for i, name in self.columns.items()}


def parse_map(text: str, kind: Kind) -> dict[str, str]:
    """`Header=field` pairs, separated by commas or new lines, as {normalized header: field}.
    A field of `-` leaves the column out."""
    known = set(FIELDS[kind])
    mapping = {}
    for entry in text.replace("\n", ",").split(","):
        if not entry.strip() or entry.lstrip().startswith("#"):
            continue
        header, equals, name = entry.rpartition("=")
        name = name.strip()
        if not equals or not normalize_header(header):
            raise MappingError("each entry must read Header=field")
        if name != IGNORE and name not in known:
            raise MappingError(
                f"a field named is not one {kind} have; they are: {', '.join(FIELDS[kind])}"
            )
        mapping[normalize_header(header)] = name
    return mapping


def inspect(
    path: Path,
    kind: Kind,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    mapping: Mapping[str, str] | None = None,
) -> Layout:
    """Settle the encoding, the delimiter and what each column holds; `CsvFileError` when the
    file is no CSV text, has no header or no column this kind of import can use."""
    mapping = dict(mapping or {})
    with path.open("rb") as raw:
        encoding, lines = _settle_encoding(raw, encoding)
        raw.seek(0)
        text = io.TextIOWrapper(raw, encoding=encoding, newline="")
        first = _first_line(text)
    if first is None:
        raise CsvFileError("the file is empty: there is no header row")
    delimiter = DELIMITERS[delimiter] if delimiter else _guess_delimiter(first)
    header = next(csv.reader([first], delimiter=delimiter), [])
    known = header_lookup(kind)
    columns: dict[int, str] = {}
    ignored = []
    found_in_map = set()
    for position, name in enumerate(header):
        key = normalize_header(name)
        field_name = mapping.get(key, known.get(key))
        if key in mapping:
            found_in_map.add(key)
        if field_name is None or field_name == IGNORE:
            if key and field_name is None:
                ignored.append(name.strip())
            continue
        if field_name in columns.values():
            raise CsvFileError(
                f"two columns hold {field_name}: map one of them to - to leave it out"
            )
        columns[position] = field_name
    if not columns:
        raise CsvFileError(
            "no column of the header is one this import knows; say what the columns hold "
            "with a mapping (map, or --map on the command line; the README lists the headers)"
        )
    return Layout(
        kind=kind,
        encoding=encoding,
        delimiter=delimiter,
        columns=columns,
        header=[name.strip() for name in header],
        ignored=ignored,
        unmatched_map=sorted(set(mapping) - found_in_map),
        lines=max(lines - 1, 0),
    )


def read_rows(
    path: Path, layout: Layout, *, defaults: Mapping[str, str] | None = None
) -> Iterator[SourceRow]:
    """Each data row as the API body it stands for. Blank rows are passed over; a row with the
    wrong number of cells, or a cell that cannot be read, carries its errors instead of a body.
    `defaults` fill fields that a row leaves empty (e.g. `source_type`)."""
    defaults = dict(defaults or {})
    sources = {name: layout.header[i] for i, name in layout.columns.items()}
    with path.open("r", encoding=layout.encoding, newline="") as text:
        reader = csv.reader(text, delimiter=layout.delimiter)
        for header in reader:
            if any(cell.strip() for cell in header):
                break
        while True:
            line = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error:
                yield SourceRow(line, None, (RowError(line, None, None, "is not valid CSV"),))
                continue
            if not any(cell.strip() for cell in cells):
                continue
            width = len(layout.header)
            if len(cells) > width and not any(cell.strip() for cell in cells[width:]):
                cells = cells[:width]  # empty cells after the last column hold nothing
            if len(cells) != width:
                reason = f"has {len(cells)} cells where the header has {width}"
                yield SourceRow(line, None, (RowError(line, None, None, reason),))
                continue
            values = {name: cells[i] for i, name in layout.columns.items()}
            for name, value in defaults.items():
                if not values.get(name, "").strip():
                    values[name] = value
            body, problems = build_body(layout.kind, values)
            errors = tuple(
                RowError(line, name, sources.get(name), reason) for name, reason in problems.items()
            )
            yield SourceRow(line, None if errors else body, errors, sources)


def _settle_encoding(raw: BinaryIO, encoding: str | None) -> tuple[str, int]:
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


def _first_line(text: io.TextIOWrapper) -> str | None:
    """The header: the first line that is not blank."""
    for line in text:
        if line.strip():
            return line.rstrip("\r\n")
    return None


def _guess_delimiter(header: str) -> str:
    """The delimiter that splits the header into the most cells (a comma for one column)."""
    best, most = ",", 1
    for candidate in (",", ";", "\t"):
        cells = len(next(csv.reader([header], delimiter=candidate), []))
        if cells > most:
            best, most = candidate, cells
    return best
