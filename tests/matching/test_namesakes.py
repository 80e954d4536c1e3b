"""Namesakes: other reports of the same given and family name weigh against each one of them
(``matching/_compare.py``, "namesakes")."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

import matching
from matching import Linker, LinkInputError, Person, link_files
from matching._compare import ONE_REPORT, compare_prepared, name_terms
from matching._person import prepare

# Reports of children of other names: the crowd that sets each name's share.
_CROWD = [
    Person(
        given_name=given,
        family_name=family,
        sex="male",
        date_of_birth=f"20{10 + i % 6}-0{1 + i % 9}-1{i % 10}",
    )
    for i, (given, family) in enumerate(
        (given, family)
        for given in ("Іван", "Петро", "Тарас", "Андрій", "Богдан", "Остап", "Назар", "Марко")
        for family in ("Коваль", "Бондар", "Ткачук", "Мельник", "Гончар", "Лисенко")
    )
]
_PAVLO = Person(given_name="Павло", family_name="Карпенко", sex="male", date_of_birth="2010-09-24")
_NAMESAKE = Person(
    given_name="Павло", family_name="Карпенко", sex="male", date_of_birth="2009-10-16"
)
_WITNESS = Person(
    given_name="Паша", family_name="Карпенко", sex="male", age_min=11, age_max=15,
    observed_on="2024-05-01",
)  # fmt: skip


def _linker(*reports: Person) -> Linker:
    linker = Linker()
    for i, person in enumerate(_CROWD):
        linker.add(f"crowd{i}", person)
    for i, person in enumerate(reports):
        linker.add(f"r{i}", person)
    return linker


def _score(linker: Linker, key: str, sighting: Person) -> matching.Comparison:
    return compare_prepared(linker.prepared[key], prepare(sighting), frequencies=linker.frequencies)


def test_a_namesake_beside_the_report_lowers_the_score_of_a_sighting_that_cannot_tell_them_apart():
    alone = _score(_linker(_PAVLO), "r0", _WITNESS)
    beside = _linker(_PAVLO, _NAMESAKE)
    first, second = _score(beside, "r0", _WITNESS), _score(beside, "r1", _WITNESS)
    assert first.score < alone.score
    assert second.score < alone.score
    family = next(fc for fc in first.explanation if fc.field == "family_name")
    assert family.detail.endswith("; 1 other report of the same given and family name")
    assert family.verdict == "exact"
    # Only the family name's entry carries it: the given name's weighs as its share says.
    without = {k: v for k, v in beside.frequencies.items() if k != ONE_REPORT}
    plain = compare_prepared(beside.prepared["r0"], prepare(_WITNESS), frequencies=without)
    assert [fc for fc in first.explanation if fc.field == "given_name"] == [
        fc for fc in plain.explanation if fc.field == "given_name"
    ]


def test_two_namesakes_take_more_than_one():
    one = _score(_linker(_PAVLO, _NAMESAKE), "r0", _WITNESS)
    two = _score(
        _linker(_PAVLO, _NAMESAKE, Person(given_name="Павло", family_name="Карпенко")),
        "r0",
        _WITNESS,
    )
    assert two.total < one.total


def test_a_name_no_other_report_holds_weighs_as_its_shares_say():
    linker = _linker(_PAVLO, _NAMESAKE)
    sighting = Person(given_name="Остап", family_name="Гончар", age_min=11, age_max=15)
    key = next(
        f"crowd{i}"
        for i, p in enumerate(_CROWD)
        if (p.given_name, p.family_name) == ("Остап", "Гончар")
    )
    without = {k: v for k, v in linker.frequencies.items() if not k.startswith("names:")}
    held = _score(linker, key, sighting)
    unheld = compare_prepared(linker.prepared[key], prepare(sighting), frequencies=without)
    assert held.total == unheld.total
    assert not any("other report" in fc.detail for fc in held.explanation)


def test_names_that_only_agree_in_spelling_are_not_weighed_for_namesakes():
    linker = _linker(_PAVLO, _NAMESAKE)
    typo = Person(given_name="Павло", family_name="Карпепко", age_min=11, age_max=15)
    compared = _score(linker, "r0", typo)
    family = next(fc for fc in compared.explanation if fc.field == "family_name")
    assert family.verdict != "exact"
    assert "other report" not in family.detail


def test_the_latin_and_the_cyrillic_spelling_of_one_name_lose_alike():
    linker = _linker(
        Person(given_name="Ілля", family_name="Ткач", sex="male"),
        Person(given_name="Illia", family_name="Tkach", sex="male"),
    )
    sighting = Person(given_name="Ilya", family_name="Tkach", sex="male")
    without = {k: v for k, v in linker.frequencies.items() if k != ONE_REPORT}
    lost = []
    for key in ("r0", "r1"):
        counted = _score(linker, key, sighting)
        plain = compare_prepared(linker.prepared[key], prepare(sighting), frequencies=without)
        family = next(fc for fc in counted.explanation if fc.field == "family_name")
        assert family.detail.endswith("; 1 other report of the same given and family name")
        lost.append(plain.total - counted.total)
    # The Latin spelling's keys that only Latin spellings hold count no namesake: the key both
    # share counts the other, for each alike.
    assert lost[0] > 0
    assert math.isclose(lost[0], lost[1])


def test_the_loss_is_what_the_counted_and_the_expected_namesakes_say():
    linker = _linker(_PAVLO, _NAMESAKE)
    freqs = linker.frequencies
    one = freqs[ONE_REPORT]
    assert math.isclose(one, 1 / len(linker))
    p = linker.prepared["r0"]
    terms = name_terms(p)
    assert terms and all(round(freqs[t] / one) == 2 for t in terms)
    group = next(iter(p.given_groups))
    key = next(iter(p.family_clerk))
    expected = freqs["given:" + group] * freqs["family:" + key] / one
    loss = math.log2((1 + 1) / (1 + expected))
    with_namesake = _score(linker, "r0", _WITNESS)
    without = {k: v for k, v in freqs.items() if k != ONE_REPORT}
    plain = compare_prepared(p, prepare(_WITNESS), frequencies=without)
    assert math.isclose(plain.total - with_namesake.total, loss, abs_tol=1e-9)


def test_person_frequencies_count_names_together_and_one_report():
    shares = matching.person_frequencies([_PAVLO, _NAMESAKE, *_CROWD[:2]])
    assert shares[ONE_REPORT] == 1 / 4
    assert all(shares[t] == 2 / 4 for t in name_terms(prepare(_PAVLO)))


# Two relatives' reports of one child (a mother's and a grandmother's): one child, not two.
_GRANDMOTHERS = Person(
    given_name="Павло", family_name="Карпенко", sex="male", date_of_birth="2010-09"
)


def _family_detail(comparison: matching.Comparison) -> str:
    return next(fc.detail for fc in comparison.explanation if fc.field == "family_name")


def test_the_other_reports_of_the_same_child_are_not_its_namesakes():
    linker = _linker(_PAVLO, _GRANDMOTHERS)
    linker.same_child({"r0": {"r1"}, "r1": {"r0"}})
    found = linker.compared(prepare.__wrapped__(_WITNESS), ("r0", "r1", "r2"))
    # Neither report loses to the other: each weighs its names as their shares say.
    without = {k: v for k, v in linker.frequencies.items() if k != ONE_REPORT}
    for key in ("r0", "r1"):
        assert "other report" not in _family_detail(found[key])
        plain = compare_prepared(linker.prepared[key], prepare(_WITNESS), frequencies=without)
        assert found[key] == plain
    # Told nothing, each loses to the other.
    told_nothing = _score(linker, "r0", _WITNESS)
    assert told_nothing.total < found["r0"].total - 0.5
    assert _family_detail(told_nothing).endswith(
        "; 1 other report of the same given and family name"
    )


def test_a_real_namesake_still_counts_beside_the_same_childs_reports():
    linker = _linker(_PAVLO, _GRANDMOTHERS, _NAMESAKE)
    linker.same_child({"r0": {"r1"}, "r1": {"r0"}})
    found = linker.compared(prepare.__wrapped__(_WITNESS), ("r0", "r1", "r2"))
    for key in ("r0", "r1"):
        assert _family_detail(found[key]).endswith(
            "; 1 other report of the same given and family name"
        )
    # The namesake's own report counts both of the child's: two.
    assert _family_detail(found["r2"]).endswith(
        "; 2 other reports of the same given and family name"
    )
    assert found["r2"].total < found["r0"].total


def test_compare_is_told_the_terms_of_the_same_childs_other_reports():
    linker = _linker(_PAVLO, _GRANDMOTHERS, _NAMESAKE)
    freqs = linker.frequencies
    mates = matching.same_child_terms([_GRANDMOTHERS])
    assert mates == {t: 1 for t in name_terms(prepare(_GRANDMOTHERS))}
    told = matching.compare(_PAVLO, _WITNESS, frequencies=freqs, same_child=mates)
    each = matching.compare_each(
        _WITNESS, {"r0": _PAVLO, "r2": _NAMESAKE}, frequencies=freqs, same_child={"r0": mates}
    )
    assert told == each["r0"]
    assert _family_detail(told).endswith("; 1 other report of the same given and family name")
    assert _family_detail(each["r2"]).endswith(
        "; 2 other reports of the same given and family name"
    )
    # A term the other report does not hold is not taken off.
    other = matching.same_child_terms([Person(given_name="Петро", family_name="Карпенко")])
    assert other and not other.keys() & set(name_terms(prepare(_PAVLO)))
    assert matching.compare(_PAVLO, _WITNESS, frequencies=freqs, same_child=other) == (
        matching.compare(_PAVLO, _WITNESS, frequencies=freqs)
    )


def _line(key: str, person: Person, **related: list[str]) -> str:
    child = {"given_name": person.given_name, "family_name": person.family_name}
    if person.date_of_birth:
        child["date_of_birth"] = str(person.date_of_birth)
    return json.dumps({"key": key, "child": child, **related}, ensure_ascii=False) + "\n"


def test_link_files_reads_the_reports_of_one_child(tmp_path: Path):
    # Three relatives' reports of one child (the third joined to the second only) and a
    # cousin of the same name.
    reports = tmp_path / "r.jsonl"
    reports.write_text(
        "".join(_line(f"crowd{i}", p) for i, p in enumerate(_CROWD))
        + _line("r0", _PAVLO)
        + _line("r1", _GRANDMOTHERS, same_child=["r0"])
        + _line("r2", _PAVLO, same_child=["r1"])
        + _line("r3", _NAMESAKE),
        "utf-8",
    )
    sightings = tmp_path / "s.jsonl"
    subject = {"given_name": "Паша", "family_name": "Карпенко", "sex": "male",
               "age_estimate": {"min": 11, "max": 15}, "observed_on": "2024-05-01"}  # fmt: skip
    sightings.write_text(json.dumps({"key": "s1", "subject": subject}) + "\n", "utf-8")
    link_files(reports, sightings, tmp_path / "out.jsonl", progress=False)
    [line] = (tmp_path / "out.jsonl").read_text("utf-8").splitlines()
    details = {
        c["key"]: next(e["detail"] for e in c["explanation"] if e["field"] == "family_name")
        for c in json.loads(line)["candidates"]
    }
    for key in ("r0", "r1", "r2"):
        assert details[key].endswith("; 1 other report of the same given and family name")
    assert details["r3"].endswith("; 3 other reports of the same given and family name")


def test_link_files_refuses_a_same_child_key_no_line_holds(tmp_path: Path):
    reports = tmp_path / "r.jsonl"
    reports.write_text(_line("r0", _PAVLO, same_child=["r9"]), "utf-8")
    sightings = tmp_path / "s.jsonl"
    sightings.write_text(json.dumps({"key": "s1", "subject": {"given_name": "Павло"}}) + "\n")
    with pytest.raises(LinkInputError) as raised:
        link_files(reports, sightings, tmp_path / "out.jsonl", progress=False)
    assert raised.value.reason == "'same_child' names 'r9', not a key of the file"


def test_a_report_of_the_child_added_after_the_linker_was_told_is_no_namesake_either():
    linker = _linker(_PAVLO)
    linker.same_child({"r0": {"r1"}, "r1": {"r0"}})
    before = linker.compared(prepare.__wrapped__(_WITNESS), ("r0",))["r0"]
    linker.add("r1", _GRANDMOTHERS)
    after = linker.compared(prepare.__wrapped__(_WITNESS), ("r0", "r1"))
    for key in ("r0", "r1"):
        assert "other report" not in _family_detail(after[key])
    # The one report more held lowers the names' shares' weight, not by a namesake's loss.
    assert _family_detail(before) == _family_detail(after["r0"])


def test_a_namesake_of_names_whose_weights_are_bounded_takes_nothing_they_did_not_count():
    """Among a million reports, Павло held by a thousand and Карпенко by two (Павло and his
    namesake): the family name's weight is bounded at 10 bits, as if one report in about 1,100
    held it, so the shares' expectation of namesakes is the bounded one (about 1.6), and one
    namesake is fewer than that. Counted by the raw shares (0.002 expected) it would take a
    bit."""
    report, witness = prepare(_PAVLO), prepare(_WITNESS)
    [term] = {t for t in name_terms(report) if t in set(name_terms(witness))}
    group, key = term.removeprefix("names:").split("|")
    million = 1_000_000
    shares = {
        ONE_REPORT: 1 / million,
        f"given:{group}": 1_000 / million,
        f"family:{key}": 2 / million,
        term: 2 / million,
    }
    bounded = compare_prepared(report, witness, frequencies=shares)
    family = next(fc for fc in bounded.explanation if fc.field == "family_name")
    assert "other report" not in family.detail
    assert (
        family.weight
        == compare_prepared(
            report, witness, frequencies={k: v for k, v in shares.items() if k != term}
        )
        .explanation[[fc.field for fc in bounded.explanation].index("family_name")]
        .weight
    )

    # Where the weights read the shares as counted, a namesake beyond them still takes its bit.
    thousand = {
        ONE_REPORT: 1 / 1_000,
        f"given:{group}": 20 / 1_000,
        f"family:{key}": 2 / 1_000,
        term: 2 / 1_000,
    }
    family = next(
        fc
        for fc in compare_prepared(report, witness, frequencies=thousand).explanation
        if fc.field == "family_name"
    )
    assert family.detail.endswith("1 other report of the same given and family name")
