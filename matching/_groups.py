"""Group evidence: children seen together, matched with reports of brothers and sisters.

Children were taken with their siblings and moved in groups (one camp, one children's home,
one adoptive family). A sighting may name the sightings of the children seen with it
(``seen_with``), a report the reports of the same family's other children (``siblings``). This
module takes pairs already scored by the field ladders and the two relations, and returns the
same pairs with the group's evidence added to their weight, each reason in the explanation:

* **a companion matches a sibling.** Sighting *s* is seen with *c*, and *c* matches *r2*, a
  sibling of report *r*: *s* is then much more likely *r* than any other report its names
  reach. The weight is the log2 likelihood ratio of that observation, given how sure the
  companion's own match is (its likelihood ratio *L*, shared among the report's *J* siblings,
  two families' reports of one child counting as one):
  ``log2((m L/J + 1 - m) / (u L/J + 1 - u))``.
* **a companion of another family.** When no companion matches a sibling of *r*, and one is
  placed by its own fields, more likely than not, with a report of another family, *s* is
  less likely *r* (its companions would most likely be its siblings): ``log2((1 - m) / (1 - u))``.
* **a companion is this child.** Children seen together are different children: a companion
  that matches *r* itself (or another report of its child) makes *s* less likely *r*
  (``log2(1 - q)``, bounded).
* **the same new identity.** Siblings adopted together are given one new family name and the
  adoptive father's patronymic: when *s* carries a new identity against *r*, and a companion
  matching a sibling of *r* carries one against its own report (a family name that differs,
  or the report's only as a former name on record) and shares that new family name (and
  patronymic), the rewrite is what the group predicts rather than evidence against the pair.
  A companion whose match to a sibling is too weak to count by its fields (under
  :data:`GROUP_FLOOR`, its new name counted against it) is read the other way round: given *s*
  is *r*, a sibling adopted with it shares its new name, so the companion's rewrite is weighed
  as shared and its match counts as support; *s*'s own rewrite then still counts against the
  pair (the one renaming counted once, as in the first reading).

Each pair's evidence is added to its own field scores, read from its companions' matches
(first as their fields scored them, then as the group raised them: ``_ROUNDS``).

:func:`group_candidates` says which more pairs to score first: a sighting seen with a child who
matches a report that has siblings is compared with those siblings too, even when its blocking
keys do not reach them (a new given name and a new family name leave nothing to block on).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Hashable, Mapping
from typing import Generic, TypeVar, cast

from ._compare import NEW_IDENTITY, Comparison, to_probability
from ._ladder import FieldComparison
from ._linker import Candidate, Linker
from ._person import Person, Prepared, prepare

__all__ = ["GROUP_FLOOR", "GROUP_REACH", "group_candidates", "link_groups", "with_group_evidence"]

S = TypeVar("S", bound=Hashable)
R = TypeVar("R", bound=Hashable)

# A companion's match counts as group evidence from this calibrated score on (a likelihood
# ratio of about 8: see _COMPANION_M). It bounds the work (the siblings of every report a
# companion reaches at all) and keeps out the weakest matches, which the blocking keys chose
# for their likeness: read as likelihood ratios they would overstate (on dev_groups, the
# floor at a ratio of 1 took F1 from 0.864 to 0.850, precision from 0.933 to 0.898). Whole
# groups adopted together and renamed match their reports weakly one by one; their weak
# matches still tell which family they are.
GROUP_FLOOR = 0.001

# "A child seen with this sighting is a sibling of this report's child." m: given the sighting
# is the report's child, the share of its companions who are its reported siblings; children
# were moved with their brothers and sisters, and a companion is filed with a sighting because
# the source saw them together: most of them (0.6). u: given the sighting is another child, the
# chance that a child seen with it is one of that report's two or three siblings, among some
# 1,500 reports: 3 / 1,500 = 0.002 (the companion's names are independent of the sighting's, so
# blocking on the sighting's names does not raise it). What the companion's own match says is
# its likelihood ratio L (its fields' odds against the odds of a pair they say nothing of);
# m and u are shared among the J siblings it could be, and the observation weighs
# log2((m L/J + 1 - m) / (u L/J + 1 - u)): up to log2(m / u) = 8.2 for a companion surely that
# sibling, about log2(m L / J) for a weak one. (Mixing by the companion's calibrated score
# instead reads its match with the prior of any pair, 1 in some 8,000, where the group's
# hypothesis gives it m: a weak match of a renamed sibling then counted for almost nothing.)
_COMPANION_M = 0.6
_COMPANION_U = 0.002

# A companion whose own match places it with another family (a report of someone else, at
# even odds or better: _PLACED) and that matches none of this report's siblings: given the
# sighting is this report's child, its companions are most likely its siblings (m), so a
# companion who is surely not one of them weighs log2((1 - m) / (1 - u)) = -1.3 against the
# pair. A placement at p leaves the chance 1 - p that the companion is not that child, and
# only then may it be a sibling: the observation weighs log2((m (1 - p) + 1 - m) / (u (1 - p)
# + 1 - u)) = log2((1 - m p) / (1 - u p)), the -1.3 for a confirmed placement, -0.5 at even
# odds (the same mixture as _companion_weight's, with 1 - p for the companion's ratio).
# (Companions who match no one say less: a sibling adopted under a new name matches its
# report weakly, so only a companion placed elsewhere counts.)
_PLACED = 0.5


def _other_family_weight(p: float) -> float:
    """log2 of the likelihood ratio of a companion placed with another family at ``p``."""
    return math.log2((1 - _COMPANION_M * p) / (1 - _COMPANION_U * p))


# Companions' matches are read as scored by their fields in the first round, then as the group
# raised them: a companion matched only through the group (a new name) then still tells which
# sibling it is. Each round adds the evidence to the fields' scores afresh, and a companion's
# match raised by this very sighting is read as its fields scored it (no evidence counts twice).
_ROUNDS = 2
# How many links of `seen_with` a sighting's score reads: its companions' matches as the group
# raised them (a round a link), and the sibling reports their companions' matches add to
# theirs (one more). Sightings farther apart do not change each other's scores.
GROUP_REACH = _ROUNDS + 1

# A companion who is this report's child: s is then another child; at most this much against.
_EXCLUSION_MOST = -5.0

# The same new family name as the sibling seen with it, both new against their families'
# reports: m, the share of siblings adopted together who were given the one adoptive family's
# name (nearly all of those renamed: 0.8), against u, two children seen together and both
# renamed who share a family name without being siblings (0.2, the families that adopt
# several children from one group): log2(0.8 / 0.2) = 2. The adoptive father's patronymic
# shared as well halves u again: 3. Either takes the place of the family-name verdict (a
# differing name, or the new identity) that counted the rewrite against the pair.
SHARED_FAMILY_WEIGHT = 2.0
SHARED_REWRITE_WEIGHT = 3.0


def group_candidates(
    scored: Mapping[S, Mapping[R, Comparison]],
    *,
    seen_with: Mapping[S, Collection[S]],
    siblings: Mapping[R, Collection[R]],
    same_child: Mapping[R, Collection[R]] | None = None,
) -> dict[S, set[R]]:
    """The reports each sighting should also be compared with: the siblings of the reports its
    companions match (score at least :data:`GROUP_FLOOR`), when it was not compared with them.
    ``same_child`` as for :func:`with_group_evidence`."""
    siblings = _families(siblings, same_child or {})
    wanted: dict[S, set[R]] = {}
    for sighting, companions in seen_with.items():
        own = scored.get(sighting, {})
        for companion in companions:
            for report, comparison in scored.get(companion, {}).items():
                if comparison.score < GROUP_FLOOR:
                    continue
                for sibling in siblings.get(report, ()):
                    if sibling not in own:
                        wanted.setdefault(sighting, set()).add(sibling)
    return wanted


def with_group_evidence(
    scored: Mapping[S, Mapping[R, Comparison]],
    *,
    seen_with: Mapping[S, Collection[S]],
    siblings: Mapping[R, Collection[R]],
    sightings: Mapping[S, Prepared],
    same_child: Mapping[R, Collection[R]] | None = None,
) -> dict[S, dict[R, Comparison]]:
    """The comparisons of the sightings seen with others, with the group's evidence added
    (only the pairs it changes; the others are as scored). ``sightings`` are the sightings'
    prepared forms, for the companion's name and the shared new identity. ``same_child``
    maps a report to every other report of its child (two families' reports of one child,
    joined as one case): a sibling named on one of them is a sibling of all, every report of
    a sibling is a sibling's report, a child's reports count as one sibling, a companion
    matching any of them is this child, and none of them is another family's."""
    same_child = same_child or {}
    siblings = _families(siblings, same_child)
    current: Mapping[S, Mapping[R, Comparison]] = scored
    raised: dict[S, dict[R, Comparison]] = {}
    supported_by: dict[tuple[S, R], S] = {}
    # Each sighting's matches by its fields alone at even odds or better (_PLACED).
    placed = {
        s: [(c.score, r) for r, c in pairs.items() if c.score >= _PLACED]
        for s, pairs in scored.items()
    }
    for _ in range(_ROUNDS):
        raised, supporters = {}, {}
        for sighting, companions in seen_with.items():
            others = [c for c in companions if c != sighting and c in scored]
            for report, comparison in scored.get(sighting, {}).items() if others else ():
                group = _Group(sighting, others, scored, current, supported_by, placed)
                reasons, supporter = group.reasons(
                    report, comparison, siblings, sightings, same_child
                )
                if reasons:
                    raised.setdefault(sighting, {})[report] = _with(comparison, reasons)
                if supporter is not None:
                    supporters[sighting, report] = supporter
        current = {s: {**pairs, **raised.get(s, {})} for s, pairs in scored.items()}
        supported_by = supporters
    return raised


class _Group(Generic[S, R]):
    """A sighting's companions and their matches, as one round reads them."""

    def __init__(
        self,
        sighting: S,
        companions: list[S],
        fields: Mapping[S, Mapping[R, Comparison]],
        current: Mapping[S, Mapping[R, Comparison]],
        supported_by: Mapping[tuple[S, R], S],
        placed: Mapping[S, list[tuple[float, R]]],
    ) -> None:
        self.sighting = sighting
        self.placed = placed
        self.companions = companions
        self.fields = fields
        self.current = current
        self.supported_by = supported_by

    def pair(self, companion: S, report: R) -> Comparison | None:
        """The companion's match to the report, unless it was raised by this sighting."""
        if self.supported_by.get((companion, report)) == self.sighting:
            return self.fields[companion].get(report)
        return self.current[companion].get(report)

    def reasons(
        self,
        report: R,
        comparison: Comparison,
        siblings: Mapping[R, Collection[R]],
        sightings: Mapping[S, Prepared],
        same_child: Mapping[R, Collection[R]],
    ) -> tuple[list[FieldComparison], S | None]:
        return _reasons(self, report, comparison, siblings, sightings, same_child)


def _reasons(
    group: _Group[S, R],
    report: R,
    comparison: Comparison,
    siblings: Mapping[R, Collection[R]],
    sightings: Mapping[S, Prepared],
    same_child: Mapping[R, Collection[R]],
) -> tuple[list[FieldComparison], S | None]:
    reasons = []
    sighting, companions = group.sighting, group.companions
    child = {report, *same_child.get(report, ())}  # this child's reports
    family = [sibling for sibling in siblings.get(report, ()) if sibling not in child]
    children = _children(family, same_child)
    # Every companion's match to a sibling that counts, the surest first.
    seen = sorted(
        (
            (_likelihood_ratio(pair), pair.score, str(companion), str(sibling), companion, sibling)
            for companion in companions
            for sibling in family
            if (pair := group.pair(companion, sibling)) is not None and pair.score >= GROUP_FLOOR
        ),
        reverse=True,
    )
    # A companion's match counts as support only when its likelihood ratio exceeds the number
    # of siblings it could be (L/J > 1): shared among them, a weaker one says less of each
    # than nothing would.
    support = seen[0] if seen and seen[0][0] > children else None
    if support is not None:
        ratio, p, _, _, companion, _ = support
        reasons.append(
            FieldComparison(
                "group",
                "seen with a sibling",
                f"seen with {_name(sightings.get(companion))}, whose match to a sibling's"
                f" report scores {_score(p)}",
                _companion_weight(ratio, children),
            )
        )
    shared = None
    for *_, companion, sibling in seen:
        shared = _shared_rewrite(
            comparison,
            group.fields[companion][sibling],
            sightings.get(sighting),
            sightings.get(companion),
        )
        if shared is not None:
            reasons.append(
                FieldComparison(
                    "family_name",
                    "shared new identity",
                    f"the same new {shared} as {_name(sightings.get(companion))}:"
                    " siblings adopted together",
                    _shared_weight(shared),
                )
            )
            break
    supporter = support[4] if support is not None else None
    if support is None and shared is None:
        weak = _weak_with_shared_rewrite(group, comparison, family, sightings)
        if weak is not None and weak[0] > children:
            ratio, p, _, _, supporter, shared = weak
            companion = supporter
            reasons.append(
                FieldComparison(
                    "group",
                    "seen with a sibling",
                    f"seen with {_name(sightings.get(companion))}, whose match to a sibling's"
                    f" report scores {_score(p)} with the new {shared} they share",
                    _companion_weight(ratio, children),
                )
            )
    placed = _placed_elsewhere(group, child, family) if family and supporter is None else None
    if placed is not None:
        companion, p = placed
        reasons.append(
            FieldComparison(
                "group",
                "companion of another family",
                f"seen with {_name(sightings.get(companion))}, who matches another family's"
                f" report at {_score(p)} and none of this report's siblings",
                _other_family_weight(p),
            )
        )
    this_child = max(
        (
            (found.score, c)
            for c in companions
            for own in sorted(child, key=str)
            if (found := group.pair(c, own)) is not None
        ),
        default=None,
        key=lambda t: t[0],
    )
    if this_child is not None and this_child[0] >= GROUP_FLOOR:
        q, companion = this_child
        reasons.append(
            FieldComparison(
                "group",
                "companion matches",
                f"seen with {_name(sightings.get(companion))}, who matches this report at"
                f" {_score(q)}: children seen together are different children",
                max(_EXCLUSION_MOST, math.log2(1 - q) if q < 1 else _EXCLUSION_MOST),
            )
        )
    return reasons, supporter


def _families(
    siblings: Mapping[R, Collection[R]], same_child: Mapping[R, Collection[R]]
) -> Mapping[R, Collection[R]]:
    """The siblings' reports of each child's reports: the siblings named on any report of the
    child, with every other report of theirs (none of the child's own)."""
    if not same_child:
        return siblings
    families: dict[R, set[R]] = {}
    for report in {*siblings, *same_child}:
        child = {report, *same_child.get(report, ())}
        named = {sibling for own in child for sibling in siblings.get(own, ())}
        family = {r for sibling in named for r in (sibling, *same_child.get(sibling, ()))}
        if family - child:
            families[report] = family - child
    return families


def _shared_weight(shared: str) -> float:
    return SHARED_REWRITE_WEIGHT if "patronymic" in shared else SHARED_FAMILY_WEIGHT


def _weak_with_shared_rewrite(
    group: _Group[S, R],
    comparison: Comparison,
    family: list[R],
    sightings: Mapping[S, Prepared],
) -> tuple[float, float, str, str, S, str] | None:
    """A companion's match to a sibling too weak to count by its fields (under GROUP_FLOOR:
    its new family name counted against it), read as the group's hypothesis reads it when it
    shares this pair's new identity: given that this sighting is the report's child, renamed,
    a sibling adopted with it carries the same new name (0.8 against 0.2 for a child seen with
    it by chance: ``SHARED_FAMILY_WEIGHT``), so its rewrite is weighed as shared, not as
    evidence against. This pair's own rewrite still counts against it: the one renaming is
    counted once. The surest such match: its likelihood ratio, score, keys, companion and
    what the two share."""
    found = []
    ours = sightings.get(group.sighting)
    for companion in group.companions:
        fields = group.fields.get(companion, {})
        for sibling in family:
            theirs = fields.get(sibling)
            now = group.pair(companion, sibling)
            if theirs is None or theirs.score >= GROUP_FLOOR or (now and now.score >= GROUP_FLOOR):
                continue
            shared = _shared_rewrite(comparison, theirs, ours, sightings.get(companion))
            if shared is None:
                continue
            renamed = _renamed(theirs)
            total = theirs.total - (renamed.weight if renamed else 0.0) + _shared_weight(shared)
            p = to_probability(total)
            ratio = _odds(p) / _odds(to_probability(0.0))
            found.append((ratio, p, str(companion), str(sibling), companion, shared))
    return max(found, default=None)


def _children(family: list[R], same_child: Mapping[R, Collection[R]]) -> int:
    """How many children the sibling reports are (two reports of one child count once)."""
    counted: set[R] = set()
    children = 0
    for sibling in family:
        if sibling not in counted:
            children += 1
            counted |= {sibling, *same_child.get(sibling, ())}
    return children


def _placed_elsewhere(
    group: _Group[S, R], child: Collection[R], family: list[R]
) -> tuple[S, float] | None:
    """A companion whose own fields match it, more likely than not, with a report that is
    neither of this child nor of its family: the surest such companion and its score."""
    found = [
        (p, str(companion), companion)
        for companion in group.companions
        for p, other in group.placed.get(companion, ())
        if other not in child and other not in family
    ]
    if not found:
        return None
    p, _, companion = max(found)
    return companion, p


def _likelihood_ratio(pair: Comparison) -> float:
    """The companion's match as a likelihood ratio: its odds against the odds of a pair its
    fields say nothing of (total 0); a confirmed pair (score 1) is certain: infinite."""
    return _odds(pair.score) / _odds(to_probability(0.0))


def _odds(p: float) -> float:
    return p / (1.0 - p) if p < 1.0 else math.inf


def _companion_weight(ratio: float, siblings: int) -> float:
    """log2 of the likelihood ratio of a companion matching one of the report's ``siblings``
    siblings, given how sure the companion's own match is (its likelihood ratio; see
    _COMPANION_M): m and u are shared among the siblings it could be."""
    if math.isinf(ratio):
        return math.log2(_COMPANION_M / _COMPANION_U)
    m, u = _COMPANION_M, _COMPANION_U
    return math.log2((m * ratio / siblings + 1 - m) / (u * ratio / siblings + 1 - u))


def _score(p: float) -> str:
    """A companion's score as the explanation writes it: a weak match that still counts (from
    GROUP_FLOOR on) keeps its first digit, rather than reading as a score of 0.00."""
    return f"{p:.2f}" if p >= 0.01 else f"{p:.1g}"


def _shared_rewrite(
    ours: Comparison, theirs: Comparison, a: Prepared | None, b: Prepared | None
) -> str | None:
    """What the two sightings share of a new identity (family name, and patronymic), when
    this pair disagrees on the family name and the companion's carries a new one too (its
    family name differs from its report's, or matches it only as a former name on record);
    None when they share none of it."""
    if a is None or b is None or _renamed(ours) is None:
        return None
    if _renamed(theirs) is None and not any(
        fc.field == "family_name" and fc.verdict == "former name" for fc in theirs.explanation
    ):
        return None
    if not a.family_clerk & b.family_clerk:
        return None
    if a.father_stems & b.father_stems:
        return "family name and patronymic"
    return "family name"


def _renamed(comparison: Comparison) -> FieldComparison | None:
    """The family-name verdict that counts a rewritten name against the pair, if any."""
    for fc in comparison.explanation:
        if fc is NEW_IDENTITY or (fc.field == "family_name" and fc.verdict == "different"):
            return fc
    return None


def _with(comparison: Comparison, reasons: list[FieldComparison]) -> Comparison:
    """The comparison with the group's reasons; a shared new identity takes the place of the
    new-identity level it explains."""
    kept = list(comparison.explanation)
    replaced = _renamed(comparison)
    if replaced is not None and any(fc.verdict == "shared new identity" for fc in reasons):
        kept.remove(replaced)
    items = sorted((*kept, *reasons), key=lambda fc: (-abs(fc.weight), fc.field))
    total = sum(fc.weight for fc in items)
    return Comparison(to_probability(total), tuple(items), total)


def _name(person: Prepared | None) -> str:
    """The companion as its sighting writes it (given name, else the full name)."""
    if person is None:
        return "another child"
    written = person.person.given_name or person.person.full_name or person.person.family_name
    return written or "another child"


def link_groups(
    linker: Linker,
    sightings: Mapping[S, Person],
    *,
    seen_with: Mapping[S, Collection[S]],
    siblings: Mapping[R, Collection[R]],
    same_child: Mapping[R, Collection[R]] | None = None,
    limit: int = 10,
) -> dict[S, list[Candidate]]:
    """:meth:`Linker.candidates` for every sighting, with the group's evidence for those seen
    with others (compared also with the siblings of the reports their companions match).
    ``same_child`` as for :func:`with_group_evidence`; the linker is told it too
    (:meth:`Linker.same_child`: one child's reports are not each other's namesakes)."""
    if same_child is not None:
        linker.same_child(same_child)
    grouped = {s for s, companions in seen_with.items() if companions and s in sightings}
    prepared = {s: prepare.__wrapped__(sightings[s]) for s in grouped}
    # The linker's keys are the reports' keys, the ones `siblings` names.
    scored = {s: cast(dict[R, Comparison], linker.compared(prepared[s])) for s in grouped}
    relations = {s: [c for c in seen_with[s] if c in grouped] for s in grouped}
    more = group_candidates(
        scored, seen_with=relations, siblings=siblings, same_child=same_child
    ).items()
    for s, extra in more:
        scored[s].update(cast(dict[R, Comparison], linker.compared(prepared[s], extra)))
    raised = with_group_evidence(
        scored, seen_with=relations, siblings=siblings, sightings=prepared, same_child=same_child
    )
    out: dict[S, list[Candidate]] = {}
    for s, person in sightings.items():
        if s not in grouped:
            out[s] = linker.candidates(person, limit=limit)
            continue
        pairs = {**scored[s], **raised.get(s, {})}
        ranked = sorted(pairs.items(), key=lambda kv: (-kv[1].total, str(kv[0])))
        out[s] = [Candidate(r, c.score, c.explanation) for r, c in ranked[:limit]]
    return out
