"""The person description shared by reports (the child) and sightings (the subject).

Stored in typed columns, so that names, sex and birth year can be queried and indexed; a partial
date of birth keeps its precision as year, month and day columns and is rendered back exactly.
"""

from enum import StrEnum
from typing import Any, Self

from pydantic import Field, StrictInt, model_validator
from sqlalchemy import JSON, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.dates import PartialDate, PartialDateText
from app.core.schemas import InputModel, OutputModel
from app.core.text import Name, TextField

MAX_LIST_ITEMS = 20
AGE_MAX = 25


class Sex(StrEnum):
    male = "male"
    female = "female"
    unknown = "unknown"


class AgeEstimate(InputModel):
    min: StrictInt = Field(ge=0, le=AGE_MAX)
    max: StrictInt = Field(ge=0, le=AGE_MAX)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.min > self.max:
            raise ValueError("min must not be greater than max")
        return self


class PersonFields(InputModel):
    given_name: Name | None = None
    family_name: Name | None = None
    patronymic: Name | None = None
    full_name: Name | None = None
    other_names: list[Name] = Field(default_factory=list, max_length=MAX_LIST_ITEMS)
    sex: Sex | None = None
    date_of_birth: PartialDateText | None = None
    age_estimate: AgeEstimate | None = None
    distinguishing_marks: TextField | None = None


class NamedPerson(PersonFields):
    """A complete description: it must name the person somehow."""

    @model_validator(mode="after")
    def _named(self) -> Self:
        if not (self.given_name or self.family_name or self.full_name):
            raise ValueError("at least one of given_name, family_name, full_name is required")
        return self


class PersonOut(OutputModel):
    given_name: str | None
    family_name: str | None
    patronymic: str | None
    full_name: str | None
    other_names: list[str]
    sex: Sex | None
    date_of_birth: str | None
    age_estimate: dict[str, int] | None
    distinguishing_marks: str | None


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


def person_columns(person: PersonFields) -> dict[str, Any]:
    """Column values for a person as sent (settlement excluded: its name differs by side)."""
    birth = PartialDate.parse(person.date_of_birth) if person.date_of_birth else None
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
    }


def person_fields(row: Any) -> dict[str, Any]:
    """The person description of a stored row (anything with the PersonColumns attributes,
    an ORM object or a plain result row), exactly as it was sent."""
    birth = (
        str(PartialDate(row.birth_year, row.birth_month, row.birth_day))
        if row.birth_year is not None
        else None
    )
    age = (
        {"min": row.age_min, "max": row.age_max}
        if row.age_min is not None and row.age_max is not None
        else None
    )
    return {
        "given_name": row.given_name,
        "family_name": row.family_name,
        "patronymic": row.patronymic,
        "full_name": row.full_name,
        "other_names": list(row.other_names or []),
        "sex": row.sex,
        "date_of_birth": birth,
        "age_estimate": age,
        "distinguishing_marks": row.distinguishing_marks,
    }
