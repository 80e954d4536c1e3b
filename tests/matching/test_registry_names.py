"""Real registry names the engine once got wrong (issue 15), and the registry-derived table."""

import pytest

from matching import Person, compare
from matching._names import given_index
from matching._person import prepare


def groups(word: str) -> set[str]:
    return set(given_index().lookup(word))


class TestFullNameParts:
    @pytest.mark.parametrize(
        ("full_name", "given", "family", "patronymic"),
        [
            # A family name ending like a patronymic, in capitals and first.
            ("ИСАЕВИЧ Филипп Стефанович", "филипп", "исаевич", "Стефанович"),
            # Not in capitals: the patronymic is the one built on a known name (Тимофей).
            ("Белевич Виктор Тимофеевич", "виктор", "белевич", "Тимофеевич"),
            # A family name that is itself a given name.
            ("ЯРЕМА Онисим Дмитриевич", "онисим", "ярема", "Дмитриевич"),
            ("Ярема Онисим Дмитриевич", "онисим", "ярема", "Дмитриевич"),
            ("Онисим Дмитриевич Ярема", "онисим", "ярема", "Дмитриевич"),
        ],
    )
    def test_roles(self, full_name: str, given: str, family: str, patronymic: str) -> None:
        p = prepare(Person(full_name=full_name))
        assert [t.norm for t in p.given] == [given]
        assert [t.norm for t in p.family] == [family]
        assert p.patronymic_text == patronymic


class TestDistinctNamesStayDistinct:
    @pytest.mark.parametrize(
        ("a", "b"),
        [
            ("Жан", "Іван"),  # Jean is Іван's Western form; Cyrillic Жан is a name of its own
            ("Ромео", "Роман"),
            ("Михей", "Михайло"),
            ("Ирма", "Ірина"),
            ("Садык", "Савелій"),
            ("Олег", "Олександр"),  # two known names, though one begins like the other
        ],
    )
    def test_no_shared_group(self, a: str, b: str) -> None:
        assert groups(a), a  # a known name, so no typo fallback turns it into another
        assert not groups(a) & groups(b)
        c = compare(Person(given_name=a), Person(given_name=b))
        given = next(f for f in c.explanation if f.field == "given_name")
        assert given.weight < 0, given

    def test_an_unknown_word_that_begins_like_a_name_may_be_its_diminutive(self) -> None:
        c = compare(Person(given_name="Денисулька"), Person(given_name="Денис"))
        given = next(f for f in c.explanation if f.field == "given_name")
        assert given.verdict == "possible diminutive" and given.weight > 0

    @pytest.mark.parametrize(("word", "far"), [("Данияр", "m:данило"), ("Альфия", "f:аліна")])
    def test_the_typo_fallback_goes_by_the_letters_as_typed(self, word: str, far: str) -> None:
        # Names the table does not know (Tatar Данияр, Альфия) are no typing errors of names
        # two typed letters away, though their skeletons are one edit away.
        assert not groups(word)
        assert far not in given_index().lookup_typo(word)

    @pytest.mark.parametrize(
        ("typed", "name"),
        [
            ("Олексанр", "m:олександр"),
            ("Миккола", "m:микола"),
            ("Rsotyk", "m:ростислав"),
            ("Єgor", "m:єгор"),  # two scripts in one word: by its readings
        ],
    )
    def test_typing_errors_in_either_script(self, typed: str, name: str) -> None:
        assert name in given_index().lookup_typo(typed)

    def test_a_western_form_written_in_cyrillic_reaches_its_name(self) -> None:
        # Ukrainian writes Lisa as Ліса; it is no name of its own, so it is Єлизавета's Lisa
        # (a witness writes the name as heard), while Жан above stays a name of its own.
        assert "f:єлизавета" in groups("Ліса")
        c = compare(
            Person(given_name="Єлизавета", other_names=("Лиза",)), Person(given_name="Ліса")
        )
        given = next(f for f in c.explanation if f.field == "given_name")
        assert given.weight > 0, given

    def test_a_typing_error_still_reaches_its_name(self) -> None:
        p = prepare(Person(given_name="Алексанр"))
        assert "m:олександр" in p.given_groups

    def test_a_typing_error_reaches_every_name_as_close(self) -> None:
        # Aja is one edit from Alja (Аліна) and from Arja (Аріна); the larger table holds more
        # names that close (Аза, Аба...), and none of them may crowd out another.
        assert {"f:аліна", "f:аріна"} <= set(prepare(Person(given_name="Aja")).given_groups)

    @pytest.mark.parametrize(("a", "b"), [("Негода", "Нехода"), ("Полтавец", "Поставець")])
    def test_two_cyrillic_spellings_that_differ_are_two_names(self, a: str, b: str) -> None:
        one = Person(family_name=a, given_name="Іван", date_of_birth="2012-03-04")
        other = Person(family_name=b, given_name="Іван", date_of_birth="2013-07-21")
        family = next(f for f in compare(one, other).explanation if f.field == "family_name")
        assert family.verdict not in ("exact", "same under transliteration", "respelled")
        assert compare(one, other).score < 0.9

    @pytest.mark.parametrize(("latin", "cyrillic"), [("Nehoda", "Негода"), ("Nekhoda", "Нехода")])
    def test_latin_spellings_still_reach_either(self, latin: str, cyrillic: str) -> None:
        a = Person(family_name=latin, given_name="Ivan")
        b = Person(family_name=cyrillic, given_name="Іван")
        family = next(f for f in compare(a, b).explanation if f.field == "family_name")
        assert family.verdict == "same under transliteration"


class TestRegistryDerivedTable:
    @pytest.mark.parametrize(
        ("uk", "ru"),
        [
            ("Артемій", "Артемий"),
            ("Прокіп", "Прокопий"),  # through the patronymics Прокопович = Прокопьевич
            ("Онисим", "Анисим"),  # Онисимович = Анисимович
            ("Ядвіга", "Ядвига"),
            ("Пилип", "Филипп"),
        ],
    )
    def test_ukrainian_and_russian_forms_share_a_group(self, uk: str, ru: str) -> None:
        assert groups(uk) & groups(ru), (groups(uk), groups(ru))

    @pytest.mark.parametrize("name", ["Одарка", "Ядвіга", "Онисим", "Прокіп", "Артемій"])
    def test_real_names_are_known(self, name: str) -> None:
        assert groups(name)
