"""Reading a CSV file of reports or sightings: what each column holds, then its rows.

A file is read twice, each time as a stream (constant memory whatever its size): once to
settle the encoding and count its lines (`app.formats.csvtext`) and to map its header to fields,
once for the rows. Problems with the file as a whole (`CsvFileError`) mean nothing could be
read; problems with a row are reported with the row's line number and the row is skipped.
"""

import csv
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from app.formats.csvtext import (
    DELIMITERS,
    CsvFileError,
    first_line,
    guess_delimiter,
    header_cells,
    settle_encoding,
)
from app.imports.fields import (
    FIELDS,
    GROUP,
    Kind,
    build_body,
    header_lookup,
    normalize_header,
)
from app.imports.rows import RowError, SourceRow

IGNORE = "-"  # `--map "Column=-"` leaves a column out


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
        encoding, lines = settle_encoding(raw, encoding)
        raw.seek(0)
        text = io.TextIOWrapper(raw, encoding=encoding, newline="")
        first = first_line(text)
    if first is None:
        raise CsvFileError("the file is empty: there is no header row")
    delimiter = DELIMITERS[delimiter] if delimiter else guess_delimiter(first)
    header = header_cells(first, delimiter)
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
            group = values.get(GROUP, "").strip() or None
            yield SourceRow(line, None if errors else body, errors, sources, group=group)
