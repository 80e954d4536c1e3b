"""Keyset pagination, newest first: the cursor is the (created_at, id) of the last item served."""

import base64
import json
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import Query
from sqlalchemy import Select, and_, or_

from app.core.problems import Unprocessable

DEFAULT_LIMIT = 50
MAX_LIMIT = 200

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Cursor = Annotated[str | None, Query(max_length=200)]

T = TypeVar("T", bound=Any)


def encode_cursor(created_at: datetime, row_id: str) -> str:
    raw = json.dumps([created_at.isoformat(), row_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created_at, row_id = json.loads(raw)
        moment = datetime.fromisoformat(created_at)
        if moment.tzinfo is None or not isinstance(row_id, str):
            raise ValueError
        return moment, row_id
    except (ValueError, TypeError):
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


def page(stmt: Select[T], model: Any, *, limit: int, cursor: str | None) -> Select[T]:
    """Order newest first and start after the cursor; fetches one extra row to see if more exist."""
    if cursor is not None:
        created_at, row_id = _decode_cursor(cursor)
        stmt = stmt.where(
            or_(
                model.created_at < created_at,
                and_(model.created_at == created_at, model.id < row_id),
            )
        )
    return stmt.order_by(model.created_at.desc(), model.id.desc()).limit(limit + 1)


def split_page(rows: list[T], limit: int) -> tuple[list[T], str | None]:
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], encode_cursor(last.created_at, last.id)
