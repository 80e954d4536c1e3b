from datetime import datetime
from typing import Annotated

from pydantic import Field, Strict

from app.core.schemas import InputModel, OutputModel
from app.core.security import Role
from app.core.text import Name


class UserIn(InputModel):
    name: Name
    role: Role


class UserChanges(InputModel):
    """Fields sent replace the stored ones; absent keeps. Neither may be null."""

    role: Role | None = None
    disabled: Annotated[bool, Strict()] | None = Field(
        default=None, description="A disabled user's token answers 401 until enabled again."
    )


class UserOut(OutputModel):
    id: str
    name: str
    role: Role
    disabled: bool
    created_at: datetime
    updated_at: datetime
    token_issued_at: datetime | None = Field(
        description="When the user's current token was issued; null once it was revoked."
    )
    token_expires_at: datetime | None = Field(
        description="When the current token stops working (it may already have)."
    )


class NewUserOut(UserOut):
    token: str | None = Field(
        description="The bearer token, shown this once (only a hash is kept); null in the answer "
        "to a retry with the same Idempotency-Key."
    )


class TokenOut(OutputModel):
    user_id: str
    token: str = Field(description="The bearer token, shown this once; only a hash is kept.")
    issued_at: datetime
    expires_at: datetime


class UserPage(OutputModel):
    items: list[UserOut]
    next_cursor: str | None
