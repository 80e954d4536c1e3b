"""Name knowledge: given-name groups and diminutives, patronymics, surnames, places, sex."""

import os
import subprocess
import sys

import pytest

from matching import Person, compare
from matching._names import (
    GivenNameIndex,
    PlaceIndex,
    _built_given_index,
    _built_place_index,
    clerk_keys,
    given_index,
    patronymic_stems,
    shipped_index,
    surname_codes,
)
from matching._person import prepare


def groups(word: str) -> set[str]:
    return set(given_index().lookup(word))


class TestGivenNames:
    @pytest.mark.parametrize(
        "forms",
        [
            ["Микола", "Николай", "Mykola", "Nikolai", "Kolya", "Коля"],
            ["Олексій", "Алексей", "Льоша", "Oleksii", "Aleksey"],
            ["Ганна", "Анна", "Hanna"],
            ["Дар'я", "Дарина", "Дарья", "Daria"],
            ["Катерина", "Екатерина", "Kateryna", "Ekaterina"],
            ["Тетяна", "Татьяна", "Tetiana", "Tatyana"],
            ["Федір", "Фёдор", "Fedir", "Fyodor"],
            ["Олена", "Елена", "Olena", "Elena", "Helen"],
            ["Олександр", "Alexander"],
        ],
    )
    def test_forms_share_a_group(self, forms: list[str]) -> None:
        common = set.intersection(*(groups(f) for f in forms))
        assert common, {f: groups(f) for f in forms}

    def test_ambiguous_diminutive_is_settled_by_sex(self) -> None:
        sasha = groups("Саша")
        assert len(sasha) >= 2
        boy = prepare(Person(given_name="Саша", sex="male"))
        girl = prepare(Person(given_name="Саша", sex="female"))
        idx = given_index()
        assert {idx.groups[g].sex for g in boy.given_groups} == {"male"}
        assert {idx.groups[g].sex for g in girl.given_groups} == {"female"}

    def test_a_diminutive_both_write_says_no_more_than_against_the_full_name(self) -> None:
        # A witness heard "Dima": every Дмитро is called so, whether or not his family listed
        # Діма among his other names (the same word adds only the small bonus of sameness).
        def given_weight(report: Person) -> float:
            c = compare(report, Person(given_name="Dima", sex="male"))
            return next(f.weight for f in c.explanation if f.field == "given_name")

        full = given_weight(Person(given_name="Dmytro", sex="male"))
        listed = given_weight(Person(given_name="Dmytro", other_names=("Dima",), sex="male"))
        assert full < listed <= full + 0.3

    def test_equivalent_forms_explained_in_words(self) -> None:
        c = compare(Person(given_name="Микола"), Person(given_name="Николай"))
        given = next(f for f in c.explanation if f.field == "given_name")
        assert given.verdict == "equivalent"
        assert "Микола (uk)" in given.detail and "Николай (ru)" in given.detail

    def test_different_names_weigh_against(self) -> None:
        c = compare(Person(given_name="Микола"), Person(given_name="Олег"))
        given = next(f for f in c.explanation if f.field == "given_name")
        assert given.weight < 0


class TestPatronymics:
    @pytest.mark.parametrize(
        ("a", "b"),
        [
            ("Олександрович", "Александрович"),
            ("Андрійович", "Андреевич"),
            ("Миколаївна", "Николаевна"),
            ("Oleksandrovych", "Александрович"),
            ("Ілліч", "Ильич"),
            ("Дмитрович", "Дмитриевич"),
        ],
    )
    def test_same_father(self, a: str, b: str) -> None:
        c = compare(
            Person(given_name="Іван", patronymic=a), Person(given_name="Иван", patronymic=b)
        )
        pat = next(f for f in c.explanation if f.field == "patronymic")
        assert pat.weight > 0, pat

    def test_patronymic_in_full_name_is_not_a_given_name(self) -> None:
        p = prepare(Person(full_name="Ковальчук Игорь Александрович"))
        assert p.patronymic_text == "Александрович"
        assert [t.norm for t in p.given] == ["игорь"]
        assert [t.norm for t in p.family] == ["ковальчук"]

    def test_full_name_in_any_order(self) -> None:
        a = prepare(Person(full_name="Игорь Ковальчук"))
        b = prepare(Person(full_name="Ковальчук Игорь"))
        assert a.given_groups == b.given_groups
        assert a.family_clerk == b.family_clerk

    def test_sex_of_a_patronymic(self) -> None:
        assert patronymic_stems("Романівна")[1] == "female"
        assert patronymic_stems("Романович")[1] == "male"
        assert patronymic_stems("Коваленко")[0] == frozenset()


class TestSurnames:
    @pytest.mark.parametrize(
        ("uk", "ru"),
        [
            ("Олійник", "Олейник"),
            ("Мартинюк", "Мартынюк"),
            ("Білоус", "Белоус"),
            ("Григор'єв", "Григорьев"),
            ("Ковальський", "Ковальский"),
            ("Ковальська", "Ковальская"),
            ("Соловйов", "Соловьева"),
            ("Oliinyk", "Oleinik"),
        ],
    )
    def test_clerk_respelling_meets(self, uk: str, ru: str) -> None:
        assert clerk_keys(uk) & clerk_keys(ru)
        assert surname_codes(uk) & surname_codes(ru)

    def test_respelled_surname_counts_for(self) -> None:
        c = compare(Person(family_name="Олійник"), Person(family_name="Олейник"))
        fam = next(f for f in c.explanation if f.field == "family_name")
        assert fam.verdict == "respelled" and fam.weight > 3

    def test_different_surname_is_weak_evidence_against(self) -> None:
        c = compare(Person(family_name="Олійник"), Person(family_name="Петренко"))
        fam = next(f for f in c.explanation if f.field == "family_name")
        assert -4 < fam.weight < 0

    @pytest.mark.parametrize(
        ("a", "b"),
        [
            ("Коваль", "Ковальчук"),
            ("Коваленко", "Ковальчук"),
            ("Kovalchuk", "Коваль"),
            ("Шевченко", "Шевчук"),
            ("Кравченко", "Kravchuk"),
            ("Бондар", "Бондаренко"),
            ("Ткач", "Ткачишин"),
            ("Мороз", "Морозов"),
        ],
    )
    def test_two_families_of_one_stem_are_not_a_spelling(self, a: str, b: str) -> None:
        # Alike in spelling (Коваль, Ковальчук), yet other families: no typo, no similarity.
        c = compare(Person(family_name=a), Person(family_name=b))
        fam = next(f for f in c.explanation if f.field == "family_name")
        assert fam.verdict == "different" and fam.weight < 0
        assert fam.detail.endswith("(another family name of the same stem)")

    @pytest.mark.parametrize(
        ("a", "b"), [("Гребенюк", "Гребенююк"), ("Kononenko", "Коноеннко"), ("Петрик", "Петрук")]
    )
    def test_a_slip_in_the_suffix_is_still_a_typo(self, a: str, b: str) -> None:
        c = compare(Person(family_name=a), Person(family_name=b))
        fam = next(f for f in c.explanation if f.field == "family_name")
        assert fam.weight > 0


class TestPlacesAndSex:
    @pytest.mark.parametrize(
        ("a", "b"),
        [
            ("Бахмут", "Артемовск"),
            ("Покровськ", "Красноармейск"),
            ("Дніпро", "Днепропетровск"),
            ("Олешки", "Цюрупинск"),
            ("Торецьк", "Дзержинск"),
            ("Мелітополь", "Melitopol"),
        ],
    )
    def test_same_place(self, a: str, b: str) -> None:
        c = compare(
            Person(given_name="Іван", settlement=a), Person(given_name="Іван", settlement=b)
        )
        place = next(f for f in c.explanation if f.field == "settlement")
        assert place.verdict == "same place"

    @pytest.mark.parametrize(
        ("a", "b"),
        [("Великі Копані", "Великие Копани"), ("Нові Трояни", "Novye Troiany")],
    )
    def test_place_unknown_to_the_data_meets_by_spelling(self, a: str, b: str) -> None:
        c = compare(
            Person(given_name="Іван", settlement=a), Person(given_name="Іван", settlement=b)
        )
        place = next(f for f in c.explanation if f.field == "settlement")
        assert place.verdict == "same place"

    def test_different_place_is_weak_evidence_against(self) -> None:
        c = compare(
            Person(given_name="Іван", settlement="Бахмут"),
            Person(given_name="Іван", settlement="Мелітополь"),
        )
        place = next(f for f in c.explanation if f.field == "settlement")
        assert -2 < place.weight < 0

    def test_sex_inferred_from_name(self) -> None:
        assert prepare(Person(given_name="Наталія")).sex == "female"
        assert prepare(Person(given_name="Петро")).sex == "male"
        p = prepare(Person(given_name="Саша", patronymic="Петрівна"))
        assert p.sex == "female" and p.sex_inferred


class TestShippedIndex:
    def test_the_shipped_index_is_built_from_the_data_and_code_as_they_are(self) -> None:
        doc = shipped_index()
        assert doc is not None, "matching/data/index.json is stale: python tools/build_index.py"

    def test_the_shipped_index_is_the_one_the_data_builds(self) -> None:
        doc = shipped_index()
        assert doc is not None
        assert GivenNameIndex.from_document(doc) == _built_given_index()
        assert PlaceIndex.from_document(doc) == _built_place_index()


class TestDeterminism:
    def test_lookup_is_the_same_under_any_hash_seed(self) -> None:
        # Sets of readings are walked in hash order; the answer (kind of form included, which
        # sets the m value) must not depend on it.
        script = (
            "from matching._names import given_index\n"
            "idx = given_index()\n"
            "for w in ('Sasza', 'Саша', 'Sasha', 'Женя', 'Jenya', 'Olexandr', 'Slava', 'Коля'):\n"
            "    print(w, sorted(idx.lookup(w).items()), sorted(idx.lookup_typo(w).items()))\n"
        )
        outputs = {
            subprocess.run(  # noqa: S603 - our own interpreter and a fixed script
                [sys.executable, "-c", script],
                env={**os.environ, "PYTHONHASHSEED": seed},
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            for seed in ("0", "1", "2", "3", "4", "5")
        }
        assert len(outputs) == 1, outputs
        assert "Саша" in outputs.pop()
