"""Duplicate reports: one child reported by two relatives, compared report with report."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching import (
    DUPLICATE_THRESHOLD,
    LinkInputError,
    Person,
    compare,
    compare_reports,
    compare_reports_each,
    find_duplicates,
    write_duplicates,
)
from matching._fields import FAMILY_NAME
from tests.matching.test_compare import people

MYKOLA = Person(
    given_name="Микола",
    family_name="Олійник",
    sex="male",
    date_of_birth="2011-03-12",
    settlement="Мелітополь",
)
# A grandmother abroad writes Latin, the nickname, and knows the patronymic.
MYKOLA_IN_LATIN = Person(
    given_name="Mykola",
    family_name="Oliinyk",
    patronymic="Andriiovych",
    other_names=("Kolia",),
    sex="male",
    date_of_birth="2011-03-12",
    settlement="Melitopol",
)


def test_two_relatives_spelling_one_child_differently_are_proposed():
    c = compare_reports(MYKOLA, MYKOLA_IN_LATIN)
    assert c.score >= DUPLICATE_THRESHOLD
    verdicts = {fc.field: fc.verdict for fc in c.explanation}
    assert verdicts["given_name"] == "same under transliteration"
    assert verdicts["date_of_birth"] == "exact"


def test_the_score_is_symmetric():
    assert compare_reports(MYKOLA, MYKOLA_IN_LATIN).score == pytest.approx(
        compare_reports(MYKOLA_IN_LATIN, MYKOLA).score
    )


def test_twins_are_not_one_child():
    twin = Person(
        given_name="Андрій",
        family_name="Олійник",
        sex="male",
        date_of_birth="2011-03-12",
        settlement="Мелітополь",
    )
    assert compare_reports(MYKOLA, twin).score < 0.05


def test_a_sibling_born_another_year_is_not_one_child():
    sibling = Person(given_name="Микола", family_name="Олійник", date_of_birth="2013-06-02")
    assert compare_reports(MYKOLA, sibling).score < 0.01


def test_a_family_name_that_differs_is_evidence_against_not_a_new_identity():
    other = Person(
        given_name="Микола", family_name="Мельник", sex="male", date_of_birth="2011-03-12"
    )
    duplicate = compare_reports(MYKOLA, other)
    [family] = [fc for fc in duplicate.explanation if fc.field == "family_name"]
    assert family.verdict == "different"
    assert "changed" not in family.detail
    # Against a sighting the same difference may be an adoptive family's name: it weighs less.
    [sighting_family] = [
        fc for fc in compare(MYKOLA, other).explanation if fc.field == "family_name"
    ]
    assert family.weight < sighting_family.weight
    assert duplicate.score < DUPLICATE_THRESHOLD


def test_two_relatives_homes_that_differ_weigh_less_than_a_sightings_place():
    # Two relatives write the child's home as each knew it: two known places that differ
    # are weaker evidence between two reports than between a report and a sighting.
    moved = Person(given_name="Микола", family_name="Олійник", settlement="Херсон")
    between_reports = next(
        f for f in compare_reports(MYKOLA, moved).explanation if f.field == "settlement"
    )
    with_a_sighting = next(f for f in compare(MYKOLA, moved).explanation if f.field == "settlement")
    assert between_reports.verdict == with_a_sighting.verdict == "different"
    assert with_a_sighting.weight < between_reports.weight < 0


def test_birth_dates_must_agree_closely():
    same_month = Person(
        given_name="Микола", family_name="Олійник", sex="male", date_of_birth="2011-03-25"
    )
    typed_swapped = Person(
        given_name="Микола", family_name="Олійник", sex="male", date_of_birth="2011-12-03"
    )
    assert compare_reports(MYKOLA, same_month).score < DUPLICATE_THRESHOLD
    assert compare_reports(MYKOLA, typed_swapped).score >= DUPLICATE_THRESHOLD
    # A sighting of the same month is still a candidate: the report-sighting weights differ.
    assert compare(MYKOLA, same_month).total > compare_reports(MYKOLA, same_month).total


def test_find_duplicates_names_the_later_report_and_each_pair_once():
    people = [
        ("r1", MYKOLA),
        ("r2", Person(given_name="Олена", family_name="Бондар")),
        ("r3", MYKOLA_IN_LATIN),
    ]
    [pair] = list(find_duplicates(people))
    assert (pair.report, pair.duplicate_of) == ("r3", "r1")
    assert pair.explanation


def test_write_duplicates_writes_one_line_per_pair(tmp_path):
    reports = tmp_path / "reports.jsonl"
    lines = [
        {
            "key": "a",
            "child": {
                "given_name": "Микола",
                "family_name": "Олійник",
                "date_of_birth": "2011-03-12",
                "home_settlement": "Мелітополь",
            },
        },
        {
            "key": "b",
            "child": {
                "given_name": "Mykola",
                "family_name": "Oliinyk",
                "date_of_birth": "2011-03-12",
                "home_settlement": "Melitopol",
            },
        },
        # Other children, so that Микола and Олійник are not every name of the file.
        *(
            {"key": f"other{i}", "child": {"given_name": given, "family_name": family}}
            for i, (given, family) in enumerate(
                [("Олена", "Бондар"), ("Тарас", "Ковальчук"), ("Ірина", "Savchenko")]
            )
        ),
    ]
    reports.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n")
    out = tmp_path / "out.jsonl"
    assert write_duplicates(reports, out) == (5, 1)
    [line] = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert line["report"] == "b" and line["duplicate_of"] == "a"
    assert 0.5 <= line["score"] <= 1
    assert {e["field"] for e in line["explanation"]} >= {"given_name", "family_name"}


def test_write_duplicates_refuses_a_key_given_twice(tmp_path):
    reports = tmp_path / "reports.jsonl"
    reports.write_text(
        '{"key": "a", "child": {"given_name": "Микола"}}\n\n'
        '{"key": "a", "child": {"given_name": "Олена"}}\n',
        encoding="utf-8",
    )
    with pytest.raises(LinkInputError) as caught:
        write_duplicates(reports, tmp_path / "out.jsonl")
    assert caught.value.line_number == 3


def test_reweighed_ladders_name_only_levels_they_have():
    with pytest.raises(ValueError, match="no level"):
        FAMILY_NAME.reweighed({"no such verdict": -1.0})
    reweighed = FAMILY_NAME.reweighed({"different": -9.0})
    assert [lv.verdict for lv in reweighed.levels] == [lv.verdict for lv in FAMILY_NAME.levels]
    assert reweighed.levels[-1].weight == -9.0
    assert reweighed.most == FAMILY_NAME.most


@given(people, people)
@settings(max_examples=300)
def test_reports_score_in_unit_interval_symmetric_and_below_a_self_comparison(
    a: Person, b: Person
) -> None:
    s = compare_reports(a, b).score
    assert 0.0 <= s <= 1.0
    assert s == pytest.approx(compare_reports(b, a).score, abs=1e-12)
    assert compare_reports(a, a).score >= s - 1e-12


@given(people, st.lists(people, min_size=1, max_size=20), st.floats(0.01, 0.99))
@settings(max_examples=100)
def test_compare_reports_each_agrees_with_one_by_one(
    a: Person, others: list[Person], at_least: float
) -> None:
    many = compare_reports_each(a, dict(enumerate(others)), at_least=at_least)
    for i, other in enumerate(others):
        one = compare_reports(a, other)
        assert (i in many) == (one.score >= at_least)
        if i in many:
            assert many[i].score == pytest.approx(one.score)


def test_a_partial_date_wrong_in_two_parts_never_outweighs_one_wrong_in_one():
    """A listing's "2011-03" against a relative's full date: a year off and another month is
    worse evidence than either alone."""
    partial = Person(
        given_name="Микола", family_name="Олійник", sex="male", date_of_birth="2011-03"
    )

    def score(born: str) -> float:
        other = Person(given_name="Микола", family_name="Олійник", sex="male", date_of_birth=born)
        return compare_reports(partial, other).score

    assert score("2012-05-14") < min(score("2012-03-14"), score("2011-05-14"))
