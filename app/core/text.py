"""Bounded, clean text for input schemas.

Names are evidence: they are stored exactly as written (script, apostrophes, case, spacing), so
these types only refuse what cannot be a name or a note; they never rewrite it.
"""

import unicodedata
from typing import Annotated

from pydantic import AfterValidator, Strict, StringConstraints

NAME_MAX = 200
TEXT_MAX = 10_000
SHORT_MAX = 500

# Zero-width (non-)joiners are part of the spelling in some scripts; every other format,
# control, surrogate, private-use or unassigned code point has no place in a name.
_JOINERS = {"\u200c", "\u200d"}


def _check_name(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty or only spaces")
    for char in value:
        category = unicodedata.category(char)
        if category.startswith("C") and char not in _JOINERS:
            raise ValueError("contains a control or unassigned character")
        if category == "So":
            raise ValueError("contains a symbol that cannot be part of a name")
    if not any(unicodedata.category(char).startswith("L") for char in value):
        raise ValueError("must contain at least one letter")
    return value


def _check_text(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty or only spaces")
    for char in value:
        if char in "\n\r\t":
            continue
        category = unicodedata.category(char)
        if category in ("Cc", "Cs", "Co", "Cn"):
            raise ValueError("contains a control or unassigned character")
    return value


# min_length and the \S pattern only tell the OpenAPI schema what the validators enforce.
_NOT_BLANK = {"min_length": 1, "pattern": r"\S"}

Name = Annotated[
    str, Strict(), StringConstraints(max_length=NAME_MAX, **_NOT_BLANK), AfterValidator(_check_name)
]
ShortText = Annotated[
    str,
    Strict(),
    StringConstraints(max_length=SHORT_MAX, **_NOT_BLANK),
    AfterValidator(_check_text),
]
TextField = Annotated[
    str, Strict(), StringConstraints(max_length=TEXT_MAX, **_NOT_BLANK), AfterValidator(_check_text)
]


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """A count and its noun, for people to read: `1 row`, `2 rows`, `0 rows`."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"
