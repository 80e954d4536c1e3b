"""Keyset pagination: the cursor is the sort value and id of the last item served.

Lists are newest first (`by="created_at"`) or, for the review queue, best first (`by="score"`).
"""

import base64
import json
import math
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

from fastapi import Query
from sqlalchemy import Select, and_, or_

from app.core.dates import in_utc
from app.core.problems import Unprocessable
from app.core.text import NulFree, refuse_nul

DEFAULT_LIMIT = 50
MAX_LIMIT = 200

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Cursor = Annotated[NulFree | None, Query(max_length=200)]
SortKey = Literal["created_at", "score"]

T = TypeVar("T", bound=Any)


def _encode(value: datetime | float, row_id: str) -> str:
    plain = value.isoformat() if isinstance(value, datetime) else value
    raw = json.dumps([plain, row_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str, by: SortKey) -> tuple[datetime | float, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value, row_id = json.loads(raw)
        if not isinstance(row_id, str):
            raise ValueError
        refuse_nul(row_id)
        if by == "score":
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise ValueError
            if not math.isfinite(value):
                raise ValueError
            return float(value), row_id
        return in_utc(datetime.fromisoformat(value)), row_id
    except (ValueError, TypeError, OverflowError):
        raise Unprocessable(
            "The cursor is not valid.",
            errors=[
                {
                    "loc": ["query", "cursor"],
                    "msg": "not a cursor this API issued",
                    "type": "cursor_invalid",
                }
            ],
        ) from None


def page(
    stmt: Select[T], model: Any, *, limit: int, cursor: str | None, by: SortKey = "created_at"
) -> Select[T]:
    """Order by `by` descending, then id; start after the cursor; fetch one extra row."""
    column = getattr(model, by)
    if cursor is not None:
        value, row_id = _decode(cursor, by)
        stmt = stmt.where(or_(column < value, and_(column == value, model.id < row_id)))
    return stmt.order_by(column.desc(), model.id.desc()).limit(limit + 1)


def split_page(
    rows: list[T], limit: int, *, by: SortKey = "created_at"
) -> tuple[list[T], str | None]:
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], _encode(getattr(last, by), last.id)
