"""Reading CSV files: encoding and delimiter detection, the header, rows and their line numbers."""

from pathlib import Path

import pytest

from app.formats.csvtext import CsvFileError
from app.imports.csvfile import MappingError, inspect, parse_map, read_rows
from app.imports.fields import Kind

pytestmark = pytest.mark.nodb

LIST = "Фамилия;Имя;Дата рождения;Пол\nОлейник;Николай;12.03.2011;м\nРуденко;Дарья;2012;ж\n"


def write(tmp_path: Path, data: bytes | str, name: str = "file.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (LIST.encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + LIST.encode("utf-8"), "utf-8-sig"),
        (LIST.encode("cp1251"), "cp1251"),
        # Plain ASCII is valid UTF-8: the strict UTF-8 attempt comes before Windows-1251.
        (b"family_name\nMykola\n", "utf-8"),
    ],
)
def test_the_encoding_is_detected(tmp_path: Path, data: bytes, encoding: str):
    path = write(tmp_path, data)
    layout = inspect(path, Kind.sightings)
    assert layout.encoding == encoding
    rows = list(read_rows(path, layout))
    assert rows[0].body is not None
    assert rows[0].body["subject"]["family_name"] in ("Олейник", "Mykola")


def test_a_bom_does_not_stick_to_the_first_header(tmp_path: Path):
    path = write(tmp_path, b"\xef\xbb\xbf" + LIST.encode())
    assert inspect(path, Kind.sightings, encoding="utf-8").columns[0] == "family_name"


def test_a_given_encoding_that_does_not_fit_is_refused(tmp_path: Path):
    path = write(tmp_path, LIST.encode("cp1251"))
    with pytest.raises(CsvFileError) as refused:
        inspect(path, Kind.sightings, encoding="utf-8")
    assert refused.value.not_text


def test_binary_files_are_refused(tmp_path: Path):
    path = write(tmp_path, b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)))
    with pytest.raises(CsvFileError) as refused:
        inspect(path, Kind.reports)
    assert refused.value.not_text


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ('Прізвище,Ім\'я,Примітки\nОлійник,Микола,"seen; twice"\n', ","),
        ('Прізвище;Ім\'я;Примітки\nОлійник;Микола;"seen, twice"\n', ";"),
        ("Прізвище\tІм'я\tПримітки\nОлійник\tМикола\tseen\n", "\t"),
        ("ПІБ\nОлійник Микола\n", ","),  # one column: nothing to split
    ],
)
def test_the_delimiter_is_detected(tmp_path: Path, text: str, delimiter: str):
    layout = inspect(write(tmp_path, text), Kind.sightings)
    assert layout.delimiter == delimiter
    [row] = read_rows(write(tmp_path, text), layout)
    assert row.errors == ()


def test_a_given_delimiter_wins(tmp_path: Path):
    path = write(tmp_path, "Прізвище;Ім'я, по батькові\nОлійник;Микола\n")
    assert inspect(path, Kind.reports).delimiter == ","
    layout = inspect(path, Kind.reports, delimiter=";")
    assert layout.columns == {0: "family_name"}
    assert layout.ignored == ["Ім'я, по батькові"]


@pytest.mark.parametrize(
    "text", ["", "\n\n  \n", "Колонка;Ще одна\n1;2\n", "given_name;Імʼя\nМикола;Коля\n"]
)
def test_files_with_nothing_to_read(tmp_path: Path, text: str):
    with pytest.raises(CsvFileError) as refused:
        inspect(write(tmp_path, text), Kind.reports)
    assert not refused.value.not_text


def test_a_mapping_names_other_columns_and_leaves_some_out(tmp_path: Path):
    path = write(tmp_path, "Место выявления;Фамилия;Телефон\nЕвпатория;Олейник;+7000\n")
    mapping = parse_map("Место выявления=location, Телефон=-", Kind.sightings)
    layout = inspect(path, Kind.sightings, mapping=mapping)
    assert layout.mapped == {"Место выявления": "location", "Фамилия": "family_name"}
    assert layout.ignored == []
    [row] = read_rows(path, layout)
    assert row.body == {"subject": {"family_name": "Олейник"}, "location": "Евпатория"}


def test_a_mapping_of_a_missing_column_is_reported(tmp_path: Path):
    path = write(tmp_path, LIST)
    layout = inspect(path, Kind.sightings, mapping=parse_map("Регіон=location", Kind.sightings))
    assert layout.unmatched_map == ["регіон"]


@pytest.mark.parametrize("text", ["given_name", "Ім'я=nickname", "=given_name"])
def test_mappings_that_do_not_parse(text: str):
    with pytest.raises(MappingError):
        parse_map(text, Kind.reports)


def test_mapping_lines_and_comments():
    text = "# from the partner's template\nІм'я дитини=given_name\nДата=observed_on\n"
    assert parse_map(text, Kind.sightings) == {
        "ім'я дитини": "given_name",
        "дата": "observed_on",
    }


def test_line_numbers_count_physical_lines(tmp_path: Path):
    text = (
        "Прізвище,Ім'я,Примітки\n"  # line 1
        "\n"  # 2: blank, passed over
        'Олійник,Микола,"two\nlines"\n'  # 3-4
        "Руденко,,,,\n"  # 5: empty cells past the header's end hold nothing
        "Петренко,Аліна\n"  # 6: a cell short
        "Бондар,Іван,x,y\n"  # 7: a cell too many
        ",,\n"  # 8: blank
        "Шевченко,Олена,\n"  # 9
    )
    path = write(tmp_path, text)
    layout = inspect(path, Kind.sightings)
    assert layout.lines == 8
    rows = list(read_rows(path, layout))
    assert [row.line for row in rows] == [3, 5, 6, 7, 9]
    assert [bool(row.errors) for row in rows] == [False, False, True, True, False]
    assert rows[2].errors[0].reason == "has 2 cells where the header has 3"
    assert rows[0].body is not None
    assert rows[0].body["notes"] == "two\nlines"


def test_defaults_fill_empty_cells_only(tmp_path: Path):
    path = write(tmp_path, "Имя;Тип источника\nКоля;свидетель\nСаша;\n")
    rows = list(read_rows(path, inspect(path, Kind.sightings), defaults={"source_type": "list"}))
    assert [row.body["source_type"] for row in rows if row.body] == ["witness", "list"]


def test_cells_that_cannot_be_read_name_their_column(tmp_path: Path):
    path = write(tmp_path, "Имя;Возраст\nКоля;около двенадцати\n")
    [row] = read_rows(path, inspect(path, Kind.sightings))
    assert row.body is None
    [error] = row.errors
    assert (error.line, error.field, error.column) == (2, "age", "Возраст")
    assert "около" not in error.reason
