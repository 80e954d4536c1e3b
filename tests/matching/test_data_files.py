"""Checks of the hand-written name-knowledge files in matching/data.

These parse the files with a plain line parser (not the engine's loader), so a broken
file is caught here even if the loader is lenient.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[2] / "matching" / "data"
GIVEN = DATA / "given_names.tsv"
PLACES = DATA / "places.tsv"


Rows = list[tuple[int, str, list[str]]]


def _rows(path: Path) -> Rows:
    rows: Rows = []
    with path.open(encoding="utf-8", newline="") as fh:
        for lineno, raw in enumerate(fh, 1):
            line = raw.rstrip("\n")
            if line.endswith("\r"):
                pytest.fail(f"{path.name}:{lineno}: CRLF line ending")
            if not line.strip() or line.startswith("#"):
                continue
            rows.append((lineno, line, line.split("\t")))
    return rows


def _items(cell: str) -> list[str]:
    return [x for x in cell.split(",") if x != ""]


def _is_cyrillic_word(s: str, allow_space: bool = False) -> bool:
    if not s or s != s.strip():
        return False
    for ch in s:
        if ch in "'-":
            continue
        if ch == " " and allow_space:
            continue
        if not unicodedata.name(ch, "").startswith("CYRILLIC"):
            return False
    return True


def _is_latin_word(s: str) -> bool:
    if not s or s != s.strip():
        return False
    for ch in s:
        if ch in "'- .":
            continue
        if not unicodedata.name(ch, "").startswith("LATIN"):
            return False
    return True


@pytest.fixture(scope="module")
def given() -> Rows:
    return _rows(GIVEN)


@pytest.fixture(scope="module")
def places() -> Rows:
    return _rows(PLACES)


# ---------------------------------------------------------------- given_names.tsv


def test_given_names_header_comment() -> None:
    head = GIVEN.read_text(encoding="utf-8").splitlines()[:30]
    comments = [h for h in head if h.startswith("#")]
    assert len(comments) >= 3, "header comment block saying where the knowledge comes from"
    assert any("sex\tukrainian\trussian\tdiminutives\tother" in h for h in comments)


def test_given_names_five_columns(given: Rows) -> None:
    bad = [(n, line) for n, line, cols in given if len(cols) != 5]
    assert not bad, bad[:5]


def test_given_names_sex(given: Rows) -> None:
    bad = [(n, cols[0]) for n, _, cols in given if cols[0] not in {"m", "f"}]
    assert not bad, bad[:5]


def test_given_names_enough_groups(given: Rows) -> None:
    counts = Counter(cols[0] for _, _, cols in given)
    assert counts["m"] >= 150, counts
    assert counts["f"] >= 150, counts


def test_given_names_cyrillic_columns(given: Rows) -> None:
    bad = []
    for n, _, cols in given:
        assert _items(cols[1]), f"line {n}: empty ukrainian column"
        assert _items(cols[2]), f"line {n}: empty russian column"
        for col in (1, 2, 3):
            for item in cols[col].split(",") if cols[col] else []:
                if not _is_cyrillic_word(item):
                    bad.append((n, col + 1, item))
    assert not bad, bad[:10]


def test_given_names_latin_column(given: Rows) -> None:
    bad = []
    for n, _, cols in given:
        for item in cols[4].split(",") if cols[4] else []:
            if not _is_latin_word(item):
                bad.append((n, item))
    assert not bad, bad[:10]


def test_given_names_straight_apostrophe(given: Rows) -> None:
    bad = [(n, line) for n, line, _ in given if any(c in line for c in "’ʼ`´‘")]
    assert not bad, bad[:5]


def test_given_names_no_duplicate_rows(given: Rows) -> None:
    dup = [line for line, k in Counter(line for _, line, _ in given).items() if k > 1]
    assert not dup, dup[:5]


def test_given_names_unique_canonical_per_sex(given: Rows) -> None:
    keys = Counter((cols[0], _items(cols[1])[0]) for _, _, cols in given)
    dup = [k for k, v in keys.items() if v > 1]
    assert not dup, dup


def test_given_names_no_duplicates_inside_a_cell(given: Rows) -> None:
    bad = []
    for n, _, cols in given:
        for col in (1, 2, 3, 4):
            items = _items(cols[col])
            if len(items) != len(set(items)):
                bad.append((n, col + 1))
    assert not bad, bad[:10]


def test_given_names_yo_has_plain_e_variant(given: Rows) -> None:
    bad = []
    for n, _, cols in given:
        for col in (2, 3):
            items = set(_items(cols[col]))
            for item in items:
                if "ё" in item and item.replace("ё", "е") not in items:
                    bad.append((n, item))
    assert not bad, bad[:10]


def _group(given: Rows, sex: str, ukrainian: str) -> list[str]:
    for _, _, cols in given:
        if cols[0] == sex and ukrainian in _items(cols[1]):
            return cols
    pytest.fail(f"no {sex} group with Ukrainian form {ukrainian}")


def test_given_names_required_examples(given: Rows) -> None:
    g = _group(given, "m", "Микола")
    assert _items(g[2])[0] == "Николай"
    assert "Коля" in _items(g[3])

    g = _group(given, "m", "Олексій")
    assert _items(g[2])[0] == "Алексей"
    assert "Льоша" in _items(g[3])

    ganna = [c for _, _, c in given if c[0] == "f" and ({"Ганна", "Анна"} & set(_items(c[1])))]
    assert ganna, "Ганна/Анна group"
    assert all("Анна" in _items(c[2]) for c in ganna)

    g = _group(given, "f", "Дарія")
    assert "Дар'я" in _items(g[1])
    assert "Дарья" in _items(g[2])

    assert "Саша" in _items(_group(given, "m", "Олександр")[3])
    assert "Саша" in _items(_group(given, "f", "Олександра")[3])

    others = {x for _, _, c in given for x in _items(c[4])}
    assert "Alexander" in others
    assert {"Helen", "Helena"} & others
    assert "Catherine" in others


@pytest.mark.parametrize(
    ("sex", "ukrainian", "russian"),
    [
        ("m", "Олексій", "Алексей"),
        ("m", "Євген", "Евгений"),
        ("m", "Юрій", "Юрий"),
        ("m", "Георгій", "Георгий"),
        ("m", "Григорій", "Григорий"),
        ("m", "Федір", "Фёдор"),
        ("m", "Федір", "Федор"),
        ("m", "Семен", "Семён"),
        ("m", "Петро", "Пётр"),
        ("m", "Павло", "Павел"),
        ("m", "Яків", "Яков"),
        ("m", "Ілля", "Илья"),
        ("m", "Гліб", "Глеб"),
        ("m", "Матвій", "Матвей"),
        ("m", "Тимофій", "Тимофей"),
        ("m", "Данило", "Даниил"),
        ("m", "Микита", "Никита"),
        ("f", "Олена", "Елена"),
        ("f", "Альона", "Алёна"),
        ("f", "Єлизавета", "Елизавета"),
        ("f", "Тетяна", "Татьяна"),
        ("f", "Катерина", "Екатерина"),
        ("f", "Євгенія", "Евгения"),
        ("f", "Єва", "Ева"),
        ("f", "Уляна", "Ульяна"),
        ("f", "Мар'яна", "Марьяна"),
        ("f", "Ксенія", "Ксения"),
        ("f", "Оксана", "Оксана"),
        ("f", "Наталія", "Наталья"),
        ("f", "Софія", "София"),
        ("f", "Софія", "Софья"),
        ("f", "Василина", "Василиса"),
        ("f", "Ірина", "Ирина"),
    ],
)
def test_given_names_pairs(given: Rows, sex: str, ukrainian: str, russian: str) -> None:
    assert russian in _items(_group(given, sex, ukrainian)[2])


def test_given_names_separate_groups(given: Rows) -> None:
    # names that look alike but are different names keep their own rows
    m = {_items(c[1])[0] for _, _, c in given if c[0] == "m"}
    f = {_items(c[1])[0] for _, _, c in given if c[0] == "f"}
    assert {"Юрій", "Георгій", "Олесь", "Олександр"} <= m
    assert {"Оксана", "Ксенія", "Олена", "Альона"} <= f


def test_given_names_ambiguous_diminutives_in_every_group(given: Rows) -> None:
    def holders(dim: str) -> set[str]:
        return {_items(c[1])[0] for _, _, c in given if dim in _items(c[3])}

    assert {"Олександр", "Олександра"} <= holders("Саша")
    assert {"Євген", "Євгенія"} <= holders("Женя")
    assert {"В'ячеслав", "Ярослав", "Владислав", "Святослав", "Мирослав", "Станіслав"} <= holders(
        "Слава"
    )
    assert {"Валентин", "Валентина"} <= holders("Валя")


# ---------------------------------------------------------------------- places.tsv


def test_places_header_comment() -> None:
    head = PLACES.read_text(encoding="utf-8").splitlines()[:40]
    comments = [h for h in head if h.startswith("#")]
    assert len(comments) >= 3
    assert any("oblast\tukrainian\trussian\tformer\tlatin" in h for h in comments)


def test_places_five_columns(places: Rows) -> None:
    bad = [(n, line) for n, line, cols in places if len(cols) != 5]
    assert not bad, bad[:5]


def test_places_enough_rows(places: Rows) -> None:
    assert len(places) >= 150


def test_places_scripts(places: Rows) -> None:
    bad = []
    for n, _, cols in places:
        if not _is_latin_word(cols[0]):
            bad.append((n, 1, cols[0]))
        assert _items(cols[1]) and _items(cols[2]) and _items(cols[4]), f"line {n}: empty column"
        for col in (1, 2, 3):
            for item in cols[col].split(",") if cols[col] else []:
                if not _is_cyrillic_word(item, allow_space=True):
                    bad.append((n, col + 1, item))
        for item in cols[4].split(","):
            if not _is_latin_word(item):
                bad.append((n, 5, item))
    assert not bad, bad[:10]


def test_places_no_duplicates(places: Rows) -> None:
    dup = [line for line, k in Counter(line for _, line, _ in places).items() if k > 1]
    assert not dup, dup[:5]
    keys = Counter((cols[0], _items(cols[1])[0]) for _, _, cols in places)
    assert not [k for k, v in keys.items() if v > 1]


def test_places_russian_yo_has_plain_e_variant(places: Rows) -> None:
    bad = []
    for n, _, cols in places:
        for col in (2, 3):
            items = set(_items(cols[col]))
            bad += [(n, x) for x in items if "ё" in x and x.replace("ё", "е") not in items]
    assert not bad, bad[:10]


def _names(cols: list[str]) -> set[str]:
    return {x for col in cols[1:4] for x in _items(col)}


@pytest.mark.parametrize(
    ("current", "also"),
    [
        ("Бахмут", {"Артемовск"}),
        ("Покровськ", {"Красноармейск"}),
        ("Дніпро", {"Днепропетровск"}),
        ("Кропивницький", {"Кировоград"}),
        ("Олешки", {"Алешки", "Цюрупинск"}),
        ("Торецьк", {"Дзержинск"}),
        ("Мирноград", {"Димитров"}),
        ("Горішні Плавні", {"Комсомольск"}),
        ("Довжанськ", {"Свердловск"}),
        ("Хрустальний", {"Красный Луч"}),
        ("Кам'янське", {"Днепродзержинск"}),
        ("Кадіївка", {"Стаханов"}),
        ("Сорокине", {"Краснодон"}),
        ("Голубівка", {"Кировск"}),
        ("Маріуполь", {"Жданов"}),
    ],
)
def test_places_renamings(places: Rows, current: str, also: set[str]) -> None:
    rows = [cols for _, _, cols in places if _items(cols[1])[0] == current]
    assert rows, f"no row for {current}"
    assert any(also <= _names(cols) for cols in rows), (current, also)


def test_places_oblast_centres(places: Rows) -> None:
    names = {_items(cols[1])[0] for _, _, cols in places}
    centres = {
        "Вінниця",
        "Луцьк",
        "Дніпро",
        "Донецьк",
        "Житомир",
        "Ужгород",
        "Запоріжжя",
        "Івано-Франківськ",
        "Київ",
        "Кропивницький",
        "Луганськ",
        "Львів",
        "Миколаїв",
        "Одеса",
        "Полтава",
        "Рівне",
        "Суми",
        "Тернопіль",
        "Харків",
        "Херсон",
        "Хмельницький",
        "Черкаси",
        "Чернівці",
        "Чернігів",
        "Сімферополь",
        "Севастополь",
    }
    assert not centres - names, centres - names
