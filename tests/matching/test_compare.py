"""Dates, ages, scoring, explanations, and the properties every score must have."""

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching import Comparison, FieldComparison, Person, compare, compare_each
from matching._compare import (
    RENAMED_TOO_WEIGHT,
    SIBLINGS_PATRONYMIC_WEIGHT,
    compare_prepared_each,
)
from matching._fields import SEX
from matching._ladder import Ladder, Level, always
from matching._person import prepare


def field(c: Comparison, name: str) -> tuple[str, float]:
    fc = next(f for f in c.explanation if f.field == name)
    return fc.verdict, fc.weight


def dob(a: str, b: str) -> tuple[str, float]:
    return field(
        compare(
            Person(given_name="Іван", date_of_birth=a), Person(given_name="Иван", date_of_birth=b)
        ),
        "date_of_birth",
    )


class TestDates:
    def test_levels_are_ordered(self) -> None:
        exact = dob("2011-03-12", "2011-03-12")[1]
        swapped = dob("2011-03-12", "2011-12-03")
        year = dob("2011-03-12", "2012-03-12")
        digit = dob("2011-03-12", "2011-03-17")
        different = dob("2011-03-12", "2015-07-01")
        assert swapped[0] == "day and month swapped"
        assert year[0] == "year off by one"
        assert digit[0] == "one digit wrong"
        assert exact > swapped[1] > 0 and exact > year[1] > 0 and exact > digit[1] > 0
        assert different[1] < 0

    def test_partial_dates_agree_as_far_as_given(self) -> None:
        verdict, weight = dob("2011", "2011-03-12")
        assert verdict == "agrees as far as given" and weight > 0
        assert dob("2011-03", "2011-03-12")[1] > weight
        assert dob("2011", "2014-03-12")[1] < 0
        # A listing's 2009-05 against a report's 2008-06-04: the year and the month both off.
        assert dob("2009-05", "2008-06-04")[0] == "year off by one, month differs"
        assert dob("2009-05", "2008-06-04")[1] < dob("2009-05", "2008-05-04")[1] < 0

    def test_dates_years_apart_weigh_more_against_than_near_ones(self) -> None:
        # Most errors fall near the truth: 2014 for 2022 is another child (Єгор Кравчук born
        # 2022-10-08 is no Кравчук Егор born 2014-04-04).
        near = dob("2014-04-04", "2016-10-08")
        far = dob("2014-04-04", "2022-10-08")
        assert near == ("different", -6.0)
        assert far[0] == "different" and far[1] < near[1]
        words = compare(
            Person(given_name="Єгор", date_of_birth="2014-04-04"),
            Person(given_name="Егор", date_of_birth="2022-10-08"),
        ).explanation
        assert "born 2014-04-04 vs 2022-10-08 (8 years apart)" in {f.detail for f in words}
        assert dob("2011", "2016-03-12")[1] < dob("2011", "2013-03-12")[1] < 0

    def test_a_day_and_month_that_both_differ_count_against(self) -> None:
        # A clerk's slip changes one part of a date; 2021-01-08 against 2021-10-01 is another
        # Анатолій Ткач born that year, not a typing error.
        assert dob("2021-01-08", "2021-10-01") == ("same year", -1.5)
        assert dob("2021-01", "2021-10-01")[1] < 0

    def test_one_wrong_digit_is_a_slip_among_many_neighbours(self) -> None:
        # 2018-10-24 against 2018-10-20: one digit, as a slip writes it, but some 20 dates lie
        # one digit from any date, and a slip befalls only a few records in a hundred: the
        # weight implies under one true pair in ten written so.
        verdict, weight = dob("2018-10-24", "2018-10-20")
        assert verdict == "one digit wrong"
        assert 2**weight * 20 / 6500 < 0.1
        assert weight < dob("2018-10-24", "2019-10-24")[1]  # the year's slip keeps the rest

    def test_two_parts_a_year_apart_are_another_child(self) -> None:
        # A year off and another month (or day) too: two parts of the date disagree, as
        # between two children born a year apart, and no more likely a slip than a day and a
        # month that both differ in one year.
        partial = dob("2009-05", "2008-06-04")
        complete = dob("2011-03-14", "2012-05-20")
        assert partial == ("year off by one, month differs", -4.0)
        assert complete == ("year off by one, day differs", -4.0)
        assert complete[1] < dob("2011-03-14", "2011-05-20")[1]  # same year, another day
        assert partial[1] < dob("2009-05", "2008-05-04")[1]  # the month kept: one slip
        # New documents rewrite the year or the day and month, not both: no new identity
        # explains it.
        adopted = compare(
            Person(given_name="Іван", family_name="Олійник", date_of_birth="2011-03-14"),
            Person(given_name="Иван", family_name="Смирнов", date_of_birth="2012-05-20"),
        )
        assert field(adopted, "date_of_birth") == complete

    def test_new_documents_may_rewrite_the_day_and_month(self) -> None:
        # Адоптовану дитину записали Остапенко Людмила Михайловна, born 2016-03-18: the
        # family name and patronymic are new, and so may be the day and month of birth.
        report = Person(
            given_name="Людмила",
            family_name="Кравець",
            patronymic="Кирилівна",
            sex="female",
            date_of_birth="2016-08-07",
        )
        adopted = Person(
            full_name="Остапенко Людмила Михайловна", sex="female", date_of_birth="2016-03-18"
        )
        c = compare(report, adopted)
        date = next(f for f in c.explanation if f.field == "date_of_birth")
        assert date.verdict == "same year" and date.weight > 0
        assert date.detail.endswith("new identity documents may give a new birth date too")
        same_family = Person(full_name="Кравець Людмила Кирилівна", date_of_birth="2016-03-18")
        assert field(compare(report, same_family), "date_of_birth")[1] < 0

    def test_no_patronymic_on_either_record_shows_no_new_documents(self) -> None:
        # A document copied without its patronymic (Мария Стельмах, born 2009-01-01) beside
        # a report of Марія Жук, born 2009-12-07, and none either: the family names differ, yet
        # nothing says either record is a new identity's, so the day and month that differ
        # weigh as they do between two records of one child, and so does another given name.
        report = Person(
            given_name="Марія", family_name="Жук", sex="female", date_of_birth="2009-12-07"
        )
        copied = Person(
            given_name="Мария", family_name="Стельмах", sex="female", date_of_birth="2009-01-01"
        )
        assert field(compare(report, copied), "date_of_birth") == dob("2009-12-07", "2009-01-01")
        assert field(compare(report, copied), "date_of_birth")[1] < 0
        renamed = Person(given_name="Ольга", family_name="Стельмах", sex="female")
        given_name = field(compare(report, renamed), "given_name")
        assert given_name[0] == "different" and given_name[1] < RENAMED_TOO_WEIGHT
        # A patronymic on either record is what new documents show: both levels come back.
        documented = dataclasses.replace(copied, patronymic="Игоревна")
        date = field(compare(report, documented), "date_of_birth")
        assert date[0] == "same year" and date[1] > 0
        assert field(compare(documented, report), "date_of_birth") == date
        named = dataclasses.replace(renamed, patronymic="Игоревна")
        assert field(compare(report, named), "given_name") == (
            "changed with the family name",
            RENAMED_TOO_WEIGHT,
        )

    def test_new_documents_may_change_the_year(self) -> None:
        # Коваль Алина Ярославовна, born 2023-02-15 on documents issued after adoption: the
        # report's Оксана Бойко was born 2022-02-15, the day and month kept.
        report = Person(
            given_name="Оксана",
            family_name="Бойко",
            patronymic="Вадимівна",
            sex="female",
            date_of_birth="2022-02-15",
        )
        adopted = Person(
            full_name="Коваль Алина Ярославовна", sex="female", date_of_birth="2023-02-15"
        )
        renamed = field(compare(report, adopted), "date_of_birth")
        kept = Person(full_name="Бойко Оксана Вадимовна", sex="female", date_of_birth="2023-02-15")
        assert (
            renamed[0] == "year off by one"
            and renamed[1] > field(compare(report, kept), "date_of_birth")[1]
        )
        # A listing's year alone, a year off, agrees in nothing else: no rewriting explains it.
        listed = Person(full_name="Коваль Алина Ярославовна", sex="female", date_of_birth="2023")
        assert field(compare(report, listed), "date_of_birth")[1] < 0

    def test_swap_is_explained_in_words(self) -> None:
        c = compare(
            Person(given_name="Іван", date_of_birth="2011-03-12"),
            Person(given_name="Иван", date_of_birth="2011-12-03"),
        )
        fc = next(f for f in c.explanation if f.field == "date_of_birth")
        assert "2011-03-12" in fc.detail and "2011-12-03" in fc.detail

    def age(self, born: str, lo: int, hi: int) -> tuple[str, float]:
        return field(
            compare(
                Person(given_name="Коля", date_of_birth=born),
                Person(given_name="Коля", age_min=lo, age_max=hi, observed_on="2024-05-01"),
            ),
            "age",
        )

    def test_age_estimate_against_date_of_birth(self) -> None:
        inside = self.age("2011-03-12", 12, 14)  # 13 on 2024-05-01
        assert inside[0] == "within the estimate" and inside[1] > 0
        # born in June: still 12 on 2024-05-01, one year under an estimate of 13-14
        assert self.age("2011-06-12", 13, 14)[0] == "one year outside the estimate"
        near = self.age("2011-03-12", 14, 15)
        far = self.age("2011-03-12", 3, 5)
        assert inside[1] > near[1] > far[1]
        assert far[1] < 0
        # Three years outside is against; a child of 13 seen as a toddler is far more so.
        three = self.age("2011-03-12", 16, 17)
        assert three[0] == "outside the estimate"
        assert far[0] == "far outside the estimate" and far[1] < three[1] < near[1]

    def test_an_age_near_the_middle_of_the_estimate_weighs_more(self) -> None:
        # A witness who saw a girl "about 10-13" on 2024-05-01: a Людмила of 12 (born
        # 2012-04-20) looks so more likely than one who turned 10 a month before.
        middle = self.age("2012-04-20", 10, 13)
        edge = self.age("2014-03-26", 10, 13)
        assert middle[0] == edge[0] == "within the estimate"
        assert middle[1] > edge[1] > 0
        # Two children of 12 under "11-14" (11.0 to 14.99): the one nearer 13 counts more.
        assert self.age("2011-05-10", 11, 14)[1] > self.age("2011-10-01", 11, 14)[1]


class TestRanking:
    report = Person(
        given_name="Микола",
        family_name="Олійник",
        sex="male",
        date_of_birth="2011-03-12",
        settlement="Мелітополь",
        patronymic="Андрійович",
    )

    @pytest.mark.parametrize(
        "sighting",
        [
            Person(full_name="ОЛЕЙНИК Николай Андреевич", date_of_birth="2011-03-12"),
            Person(
                given_name="Коля",
                age_min=12,
                age_max=14,
                settlement="Melitopol",
                observed_on="2024-05-01",
            ),
            Person(full_name="Oleinik Nikolai", date_of_birth="2011-03-12"),
        ],
    )
    def test_the_issue_example_beats_a_sibling(self, sighting: Person) -> None:
        sibling = Person(
            given_name="Олег",
            family_name="Олійник",
            sex="male",
            date_of_birth="2014-06-01",
            settlement="Мелітополь",
        )
        assert compare(self.report, sighting).score > compare(sibling, sighting).score

    def test_renamed_child_still_ranks_first(self) -> None:
        sighting = Person(
            given_name="Николай",
            family_name="Иванов",
            date_of_birth="2011-03-12",
            settlement="Мелитополь",
            sex="male",
        )
        namesake = Person(
            given_name="Олег",
            family_name="Иванов",
            sex="male",
            date_of_birth="2011-07-20",
            settlement="Херсон",
        )
        assert compare(self.report, sighting).score > compare(namesake, sighting).score
        assert compare(self.report, sighting).score > 0.5

    def test_a_shared_father_under_a_shared_family_name_is_a_siblings_too(self) -> None:
        # Онищенко Людмила Анатольевна on a document: her sister Дарія Онищенко Анатоліївна
        # shares the family name and the father, so the patronymic adds little to the family
        # name; under another family name (the child renamed) it is the thread to the father.
        sighting = Person(full_name="Онищенко Людмила Анатольевна", sex="female")
        sister = Person(
            given_name="Дарія", family_name="Онищенко", patronymic="Анатоліївна", sex="female"
        )
        renamed = Person(
            given_name="Людмила", family_name="Кононенко", patronymic="Анатоліївна", sex="female"
        )
        shared = field(compare(sister, sighting), "patronymic")
        assert shared == ("equivalent", SIBLINGS_PATRONYMIC_WEIGHT)
        assert field(compare(sighting, sister), "patronymic") == shared
        assert 0 < shared[1] < field(compare(renamed, sighting), "patronymic")[1]
        # A family name only close in spelling is most often another family's: the patronymic
        # keeps its weight there.
        misspelt = dataclasses.replace(sister, family_name="Онищенков")
        assert field(compare(misspelt, sighting), "family_name")[0] == "close"
        assert field(compare(misspelt, sighting), "patronymic")[1] > shared[1]
        # The child herself, every name agreeing, is still as sure as a match gets.
        child = dataclasses.replace(sister, given_name="Людмила", date_of_birth="2018-12-14")
        assert (
            compare(child, dataclasses.replace(sighting, date_of_birth="2018-12-14")).score > 0.99
        )

    def test_explanation_largest_first(self) -> None:
        c = compare(self.report, Person(full_name="Oleinik Nikolai", date_of_birth="2011-03-12"))
        weights = [abs(f.weight) for f in c.explanation]
        assert weights == sorted(weights, reverse=True)
        assert {f.field for f in c.explanation} >= {"given_name", "family_name", "date_of_birth"}

    def test_two_known_names_spelt_alike_weigh_nothing(self) -> None:
        # Олександра and Оксана are two names (neither is the other's form): their likeness
        # in spelling is no sign of a misspelling, unlike two forms of one name.
        alike = compare(Person(given_name="Олександра"), Person(given_name="Оксана"))
        assert field(alike, "given_name") == ("similar", 0.0)
        other = compare(Person(given_name="Олександра"), Person(given_name="Марина"))
        assert field(other, "given_name")[1] < 0

    def test_a_western_form_of_two_groups_reads_as_the_common_one(self) -> None:
        # Alexander is the Western form of Олександр and of Олесь (itself a short form of
        # Олександр): among children it stands for Олександр thirty times as often, so a
        # witness's Олесь agrees with it less than Олександр does.
        shares = {"given:m:олександр": 0.03, "given:m:олесь": 0.001}

        def weight(other: str) -> float:
            c = compare(
                Person(given_name="Alexander", sex="male"),
                Person(given_name=other, sex="male"),
                frequencies=shares,
            )
            return field(c, "given_name")[1]

        assert weight("Олесь") < weight("Олександр") - 1

    @pytest.mark.parametrize(
        ("written", "other", "verdict"),
        [
            ("Гребенюк", "Гребенююк", "close"),  # one letter doubled
            ("Бондаренко", "Бондарченко", "close"),  # one letter more
            ("Kusnjezowa", "Kuznetsova", "close"),  # a German spelling, one key edit away
            ("Сорока", "Sergієнко", "similar"),  # keys that only begin alike: sirik, sirgink
            ("Iakovenko", "Jacenko", "similar"),  # Яковенко, Яценко: two families
        ],
    )
    def test_a_family_name_is_a_typo_only_one_slip_away(
        self, written: str, other: str, verdict: str
    ) -> None:
        compared = compare(Person(family_name=written), Person(family_name=other))
        [family] = compared.explanation
        assert family.verdict == verdict

    def test_term_frequency_common_names_weigh_less(self) -> None:
        a = Person(given_name="Олександр")
        b = Person(given_name="Александр")
        common = compare(a, b, frequencies={"given:m:олександр": 0.05}).total
        rare = compare(a, b, frequencies={"given:m:олександр": 0.001}).total
        assert rare > common


# --- properties -------------------------------------------------------------------------------
GIVEN = ["Микола", "Николай", "Коля", "Mykola", "Олена", "Елена", "Саша", "Олег", "Yevhen", None]
FAMILY = ["Олійник", "Олейник", "Oliinyk", "Шевченко", "Schewtschenko", "Іванов", None]
DATES = ["2011-03-12", "2011-12-03", "2012-03-12", "2011", "2011-03", "2015-07-01", None]
PLACES = ["Бахмут", "Артемовск", "Melitopol", "Мелітополь", "Воронеж", "Новопавлівка-Друга", None]

people = st.builds(
    Person,
    given_name=st.sampled_from(GIVEN),
    family_name=st.sampled_from(FAMILY),
    patronymic=st.sampled_from(["Андрійович", "Андреевич", "Петрівна", None]),
    sex=st.sampled_from(["male", "female", "unknown", None]),
    date_of_birth=st.sampled_from(DATES),
    age_min=st.sampled_from([None, 10, 12]),
    age_max=st.sampled_from([None, 14]),
    settlement=st.sampled_from(PLACES),
    observed_on=st.sampled_from([None, "2024-05-01"]),
)


@given(people, people)
@settings(max_examples=300)
def test_score_in_unit_interval_and_symmetric(a: Person, b: Person) -> None:
    s = compare(a, b).score
    assert 0.0 <= s <= 1.0
    assert s == pytest.approx(compare(b, a).score, abs=1e-12)


@given(people, people)
@settings(max_examples=300)
def test_self_match_scores_highest(a: Person, b: Person) -> None:
    assert compare(a, a).score >= compare(a, b).score - 1e-12


def _respace(text: str | None, upper: bool) -> str | None:
    if text is None:
        return None
    t = "  " + "   ".join(text.split(" ")) + " "
    return t.upper() if upper else t.lower()


@given(people, people, st.booleans())
@settings(max_examples=200)
def test_case_and_spacing_do_not_change_the_score(a: Person, b: Person, upper: bool) -> None:
    b2 = Person(
        given_name=_respace(b.given_name, upper),
        family_name=_respace(b.family_name, upper),
        patronymic=_respace(b.patronymic, upper),
        sex=b.sex,
        date_of_birth=b.date_of_birth,
        age_min=b.age_min,
        age_max=b.age_max,
        settlement=_respace(b.settlement, upper),
        observed_on=b.observed_on,
    )
    assert compare(a, b2).score == pytest.approx(compare(a, b).score, abs=1e-12)


WORDS = st.text(alphabet=st.sampled_from(list("абвгдеєжзиіїйклмнопрсаоуьяschkyv '-")), max_size=12)
free_people = st.builds(
    Person,
    given_name=st.one_of(st.none(), WORDS),
    family_name=st.one_of(st.none(), WORDS),
    full_name=st.one_of(st.none(), WORDS),
    other_names=st.lists(WORDS, max_size=2).map(tuple),
    date_of_birth=st.one_of(st.none(), st.sampled_from(DATES), st.text(max_size=10)),
    settlement=st.one_of(st.none(), WORDS),
)


@given(free_people, free_people)
@settings(max_examples=300)
def test_properties_on_arbitrary_text(a: Person, b: Person) -> None:
    ab, ba, aa = compare(a, b).score, compare(b, a).score, compare(a, a).score
    assert 0.0 <= ab <= 1.0
    assert ab == pytest.approx(ba, abs=1e-12)
    assert aa >= ab - 1e-12


# Listings give names as initials (Н. О.), in either script, beside full names.
INITIALS = ["Н.", "О.", "N.", "O.", "Н. О.", "S.", "Sh.", "Y.", "И.", "C", "Олійник Н."]
initialled_people = st.builds(
    Person,
    given_name=st.sampled_from([*INITIALS, *GIVEN]),
    family_name=st.sampled_from([*INITIALS, *FAMILY]),
    full_name=st.sampled_from([*INITIALS, None]),
    other_names=st.lists(st.sampled_from([*INITIALS, "Олейник"]), max_size=2).map(tuple),
    date_of_birth=st.sampled_from(DATES),
)


@given(initialled_people, initialled_people)
@settings(max_examples=300)
def test_properties_with_initials(a: Person, b: Person) -> None:
    ab, ba, aa = compare(a, b).score, compare(b, a).score, compare(a, a).score
    assert ab == pytest.approx(ba, abs=1e-12)
    assert aa >= ab - 1e-12


def test_of_several_initials_the_strongest_agreement_counts() -> None:
    # C. and S. both agree with the record itself; S. alone with the other: no more than itself.
    a = Person(full_name="C", other_names=("S",))
    b = Person(other_names=("S",))
    assert compare(a, a).score >= compare(a, b).score


def test_a_record_with_a_diminutive_and_an_unknown_word_agrees_best_with_itself() -> None:
    a = Person(given_name="Саша", family_name="Н.", full_name="Олійник Н.")
    b = Person(given_name="Н.", family_name="Н.", full_name="Олійник Н.")
    assert compare(a, a).score >= compare(a, b).score


def test_compare_each_agrees_with_compare() -> None:
    sighting = Person(full_name="ОЛЕЙНИК Николай Андреевич", date_of_birth="2011-03-12")
    reports = {
        "same": Person(given_name="Микола", family_name="Олійник", date_of_birth="2011-03-12"),
        "other": Person(given_name="Олена", family_name="Бондар", date_of_birth="2016-09-01"),
    }
    each = compare_each(sighting, reports)
    assert set(each) == {"same", "other"}
    for key, report in reports.items():
        assert each[key] == compare(report, sighting)
    assert each["same"].score > each["other"].score


@given(people, st.lists(people, min_size=1, max_size=40), st.floats(0.01, 0.99))
@settings(max_examples=300)
def test_compare_each_keeps_exactly_what_reaches_at_least(
    sighting: Person, reports: list[Person], at_least: float
) -> None:
    _assert_keeps_exactly_what_reaches(sighting, reports, at_least)


def _assert_keeps_exactly_what_reaches(
    sighting: Person, reports: list[Person], at_least: float
) -> dict[str, Comparison]:
    """compare_each as compare one by one (reports repeat names, so it reuses their
    comparisons), and with `at_least` exactly those that reach it; every comparison, by key."""
    by_key = {str(i): report for i, report in enumerate(reports)}
    each = compare_each(sighting, by_key)
    assert each == {key: compare(report, sighting) for key, report in by_key.items()}
    reaching = compare_each(sighting, by_key, at_least=at_least)
    assert reaching == {key: c for key, c in each.items() if c.score >= at_least}
    return each


@given(people, st.lists(people, min_size=1, max_size=40), st.integers(1, 12))
@settings(max_examples=300)
def test_the_best_first_comparisons_are_those_of_comparing_all(
    sighting: Person, reports: list[Person], best: int
) -> None:
    # Reports repeat names and dates, so many totals tie: the key's text breaks the ties.
    by_key = {str(i): report for i, report in enumerate(reports)}
    prepared = prepare.__wrapped__(sighting)

    def first(compared: dict[str, Comparison]) -> list[tuple[str, Comparison]]:
        return sorted(compared.items(), key=lambda kv: (-kv[1].total, kv[0]))[:best]

    every = compare_prepared_each(prepared, by_key)
    assert first(compare_prepared_each(prepared, by_key, best=best)) == first(every)


class TestLadders:
    def test_a_ladder_ends_with_a_level_that_always_fires(self) -> None:
        level = Level("exact", lambda p: p is not None, 1.0, lambda p: "")
        with pytest.raises(ValueError, match="always"):
            Ladder("sex", lambda a, b: True, lambda a, b, f: object(), (level,))

    def test_a_computed_weight_states_its_ceiling(self) -> None:
        with pytest.raises(ValueError, match="ceiling"):
            Level("within", always, lambda p: 3.0, lambda p: "")

    def test_the_most_a_field_adds_comes_from_its_levels(self) -> None:
        # compare_each skips a report on this bound: a computed weight counts at its ceiling.
        ladder = Ladder(
            "age",
            lambda a, b: True,
            lambda a, b, f: object(),
            (
                Level("close", lambda p: False, 1.5, lambda p: ""),
                Level("within", lambda p: False, lambda p: 2.0, lambda p: "", ceiling=3.0),
                Level("different", always, -5.0, lambda p: ""),
            ),
        )
        assert ladder.most == 3.0

    def test_the_explanation_is_serialised_whole_or_rounded(self) -> None:
        fc = FieldComparison("given_name", "exact", "Микола = Микола", 6.754887502163468)
        assert fc.as_dict() == {
            "field": "given_name",
            "verdict": "exact",
            "detail": "Микола = Микола",
            "weight": 6.754887502163468,
        }
        assert fc.as_dict(digits=2)["weight"] == 6.75

    def test_verdicts_and_comparisons_are_frozen_values(self) -> None:
        """Their own __init__ (slots set directly, for speed) keeps what a frozen dataclass
        gives: the fields by position or by name, equality, hashing, replace, no assignment."""
        fc = FieldComparison("sex", "same", "male", 0.3)
        assert fc == FieldComparison(field="sex", verdict="same", detail="male", weight=0.3)
        assert hash(fc) == hash(FieldComparison("sex", "same", "male", 0.3))
        assert dataclasses.replace(fc, weight=1.0).weight == 1.0
        assert fc != FieldComparison("sex", "same", "male", 0.4)
        comparison = Comparison(0.5, (fc,))
        assert comparison.total == 0.0
        assert comparison == Comparison(score=0.5, explanation=(fc,), total=0.0)
        # The level a ladder's verdict came from rides along, outside equality and hashing.
        assert dataclasses.astuple(comparison) == (0.5, (("sex", "same", "male", 0.3, None),), 0.0)
        from_ladder = SEX.compare(prepare(Person(sex="male")), prepare(Person(sex="male")))
        assert from_ladder == fc and hash(from_ladder) == hash(fc)
        assert from_ladder is not None and from_ladder.level is SEX.levels[0]
        with pytest.raises(dataclasses.FrozenInstanceError):
            fc.weight = 1.0  # type: ignore[misc]
        with pytest.raises(dataclasses.FrozenInstanceError):
            comparison.score = 1.0  # type: ignore[misc]


# Registry listings (a given name, a family initial, a month or a year, sex) against reports:
# the listing's own weights (a rewritten initial, the month under it) must keep the bounds
# compare_each prunes by.
listings = st.builds(
    Person,
    given_name=st.sampled_from(["Николай", "Тимофей", "Елена", "Nikolai", "Н."]),
    family_name=st.sampled_from(["О.", "К.", "O.", "Ш."]),
    sex=st.sampled_from(["male", "female"]),
    date_of_birth=st.sampled_from(["2011-03", "2011", "2012-03", "2010-05", "2011-12"]),
)


@given(listings, st.lists(people, min_size=1, max_size=40), st.floats(0.001, 0.99))
@settings(max_examples=300)
def test_a_listing_keeps_exactly_what_reaches_at_least(
    listing: Person, reports: list[Person], at_least: float
) -> None:
    each = _assert_keeps_exactly_what_reaches(listing, reports, at_least)
    by_key = {str(i): report for i, report in enumerate(reports)}
    prepared = prepare.__wrapped__(listing)
    first = sorted(each.items(), key=lambda kv: (-kv[1].total, kv[0]))[:3]
    best = compare_prepared_each(prepared, by_key, best=3)
    assert sorted(best.items(), key=lambda kv: (-kv[1].total, kv[0]))[:3] == first
