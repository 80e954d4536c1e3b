"""The person description shared by reports (the child) and sightings (the subject).

Stored in typed columns, so that names, sex and birth year can be queried and indexed; a partial
date of birth keeps its precision as year, month and day columns and is rendered back exactly.
`StoredPerson` is what any reader of those columns (an ORM object, or a plain result row of the
same columns) offers.
"""

from enum import StrEnum
from typing import Any, Protocol, Self

from pydantic import Field, StrictInt, model_validator
from sqlalchemy import JSON, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.dates import PartialDateText, parse_partial_date
from app.core.schemas import InputModel, OutputModel
from app.core.text import Name, TextField
from matching import PartialDate

MAX_LIST_ITEMS = 20
AGE_MAX = 25


class Sex(StrEnum):
    male = "male"
    female = "female"
    unknown = "unknown"


class AgeEstimate(InputModel):
    min: StrictInt = Field(ge=0, le=AGE_MAX)
    """Youngest age the child may be, in whole years (0 to 25)."""
    max: StrictInt = Field(ge=0, le=AGE_MAX)
    """Oldest age the child may be, in whole years (0 to 25); at least `min`."""

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.min > self.max:
            raise ValueError("min must not be greater than max")
        return self


class PersonFields(InputModel):
    given_name: Name | None = None
    """Given name as written in the source, any script (Микола, Николай, Mykola)."""
    family_name: Name | None = None
    """Family name as written in the source, any script."""
    patronymic: Name | None = None
    """Patronymic (по батькові / отчество), as written."""
    full_name: Name | None = None
    """The whole name as one string, when the source does not split it, in any order (Russian
    documents put the family name first)."""
    other_names: list[Name] = Field(default_factory=list, max_length=MAX_LIST_ITEMS)
    """Nicknames, diminutives, earlier or later names (Коля), at most 20."""
    sex: Sex | None = None
    """male, female or unknown."""
    date_of_birth: PartialDateText | None = None
    """YYYY, YYYY-MM or YYYY-MM-DD: a partial date is a real and common answer."""
    age_estimate: AgeEstimate | None = None
    """Age in years at the time of observation, as a range; for a description without a date of
    birth."""
    distinguishing_marks: TextField | None = None
    """Scars, birthmarks and other marks, free text."""
    institution: Name | None = Field(default=None, examples=["Херсонський обласний будинок дитини"])
    """The children's home, boarding school or hospital the child lived in or was seen in, as
    written, in any language (children were moved as groups), at most 200 characters."""


class NamedPerson(PersonFields):
    """A complete description: it must name the person somehow."""

    @model_validator(mode="after")
    def _named(self) -> Self:
        if not (self.given_name or self.family_name or self.full_name):
            raise ValueError("at least one of given_name, family_name, full_name is required")
        return self


class PersonOut(OutputModel):
    given_name: str | None
    """Given name as written in the source, any script."""
    family_name: str | None
    """Family name as written in the source, any script."""
    patronymic: str | None
    """Patronymic, as written."""
    full_name: str | None
    """The whole name as one string, as the source wrote it."""
    other_names: list[str]
    """Nicknames, diminutives, earlier or later names."""
    sex: Sex | None
    """male, female or unknown; null when not given."""
    date_of_birth: str | None
    """YYYY, YYYY-MM or YYYY-MM-DD, with the precision it was given."""
    age_estimate: dict[str, int] | None
    """Age range in years (`min`, `max`) at the time of observation."""
    distinguishing_marks: str | None
    """Scars, birthmarks and other marks, free text."""
    institution: str | None
    """The children's home, boarding school or hospital, as written."""


class PersonColumns:
    """Mixin: one typed column per field of the person description."""

    given_name: Mapped[str | None] = mapped_column(String(200))
    family_name: Mapped[str | None] = mapped_column(String(200))
    patronymic: Mapped[str | None] = mapped_column(String(200))
    full_name: Mapped[str | None] = mapped_column(String(200))
    other_names: Mapped[list[str]] = mapped_column(JSON, default=list)
    sex: Mapped[str | None] = mapped_column(String(10))
    birth_year: Mapped[int | None] = mapped_column(SmallInteger, index=True)
    birth_month: Mapped[int | None] = mapped_column(SmallInteger)
    birth_day: Mapped[int | None] = mapped_column(SmallInteger)
    age_min: Mapped[int | None] = mapped_column(SmallInteger)
    age_max: Mapped[int | None] = mapped_column(SmallInteger)
    distinguishing_marks: Mapped[str | None] = mapped_column(Text)
    institution: Mapped[str | None] = mapped_column(String(200))


def person_columns(person: PersonFields) -> dict[str, Any]:
    """Column values for a person as sent (settlement excluded: its name differs by side)."""
    birth = parse_partial_date(person.date_of_birth) if person.date_of_birth else None
    return {
        "given_name": person.given_name,
        "family_name": person.family_name,
        "patronymic": person.patronymic,
        "full_name": person.full_name,
        "other_names": list(person.other_names),
        "sex": person.sex.value if person.sex else None,
        "birth_year": birth.year if birth else None,
        "birth_month": birth.month if birth else None,
        "birth_day": birth.day if birth else None,
        "age_min": person.age_estimate.min if person.age_estimate else None,
        "age_max": person.age_estimate.max if person.age_estimate else None,
        "distinguishing_marks": person.distinguishing_marks,
        "institution": person.institution,
    }


class StoredPerson(Protocol):
    """The PersonColumns of a stored row."""

    given_name: str | None
    family_name: str | None
    patronymic: str | None
    full_name: str | None
    other_names: list[str]
    sex: str | None
    birth_year: int | None
    birth_month: int | None
    birth_day: int | None
    age_min: int | None
    age_max: int | None
    distinguishing_marks: str | None
    institution: str | None


def birth_date(row: StoredPerson) -> PartialDate | None:
    if row.birth_year is None:
        return None
    return PartialDate(row.birth_year, row.birth_month, row.birth_day)


def age_range(row: StoredPerson) -> tuple[int, int] | None:
    """The estimated age (min, max), stored as two columns that are set together or not at all."""
    if row.age_min is None or row.age_max is None:
        return None
    return row.age_min, row.age_max


def person_fields(row: StoredPerson) -> dict[str, Any]:
    """The person description of a stored row, exactly as it was sent."""
    birth = birth_date(row)
    age = age_range(row)
    return {
        "given_name": row.given_name,
        "family_name": row.family_name,
        "patronymic": row.patronymic,
        "full_name": row.full_name,
        "other_names": list(row.other_names or []),
        "sex": row.sex,
        "date_of_birth": str(birth) if birth else None,
        "age_estimate": {"min": age[0], "max": age[1]} if age else None,
        "distinguishing_marks": row.distinguishing_marks,
        "institution": row.institution,
    }
