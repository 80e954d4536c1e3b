"""Blocking keys, the Linker and link_files."""

import json
from pathlib import Path

import pytest

from matching import (
    DEFAULT_THRESHOLD,
    Linker,
    LinkInputError,
    Person,
    blocking_keys,
    link_files,
)

REPORTS = {
    "r1": Person(given_name="Микола", family_name="Олійник", sex="male",
                 date_of_birth="2011-03-12", settlement="Мелітополь"),
    "r2": Person(given_name="Олег", family_name="Олійник", sex="male", date_of_birth="2014-06-01"),
    "r3": Person(given_name="Ганна", family_name="Шевченко", sex="female",
                 date_of_birth="2009-09-09"),
    "r4": Person(given_name="Дарина", family_name="Коваль", sex="female", date_of_birth="2016"),
}  # fmt: skip


def linker() -> Linker:
    lk = Linker()
    for k, p in REPORTS.items():
        lk.add(k, p)
    return lk


class TestBlocking:
    def test_keys_are_short_strings(self) -> None:
        keys = blocking_keys(REPORTS["r1"])
        assert keys and all(isinstance(k, str) and len(k) < 40 for k in keys)

    def test_renamed_child_shares_a_key_without_the_family_name(self) -> None:
        sighting = Person(given_name="Николай", family_name="Иванов", date_of_birth="2011-03-12")
        assert blocking_keys(sighting) & blocking_keys(REPORTS["r1"])

    def test_witness_age_range_shares_a_key(self) -> None:
        sighting = Person(given_name="Коля", age_min=12, age_max=14, observed_on="2024-05-01")
        assert blocking_keys(sighting) & blocking_keys(REPORTS["r1"])

    def test_unrelated_people_share_no_key(self) -> None:
        assert not blocking_keys(REPORTS["r3"]) & blocking_keys(REPORTS["r1"])


class TestLinker:
    def test_candidates_best_first(self) -> None:
        cands = linker().candidates(
            Person(full_name="ОЛЕЙНИК Николай Андреевич", date_of_birth="2011-03-12")
        )
        assert cands[0].key == "r1"
        assert [c.score for c in cands] == sorted((c.score for c in cands), reverse=True)
        assert cands[0].score >= DEFAULT_THRESHOLD

    def test_limit(self) -> None:
        cands = linker().candidates(Person(family_name="Олейник", date_of_birth="2012"), limit=1)
        assert len(cands) == 1

    def test_duplicate_key_is_refused(self) -> None:
        lk = linker()
        with pytest.raises(ValueError):
            lk.add("r1", REPORTS["r2"])

    def test_frequencies_from_held_reports(self) -> None:
        freqs = linker().frequencies
        assert freqs["given:m:микола"] == pytest.approx(1 / 4)

    def test_a_report_added_reweighs_the_names_of_sightings_compared_before(self) -> None:
        # The Linker keeps name verdicts across sightings; a second Микола among 40 reports
        # makes the name commoner, so that it weighs less.
        names = ("Ганна", "Дарина", "Олег", "Ірина", "Петро", "Василь", "Андрій", "Оксана")
        others = {
            f"o{i}": Person(given_name=names[i % 8], family_name="Коваль", date_of_birth="2016")
            for i in range(40)
        }
        sighting = Person(given_name="Николай", family_name="Олейник", date_of_birth="2011-03-12")
        second = Person(given_name="Микола", family_name="Бондар", date_of_birth="2010")

        def held(*more: Person) -> Linker:
            lk = Linker()
            for key, person in {**others, "r1": REPORTS["r1"]}.items():
                lk.add(key, person)
            for n, person in enumerate(more):
                lk.add(f"more{n}", person)
            return lk

        lk = held()
        before = lk.candidates(sighting)[0]
        lk.add("more0", second)
        after = lk.candidates(sighting)[0]
        assert after == held(second).candidates(sighting)[0]
        assert after.key == before.key == "r1"
        assert after.score < before.score


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


class TestLinkFiles:
    def test_writes_one_line_per_sighting(self, tmp_path: Path) -> None:
        reports = write(
            tmp_path / "r.jsonl",
            [
                json.dumps(
                    {
                        "key": "r1",
                        "child": {
                            "given_name": "Микола",
                            "family_name": "Олійник",
                            "date_of_birth": "2011-03-12",
                        },
                    }
                ),
                json.dumps(
                    {"key": "r2", "child": {"given_name": "Ганна", "family_name": "Шевченко"}}
                ),
            ],
        )
        sightings = write(
            tmp_path / "s.jsonl",
            [
                json.dumps(
                    {
                        "key": "s1",
                        "subject": {"full_name": "Oleinik Nikolai", "date_of_birth": "2011-03-12"},
                    }
                ),
                json.dumps(
                    {"key": "s2", "subject": {"given_name": "Анна", "family_name": "Shevchenko"}}
                ),
            ],
        )
        out = tmp_path / "out.jsonl"
        summary = link_files(reports, sightings, out, progress=False)
        lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
        assert [x["key"] for x in lines] == ["s1", "s2"]
        assert lines[0]["candidates"][0]["key"] == "r1"
        assert lines[0]["candidates"][0]["proposed"] is True
        assert set(lines[0]["candidates"][0]["explanation"][0]) == {
            "field",
            "verdict",
            "detail",
            "weight",
        }
        assert lines[1]["candidates"][0]["key"] == "r2"
        assert summary.sightings == 2 and summary.reports == 2

    def test_lines_are_what_json_dumps_writes(self, tmp_path: Path) -> None:
        """The lines are put together by hand from each verdict's JSON: byte for byte what
        json.dumps(..., ensure_ascii=False) writes, quotes and backslashes in keys included."""
        child = {"given_name": "Микола", "family_name": "Олійник", "date_of_birth": "2011-03-12"}
        subject = {"full_name": 'Олейник "Коля" Николай', "date_of_birth": "2011-03-12"}
        reports = write(tmp_path / "r.jsonl", [json.dumps({"key": 'r"1\\', "child": child})])
        sightings = write(tmp_path / "s.jsonl", [json.dumps({"key": "s\\1", "subject": subject})])
        out = tmp_path / "out.jsonl"
        link_files(reports, sightings, out, progress=False)
        (line,) = out.read_text(encoding="utf-8").splitlines()
        assert json.loads(line)["candidates"][0]["key"] == 'r"1\\'
        assert line == json.dumps(json.loads(line), ensure_ascii=False)

    @pytest.mark.parametrize(
        ("bad", "reason"),
        [
            ("{not json", "not valid JSON"),
            ('{"child": {"given_name": "Іван"}}', "key"),
            ('{"key": "r9"}', "child"),
            ('{"key": "r9", "child": {"given_name": 5}}', "given_name"),
            (
                '{"key": "r9", "child": {"given_name": "Іван", "other_names": "Ваня"}}',
                "other_names",
            ),
            ('{"key": "r9", "child": {"date_of_birth": "2011"}}', "given_name"),
            ("[1, 2]", "object"),
            ('{"key": "r1", "child": {"given_name": "Іван"}}', "duplicate key"),
        ],
    )
    def test_malformed_line_names_line_and_reason(
        self, tmp_path: Path, bad: str, reason: str
    ) -> None:
        reports = write(
            tmp_path / "r.jsonl",
            [json.dumps({"key": "r1", "child": {"given_name": "Микола"}}), bad],
        )
        sightings = write(tmp_path / "s.jsonl", [])
        with pytest.raises(LinkInputError) as err:
            link_files(reports, sightings, tmp_path / "o.jsonl", progress=False)
        assert err.value.line_number == 2
        assert reason in err.value.reason
