"""The import vocabulary: the header table, header normalization, cells to API values."""

import re

import pytest

from app.imports.fields import (
    FIELDS,
    HEADERS,
    SEX_VALUES,
    SOURCE_TYPE_VALUES,
    Kind,
    build_body,
    field_of,
    header_lookup,
    normalize_header,
)
from tests.conftest import REPO

pytestmark = pytest.mark.nodb


@pytest.mark.parametrize("kind", list(Kind))
def test_no_header_means_two_fields(kind: Kind):
    seen: dict[str, str] = {}
    for field in FIELDS[kind]:
        for header in (field, *HEADERS[field]):
            key = normalize_header(header)
            assert seen.setdefault(key, field) == field, (header, seen[key], field)


def test_every_field_has_a_row_in_the_table():
    assert set(HEADERS) == set(FIELDS[Kind.reports]) | set(FIELDS[Kind.sightings])


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("given_name", "given_name"),
        ("Given Name", "given_name"),
        ("Ім'я", "given_name"),
        ("Імʼя", "given_name"),  # U+02BC, the Ukrainian orthography's apostrophe
        ("ім’я", "given_name"),  # U+2019, what word processors type
        ("ІМ`Я", "given_name"),
        ("  Имя  ", "given_name"),
        ("Фамилия", "family_name"),
        ("ПРІЗВИЩЕ", "family_name"),
        ("По батькові", "patronymic"),
        ("Отчество", "patronymic"),
        ("DATE-OF-BIRTH", "date_of_birth"),
        ("Дата народження", "date_of_birth"),
        ("Дата рождения", "date_of_birth"),
        ("Д.р.", "date_of_birth"),
        ("Фамилия, имя, отчество", "full_name"),
        ("П.І.Б.", "full_name"),
        ("ФИО", "full_name"),
        ("Вік", "age"),
        ("Заклад", "institution"),
        ("Учреждение", "institution"),
        ("institution", "institution"),
        ("Возраст", "age"),
        ("Ребёнок имя", None),
        ("\ufeffФамилия", "family_name"),  # a BOM read as text
    ],
)
def test_headers_in_three_languages_any_case_and_apostrophe(header: str, field: str | None):
    assert header_lookup(Kind.sightings).get(normalize_header(header)) == field


def test_settlement_and_details_differ_by_kind():
    reports, sightings = header_lookup(Kind.reports), header_lookup(Kind.sightings)
    assert reports[normalize_header("Населений пункт")] == "home_settlement"
    assert normalize_header("Населений пункт") not in sightings  # where from, or where now?
    assert sightings[normalize_header("Откуда")] == "origin_settlement"
    assert reports[normalize_header("Телефон")] == "reporter_phone"
    assert normalize_header("Телефон") not in sightings
    assert sightings[normalize_header("Примечание")] == "notes"


def test_the_readme_documents_every_header():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    rows = {
        match[1]: match[2]
        for match in re.finditer(r"^\| `(\w+)` \|[^|]*\|(.*)\|$", readme, re.MULTILINE)
    }
    for field, headers in HEADERS.items():
        assert field in rows, f"README: no row for {field}"
        documented = {normalize_header(h) for h in re.findall(r"`([^`]+)`", rows[field])}
        assert {normalize_header(h) for h in headers} == documented, field
    for values in (*SEX_VALUES.values(), *SOURCE_TYPE_VALUES.values()):
        for value in values:
            assert f"`{value}`" in readme, value


def test_a_row_becomes_the_api_body():
    body, problems = build_body(
        Kind.reports,
        {
            "given_name": " Микола ",
            "family_name": "Олійник",
            "other_names": "Коля; Николай | ",
            "sex": "Ч",
            "date_of_birth": "12.03.2011",
            "age": "",
            "last_seen_date": "10.2022",
            "last_seen_place": "Херсон",
            "reporter_phone": "+380500000001",
            "circumstances": "   ",
        },
    )
    assert problems == {}
    assert body == {
        "child": {
            "given_name": "Микола",
            "family_name": "Олійник",
            "other_names": ["Коля", "Николай"],
            "sex": "male",
            "date_of_birth": "2011-03-12",
        },
        "last_seen": {"date": "2022-10", "place": "Херсон"},
        "reporter": {"phone": "+380500000001"},
    }


@pytest.mark.parametrize(
    ("cells", "estimate"),
    [
        ({"age": "12"}, {"min": 12, "max": 12}),
        ({"age": "12-14"}, {"min": 12, "max": 14}),
        ({"age": "12 – 14"}, {"min": 12, "max": 14}),
        ({"age_min": "5", "age_max": "7"}, {"min": 5, "max": 7}),
        ({"age": "40"}, {"min": 40, "max": 40}),  # the API's rules refuse it, with its message
    ],
)
def test_ages(cells: dict[str, str], estimate: dict[str, int]):
    body, problems = build_body(Kind.sightings, {"given_name": "Коля", **cells})
    assert problems == {}
    assert body["subject"]["age_estimate"] == estimate


@pytest.mark.parametrize(
    ("cells", "field"),
    [
        ({"age": "about twelve"}, "age"),
        ({"age": "12", "age_min": "11"}, "age"),
        ({"age_min": "5"}, "age_max"),
        ({"age_min": "5.5", "age_max": "7"}, "age_min"),
        ({"date_of_birth": "весна 2015"}, "date_of_birth"),
        ({"observed_on": "2024/05/01"}, "observed_on"),
    ],
)
def test_cells_that_cannot_be_read(cells: dict[str, str], field: str):
    _, problems = build_body(Kind.sightings, {"given_name": "Коля", **cells})
    assert list(problems) == [field]
    for value in cells.values():
        assert value not in problems[field]


@pytest.mark.parametrize(
    ("cell", "value"),
    [("Документ", "document"), ("свідок", "witness"), ("СПИСОК", "list"), ("СМИ", "media"),
     ("rumour", "rumour")],
)  # fmt: skip
def test_source_types_in_three_languages(cell: str, value: str):
    body, _ = build_body(Kind.sightings, {"given_name": "Коля", "source_type": cell})
    assert body["source_type"] == value


def test_validation_errors_point_back_at_fields():
    present = {"age": "Вік", "date_of_birth": "Дата народження"}
    assert field_of(Kind.reports, ("child", "age_estimate", "max"), present) == "age"
    assert field_of(Kind.reports, ("child", "age_estimate", "max"), {}) == "age_max"
    assert field_of(Kind.reports, ("child", "date_of_birth"), present) == "date_of_birth"
    assert field_of(Kind.reports, ("child", "other_names", 3), present) == "other_names"
    assert field_of(Kind.reports, ("last_seen", "date"), present) == "last_seen_date"
    assert field_of(Kind.sightings, ("source", "contact"), present) == "source_contact"
    assert field_of(Kind.sightings, ("subject",), present) is None
