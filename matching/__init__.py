"""Ridni's matching engine: link missing-child reports with sightings across scripts and spellings.

A plain library (no web, no database): build :class:`Person` values, then

* :func:`compare` two of them for a calibrated score and an explanation,
* :func:`blocking_keys` to find candidates without scanning everything,
* :class:`Linker` for an in-memory index, or :func:`link_files` for two JSON-lines files.
"""

from ._compare import Comparison, FieldComparison, compare
from ._linker import (
    DEFAULT_THRESHOLD,
    Candidate,
    Linker,
    LinkInputError,
    LinkSummary,
    blocking_keys,
    link_files,
    person_frequencies,
)
from ._person import Person
from ._text import normalize, skeleton, skeletons

__all__ = [
    "DEFAULT_THRESHOLD",
    "Candidate",
    "Comparison",
    "FieldComparison",
    "LinkInputError",
    "LinkSummary",
    "Linker",
    "Person",
    "blocking_keys",
    "compare",
    "link_files",
    "normalize",
    "person_frequencies",
    "skeleton",
    "skeletons",
]
