"""Idempotency-Key for creating POSTs (IETF httpapi Idempotency-Key draft).

A key is claimed in a short transaction of its own before any work is done (on the request's
session and connection), so that a unique constraint on (owner, scope, key) lets exactly one of
several concurrent retries proceed. The claim is completed in the request's next transaction
together with the row it created, so a completed key points at a committed resource. A retry then
gets that resource back; a retry while the first is still in flight gets 409; the same key with
another body gets 422. A claim whose request died is taken over by the next retry: one still
pending after `stale_after`, or one pointing at a resource that is not there.
"""

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint, delete, inspect, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.core.models import ID, Base, Timestamped, new_id, utcnow
from app.core.problems import Conflict, Unprocessable

KEY_MAX = 255


class IdempotencyKey(Timestamped, Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("owner_id", "scope", "key"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    scope: Mapped[str] = mapped_column(String(50))
    key: Mapped[str] = mapped_column(String(KEY_MAX))
    request_hash: Mapped[str] = mapped_column(String(64))
    # None while the first request is in flight; the created resource's id once it is done.
    resource_id: Mapped[str | None] = mapped_column(ID)


@dataclass
class Claim:
    """What a creating request learns from its key: proceed, or answer with an earlier result."""

    owner_id: str
    scope: str
    key: str | None
    replay_id: str | None = None
    _session: Session | None = None

    def complete(self, resource_id: str) -> None:
        if self.key is None or self._session is None:
            return
        self._session.execute(
            update(IdempotencyKey)
            .where(*self._matches())
            .values(resource_id=resource_id, updated_at=utcnow())
        )

    def _matches(self) -> tuple[Any, ...]:
        return (
            IdempotencyKey.owner_id == self.owner_id,
            IdempotencyKey.scope == self.scope,
            IdempotencyKey.key == self.key,
        )


def fingerprint(body: Any) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


@contextmanager
def idempotent(
    session: Session,
    *,
    owner_id: str,
    resource: type[Base],
    key: str | None,
    body: Any,
    stale_after: timedelta,
) -> Iterator[Claim]:
    """Claim `key` for this request (which creates a `resource`); release the claim if the
    request fails. Call it before the request writes anything: the claim commits the session."""
    claim = Claim(owner_id=owner_id, scope=resource.__tablename__, key=key, _session=session)
    if key is None:
        yield claim
        return
    claim.replay_id = _claim(session, claim, fingerprint(body), resource, stale_after)
    if claim.replay_id is not None:
        yield claim
        return
    try:
        yield claim
    except BaseException:
        session.rollback()
        session.execute(
            delete(IdempotencyKey).where(*claim._matches(), IdempotencyKey.resource_id.is_(None))
        )
        session.commit()
        raise


def _claim(
    session: Session, claim: Claim, request_hash: str, resource: type[Base], stale_after: timedelta
) -> str | None:
    """The earlier result's id, or None once this request holds the key.

    The claim must be visible to other requests at once, so it commits, in the request's own
    session and connection: a second connection per request is what ran the pool dry while
    SQLite's single writer was busy (every request held one and waited for another)."""
    session.add(
        IdempotencyKey(
            owner_id=claim.owner_id, scope=claim.scope, key=claim.key, request_hash=request_hash
        )
    )
    try:
        session.commit()
        return None
    except IntegrityError:
        session.rollback()
    replay_id = _earlier_result(session, claim, request_hash, resource, stale_after)
    session.commit()
    return replay_id


def _earlier_result(
    session: Session,
    claim: Claim,
    request_hash: str,
    resource: type[Base],
    stale_after: timedelta,
) -> str | None:
    earlier = session.scalars(
        select(IdempotencyKey).where(*claim._matches()).execution_options(populate_existing=True)
    ).one()
    if earlier.request_hash != request_hash:
        raise Unprocessable(
            "This Idempotency-Key was already used with a different request body.",
            errors=[
                {
                    "loc": ["header", "Idempotency-Key"],
                    "msg": "reused with another body",
                    "type": "idempotency_key_reused",
                }
            ],
        )
    if earlier.resource_id is not None:
        if _exists(session, resource, earlier.resource_id):
            return earlier.resource_id
        # It points at nothing (a request that completed the key, then died before its row
        # was stored, or a row removed since): the key is free again.
        if _take_over(session, claim, earlier):
            return None
    elif earlier.updated_at < utcnow() - stale_after and _take_over(session, claim, earlier):
        return None
    raise Conflict("A request with this Idempotency-Key is still in flight; retry later.")


def _exists(session: Session, resource: type[Base], resource_id: str) -> bool:
    # The id alone: loading the row would open its encrypted columns for nothing.
    primary_key = inspect(resource).primary_key[0]
    return session.scalar(select(primary_key).where(primary_key == resource_id)) is not None


def _take_over(session: Session, claim: Claim, earlier: IdempotencyKey) -> bool:
    """Adopt a claim whose request died; only one retry can win the compare-and-set."""
    taken = session.execute(
        update(IdempotencyKey)
        .where(
            *claim._matches(),
            IdempotencyKey.updated_at == earlier.updated_at,
            IdempotencyKey.resource_id.is_(None)
            if earlier.resource_id is None
            else IdempotencyKey.resource_id == earlier.resource_id,
        )
        .values(resource_id=None, updated_at=utcnow())
    )
    return bool(taken.rowcount)  # type: ignore[attr-defined]
