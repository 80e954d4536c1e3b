"""CSV and JSON written a piece at a time, so that an export never holds more than one batch."""

import csv
import json
import unicodedata
from collections.abc import Iterable, Iterator
from io import StringIO
from typing import Any

from pydantic import BaseModel

# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection): such
# cells get a leading apostrophe, which spreadsheets show as text and never evaluate. The first
# character is compared in its NFKC form, because spreadsheets with an East Asian input method
# take the full-width and small forms (＝, ＋, －, ＠, ﹦, ...) for their ASCII twins; the minus
# sign has no NFKC twin and is listed itself.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\N{MINUS SIGN}")


def csv_chunks(
    model: type[BaseModel], rows: Iterable[BaseModel], *, rows_per_chunk: int
) -> Iterator[str]:
    """A header with the model's fields, then one line per row, `rows_per_chunk` lines a piece."""
    buffer = StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(list(model.model_fields))
    pending = 0
    for row in rows:
        writer.writerow([_cell(value) for value in row.model_dump(mode="json").values()])
        pending += 1
        if pending == rows_per_chunk:
            yield _drain(buffer)
            pending = 0
    yield _drain(buffer)


def json_chunks(rows: Iterable[BaseModel], *, rows_per_chunk: int) -> Iterator[str]:
    """A JSON array, one object per line, `rows_per_chunk` objects a piece."""
    buffer = StringIO()
    buffer.write("[")
    separator = "\n"
    pending = 0
    for row in rows:
        buffer.write(separator)
        buffer.write(json.dumps(row.model_dump(mode="json"), ensure_ascii=False))
        separator = ",\n"
        pending += 1
        if pending == rows_per_chunk:
            yield _drain(buffer)
            pending = 0
    buffer.write("\n]\n")
    yield _drain(buffer)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        value = "; ".join(value)
    text = str(value)
    if isinstance(value, str) and _runs_as_formula(text):
        return "'" + text
    return text


def _runs_as_formula(text: str) -> bool:
    return unicodedata.normalize("NFKC", text[:1]).startswith(_FORMULA_START)


def _drain(buffer: StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text
