"""Base classes for request and response bodies.

Both take the docstring under a field as its description in the OpenAPI schema, and every
field has one (tests/app/test_openapi.py).
"""

from pydantic import BaseModel, ConfigDict


class InputModel(BaseModel):
    """Request bodies: unknown fields are refused. The field types are strict (a "12" is not
    12); the model is not, so that enums still accept their JSON strings."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


class OutputModel(BaseModel):
    model_config = ConfigDict(from_attributes=False, use_attribute_docstrings=True)
