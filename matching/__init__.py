"""Ridni's matching engine: link missing-child reports with sightings across scripts and spellings.

A plain library (no web, no database): build :class:`Person` values, then

* :func:`compare` two of them for a calibrated score and an explanation (:func:`compare_each`
  for one sighting against many reports),
* :func:`blocking_keys` to find candidates without scanning everything (:func:`first_pass` to
  keep the best of many when the keys are indexed elsewhere, weighing what
  :func:`first_pass_codes` stored beside them),
* :func:`prepare` a person's derived forms once, to hand to :func:`compare_each` many times,
* :class:`Linker` for an in-memory index, or :func:`link_files` for two JSON-lines files,
* :func:`link_groups` (or :func:`group_candidates` and :func:`with_group_evidence` on pairs
  already scored) to weigh children seen together against reports of siblings,
* :func:`compare_reports` two reports (one child reported by two relatives?), and
  :func:`find_duplicates` among many (:func:`write_duplicates` for a JSON-lines file).

Term frequencies: ``compare(..., frequencies=...)`` and ``Linker(frequencies=...)`` take a
mapping of ``"given:<group id>"``, ``"family:<surname key>"`` and the two together,
``"names:<group id>|<surname key>"`` (:data:`NAMES_TERM`: namesakes), to the share of reports
holding that value, and :data:`ONE_REPORT` (``"one:"``) to the share one report holds (1 / the
reports); :func:`person_frequencies` computes it from any collection of people (a ``Linker``
computes it from the reports it holds when none is given).

Scores are calibrated probabilities; :data:`DEFAULT_THRESHOLD` is the proposal threshold, with
its measurement beside it in ``_linker.py``. Knowledge sources and what each adds and misses are
described in ``_data.py`` and ``_names.py``.
"""

from ._compare import (
    NAMES_TERM,
    ONE_REPORT,
    Comparison,
    compare,
    compare_each,
    same_child_terms,
)
from ._dates import PartialDate
from ._duplicates import (
    DUPLICATE_THRESHOLD,
    DuplicatePair,
    compare_reports,
    compare_reports_each,
    find_duplicates,
    write_duplicates,
)
from ._groups import GROUP_REACH, group_candidates, link_groups, with_group_evidence
from ._ladder import FieldComparison
from ._linker import (
    CANDIDATES_MOST,
    DEFAULT_THRESHOLD,
    Candidate,
    Linker,
    LinkInputError,
    LinkSummary,
    PassCodes,
    blocking_keys,
    first_pass,
    first_pass_codes,
    link_files,
    person_frequencies,
)
from ._person import Person, Prepared, prepare
from ._text import normalize, skeleton, skeletons

__all__ = [
    "CANDIDATES_MOST",
    "DEFAULT_THRESHOLD",
    "DUPLICATE_THRESHOLD",
    "GROUP_REACH",
    "NAMES_TERM",
    "ONE_REPORT",
    "Candidate",
    "Comparison",
    "DuplicatePair",
    "FieldComparison",
    "LinkInputError",
    "LinkSummary",
    "Linker",
    "PartialDate",
    "PassCodes",
    "Person",
    "Prepared",
    "blocking_keys",
    "compare",
    "compare_each",
    "compare_reports",
    "compare_reports_each",
    "find_duplicates",
    "first_pass",
    "first_pass_codes",
    "group_candidates",
    "link_files",
    "link_groups",
    "normalize",
    "person_frequencies",
    "prepare",
    "same_child_terms",
    "skeleton",
    "skeletons",
    "with_group_evidence",
    "write_duplicates",
]
