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
# What shows nothing on its own: separators, format characters and marks (a mark only shows on
# a letter)...
_INVISIBLE_CATEGORIES = {"Zs", "Zl", "Zp", "Cc", "Cf", "Mn", "Me"}
# ...and the blanks Unicode files as letters or symbols, which categories cannot tell.
_FILLERS = frozenset(
    {
        "\u115f",  # HANGUL CHOSEONG FILLER
        "\u1160",  # HANGUL JUNGSEONG FILLER
        "\u3164",  # HANGUL FILLER
        "\uffa0",  # HALFWIDTH HANGUL FILLER
        "\u2800",  # BRAILLE PATTERN BLANK
    }
)


def _invisible(char: str) -> bool:
    return char in _FILLERS or unicodedata.category(char) in _INVISIBLE_CATEGORIES


def _visible_letter(char: str) -> bool:
    return unicodedata.category(char).startswith("L") and char not in _FILLERS


def _is_blank(value: str) -> bool:
    """Whether the text shows nothing: empty, or only spaces and invisible characters."""
    return all(_invisible(char) for char in value)


def refuse_nul(value: str) -> str:
    """No NUL anywhere: PostgreSQL cannot store it in text, and no client means one."""
    if "\x00" in value:
        raise ValueError("contains a NUL character")
    return value


NulFree = Annotated[str, AfterValidator(refuse_nul)]
"""A string parameter of a path, query, header or form: whatever else it is, no NUL."""


def _check_name(value: str) -> str:
    if _is_blank(value):
        raise ValueError("must not be empty or only spaces and invisible characters")
    for char in value:
        category = unicodedata.category(char)
        if category.startswith("C") and char not in _JOINERS:
            raise ValueError("contains a control or unassigned character")
        if category == "So":
            raise ValueError("contains a symbol that cannot be part of a name")
    if not any(_visible_letter(char) for char in value):
        raise ValueError("must contain at least one letter")
    return value


def _check_text(value: str) -> str:
    if _is_blank(value):
        raise ValueError("must not be empty or only spaces and invisible characters")
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
