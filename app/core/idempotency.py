"""Idempotency-Key for creating POSTs (IETF httpapi Idempotency-Key draft).

A key is claimed in its own short transaction before any work is done, so that a unique
constraint on (owner, scope, key) lets exactly one of several concurrent retries proceed. The
claim is completed in the request's own transaction together with the row it created, so a
completed key always points at a committed resource. A retry then gets that resource back; a retry
while the first is still in flight gets 409; the same key with another body gets 422.
"""

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint, delete, select, update
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
    scope: str,
    key: str | None,
    body: Any,
    stale_after: timedelta,
) -> Iterator[Claim]:
    """Claim `key` for this request; release the claim if the request fails."""
    claim = Claim(owner_id=owner_id, scope=scope, key=key, _session=session)
    if key is None:
        yield claim
        return
    request_hash = fingerprint(body)
    # The claim must be visible to other requests at once, so it commits on its own.
    with _own_transaction(session) as claims:
        claims.add(
            IdempotencyKey(owner_id=owner_id, scope=scope, key=key, request_hash=request_hash)
        )
        try:
            claims.commit()
        except IntegrityError:
            claims.rollback()
            claim.replay_id = _earlier_result(claims, claim, request_hash, stale_after)
    if claim.replay_id is not None:
        yield claim
        return
    try:
        yield claim
    except BaseException:
        with _own_transaction(session) as claims:
            claims.execute(
                delete(IdempotencyKey).where(
                    *claim._matches(), IdempotencyKey.resource_id.is_(None)
                )
            )
            claims.commit()
        raise


def _own_transaction(session: Session) -> Session:
    # Same database as the request; a savepoint of its own when tests bind to one connection.
    return Session(bind=session.get_bind(), join_transaction_mode="create_savepoint")


def _earlier_result(
    claims: Session, claim: Claim, request_hash: str, stale_after: timedelta
) -> str | None:
    earlier = claims.scalars(select(IdempotencyKey).where(*claim._matches())).one()
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
        return earlier.resource_id
    if earlier.updated_at < utcnow() - stale_after and _take_over(
        claims, earlier.updated_at, claim
    ):
        return None
    raise Conflict("A request with this Idempotency-Key is still in flight; retry later.")


def _take_over(claims: Session, seen_updated_at: datetime, claim: Claim) -> bool:
    """Adopt a claim whose request died; only one retry can win the compare-and-set."""
    taken = claims.execute(
        update(IdempotencyKey)
        .where(
            *claim._matches(),
            IdempotencyKey.resource_id.is_(None),
            IdempotencyKey.updated_at == seen_updated_at,
        )
        .values(updated_at=utcnow())
    )
    claims.commit()
    return bool(taken.rowcount)  # type: ignore[attr-defined]
