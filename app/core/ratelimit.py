"""Per-caller rate limits on writes, keyed on the authenticated user, never on the address:
field contacts share networks and use Tor, so an address says nothing about who is writing.

Counting uses the `limits` library's moving window, kept where `RIDNI_RATE_LIMIT_STORAGE`
says: this process's memory (`memory://`, exact for one `ridni serve` process), or Redis
(`redis://HOST:PORT/DB`), shared by every process that names the same one.
"""

import math
import time
from typing import Any

from fastapi import FastAPI
from limits import RateLimitItem, parse_many
from limits.errors import ConfigurationError, StorageError
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from app.core.problems import RateLimitsUnavailable, TooManyRequests, problem_responses
from app.core.settings import check_storage_uri

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Every key this service writes to a shared store starts with it (one Redis may serve others).
KEY_PREFIX = "ridni"


class RateLimits:
    """The write limit every caller has, and the tighter one on families' reports."""

    def __init__(self, *, writes: str, reports: str, storage: str = "memory://") -> None:
        self._storage = open_storage(storage)
        self._limiter = MovingWindowRateLimiter(self._storage)
        self._writes = parse_many(writes)
        self._reports = parse_many(reports)

    def reachable(self) -> bool:
        """Whether the counts can be kept now (memory always; Redis when it answers)."""
        return bool(self._storage.check())

    def spend_write(self, user_id: str) -> None:
        self._spend("writes", user_id, self._writes)

    def spend_report(self, user_id: str) -> None:
        self._spend("reports", user_id, self._reports)

    def _spend(self, kind: str, user_id: str, items: list[RateLimitItem]) -> None:
        """Count one request against each of `items`; 429 once any of them is used up.

        A refused request is not counted, so a caller is let through again as soon as its
        oldest counted request leaves the window. When the shared store does not answer, the
        write is refused (503): a limit that lapses whenever Redis does would be no limit.
        """
        for item in items:
            try:
                allowed = self._limiter.hit(item, kind, user_id)
                if not allowed:
                    reset_time, _ = self._limiter.get_window_stats(item, kind, user_id)
            except StorageError:
                raise RateLimitsUnavailable() from None
            if not allowed:
                raise TooManyRequests(max(1, math.ceil(reset_time - time.time())))


def open_storage(uri: str) -> Storage:
    """The store named by `uri` (connected to on first use)."""
    memory = check_storage_uri(uri).startswith("memory:")
    # The store's own errors come wrapped as StorageError, whatever client raised them.
    options: dict[str, Any] = {} if memory else {"key_prefix": KEY_PREFIX, "wrap_exceptions": True}
    try:
        storage = storage_from_string(uri, **options)
    except ConfigurationError as error:
        raise ValueError(str(error)) from None
    if not isinstance(storage, Storage):  # an async+ scheme: never named by the check above
        raise ValueError("the rate-limit storage must be a synchronous one")
    return storage


def document_write_limits(app: FastAPI) -> None:
    """Add the 429 answer to the OpenAPI description of every write of the API, so that a new
    write route is documented as limited without anyone having to remember it."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        schema = generate()
        too_many = problem_responses(429)[429]
        for path, operations in schema.get("paths", {}).items():
            if path.startswith("/api/"):
                for method, operation in operations.items():
                    if method.upper() in WRITE_METHODS:
                        operation["responses"].setdefault("429", too_many)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
