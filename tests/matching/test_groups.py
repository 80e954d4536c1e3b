"""Group evidence: children seen together matched with reports of siblings (matching/_groups.py),
and `link_files` reading the two relations."""

import json
import math
from pathlib import Path

import pytest

from matching import (
    Comparison,
    Linker,
    LinkInputError,
    Person,
    compare,
    group_candidates,
    link_files,
    link_groups,
    prepare,
    with_group_evidence,
)
from matching._compare import to_probability
from matching._groups import _PLACED, GROUP_FLOOR, _other_family_weight

OLENA = Person.from_api(
    {"given_name": "Олена", "family_name": "Мартинюк", "sex": "female",
     "date_of_birth": "2012-04-03", "home_settlement": "Ізюм"}
)  # fmt: skip
NAZAR = Person.from_api(
    {"given_name": "Назар", "family_name": "Мартинюк", "sex": "male",
     "date_of_birth": "2015-01-06", "home_settlement": "Ізюм"}
)  # fmt: skip
OLENA_SEEN = Person.from_api(
    {"full_name": "Мартынюк Елена Григорьевна", "sex": "female", "date_of_birth": "2012-04-03"},
    observed_on="2024-05-01",
)
NAZAR_SEEN = Person.from_api(
    {"given_name": "Назар", "family_name": "Вовк", "patronymic": "Викторович", "sex": "male",
     "date_of_birth": "2015"},
    observed_on="2024-05-01",
)  # fmt: skip


def a_linker() -> Linker:
    """Two reports, with the name shares of a large registry (the defaults), not of these two."""
    linker = Linker(frequencies={})
    linker.add("r-olena", OLENA)
    linker.add("r-nazar", NAZAR)
    return linker


def linked(seen_with: dict, siblings: dict) -> dict:
    linker = a_linker()
    sightings = {"s-olena": OLENA_SEEN, "s-nazar": NAZAR_SEEN}
    return link_groups(linker, sightings, seen_with=seen_with, siblings=siblings)


GROUP = {"s-olena": ["s-nazar"], "s-nazar": ["s-olena"]}
FAMILY = {"r-olena": ["r-nazar"], "r-nazar": ["r-olena"]}


def test_a_child_seen_with_a_sibling_scores_higher_and_says_why():
    alone = compare(NAZAR, NAZAR_SEEN).score
    [best, *_] = linked(GROUP, FAMILY)["s-nazar"]
    assert best.key == "r-nazar"
    assert alone < 0.5 <= best.score
    [reason] = [fc for fc in best.explanation if fc.field == "group"]
    assert reason.detail.startswith("seen with Мартынюк Елена Григорьевна, whose match")
    assert reason.weight > 0


def test_without_the_relations_nothing_changes():
    plain = linked({}, {})
    assert plain["s-nazar"] == a_linker().candidates(NAZAR_SEEN)
    assert not any(fc.field == "group" for c in plain["s-nazar"] for fc in c.explanation)


def test_siblings_alone_or_companions_alone_are_no_evidence():
    assert linked(GROUP, {})["s-nazar"][0].score < 0.5
    assert linked({}, FAMILY)["s-nazar"][0].score < 0.5


def test_a_companion_who_is_this_reports_child_counts_against():
    scored = {
        "s-olena": {"r-olena": compare(OLENA, OLENA_SEEN)},
        "s-nazar": {"r-olena": compare(OLENA, NAZAR_SEEN), "r-nazar": compare(NAZAR, NAZAR_SEEN)},
    }
    sightings = {"s-olena": prepare(OLENA_SEEN), "s-nazar": prepare(NAZAR_SEEN)}
    raised = with_group_evidence(scored, seen_with=GROUP, siblings=FAMILY, sightings=sightings)
    against = raised["s-nazar"]["r-olena"]
    [reason] = [fc for fc in against.explanation if fc.verdict == "companion matches"]
    assert reason.weight < 0
    assert against.score < scored["s-nazar"]["r-olena"].score


def test_a_weak_companion_match_is_written_as_the_weight_reads_it():
    # Назар seen with another family name, patronymic and birth year: his own match is weak
    # (about 0.003) but still counts a little for Олена, and the words must not say 0.00.
    renamed = Person.from_api(
        {"given_name": "Назар", "family_name": "Вовк", "patronymic": "Викторович",
         "sex": "male", "date_of_birth": "2014"},
        observed_on="2024-05-01",
    )  # fmt: skip
    reports = {"r-olena": OLENA, "r-nazar": NAZAR}
    seen = {"s-olena": OLENA_SEEN, "s-nazar": renamed}
    scored = {s: {r: compare(p, q) for r, p in reports.items()} for s, q in seen.items()}
    sightings = {s: prepare(q) for s, q in seen.items()}
    raised = with_group_evidence(scored, seen_with=GROUP, siblings=FAMILY, sightings=sightings)
    [reason] = [fc for fc in raised["s-olena"]["r-olena"].explanation if fc.field == "group"]
    weak = scored["s-nazar"]["r-nazar"].score
    assert 0 < weak < 0.01 and reason.weight > 0
    assert reason.detail.endswith(f"scores {weak:.1g}")


def test_a_sighting_is_scored_against_siblings_its_keys_do_not_reach():
    renamed = Person.from_api(
        {"given_name": "Дмитрий", "family_name": "Вовк", "sex": "male", "date_of_birth": "2016"},
        observed_on="2024-05-01",
    )  # no key of Назар's report: another given name, family name and year
    linker = a_linker()
    assert "r-nazar" not in linker.reachable(renamed)
    found = link_groups(
        linker, {"s-olena": OLENA_SEEN, "s-x": renamed},
        seen_with={"s-olena": ["s-x"], "s-x": ["s-olena"]}, siblings=FAMILY,
    )  # fmt: skip
    assert "r-nazar" in {c.key for c in found["s-x"]}


def test_a_shared_new_family_name_replaces_the_rewrites_penalty():
    olena_renamed = Person.from_api(
        {"given_name": "Елена", "family_name": "Вовк", "patronymic": "Викторовна",
         "sex": "female", "date_of_birth": "2012-04-03"},
        observed_on="2024-05-01",
    )  # fmt: skip
    linker = a_linker()
    found = link_groups(
        linker, {"s-olena": olena_renamed, "s-nazar": NAZAR_SEEN},
        seen_with=GROUP, siblings=FAMILY,
    )  # fmt: skip
    best = found["s-nazar"][0]
    verdicts = {fc.verdict for fc in best.explanation}
    assert "shared new identity" in verdicts and "new identity" not in verdicts


def test_a_companion_known_by_a_former_name_shares_the_new_one():
    # Олена's document keeps her former family name, so her own match counts no rewrite
    # against her; the new name Вовк she shares with Назар is still the group's rewrite.
    olena_with_former_name = Person.from_api(
        {"given_name": "Елена", "family_name": "Вовк", "other_names": ["Мартынюк"],
         "sex": "female", "date_of_birth": "2012-04-03"},
        observed_on="2024-05-01",
    )  # fmt: skip
    own = compare(OLENA, olena_with_former_name)
    assert "former name" in {fc.verdict for fc in own.explanation}
    found = link_groups(
        a_linker(), {"s-olena": olena_with_former_name, "s-nazar": NAZAR_SEEN},
        seen_with=GROUP, siblings=FAMILY,
    )  # fmt: skip
    best = found["s-nazar"][0]
    assert best.key == "r-nazar"
    [shared] = [fc for fc in best.explanation if fc.verdict == "shared new identity"]
    assert shared.detail == "the same new family name as Елена: siblings adopted together"
    assert "new identity" not in {fc.verdict for fc in best.explanation}


def write(path: Path, lines: list[dict]) -> Path:
    path.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), "utf-8")
    return path


def api(person: Person) -> dict:
    return {k: v for k, v in {
        "given_name": person.given_name, "family_name": person.family_name,
        "patronymic": person.patronymic, "full_name": person.full_name, "sex": person.sex,
        "date_of_birth": str(person.date_of_birth) if person.date_of_birth else None,
        "observed_on": "2024-05-01" if person.observed_on else None,
    }.items() if v}  # fmt: skip


def test_link_files_reads_siblings_and_seen_with(tmp_path: Path):
    reports = write(tmp_path / "r.jsonl", [
        {"key": "r1", "child": api(OLENA), "siblings": ["r2"]},
        {"key": "r2", "child": api(NAZAR)},  # the relation is symmetric: r1 names it
    ])  # fmt: skip
    sightings = write(tmp_path / "s.jsonl", [
        {"key": "s1", "subject": api(OLENA_SEEN)},
        {"key": "s2", "subject": api(NAZAR_SEEN), "seen_with": ["s1"]},
    ])  # fmt: skip
    link_files(reports, sightings, tmp_path / "out.jsonl", progress=False)
    lines = (tmp_path / "out.jsonl").read_text("utf-8").splitlines()
    out = {json.loads(x)["key"]: json.loads(x) for x in lines}
    best = out["s2"]["candidates"][0]
    assert best["key"] == "r2" and best["proposed"]
    assert any(e["field"] == "group" for e in best["explanation"])


@pytest.mark.parametrize(
    ("related", "reason"),
    [(["r9"], "'siblings' names 'r9', not a key of the file"),
     (["r1"], "'siblings' lists the line's own key"),
     ("r2", "'siblings' must be a list of keys")],
)  # fmt: skip
def test_link_files_refuses_bad_relations(tmp_path: Path, related: object, reason: str):
    reports = write(tmp_path / "r.jsonl", [
        {"key": "r1", "child": api(OLENA), "siblings": related},
        {"key": "r2", "child": api(NAZAR)},
    ])  # fmt: skip
    sightings = write(tmp_path / "s.jsonl", [{"key": "s1", "subject": api(OLENA_SEEN)}])
    with pytest.raises(LinkInputError) as raised:
        link_files(reports, sightings, tmp_path / "out.jsonl", progress=False)
    assert raised.value.line_number == 1 and raised.value.reason == reason


def weighed(companion_match: float, family: dict, same_child: dict | None = None) -> float:
    """The weight "seen with a sibling" gives Олена's match when Назар, seen with her, matches
    her sibling's report at ``companion_match`` (and nothing else)."""
    olena = compare(OLENA, OLENA_SEEN)
    nazar = compare(NAZAR, NAZAR_SEEN)
    scored = {
        "s-olena": {"r-olena": olena},
        "s-nazar": {"r-nazar": Comparison(companion_match, nazar.explanation, nazar.total)},
    }
    sightings = {"s-olena": prepare(OLENA_SEEN), "s-nazar": prepare(NAZAR_SEEN)}
    raised = with_group_evidence(
        scored, seen_with=GROUP, siblings=family, sightings=sightings, same_child=same_child
    )
    [reason] = [fc for fc in raised["s-olena"]["r-olena"].explanation if fc.field == "group"]
    return reason.weight


def test_a_weak_companion_match_weighs_as_the_group_reads_it():
    # Given that the sighting is the report's child, its companion is most likely a sibling:
    # a companion's match at 0.003 (a likelihood ratio of about 24) is then fair evidence,
    # not the tenth of a bit its score would give mixed with the prior of any pair.
    assert 3.5 < weighed(0.003, FAMILY) < 4.5
    surely = math.log2(0.6 / 0.002)
    assert weighed(0.003, FAMILY) < weighed(0.05, FAMILY) < weighed(0.9, FAMILY) < surely


def test_a_confirmed_companion_counts_in_full_however_many_siblings():
    many = {"r-olena": ["r-nazar", "r-x", "r-y"], "r-nazar": ["r-olena", "r-x", "r-y"]}
    assert weighed(1.0, FAMILY) == pytest.approx(math.log2(0.6 / 0.002))
    assert weighed(1.0, many) == pytest.approx(weighed(1.0, FAMILY))


def test_a_weak_companion_match_is_shared_among_the_reports_siblings():
    # The companion could be any of three siblings: its match to one of them says a third as
    # much for this report.
    many = {"r-olena": ["r-nazar", "r-x", "r-y"], "r-nazar": ["r-olena", "r-x", "r-y"]}
    assert 1.0 < weighed(0.003, FAMILY) - weighed(0.003, many) < math.log2(3) + 0.01


# Назар reported twice, by his mother and by his grandmother (one case): both reports are
# Олена's sibling's, and they are one child.
TWICE = {"r-olena": ["r-nazar", "r-nazar-2"], "r-nazar": ["r-olena"], "r-nazar-2": ["r-olena"]}
ONE_CHILD = {"r-nazar": ["r-nazar-2"], "r-nazar-2": ["r-nazar"]}


def test_a_siblings_two_reports_of_one_child_count_as_one_sibling():
    assert weighed(0.003, TWICE, ONE_CHILD) == pytest.approx(weighed(0.003, FAMILY))
    # Read as two children, the companion's weak match would be shared between them.
    assert weighed(0.003, TWICE) < weighed(0.003, TWICE, ONE_CHILD) - 0.5


def test_a_companion_who_matches_another_report_of_this_child_counts_against():
    # Олена's companion Назар matches Олена's grandmother's report of her: he is not Олена,
    # and the mother's report of her is less likely his too.
    scored = {
        "s-olena": {"r-olena-2": compare(OLENA, OLENA_SEEN)},
        "s-nazar": {"r-olena": compare(OLENA, NAZAR_SEEN), "r-nazar": compare(NAZAR, NAZAR_SEEN)},
    }
    sightings = {"s-olena": prepare(OLENA_SEEN), "s-nazar": prepare(NAZAR_SEEN)}
    one_child = {"r-olena": ["r-olena-2"], "r-olena-2": ["r-olena"]}

    def reasons(same_child: dict | None) -> list:
        raised = with_group_evidence(
            scored, seen_with=GROUP, siblings=FAMILY, sightings=sightings, same_child=same_child
        )
        pair = raised.get("s-nazar", {}).get("r-olena")
        return [] if pair is None else [fc.verdict for fc in pair.explanation]

    assert "companion matches" not in reasons(None)
    assert "companion matches" in reasons(one_child)


def test_a_sibling_named_on_one_report_of_a_child_is_a_sibling_of_its_other_reports():
    # The mother named Олена (r-olena) Назар's sibling; the grandmother's report of Олена
    # (r-olena-2, one case with r-olena) is the one Олена's sighting matches. Назар, seen with
    # her, is then seen with a sibling, not with a child of another family.
    scored = {
        "s-olena": {"r-olena-2": compare(OLENA, OLENA_SEEN)},
        "s-nazar": {"r-nazar": compare(NAZAR, NAZAR_SEEN)},
    }
    sightings = {"s-olena": prepare(OLENA_SEEN), "s-nazar": prepare(NAZAR_SEEN)}
    one_child = {"r-olena": ["r-olena-2"], "r-olena-2": ["r-olena"]}

    def verdicts(same_child: dict | None) -> set[str]:
        raised = with_group_evidence(
            scored, seen_with=GROUP, siblings=FAMILY, sightings=sightings, same_child=same_child
        )
        return {fc.verdict for fc in raised["s-nazar"]["r-nazar"].explanation}

    assert "companion of another family" in verdicts(None)
    assert "seen with a sibling" not in verdicts(None)
    assert "seen with a sibling" in verdicts(one_child)
    assert "companion of another family" not in verdicts(one_child)
    # And the sighting seen with her is compared with the sibling her match reaches.
    assert group_candidates(
        {"s-olena": scored["s-olena"], "s-nazar": {}},
        seen_with=GROUP,
        siblings=FAMILY,
        same_child=one_child,
    ) == {"s-nazar": {"r-nazar"}}


def test_a_companion_too_weak_to_count_counts_with_the_new_identity_it_shares():
    # Олена was given a new given name too (Кира) and only an age: by her fields her match is
    # weaker than a random pair's, below GROUP_FLOOR. Назар, seen with her, carries the same
    # new family name and patronymic: read as the group's hypothesis reads her (a sister
    # adopted with him shares them), her match is evidence for his; his own new family name
    # still counts against him (the one renaming is counted once).
    def raised_with(family_name: str) -> dict:
        kira = Person.from_api(
            {"given_name": "Кира", "family_name": family_name, "patronymic": "Викторовна",
             "sex": "female", "age_estimate": {"min": 11, "max": 13}},
            observed_on="2024-05-01",
        )  # fmt: skip
        scored = {
            "s-olena": {"r-olena": compare(OLENA, kira)},
            "s-nazar": {"r-nazar": compare(NAZAR, NAZAR_SEEN)},
        }
        assert scored["s-olena"]["r-olena"].score < GROUP_FLOOR
        sightings = {"s-olena": prepare(kira), "s-nazar": prepare(NAZAR_SEEN)}
        return with_group_evidence(scored, seen_with=GROUP, siblings=FAMILY, sightings=sightings)

    nazar = raised_with("Вовк")["s-nazar"]["r-nazar"]
    [reason] = [fc for fc in nazar.explanation if fc.field == "group"]
    assert reason.verdict == "seen with a sibling" and reason.weight > 2
    assert reason.detail.endswith("with the new family name and patronymic they share")
    assert {fc.verdict for fc in nazar.explanation if fc.field == "family_name"} == {"different"}
    assert nazar.score > 0.5 > compare(NAZAR, NAZAR_SEEN).score
    # Another new family name: nothing tells that she is his sister.
    assert "s-nazar" not in raised_with("Белова")


def test_two_weak_matches_of_siblings_seen_together_raise_each_other_to_even_odds():
    # Two witnesses' sightings, a given name and an age each (Лена, Назар), both matching the
    # siblings' reports weakly (an age a year off): alone each is a few in a thousand, and a
    # namesake as likely. Seen together, each is the other's evidence: about even odds (not
    # the 0.05 that mixing the companion's score with the prior of any pair gave).
    linker = a_linker()
    linker.add("r-olena-2", Person.from_api(
        {"given_name": "Олена", "family_name": "Бондар", "sex": "female",
         "date_of_birth": "2011-09-10", "home_settlement": "Суми"}))  # fmt: skip
    linker.add("r-nazar-2", Person.from_api(
        {"given_name": "Назар", "family_name": "Ткачук", "sex": "male",
         "date_of_birth": "2014-05-20", "home_settlement": "Суми"}))  # fmt: skip
    sightings = {
        "s-olena": Person.from_api(
            {"given_name": "Лена", "sex": "female", "age_estimate": {"min": 13, "max": 15}},
            observed_on="2024-05-01",
        ),
        "s-nazar": Person.from_api(
            {"given_name": "Назар", "sex": "male", "age_estimate": {"min": 10, "max": 12}},
            observed_on="2024-05-01",
        ),
    }
    alone = link_groups(linker, sightings, seen_with={}, siblings=FAMILY)
    found = link_groups(linker, sightings, seen_with=GROUP, siblings=FAMILY)
    for sighting, report in (("s-olena", "r-olena"), ("s-nazar", "r-nazar")):
        [weak] = [c.score for c in alone[sighting] if c.key == report]
        assert weak < 0.03
        assert found[sighting][0].key == report
        assert 0.3 < found[sighting][0].score < 0.7


IVAN = Person.from_api(
    {"given_name": "Іван", "family_name": "Коваль", "sex": "male", "date_of_birth": "2014-02-11",
     "home_settlement": "Бахмут"}
)  # fmt: skip
IVAN_SEEN = Person.from_api(
    {"full_name": "Коваль Иван Петрович", "sex": "male", "date_of_birth": "2014-02-11"},
    observed_on="2024-05-01",
)


def with_ivan(siblings: dict) -> dict:
    """Олена seen with Іван, whose own match places him surely with another family's report."""
    linker = a_linker()
    linker.add("r-ivan", IVAN)
    return link_groups(
        linker, {"s-olena": OLENA_SEEN, "s-ivan": IVAN_SEEN},
        seen_with={"s-olena": ["s-ivan"], "s-ivan": ["s-olena"]}, siblings=siblings,
    )  # fmt: skip


def test_a_companion_of_another_family_counts_against_a_report_with_siblings():
    alone = compare(OLENA, OLENA_SEEN)
    [best, *_] = with_ivan(FAMILY)["s-olena"]
    assert best.key == "r-olena"
    [reason] = [fc for fc in best.explanation if fc.verdict == "companion of another family"]
    p = compare(IVAN, IVAN_SEEN).score
    assert 0.9 < p < 1.0
    assert reason.weight == pytest.approx(math.log2((1 - 0.6 * p) / (1 - 0.002 * p)))
    assert reason.detail.startswith("seen with Коваль Иван Петрович, who matches another family")
    assert best.score == pytest.approx(to_probability(alone.total + reason.weight))


def test_a_companion_elsewhere_says_nothing_of_a_report_without_siblings_or_with_its_own():
    # Олена's report names no siblings: a companion of another family is what it would be.
    [best, *_] = with_ivan({})["s-olena"]
    assert not any(fc.field == "group" for fc in best.explanation)
    # Іван is the sibling: his match is support, not another family.
    family = {"r-olena": ["r-ivan"], "r-ivan": ["r-olena"]}
    [best, *_] = with_ivan(family)["s-olena"]
    verdicts = {fc.verdict for fc in best.explanation if fc.field == "group"}
    assert verdicts == {"seen with a sibling"}


def test_a_companion_placed_elsewhere_weighs_by_how_sure_the_placement_is():
    sure = _other_family_weight(1.0)
    assert sure == pytest.approx(math.log2(0.4 / 0.998))  # surely not a sibling: -1.3
    at_even_odds = _other_family_weight(_PLACED)
    assert at_even_odds == pytest.approx(math.log2(0.7 / 0.999))
    assert sure < _other_family_weight(0.9) < at_even_odds < 0
