"""Blocking keys, the Linker and link_files."""

import dataclasses
import json
from pathlib import Path

import pytest

from matching import (
    DEFAULT_THRESHOLD,
    Linker,
    LinkInputError,
    Person,
    _linker,
    blocking_keys,
    first_pass,
    first_pass_codes,
    link_files,
)
from matching._compare import compare_prepared_each
from matching._linker import CANDIDATES_MOST
from matching._person import prepare

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

    def test_compared_completes_what_the_keys_reach_as_comparing_each_alone(self) -> None:
        lk = linker()
        sighting = prepare(Person(full_name="ОЛЕЙНИК Николай", date_of_birth="2011-03-12"))
        lk.candidates(sighting.person)  # its name verdicts are held by the Linker now
        alone = compare_prepared_each(sighting, lk.prepared, frequencies=lk.frequencies)
        reached = lk.reachable(sighting.person)
        assert "r1" in reached and "r3" not in reached
        assert lk.compared(sighting) == {k: alone[k] for k in reached}
        assert lk.compared(sighting, ["r3", "absent"]) == {"r3": alone["r3"]}

    def test_verdicts_held_are_bounded_and_change_no_candidate(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        sightings = [
            Person(given_name=given, family_name=family, date_of_birth=f"{year}")
            for given in ("Николай", "Олег", "Анна", "Дарья")
            for family in ("Олейник", "Шевченко", "Коваль")
            for year in (2011, 2014)
        ]
        reports = {**crowd(60), **REPORTS}
        unbounded = held(reports)
        expected = [unbounded.candidates(s) for s in sightings]
        monkeypatch.setattr(_linker, "_PAIRS_COUNTED", 0)
        bounded = Linker(verdicts_held=20)
        for key, person in reports.items():
            bounded.add(key, person)
        most = 0
        for sighting, candidates in zip(sightings, expected, strict=True):
            assert bounded.candidates(sighting) == candidates
            kept = sum(len(v) for by_part in bounded._verdicts.values() for v in by_part.values())
            most = max(most, kept)
        # Counted before each sighting: at most one sighting's verdicts beyond the bound.
        assert 0 < most <= 20 + 6 * len(reports)
        assert most < sum(
            len(v) for by_part in unbounded._verdicts.values() for v in by_part.values()
        )

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


# Reports of children who are not the one a test looks for: given names and family names
# other than Микола Олійник's, born in 2011 like him, of both sexes.
_OTHER_GIVEN = ("Олег", "Петро", "Василь", "Андрій", "Тарас", "Богдан", "Ігор", "Юрій")
_OTHER_GIVEN_F = ("Ганна", "Оксана", "Ірина", "Марія", "Софія", "Дарина", "Олена", "Вікторія")
_OTHER_FAMILY = ("Коваль", "Бондар", "Ткачук", "Мельник", "Шевчук", "Гончар", "Лисенко", "Кравець")


def crowd(n: int, *, given: str | None = None, year: int = 2011) -> dict[str, Person]:
    """``n`` other children born in ``year`` (all named ``given`` when it is given)."""
    out = {}
    for i in range(n):
        male = given is not None or i % 2 == 0
        name = given or (_OTHER_GIVEN if male else _OTHER_GIVEN_F)[i // 2 % 8]
        family = _OTHER_FAMILY[i % 8] + ("" if male else "а") * (i % 8 == 2)
        out[f"o{i}"] = Person(
            given_name=name,
            family_name=family,
            sex="male" if male else "female",
            date_of_birth=f"{year}-{1 + i % 12:02d}-{1 + i % 28:02d}",
        )
    return out


def held(*reports: dict[str, Person]) -> Linker:
    lk = Linker()
    for batch in reports:
        for key, person in batch.items():
            lk.add(key, person)
    return lk


class TestFallbackTier:
    """A listing or document whose names were all rewritten still gives the birth year and
    sex: the fallback tier reaches the report when the narrower keys find no likely match."""

    # Тимофей К., 2011: a listing with another given name and the new family's initial.
    LISTING = Person(given_name="Тимофей", family_name="К.", sex="male", date_of_birth="2011")
    # New documents after adoption: every name changed, only an age range.
    ADOPTED = Person(
        full_name="Смирнов Артём Сергеевич", sex="male", age_min=12, age_max=13,
        observed_on="2024-05-01",
    )  # fmt: skip

    @pytest.mark.parametrize("sighting", [LISTING, ADOPTED], ids=["listing", "adopted"])
    def test_a_rewritten_identity_reaches_the_report(self, sighting: Person) -> None:
        lk = held(crowd(30), {"r1": REPORTS["r1"]})
        assert not blocking_keys(sighting) & blocking_keys(REPORTS["r1"], indexed=True)
        assert "r1" in lk.reachable(sighting)
        assert "r1" not in lk.reachable(sighting, widen=False)
        assert "r1" in {c.key for c in lk.candidates(sighting, limit=50)}

    def test_the_fallback_can_be_left_out(self) -> None:
        lk = Linker(widen_below=None)
        for key, person in {**crowd(30), "r1": REPORTS["r1"]}.items():
            lk.add(key, person)
        assert "r1" not in lk.reachable(self.LISTING)
        assert "r1" not in {c.key for c in lk.candidates(self.LISTING, limit=50)}

    def test_an_undated_report_is_reached_by_its_sex(self) -> None:
        undated = Person(given_name="Назар", family_name="Кучер", sex="male")
        lk = held(crowd(30), {"r-undated": undated})
        assert "r-undated" in lk.reachable(self.LISTING)
        girl = Person(given_name="Дарья", family_name="З.", sex="female", date_of_birth="2011")
        assert "r-undated" not in lk.reachable(girl)

    def test_a_likely_match_leaves_the_fallback_unread(self) -> None:
        lk = held(crowd(30), {"r1": REPORTS["r1"]})
        listing = Person(given_name="Николай", family_name="О.", sex="male",
                         date_of_birth="2011-03")  # fmt: skip
        assert lk.candidates(listing)[0].key == "r1"
        assert lk.candidates(listing)[0].score >= DEFAULT_THRESHOLD
        assert lk.reachable(listing) == lk.reachable(listing, widen=False)

    def test_a_witness_repeating_a_name_does_not_widen(self) -> None:
        lk = held(crowd(30), {"r1": REPORTS["r1"]})
        witness = Person(given_name="Тёма", sex="male", age_min=12, age_max=13,
                         observed_on="2024-05-01")  # fmt: skip
        assert lk.reachable(witness) == lk.reachable(witness, widen=False)
        assert "r1" not in lk.reachable(witness)

    def test_the_fallback_keeps_those_sharing_day_and_month_and_is_cut(self) -> None:
        # 600 boys born in 2011, and the child: his documents kept the day and month of birth
        # and changed the year (2012), the names, and gave no place.
        boys = crowd(600, given="Олег")
        adopted = Person(full_name="Смирнов Артём Сергеевич", sex="male",
                         date_of_birth="2011-03-14")  # fmt: skip
        child = Person(given_name="Микола", family_name="Олійник", sex="male",
                       date_of_birth="2011-03-14")  # fmt: skip
        lk = held(boys, {"r-child": child})
        reached = lk.reachable(adopted)
        assert "r-child" in reached
        assert len(reached) <= CANDIDATES_MOST

    @pytest.mark.parametrize("sighting", [LISTING, ADOPTED], ids=["listing", "adopted"])
    def test_numpy_and_plain_python_cut_the_block_alike(
        self, sighting: Person, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # 900 children of 2011 with dates and places of their own, ties among them: a block
        # larger than the room left, ranked over lists, then over numpy arrays.
        places = ("Мелітополь", "Маріуполь", None)
        others = {
            key: dataclasses.replace(person, settlement=places[i % 3])
            for i, (key, person) in enumerate(crowd(900).items())
        }
        lk = held(others, {"r1": REPORTS["r1"]})
        monkeypatch.setattr(_linker, "_VECTORISED_FROM", 10**9)
        monkeypatch.setattr(_linker, "_NUMPY_PAYS_FROM", 10**9)
        in_lists = lk.reachable(sighting), [c.key for c in lk.candidates(sighting, limit=50)]
        monkeypatch.setattr(_linker, "_VECTORISED_FROM", 0)
        monkeypatch.setattr(_linker, "_NUMPY_PAYS_FROM", 0)
        in_arrays = lk.reachable(sighting), [c.key for c in lk.candidates(sighting, limit=50)]
        assert len(in_lists[0]) == CANDIDATES_MOST
        assert in_lists == in_arrays


class TestFirstPass:
    def test_candidates_stay_bounded_and_keep_the_child(self) -> None:
        # 1,000 other boys named Микола born in 2011: a sighting's keys reach them all.
        mykolas = crowd(1000, given="Микола")
        lk = held(mykolas, {"r1": REPORTS["r1"]})
        sighting = Person(full_name="ОЛЕЙНИК Николай Андреевич", sex="male",
                          date_of_birth="2011-03-12")  # fmt: skip
        reached = lk.reachable(sighting)
        assert len(reached) == CANDIDATES_MOST
        assert "r1" in reached
        assert lk.candidates(sighting)[0].key == "r1"

    def test_a_witness_with_a_nickname_keeps_the_child_sharing_the_family_name(self) -> None:
        lk = held(crowd(1000, given="Микола"), {"r1": REPORTS["r1"]})
        witness = Person(given_name="Коля", family_name="Олейник", sex="male", age_min=12,
                         age_max=13, observed_on="2024-05-01")  # fmt: skip
        reached = lk.reachable(witness)
        assert len(reached) == CANDIDATES_MOST and "r1" in reached
        assert lk.reachable(witness) == reached  # ties are cut the same way each time
        assert lk.candidates(witness)[0].key == "r1"

    # A document (full date and place), a listing (initial and month), a witness (nickname and
    # age): each reaches more than the cut among 1,200 Миколи of 2010 to 2012. The witness
    # gives nothing beside its keys that the crowd shares: its keys alone cut as the codes do.
    SIGHTINGS = (
        Person(full_name="ОЛЕЙНИК Николай Андреевич", sex="male", date_of_birth="2011-03-12",
               settlement="Мелитополь"),
        Person(given_name="Николай", family_name="О.", sex="male", date_of_birth="2011-03"),
        Person(given_name="Коля", family_name="Олейник", sex="male", age_min=12, age_max=13,
               observed_on="2024-05-01"),
    )  # fmt: skip

    @pytest.mark.parametrize("sighting", SIGHTINGS, ids=["document", "listing", "witness"])
    def test_an_index_kept_elsewhere_with_its_codes_is_cut_as_the_linker_cuts(
        self, sighting: Person
    ) -> None:
        places = ("Мелітополь", "Маріуполь", "Бердянськ", None)
        reports = {"r1": REPORTS["r1"]}
        for year in (2010, 2011, 2012):
            for i, (key, person) in enumerate(crowd(400, given="Микола", year=year).items()):
                reports[f"{year}-{key}"] = dataclasses.replace(person, settlement=places[i % 4])
        # As a database holds them: the records under each key, by id; the keys in order.
        index: dict[str, list[str]] = {}
        for key in sorted(reports):
            for k in blocking_keys(reports[key], indexed=True):
                index.setdefault(k, []).append(key)
        blocks = [index[k] for k in sorted(blocking_keys(sighting)) if k in index]
        codes = {key: first_pass_codes(person) for key, person in reports.items()}
        lk = held({key: reports[key] for key in sorted(reports)})
        chosen = first_pass(blocks, len(reports), sighting=sighting, codes=codes)
        assert len({r for b in blocks for r in b}) > CANDIDATES_MOST
        assert len(chosen) == CANDIDATES_MOST
        assert set(chosen) == lk.reachable(sighting, widen=False)
        # The keys alone choose others when the sighting gives a date: the codes are weighed.
        keys_alone = set(first_pass(blocks, len(reports)))
        assert (keys_alone == set(chosen)) == (sighting.date_of_birth is None)

    def test_the_codes_need_the_sighting(self) -> None:
        with pytest.raises(ValueError, match="both"):
            first_pass([["r1"]], 1, codes={"r1": first_pass_codes(REPORTS["r1"])})


def as_api(person: Person) -> dict[str, str]:
    """A report's child as an input line gives it (the fields `REPORTS` write)."""
    fields = {
        "given_name": person.given_name,
        "family_name": person.family_name,
        "sex": person.sex,
        "date_of_birth": person.date_of_birth,
        "home_settlement": person.settlement,
    }
    return {k: str(v) for k, v in fields.items() if v is not None}


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

    def test_lines_follow_the_file_and_each_sightings_candidates_are_its_own(
        self, tmp_path: Path
    ) -> None:
        # Sightings are compared in the order of their names (Шевченко after Олійник, Коваль
        # first): each line is still the file's, with what Linker.candidates gives it alone.
        names = [("Ганна", "Шевченко"), ("Микола", "Олійник"), ("Дарина", "Коваль")]
        subjects = {
            f"s{i}": {"given_name": given, "family_name": family, "date_of_birth": "2011"}
            for i, (given, family) in enumerate(names * 2)
        }
        reports = write(
            tmp_path / "r.jsonl",
            [json.dumps({"key": k, "child": as_api(p)}) for k, p in REPORTS.items()],
        )
        sightings = write(
            tmp_path / "s.jsonl",
            [json.dumps({"key": k, "subject": v}) for k, v in subjects.items()],
        )
        out = tmp_path / "out.jsonl"
        link_files(reports, sightings, out, progress=False)
        lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
        assert [x["key"] for x in lines] == list(subjects)
        lk = linker()
        for line in lines:
            alone = lk.candidates(Person.from_api(subjects[line["key"]]))
            assert [(c["key"], c["score"]) for c in line["candidates"]] == [
                (c.key, round(c.score, 4)) for c in alone
            ]

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
