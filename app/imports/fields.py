"""The import vocabulary: which file columns fill which field of a report or a sighting, and how
a cell's text becomes the value the API takes.

`HEADERS` is the one table of accepted column headers (English, Ukrainian, Russian), documented
in the README. Headers are compared after `normalize_header`: case, apostrophe variants
(' ’ ʼ ‘ `), ё/е, spaces, underscores, hyphens and punctuation do not matter, so `Ім’я`, `ІМʼЯ`
and `ім'я` are one header, and so are `date_of_birth`, `Date of birth` and `DATE-OF-BIRTH`.

A row is described as flat values by field name (`{"given_name": "Микола", "age": "12-14"}`)
and turned into the API's request body by `build_body`: the same body `POST /api/v1/reports` or
`POST /api/v1/sightings` takes, validated by the same schemas. Other readers (PFIF) can produce
the same flat values, or the body directly.
"""

import re
import unicodedata
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from app.core.dates import PARTIAL_DATE_SHAPE


class Kind(StrEnum):
    reports = "reports"
    sightings = "sightings"


# The person description, shared by both kinds.
PERSON_FIELDS = (
    "given_name",
    "family_name",
    "patronymic",
    "full_name",
    "other_names",
    "sex",
    "date_of_birth",
    "age",
    "age_min",
    "age_max",
    "distinguishing_marks",
    "institution",
)
# Rows with the same value in this column are one group: siblings (reports) or children seen
# together (sightings). It says how the rows relate and is not stored itself.
GROUP = "group"
REPORT_FIELDS = (
    *PERSON_FIELDS,
    GROUP,
    "home_settlement",
    "last_seen_date",
    "last_seen_place",
    "circumstances",
    "reporter_name",
    "reporter_relationship",
    "reporter_phone",
    "reporter_email",
)
SIGHTING_FIELDS = (
    *PERSON_FIELDS,
    GROUP,
    "origin_settlement",
    "observed_on",
    "location",
    "source_type",
    "notes",
    "source_contact",
    "source_details",
)
FIELDS: dict[Kind, tuple[str, ...]] = {
    Kind.reports: REPORT_FIELDS,
    Kind.sightings: SIGHTING_FIELDS,
}

# Headers accepted for each field besides the field's own name: English, Ukrainian, Russian.
# Ambiguous headers are left out on purpose ("Дата", "Місто" in a list of sightings: where the
# child is now, or where from?); `--map` says what such a column means.
HEADERS: dict[str, tuple[str, ...]] = {
    GROUP: (
        "family group", "siblings", "seen together",
        "група", "родина",
        "группа",
    ),
    "given_name": (
        "given name", "first name", "child's first name",
        "ім'я", "ім'я дитини",
        "имя", "имя ребенка",
    ),
    "family_name": (
        "family name", "surname", "last name",
        "прізвище", "прізвище дитини",
        "фамилия", "фамилия ребенка",
    ),
    "patronymic": (
        "middle name",
        "по батькові",
        "отчество",
    ),
    "full_name": (
        "full name", "name",
        "піб", "прізвище ім'я по батькові", "повне ім'я",
        "фио", "фамилия имя отчество", "полное имя",
    ),
    "other_names": (
        "other names", "also known as", "aka", "nicknames", "nickname",
        "інші імена", "прізвисько",
        "другие имена", "прозвище",
    ),
    "sex": (
        "gender",
        "стать",
        "пол",
    ),
    "date_of_birth": (
        "date of birth", "birth date", "dob", "born",
        "дата народження", "народився",
        "дата рождения", "др", "родился",
    ),
    "age": (
        "age estimate",
        "вік",
        "возраст",
    ),
    "age_min": (
        "age from", "min age",
        "вік від",
        "возраст от",
    ),
    "age_max": (
        "age to", "max age",
        "вік до",
        "возраст до",
    ),
    "distinguishing_marks": (
        "marks", "distinguishing features",
        "особливі прикмети", "прикмети",
        "особые приметы", "приметы",
    ),
    "institution": ("заклад", "учреждение"),
    "home_settlement": (
        "settlement", "hometown", "home town",
        "населений пункт", "місце проживання", "місто",
        "населенный пункт", "место жительства", "город",
    ),
    "last_seen_date": (
        "last seen", "date last seen", "date of disappearance",
        "дата зникнення", "коли бачили востаннє",
        "дата исчезновения", "когда видели последний раз",
    ),
    "last_seen_place": (
        "place last seen", "place of disappearance",
        "місце зникнення", "де бачили востаннє",
        "место исчезновения", "где видели последний раз",
    ),
    "circumstances": (
        "обставини", "обставини зникнення",
        "обстоятельства", "обстоятельства исчезновения",
    ),
    "reporter_name": (
        "reporter", "reported by",
        "заявник", "ім'я заявника",
        "заявитель", "имя заявителя",
    ),
    "reporter_relationship": (
        "relationship",
        "ким доводиться", "ступінь спорідненості",
        "кем приходится", "степень родства",
    ),
    "reporter_phone": (
        "phone", "telephone",
        "телефон", "телефон заявника",
        "телефон заявителя",
    ),
    "reporter_email": (
        "email", "e mail",
        "електронна пошта", "ел пошта",
        "электронная почта", "эл почта",
    ),
    "origin_settlement": (
        "origin", "place of origin", "home settlement",
        "звідки", "місце походження",
        "откуда", "место происхождения",
    ),
    "observed_on": (
        "date observed", "seen on",
        "дата спостереження", "коли бачили",
        "дата наблюдения", "когда видели",
    ),
    "location": (
        "where seen", "current location", "region",
        "де бачили", "місце перебування", "місцеперебування", "регіон",
        "где видели", "местонахождение", "место нахождения", "регион",
    ),
    "source_type": (
        "source type",
        "тип джерела",
        "тип источника",
    ),
    "notes": (
        "note", "comment", "comments",
        "примітки", "примітка", "коментар",
        "примечание", "примечания", "комментарий",
    ),
    "source_contact": (
        "contact",
        "контакт", "контакт джерела",
        "контакт источника",
    ),
    "source_details": (
        "source",
        "джерело",
        "источник",
    ),
}  # fmt: skip

# Cell values of `sex` and `source_type` in the three languages (compared normalized).
SEX_VALUES: dict[str, tuple[str, ...]] = {
    "male": (
        "male", "m", "boy",
        "ч", "чол", "чоловіча", "хлопчик",
        "м", "муж", "мужской", "мальчик",
    ),
    "female": (
        "female", "f", "girl",
        "ж", "жін", "жіноча", "дівчинка",
        "жен", "женский", "девочка",
    ),
    "unknown": ("unknown", "невідомо", "неизвестно"),
}  # fmt: skip
SOURCE_TYPE_VALUES: dict[str, tuple[str, ...]] = {
    "document": ("document", "документ"),
    "witness": ("witness", "свідок", "свидетель"),
    "list": ("list", "список", "перелік"),
    "media": ("media", "змі", "сми", "медіа", "медиа"),
    "other": ("other", "інше", "другое"),
}

LIST_SEPARATORS = re.compile(r"[;|]")
_APOSTROPHES = str.maketrans({c: "'" for c in '’ʼ‘`´′＇"'})
_PUNCTUATION = re.compile(r"[\s_\-,:;/()№#*]+")
# Digits are ASCII digits (re.ASCII): `\d` would also take full-width or Arabic-Indic ones.
_DOTTED_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})", re.ASCII)
_DOTTED_MONTH = re.compile(r"(\d{1,2})\.(\d{4})", re.ASCII)
_YEARS = re.compile(r"\d{1,3}", re.ASCII)
_YEAR_RANGE = re.compile(r"(\d{1,3})\s*[-–—]\s*(\d{1,3})", re.ASCII)


def normalize_header(text: str) -> str:
    """The form in which headers (and short coded cell values) are compared."""
    text = unicodedata.normalize("NFKC", text.replace("\ufeff", "")).casefold()
    text = text.translate(_APOSTROPHES)
    text = text.replace("ё", "е").replace(".", "")  # П.І.Б. is піб, Д.р. is др
    return _PUNCTUATION.sub(" ", text).strip()


def _lookup(table: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    return {normalize_header(alias): value for value, aliases in table.items() for alias in aliases}


def header_lookup(kind: Kind) -> dict[str, str]:
    """{normalized header: field} for every header a file of this kind may use."""
    found = {}
    for field in FIELDS[kind]:
        for header in (field, *HEADERS[field]):
            found[normalize_header(header)] = field
    return found


_SEX = _lookup(SEX_VALUES)
_SOURCE_TYPE = _lookup(SOURCE_TYPE_VALUES)

# Where each flat field goes in the API body ("person" is `child` or `subject`).
_PLACES: dict[str, tuple[str, ...]] = {
    **{field: ("person", field) for field in PERSON_FIELDS if not field.startswith("age")},
    "home_settlement": ("person", "home_settlement"),
    "origin_settlement": ("person", "origin_settlement"),
    "last_seen_date": ("last_seen", "date"),
    "last_seen_place": ("last_seen", "place"),
    "circumstances": ("circumstances",),
    "reporter_name": ("reporter", "name"),
    "reporter_relationship": ("reporter", "relationship"),
    "reporter_phone": ("reporter", "phone"),
    "reporter_email": ("reporter", "email"),
    "observed_on": ("observed_on",),
    "location": ("location",),
    "source_type": ("source_type",),
    "notes": ("notes",),
    "source_contact": ("source", "contact"),
    "source_details": ("source", "details"),
}
_PERSON_KEY = {Kind.reports: "child", Kind.sightings: "subject"}


class CellError(ValueError):
    """A cell that cannot become a value; the message names no value."""

    def __init__(self, reason: str, field: str) -> None:
        super().__init__(reason)
        self.field = field


def build_body(kind: Kind, values: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The API request body for one row of flat values, and {field: reason} for the cells that
    could not be read. Empty cells are left out, as if the field had not been sent."""
    body: dict[str, Any] = {_PERSON_KEY[kind]: {}}
    problems: dict[str, str] = {}
    for field, raw in values.items():
        text = raw.strip()
        if not text or field.startswith("age") or field == GROUP:
            continue
        try:
            value = _convert(field, text)
        except CellError as error:
            problems[error.field] = str(error)
            continue
        place = _PLACES[field]
        target = body
        for part in place[:-1]:
            target = target.setdefault(_PERSON_KEY[kind] if part == "person" else part, {})
        target[place[-1]] = value
    try:
        age = _age(values)
    except CellError as error:
        problems[error.field] = str(error)
    else:
        if age is not None:
            body[_PERSON_KEY[kind]]["age_estimate"] = age
    return body, problems


def _convert(field: str, text: str) -> Any:
    if field == "other_names":
        return [name.strip() for name in LIST_SEPARATORS.split(text) if name.strip()]
    if field in ("date_of_birth", "last_seen_date", "observed_on"):
        return _iso_date(field, text)
    if field == "sex":
        return _SEX.get(normalize_header(text), text)  # unknown values meet the API's message
    if field == "source_type":
        return _SOURCE_TYPE.get(normalize_header(text), text)
    return text


def _iso_date(field: str, text: str) -> str:
    """`DD.MM.YYYY` and `MM.YYYY`, as spreadsheets in Ukraine write dates, become ISO dates;
    ISO dates stay as they are, for the API's date rules to judge (real, not in the future)."""
    if found := _DOTTED_DATE.fullmatch(text):
        day, month, year = found.groups()
        return f"{year}-{int(month):02d}-{int(day):02d}"
    if found := _DOTTED_MONTH.fullmatch(text):
        month, year = found.groups()
        return f"{year}-{int(month):02d}"
    if PARTIAL_DATE_SHAPE.fullmatch(text):
        return text
    raise CellError("must be a date: DD.MM.YYYY, MM.YYYY, YYYY, YYYY-MM or YYYY-MM-DD", field)


def _age(values: Mapping[str, str]) -> dict[str, int] | None:
    """`age` ("12" or "12-14") or `age_min`/`age_max` as the API's age estimate."""
    age = values.get("age", "").strip()
    low = values.get("age_min", "").strip()
    high = values.get("age_max", "").strip()
    if age and (low or high):
        raise CellError("give either age or age_min/age_max, not both", "age")
    if age:
        if _YEARS.fullmatch(age):
            return {"min": int(age), "max": int(age)}
        if found := _YEAR_RANGE.fullmatch(age):
            return {"min": int(found[1]), "max": int(found[2])}
        raise CellError("must be a number of years or a range such as 12-14", "age")
    if not (low or high):
        return None
    estimate = {}
    for key, field, text in (("min", "age_min", low), ("max", "age_max", high)):
        if not text:
            raise CellError("age_min and age_max go together", field)
        if not _YEARS.fullmatch(text):
            raise CellError("must be a whole number of years", field)
        estimate[key] = int(text)
    return estimate


def field_of(kind: Kind, loc: tuple[str | int, ...], present: Mapping[str, str]) -> str | None:
    """The flat field behind an API validation error's location, e.g. ("subject",
    "age_estimate", "min") → "age_min" (or "age" when the row gave a single age)."""
    path = tuple("person" if part == _PERSON_KEY[kind] else part for part in loc)
    if path[:2] == ("person", "age_estimate"):
        if "age" in present:
            return "age"
        return "age_max" if path[2:3] == ("max",) else "age_min"
    for field, place in _PLACES.items():
        if path[: len(place)] == place and field in FIELDS[kind]:
            return field
    return None
