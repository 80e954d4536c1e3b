"""Rewritten identities: registry listings with initials, new documents after adoption."""

import math

import pytest

from matching import Comparison, FieldComparison, Person, blocking_keys, compare
from matching._compare import (
    LISTING_NAME_KEPT,
    LISTING_RENAMED_TOO_WEIGHT,
    NEW_IDENTITY_EXACT_DATE,
    NEW_IDENTITY_PARTIAL_DATE,
    RENAMED_TOO_WEIGHT,
    _partly_agreeing,
)
from matching._fields import (
    MONTH_AND_YEAR_AGREE,
    PARTIAL_MONTH_WEIGHT,
    PARTIAL_YEAR_WEIGHT,
    PATRONYMIC,
    YEAR_AGREES,
)


def kept_loss(weight: float) -> float:
    """What a kept name's level of that weight loses under a listing's rewritten initial:
    kept by 0.4 of rewrites, 0.9 of one identity; a new name reaches it as a random pair."""
    r = 2.0**weight
    return math.log2((0.4 * r + 0.6) / (0.9 * r + 0.1))


def verdict(c: Comparison, name: str) -> tuple[str, float, str]:
    fc = next(f for f in c.explanation if f.field == name)
    return fc.verdict, fc.weight, fc.detail


REPORT = Person(
    given_name="Микола",
    family_name="Олійник",
    patronymic="Петрович",
    sex="male",
    date_of_birth="2011-03-14",
    settlement="Херсон",
)


class TestFamilyInitial:
    @pytest.mark.parametrize("family", ["Олійник", "Олейник", "Oliinyk", "Oleinik"])
    @pytest.mark.parametrize("initial", ["О.", "O.", "О"])
    def test_an_initial_agrees_across_scripts(self, family: str, initial: str) -> None:
        report = Person(given_name="Микола", family_name=family, date_of_birth="2011-03-14")
        listing = Person(given_name="Николай", family_name=initial, date_of_birth="2011-03")
        name, weight, detail = verdict(compare(report, listing), "family_name")
        assert name == "initial agrees" and weight > 0
        assert "(initial)" in detail

    @pytest.mark.parametrize(
        ("initial", "family"),
        [
            ("Є.", "Євтушенко"),
            ("Ye.", "Євтушенко"),
            ("Е.", "Yevtushenko"),
            ("Ю.", "Yurchenko"),
            ("Iu.", "Юрченко"),
            ("Я.", "Yaremchuk"),
            ("Zh.", "Жук"),
            ("Kh.", "Хоменко"),
            ("H.", "Хоменко"),
            ("G.", "Гончаренко"),
            ("Ts.", "Цибульський"),
            ("Ch.", "Чорновол"),
            ("Sh.", "Шевчук"),
            ("Shch.", "Щербак"),
            ("I.", "Іващенко"),
            ("S.", "Швець"),  # the first letter of Shvets
            ("K.", "Хоменко"),  # of Khomenko
            ("T.", "Цибульський"),  # of Tsybulskyi
            ("Y.", "Яременко"),  # of Yaremenko
            ("Ju.", "Юрченко"),  # German, Czech and scholarly Jurčenko
            ("Ja.", "Яременко"),
            ("Je.", "Євтушенко"),
            ("Tch.", "Чорновол"),  # French Tchornovol
            ("X.", "Хоменко"),  # ISO 9 Xomenko
        ],
    )
    def test_initials_follow_transliteration(self, initial: str, family: str) -> None:
        c = compare(Person(given_name="Іван", family_name=family), Person(family_name=initial))
        assert verdict(c, "family_name")[0] == "initial agrees"

    @pytest.mark.parametrize(
        ("initial", "family", "own"),
        [
            ("А.", "Олексієнко", "О."),
            ("A.", "Oleksiienko", "O."),
            ("А.", "Олексюк", "О."),
            ("Н.", "Миколаєв", "М."),
            ("N.", "Mykolaiev", "M."),
        ],
    )
    def test_an_initial_may_begin_the_russian_spelling(
        self, initial: str, family: str, own: str
    ) -> None:
        # Russian clerks write some Олекс- family names Алекс- (Олексієнко = Алексеенко) and
        # some Микол- ones Никол- (Миколаєв = Николаев): a listing's А. or Н. agrees with them,
        # though less than the name's own first letter does, since most keep it.
        c = compare(Person(family_name=family), Person(family_name=initial))
        name, weight, detail = verdict(c, "family_name")
        assert name == "initial agrees" and weight >= 1.0
        assert detail == f"{initial} = {family} (initial, as a Russian spelling begins it)"
        first = compare(Person(family_name=family), Person(family_name=own))
        assert verdict(first, "family_name")[1] > weight

    @pytest.mark.parametrize(("initial", "family"), [("А.", "Олійник"), ("Н.", "Мельник")])
    def test_only_those_names_begin_otherwise_in_russian(self, initial: str, family: str) -> None:
        c = compare(Person(family_name=family), Person(family_name=initial))
        assert verdict(c, "family_name")[0] == "initial differs"

    @pytest.mark.parametrize(("initial", "family"), [("Ju.", "Жук"), ("Ja.", "Коваль")])
    def test_a_latin_letter_group_is_one_letter(self, initial: str, family: str) -> None:
        c = compare(Person(given_name="Іван", family_name=family), Person(family_name=initial))
        assert verdict(c, "family_name")[0] == "initial differs"

    def test_a_rare_initial_says_more_than_a_common_one(self) -> None:
        def weight(initial: str, family: str) -> float:
            c = compare(Person(family_name=family), Person(family_name=initial))
            return verdict(c, "family_name")[1]

        assert weight("Щ.", "Щербак") > weight("К.", "Коваленко") > 0

    def test_another_initial_never_weighs_as_a_different_name(self) -> None:
        listing = Person(given_name="Николай", family_name="К.", date_of_birth="2011-03")
        other = Person(given_name="Николай", family_name="Кравець", date_of_birth="2011-03")
        name, weight, _ = verdict(compare(REPORT, listing), "family_name")
        assert name == "initial differs"
        assert weight > verdict(compare(REPORT, other), "family_name")[1]

    def test_another_initial_is_a_changed_family_name(self) -> None:
        # Another given name and another initial: the listing shows the new identity.
        listing = Person(given_name="Артём", family_name="С.", sex="male", date_of_birth="2011-03")
        c = compare(REPORT, listing)
        assert verdict(c, "family_name")[2] == (
            "С. ≠ Олійник (initial): consistent with a changed family name (new identity)"
        )
        name, weight, _ = verdict(c, "given_name")
        assert name == "changed with the family name" and weight > -3.0
        # A full family name that agrees leaves a differing given name as strong as ever.
        kept = compare(REPORT, Person(given_name="Артём", family_name="О.", sex="male"))
        assert verdict(kept, "given_name")[:2] == ("different", -7.0)

    def test_the_listing_scores_as_a_likely_match(self) -> None:
        listing = Person(
            given_name="Николай", family_name="О.", sex="male", date_of_birth="2011-03"
        )
        sibling = Person(given_name="Петро", family_name="Олійник", date_of_birth="2013-07-02")
        assert compare(REPORT, listing).score >= 0.5
        assert compare(sibling, listing).score < 0.1

    def test_a_listing_with_another_given_name_shares_a_key(self) -> None:
        listing = Person(
            given_name="Тимофей", family_name="О.", sex="male", date_of_birth="2011-03"
        )
        assert blocking_keys(REPORT) & blocking_keys(listing)


class TestRewrittenListing:
    """A listed child awaits a family: a family initial that begins none of the report's
    names is an identity rewritten without adoption, which mostly rewrites the given name."""

    # The report of the child and the listing of the same child under a rewritten identity:
    # another given name, the new family's initial, the month and year of birth kept.
    RENAMED = Person(given_name="Тимофей", family_name="К.", sex="male", date_of_birth="2011-03")

    def test_the_month_and_year_under_another_initial_weigh_what_they_tell(self) -> None:
        name, weight, detail = verdict(compare(REPORT, self.RENAMED), "date_of_birth")
        assert name == "agrees as far as given"
        assert weight == NEW_IDENTITY_PARTIAL_DATE[MONTH_AND_YEAR_AGREE] > PARTIAL_MONTH_WEIGHT
        assert detail == "born 2011-03-14 vs 2011-03; the family names differ: no twin explains it"
        # Under the family's own initial a twin may share them: they weigh as before.
        own = Person(given_name="Николай", family_name="О.", sex="male", date_of_birth="2011-03")
        assert verdict(compare(REPORT, own), "date_of_birth")[:2] == (
            "agrees as far as given",
            PARTIAL_MONTH_WEIGHT,
        )

    def test_the_agreement_is_read_by_its_level_not_its_weight(self) -> None:
        # The same words and weight composed by hand are not the ladder's level: nothing
        # but the level that found the agreement earns the weight between two families.
        dated = Person(date_of_birth="2011-03")
        found = next(f for f in compare(REPORT, dated).explanation if f.field == "date_of_birth")
        assert (found.verdict, found.weight) == ("agrees as far as given", PARTIAL_MONTH_WEIGHT)
        assert found.level is MONTH_AND_YEAR_AGREE
        composed = FieldComparison("date_of_birth", found.verdict, "", PARTIAL_MONTH_WEIGHT)
        assert _partly_agreeing(found) == NEW_IDENTITY_PARTIAL_DATE[MONTH_AND_YEAR_AGREE]
        assert _partly_agreeing(composed) is None

    def test_the_year_alone_under_another_initial(self) -> None:
        listing = Person(given_name="Тимофей", family_name="К.", date_of_birth="2011")
        _, weight, _ = verdict(compare(REPORT, listing), "date_of_birth")
        assert weight == NEW_IDENTITY_PARTIAL_DATE[YEAR_AGREES] > PARTIAL_YEAR_WEIGHT

    def test_a_new_given_name_with_a_new_initial_is_no_surprise(self) -> None:
        name, weight, _ = verdict(compare(REPORT, self.RENAMED), "given_name")
        assert (name, weight) == ("changed with the family name", LISTING_RENAMED_TOO_WEIGHT)
        assert RENAMED_TOO_WEIGHT < weight < 0  # more expected than at an adoption

    def test_the_given_name_kept_under_a_new_initial_says_less(self) -> None:
        namesake = Person(given_name="Тимофій", family_name="Ткачук", date_of_birth="2011-09-28")
        own = Person(given_name="Тимофій", family_name="Кравець", date_of_birth="2011-09-28")
        listing = Person(given_name="Тимофей", family_name="О.", date_of_birth="2011-03")
        name, weight, detail = verdict(compare(namesake, listing), "given_name")
        kept = verdict(compare(own, listing), "given_name")[1]  # О. begins neither: same as
        assert name == "equivalent"
        assert detail.endswith("; a listing's rewritten family initial seldom keeps the given name")
        assert weight == kept
        agreeing = Person(given_name="Тимофей", family_name="Т.", date_of_birth="2011-03")
        whole = verdict(compare(namesake, agreeing), "given_name")[1]
        assert weight == pytest.approx(whole + kept_loss(whole))
        assert LISTING_NAME_KEPT <= kept_loss(whole) < -1.1  # a strong level: about -1.2

    @pytest.mark.parametrize(
        ("report_name", "listed_name", "expected"),
        [
            ("Ждан", "Жданко", "close"),  # a kept name misspelt or suffixed
            ("Ждан", "Жданушка", "possible diminutive"),  # a kept name as a diminutive
            ("Тимофій", "Т.", "initial agrees"),  # a kept name as its initial
        ],
    )
    def test_every_kept_name_says_less_under_a_new_initial(
        self, report_name: str, listed_name: str, expected: str
    ) -> None:
        report = Person(given_name=report_name, family_name="Ткачук", date_of_birth="2011-09-28")
        own = Person(given_name=listed_name, family_name="Т.", date_of_birth="2011-03")
        other = Person(given_name=listed_name, family_name="О.", date_of_birth="2011-03")
        name, whole, _ = verdict(compare(report, own), "given_name")
        assert name == expected
        name, weight, detail = verdict(compare(report, other), "given_name")
        assert name == expected
        assert detail.endswith("; a listing's rewritten family initial seldom keeps the given name")
        # Less than a strong level loses: a new name reaches a weak level too.
        assert weight == pytest.approx(whole + kept_loss(whole))
        assert LISTING_NAME_KEPT < kept_loss(whole) < 0

    def test_a_patronymic_that_differs_too_does_not_raise_the_score(self) -> None:
        # Listings that give a patronymic are listings still: the adoptive-looking patronymic
        # is one more field against, never a reason to weigh the given name as at an adoption.
        kept = Person(given_name="Николай", family_name="К.", sex="male", date_of_birth="2011-03")
        with_patronymic = Person(
            given_name="Николай",
            family_name="К.",
            patronymic="Сергеевич",
            sex="male",
            date_of_birth="2011-03",
        )
        assert compare(REPORT, with_patronymic).total <= compare(REPORT, kept).total
        renamed = Person(
            given_name="Тимофей",
            family_name="К.",
            patronymic="Сергеевич",
            sex="male",
            date_of_birth="2011-03",
        )
        name, weight, _ = verdict(compare(REPORT, renamed), "given_name")
        assert (name, weight) == ("changed with the family name", LISTING_RENAMED_TOO_WEIGHT)

    def test_the_renamed_child_outranks_a_namesake_of_unknown_birth(self) -> None:
        # Тимофей К., born March 2011: the reported Микола Олійник born that month, renamed
        # with the new family's initial, against a Тимофій of another family (not К.) whose
        # report gives no date.
        undated = Person(given_name="Тимофій", family_name="Ткачук", sex="male")
        renamed = compare(REPORT, self.RENAMED)
        assert renamed.total > compare(undated, self.RENAMED).total
        # A Тимофій whose family name begins with К. and who was born that year still comes
        # first: the listing kept all it shows of him but the month.
        own = Person(
            given_name="Тимофій", family_name="Кравець", sex="male", date_of_birth="2011-09-28"
        )
        assert compare(own, self.RENAMED).total > renamed.total


class TestGivenInitial:
    def test_initials_of_both_names(self) -> None:
        listing = Person(full_name="Н. О.", sex="male", date_of_birth="2011-03")
        c = compare(REPORT, listing)
        assert verdict(c, "given_name")[0] == "initial agrees"  # Н. = Николай, Микола's form
        assert verdict(c, "family_name")[0] == "initial agrees"
        assert (
            compare(REPORT, listing).score
            > compare(REPORT, Person(full_name="В. О.", sex="male", date_of_birth="2011-03")).score
        )

    @pytest.mark.parametrize(
        ("initial", "report_name", "own"), [("К.", "Микола", "Н."), ("G.", "Юрій", "Y.")]
    )
    def test_a_western_form_does_not_make_an_initial_agree(
        self, initial: str, report_name: str, own: str
    ) -> None:
        # Klaus and George are Western forms of Микола and Юрій: a listing initials the
        # Russian passport form (Николай, Юрий; Yurii in a Latin copy), which К. and G. begin
        # no more than they begin Микола.
        report = Person(given_name=report_name, family_name="Олійник")
        c = compare(report, Person(given_name=initial, family_name="О."))
        assert verdict(c, "given_name")[0] == "initial differs"
        c = compare(report, Person(given_name=own, family_name="О."))
        assert verdict(c, "given_name")[0] == "initial agrees"

    def test_another_given_initial_is_against(self) -> None:
        c = compare(REPORT, Person(given_name="В.", family_name="Олейник"))
        name, weight, _ = verdict(c, "given_name")
        assert name == "initial differs" and weight < 0

    def test_another_given_initial_under_another_family_initial_is_a_new_name(self) -> None:
        # Т. К.: both initials rewritten. The given initial says what a new given name would
        # (it begins with another letter as often as two random names do), never more.
        listing = Person(given_name="Т.", family_name="К.", sex="male", date_of_birth="2011-03")
        name, weight, detail = verdict(compare(REPORT, listing), "given_name")
        assert (name, weight) == ("changed with the family name", LISTING_RENAMED_TOO_WEIGHT)
        assert detail.startswith("Т. ≠ ")
        spelt = Person(given_name="Тимофей", family_name="К.", sex="male", date_of_birth="2011-03")
        assert compare(REPORT, listing).total == compare(REPORT, spelt).total

    def test_another_given_initial_on_new_documents_is_a_new_name(self) -> None:
        adopted = Person(
            given_name="Т.", family_name="Смирнов", patronymic="Сергеевич", date_of_birth="2011-03"
        )
        name, weight, _ = verdict(compare(REPORT, adopted), "given_name")
        assert (name, weight) == ("changed with the family name", RENAMED_TOO_WEIGHT)


class TestNewIdentity:
    ADOPTED = Person(
        given_name="Николай",
        family_name="Смирнов",
        patronymic="Сергеевич",
        sex="male",
        date_of_birth="2011-03-14",
        settlement="Таганрог",
    )

    def test_new_family_name_and_patronymic_are_explained_in_words(self) -> None:
        c = compare(REPORT, self.ADOPTED)
        name, _, detail = verdict(c, "family_name")
        assert name == "new identity"
        assert detail == (
            "family name and patronymic differ: consistent with a new identity (adoption)"
        )
        assert all(f.field != "patronymic" for f in c.explanation)

    def test_same_given_name_and_birth_date_is_a_strong_candidate(self) -> None:
        assert compare(REPORT, self.ADOPTED).score >= 0.5

    def test_differing_together_weighs_less_than_apart(self) -> None:
        only_family = Person(
            given_name="Николай",
            family_name="Смирнов",
            patronymic="Петрович",
            sex="male",
            date_of_birth="2011-03-14",
        )
        adopted = compare(REPORT, self.ADOPTED)
        kept = compare(REPORT, only_family)
        apart = verdict(kept, "family_name")[1] + PATRONYMIC.levels[-1].weight
        assert verdict(kept, "patronymic")[0] == "equivalent"  # the father agrees in `kept`
        assert verdict(adopted, "family_name")[1] > apart  # the patronymic's "different"

    def test_a_partial_date_between_two_families(self) -> None:
        # A document gives the month only; the family names differ: no twin explains it.
        adopted = Person(given_name="Николай", family_name="Смирнов", date_of_birth="2011-03")
        name, weight, detail = verdict(compare(REPORT, adopted), "date_of_birth")
        assert (name, weight) == ("agrees as far as given", 7.2)
        assert detail.endswith("no twin explains it")

    def test_a_russian_birthplace_says_nothing_of_which_child(self) -> None:
        # New documents' birthplace (Таганрог, not in Ukraine's list) disagrees with every
        # Ukrainian child's report alike; another Ukrainian town counts against.
        c = compare(REPORT, self.ADOPTED)
        town = compare(REPORT, Person(settlement="Харків", given_name="Николай"))
        assert verdict(c, "settlement")[:2] == ("different, one place not in Ukraine's list", 0.0)
        assert verdict(town, "settlement")[1] < 0
        # Whichever side writes it, in Cyrillic or Latin.
        for city in ("Воронеж", "Voronezh"):
            there = Person(given_name="Микола", settlement=city)
            assert verdict(compare(there, REPORT), "settlement")[1] == 0.0
        # A place the list does not know and no city of Russia or Belarus (a village the list
        # lacks) may be the other's town or not: a little against.
        village = compare(
            Person(given_name="Микола", settlement="Новопавлівка-Друга"),
            Person(given_name="Николай", settlement="Харків"),
        )
        assert verdict(town, "settlement")[1] < verdict(village, "settlement")[1] < 0

    def test_two_known_places_that_differ_are_against(self) -> None:
        # Харків and Херсон are both known Ukrainian places: the sighting's place is no
        # Russian town on new documents but another home, against the pair more than a
        # village outside the list and less than the same place is for it.
        town = verdict(compare(REPORT, Person(settlement="Харків")), "settlement")
        abroad = verdict(compare(REPORT, Person(settlement="Новопавлівка-Друга")), "settlement")
        same = verdict(compare(REPORT, Person(settlement="Херсон")), "settlement")
        assert town[0] == "different" and abroad[0] == "different, one place not in Ukraine's list"
        assert -same[1] < town[1] < abroad[1] < 0

    @pytest.mark.parametrize("written", ["Подольск", "Podolsk", "Дзержинск", "Владимир"])
    def test_a_russian_town_of_a_ukrainian_places_name_says_little(self, written: str) -> None:
        # Подольск (Moscow oblast) is also the Russian name of Подільськ (Odesa oblast),
        # Дзержинск of Торецьк, Владимир of Володимир: on a Russian document the Russian
        # town is as likely. Against another home it weighs as a village outside the list
        # (which may or may not be that home); beside the Ukrainian place it names, it still
        # agrees.
        report = Person(given_name="Микола", settlement="Скадовськ")
        name, weight, _ = verdict(compare(report, Person(settlement=written)), "settlement")
        assert (name, weight) == verdict(
            compare(report, Person(settlement="Новопавлівка-Друга")), "settlement"
        )[:2]
        assert name == "different, one place not in Ukraine's list"
        ukrainian = {"Подольск": "Подільськ", "Podolsk": "Подільськ", "Дзержинск": "Торецьк"}
        if written in ukrainian:
            home = Person(given_name="Микола", settlement=ukrainian[written])
            assert (
                verdict(compare(home, Person(settlement=written)), "settlement")[0] == "same place"
            )
        # Written as the Ukrainian place is written, it is the Ukrainian place.
        name = verdict(compare(report, Person(settlement="Дзержинськ")), "settlement")[0]
        assert name == "different"

    def test_altered_birth_year_stays_reachable(self) -> None:
        moved = Person(
            given_name="Артём", family_name="Смирнов", sex="male", date_of_birth="2012-03-14"
        )
        assert blocking_keys(REPORT) & blocking_keys(moved)

    def test_a_new_given_name_with_the_new_identity_is_not_proof_against(self) -> None:
        renamed = Person(
            given_name="Артём",
            family_name="Смирнов",
            patronymic="Сергеевич",
            sex="male",
            date_of_birth="2011-03-14",
        )
        c = compare(REPORT, renamed)
        name, weight, detail = verdict(c, "given_name")
        assert name == "changed with the family name"
        assert -3.0 < weight < 0
        assert detail.startswith("Микола ≠ Арт")
        assert detail.endswith("new identity documents may give a new given name too")
        # The same given names between two records of one family name still weigh fully.
        kept = compare(REPORT, Person(given_name="Артём", family_name="Олейник", sex="male"))
        assert verdict(kept, "given_name")[:2] == ("different", -7.0)

    def test_the_exact_birth_date_outranks_a_shared_given_name_after_adoption(self) -> None:
        renamed = Person(
            given_name="Артём",
            family_name="Смирнов",
            patronymic="Сергеевич",
            sex="male",
            date_of_birth="2011-03-14",
        )
        namesake = Person(
            given_name="Николай",
            family_name="Смирнов",
            patronymic="Сергеевич",
            sex="male",
            date_of_birth="2012-09-02",
        )
        assert compare(REPORT, renamed).total > compare(REPORT, namesake).total

    def test_the_same_date_with_a_new_given_name_outranks_the_name_with_a_new_date(self) -> None:
        # New documents changed the given name, or the day and month of birth: the same full
        # date is rarer among other children (1 in 6,500) than the same name with the same
        # year, and the family names differ, so no twin explains the date.
        renamed = Person(
            given_name="Артём", family_name="Смирнов", sex="male", date_of_birth="2011-03-14"
        )
        redated = Person(
            given_name="Микола", family_name="Кравець", sex="male", date_of_birth="2011-09-20"
        )
        same_date = compare(REPORT, renamed)
        assert same_date.total > compare(redated, renamed).total
        name, weight, detail = verdict(same_date, "date_of_birth")
        assert (name, weight) == ("exact", NEW_IDENTITY_EXACT_DATE) and weight > 9.5
        assert detail == "born 2011-03-14; the family names differ: no twin explains it"

    def test_a_full_date_under_another_initial_is_no_twin_s(self) -> None:
        # A listing's initial that begins none of the report's names is another family, as for
        # a month and year: a twin's listing would begin the report's family name.
        listing = Person(given_name="Тимофей", family_name="К.", date_of_birth="2011-03-14")
        name, weight, detail = verdict(compare(REPORT, listing), "date_of_birth")
        assert (name, weight) == ("exact", NEW_IDENTITY_EXACT_DATE)
        assert detail == "born 2011-03-14; the family names differ: no twin explains it"
        month = Person(given_name="Тимофей", family_name="К.", date_of_birth="2011-03")
        assert weight > verdict(compare(REPORT, month), "date_of_birth")[1]
        # Under the family's own initial a twin may share it: 9.5 as before.
        own = Person(given_name="Тимофей", family_name="О.", date_of_birth="2011-03-14")
        assert verdict(compare(REPORT, own), "date_of_birth")[:2] == ("exact", 9.5)

    def test_a_twin_still_shares_the_date(self) -> None:
        # The same family name, the same date and another given name: a twin, as before.
        twin = Person(
            given_name="Артём", family_name="Олійник", sex="male", date_of_birth="2011-03-14"
        )
        assert verdict(compare(REPORT, twin), "date_of_birth")[:2] == ("exact", 9.5)

    def test_a_listing_with_a_new_name_and_initial_reaches_the_report(self) -> None:
        listing = Person(
            given_name="Тимофей", family_name="К.", sex="male", date_of_birth="2011-03"
        )
        assert not blocking_keys(listing) & blocking_keys(REPORT)
        assert blocking_keys(listing) & blocking_keys(REPORT, indexed=True)

    def test_a_document_does_not_look_up_everyone_born_in_its_month(self) -> None:
        born_same_month = Person(
            given_name="Артём", family_name="Смирнов", sex="male", date_of_birth="2011-03-02"
        )
        assert not blocking_keys(born_same_month) & blocking_keys(REPORT, indexed=True)

    @pytest.mark.parametrize("former", [["Олейник"], ["Олейник Николай"]])
    def test_a_former_name_is_compared(self, former: list[str]) -> None:
        with_former = Person(
            given_name="Артём",
            family_name="Смирнов",
            other_names=tuple(former),
            sex="male",
            date_of_birth="2011-03-14",
        )
        without = Person(
            given_name="Артём", family_name="Смирнов", sex="male", date_of_birth="2011-03-14"
        )
        assert compare(REPORT, with_former).score > compare(REPORT, without).score
        assert verdict(compare(REPORT, with_former), "family_name")[0] != "different"

    @pytest.mark.parametrize("former", [["Олейник"], ["Олейник Николай"]])
    def test_a_former_name_is_a_new_identity_of_its_own(self, former: list[str]) -> None:
        adopted = Person(
            given_name="Артём",
            family_name="Смирнов",
            patronymic="Сергеевич",
            other_names=tuple(former),
            sex="male",
            date_of_birth="2011-03-14",
        )
        c = compare(REPORT, adopted)
        name, weight, detail = verdict(c, "family_name")
        assert name == "former name" and weight > 4.0
        assert detail == (
            "Олійник = Олейник (former name): consistent with a new identity (adoption)"
        )
        # The adoptive father's patronymic is no evidence against; the given name may be new.
        assert all(f.field != "patronymic" for f in c.explanation)
        given = verdict(c, "given_name")[0]
        assert given == ("equivalent" if " " in former[0] else "changed with the family name")
        assert c.score >= 0.5

    def test_a_former_name_says_nothing_when_the_current_names_agree(self) -> None:
        kept = Person(
            given_name="Николай",
            family_name="Олейник",
            other_names=("Олейник",),
            date_of_birth="2011-03-14",
        )
        assert verdict(compare(REPORT, kept), "family_name")[0] == "respelled"


class TestInstitution:
    HOME = "Херсонський обласний будинок дитини"

    def institution(self, a: str, b: str) -> tuple[str, float, str]:
        c = compare(
            Person(given_name="Микола", institution=a), Person(given_name="Николай", institution=b)
        )
        return verdict(c, "institution")

    @pytest.mark.parametrize(
        "written",
        [
            "Херсонский областной дом ребенка",
            "Kherson regional children's home",
            "Kherson Regional Baby Home",
        ],
    )
    def test_the_same_home_across_languages(self, written: str) -> None:
        name, weight, detail = self.institution(self.HOME, written)
        assert name == "same institution" and weight > 0
        assert self.HOME in detail and written in detail

    def test_a_town_as_an_adjective_meets_its_russian_name(self) -> None:
        name, _, _ = self.institution("Олешківська школа-інтернат", "Алешковская школа-интернат")
        assert name == "same institution"

    def test_another_kind_in_the_same_town_says_less(self) -> None:
        same = self.institution(self.HOME, "Херсонский областной дом ребенка")[1]
        hospital = self.institution(self.HOME, "Херсонская больница")
        assert hospital[0] == "same town" and 0 < hospital[1] < same

    def test_another_institution_is_weak_evidence_against(self) -> None:
        name, weight, _ = self.institution(self.HOME, "Олешківська школа-інтернат")
        assert name == "different" and -2.0 < weight < 0

    def test_no_verdict_unless_both_name_one(self) -> None:
        c = compare(
            Person(given_name="Микола", institution=self.HOME), Person(given_name="Николай")
        )
        assert all(f.field != "institution" for f in c.explanation)

    def test_from_the_api_description(self) -> None:
        assert Person.from_api({"institution": self.HOME}).institution == self.HOME
