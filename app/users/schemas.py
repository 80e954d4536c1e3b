from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, ConfigDict, Field, Strict, StringConstraints

from app.core.schemas import InputModel, OutputModel
from app.core.security import Role
from app.core.text import Name


def _lower(login: str) -> str:
    return login.lower()


LOGIN_RULE = "2 to 64 ASCII letters, digits, '.', '_' or '-', starting with a letter or digit"
# No spaces, nothing that looks like another letter; compared and kept in lower case: a login
# is what a coordinator types, not a name kept as evidence.
Login = Annotated[
    str,
    Strict(),
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$"),
    AfterValidator(_lower),
]


class UserIn(InputModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"name": "Olena (coordinator)", "role": "coordinator"}]}
    )

    name: Name
    """Who the user is, for the other users (not a login name)."""
    role: Role
    """family, field, coordinator or admin."""
    login: Login | None = Field(
        default=None, description="What the user signs in to the console with."
    )


class UserChanges(InputModel):
    """Fields sent replace the stored ones; absent keeps. Neither may be null."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"disabled": True}]})

    role: Role | None = None
    """family, field, coordinator or admin."""
    disabled: Annotated[bool, Strict()] | None = Field(
        default=None,
        description="A disabled user's token answers 401 until enabled again; disabling also "
        "signs the user out of the console.",
    )
    login: Login | None = Field(
        default=None,
        description="What the user signs in to the console with: 2 to 64 letters, digits, "
        "`.`, `_` or `-`, unique without regard to case (stored in lower case); 409 if taken.",
    )


class UserOut(OutputModel):
    id: str
    """The user's id."""
    name: str
    """Who the user is."""
    role: Role
    """family, field, coordinator or admin."""
    login: str | None = Field(description="The console login; null until one is given.")
    disabled: bool
    """True when the user's token answers 401."""
    created_at: datetime
    """When the user was created."""
    updated_at: datetime
    """When the user was last changed."""
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
    """Whose token it is."""
    token: str = Field(description="The bearer token, shown this once; only a hash is kept.")
    issued_at: datetime
    """When it was issued."""
    expires_at: datetime
    """When it stops working."""


class UserPage(OutputModel):
    items: list[UserOut]
    """Users, newest first."""
    next_cursor: str | None
    """Pass as `cursor` for the next page; null on the last page."""
