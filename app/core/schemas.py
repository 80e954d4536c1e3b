"""Base classes for request and response bodies.


Both take the docstring under a field as its description in the OpenAPI schema, and every
field has one (tests/app/test_openapi.py).
"""

from typing import Annotated, Any, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    Strict,
    StringConstraints,
    model_validator,
)

from app.core.text import refuse_nul

# The most records one record may name as related (a report's siblings, a sighting's children
# seen with it): families and groups are small, and each id is looked up.
RELATED_MAX = 20

RelatedIds = Annotated[
    list[Annotated[str, Strict(), StringConstraints(min_length=1, max_length=36)]],
    Field(max_length=RELATED_MAX),
]
"""The ids of other records a record names (its siblings, the sightings seen with it)."""


class InputModel(BaseModel):
    """Request bodies: unknown fields are refused. The field types are strict (a "12" is not
    12); the model is not, so that enums still accept their JSON strings."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    @model_validator(mode="after")
    def _no_nul(self) -> Self:
        # The text types refuse NUL themselves, naming the field; this is the net under any
        # string field typed otherwise, so that no NUL of a body ever reaches the database.
        for value in self.__dict__.values():
            _refuse_nul_within(value)
        return self


def _refuse_nul_within(value: Any) -> None:
    if isinstance(value, str):
        refuse_nul(value)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            _refuse_nul_within(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            _refuse_nul_within(key)
            _refuse_nul_within(item)


class OutputModel(BaseModel):
    model_config = ConfigDict(from_attributes=False, use_attribute_docstrings=True)


# A match's score is stored at full precision (ordering and thresholds use it); answers and
# files give it to four decimals, all that a reader can tell apart.
SCORE_DECIMALS = 4
Score = Annotated[
    float,
    Field(ge=0, le=1),
    PlainSerializer(lambda score: round(score, SCORE_DECIMALS), return_type=float),
]
