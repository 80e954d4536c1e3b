"""Base classes for request and response bodies.

Both take the docstring under a field as its description in the OpenAPI schema, and every
field has one (tests/app/test_openapi.py).
"""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer


class InputModel(BaseModel):
    """Request bodies: unknown fields are refused. The field types are strict (a "12" is not
    12); the model is not, so that enums still accept their JSON strings."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


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
