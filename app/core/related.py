"""The rule for a record's list of related records (a report's siblings, a sighting's children
seen with it): each id named once, never the record itself, and only records the caller may
see. An id the caller may not see is refused exactly like one that does not exist."""

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.core.problems import Unprocessable


def check_related(
    field: str, ids: Sequence[str], *, visible: set[str], own_id: str | None = None
) -> None:
    """Raise a 422 naming each bad entry of `ids` (body.<field>.<index>)."""
    errors: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, related_id in enumerate(ids):
        loc = ["body", field, str(index)]  # as every problem document writes a position
        if related_id == own_id:
            errors.append({"loc": loc, "msg": "a record cannot name itself", "type": "self"})
        elif related_id in seen:
            errors.append({"loc": loc, "msg": "named twice", "type": "duplicate"})
        elif related_id not in visible:
            errors.append(
                {"loc": loc, "msg": "not a record you may name", "type": "unknown_record"}
            )
        seen.add(related_id)
    if errors:
        raise Unprocessable(f"{field} names records that cannot be related.", errors=errors)


def related_ids(
    session: Session,
    pair: tuple[InstrumentedAttribute[str], InstrumentedAttribute[str]],
    ids: Iterable[str],
) -> dict[str, set[str]]:
    """{id: the ids related to it} for these ids, from a table of symmetric pairs (`pair`: its
    two columns, each pair stored once), whoever may see them."""
    wanted = list(set(ids))
    found: dict[str, set[str]] = {}
    if not wanted:
        return found
    left, right = pair
    rows = session.execute(select(left, right).where(or_(left.in_(wanted), right.in_(wanted))))
    for a, b in rows:
        found.setdefault(a, set()).add(b)
        found.setdefault(b, set()).add(a)
    return found
