"""Text rules: normalisation, mixed scripts, the transliteration skeleton."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from matching import normalize, skeleton, skeletons
from matching._text import fix_mixed_script

NAME_CHARS = st.text(
    alphabet=st.sampled_from(
        list("абвгґдеєжзиіїйклмнопрстуфхцчшщьюяыэёъ")
        + list("abcdefghijklmnopqrstuvwxyzšžčŝïĭʹ’'` -")
        + ["\u0361", "\u0301", "ʼ", "\u00a0"]
    ),
    max_size=20,
)


class TestNormalize:
    @given(NAME_CHARS)
    def test_idempotent(self, text: str) -> None:
        assert normalize(normalize(text)) == normalize(text)

    @pytest.mark.parametrize("form", ["Дар'я", "Дар’я", "Дарʼя", "Дар`я", "Даря"])
    def test_every_apostrophe_form_is_dropped(self, form: str) -> None:
        assert normalize(form) == "даря"

    def test_case_hyphens_and_spaces(self) -> None:
        assert normalize("  АННА-марія ") == normalize("анна марія")

    def test_latin_look_alike_inside_cyrillic_word(self) -> None:
        # Latin e in "Олeг", Latin i in "Сергiй"
        assert normalize("Олeг") == "олег"
        assert normalize("Сергiй") == "сергій"

    def test_cyrillic_look_alike_inside_latin_word(self) -> None:
        assert fix_mixed_script("sergіy") == "sergiy"  # Cyrillic і

    def test_stray_combining_marks_are_dropped(self) -> None:
        assert normalize("I͡uliia") == "iuliia"


class TestSkeleton:
    @pytest.mark.parametrize(
        "spelling",
        ["Шевченко", "Shevchenko", "Schewtschenko", "Chevtchenko", "Szewczenko", "Ševčenko"],
    )
    def test_shevchenko_in_every_system(self, spelling: str) -> None:
        assert skeletons("Шевченко") & skeletons(spelling)

    @pytest.mark.parametrize(
        ("a", "b"),
        [
            ("Григорій", "Hryhorii"),  # Ukrainian г = h
            ("Григорий", "Grigorii"),  # Russian г = g
            ("Hryhorii", "Grigorii"),
            ("Щербак", "Shcherbak"),
            ("Щербак", "Ščerbak"),
            ("Щербак", "Ŝerbak"),  # ISO 9
            ("Щербак", "Shherbak"),  # GOST 7.79-B
            ("Жук", "Zhuk"),
            ("Жук", "Žuk"),
            ("Жук", "Jouk"),  # French
            ("Хмара", "Khmara"),
            ("Хмара", "Chmara"),  # German, Polish
            ("Цимбалюк", "Tsymbaliuk"),
            ("Цимбалюк", "Cymbaljuk"),
            ("Юлія", "Yuliia"),
            ("Юлія", "I͡uliia"),  # ALA-LC tie bar
            ("Ярослава", "Jaroslava"),
            ("Євген", "Yevhen"),
            ("Євген", "Jevhen"),
            ("Фёдор", "Fyodor"),
            ("Фёдор", "Федор"),
            ("Артём", "Artyom"),
            ("Дар'я", "Darya"),
            ("Дарья", "Dar'ja"),
            ("Ковальський", "Kovaljsjkyj"),  # DSTU 9112 soft sign j
            ("Їжак", "Yizhak"),
        ],
    )
    def test_same_skeleton_across_systems(self, a: str, b: str) -> None:
        assert skeletons(a) & skeletons(b), (skeletons(a), skeletons(b))

    @pytest.mark.parametrize(("a", "b"), [("Шевченко", "Тимошенко"), ("Жук", "Зуб")])
    def test_different_names_stay_apart(self, a: str, b: str) -> None:
        assert not skeletons(a) & skeletons(b)

    def test_latin_ch_keeps_several_readings(self) -> None:
        readings = skeletons("Chmil")
        assert len(readings) >= 2
        assert skeletons("Хміль") & readings  # German/Polish ch = х
        assert skeletons("Чміль") & readings  # English ch = ч

    @given(NAME_CHARS)
    def test_skeleton_ignores_case_and_spacing(self, text: str) -> None:
        assert skeletons(text.upper()) == skeletons(text)
        assert skeleton(" " + text + "  ") == skeleton(text)
