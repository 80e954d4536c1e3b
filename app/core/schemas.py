"""Base classes for request and response bodies."""

from pydantic import BaseModel, ConfigDict


class InputModel(BaseModel):
    """Request bodies: unknown fields are refused. The field types are strict (a "12" is not
    12); the model is not, so that enums still accept their JSON strings."""

    model_config = ConfigDict(extra="forbid")


class OutputModel(BaseModel):
    model_config = ConfigDict(from_attributes=False)
