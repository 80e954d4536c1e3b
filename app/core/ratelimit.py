"""Per-caller rate limits on writes, keyed on the authenticated user, never on the address:
field contacts share networks and use Tor, so an address says nothing about who is writing.

Counting uses the `limits` library's moving window in this process's memory: exact for one
`ridni serve` process; each further process behind a load balancer counts on its own.
"""

import math
import time
from typing import Any

from fastapi import FastAPI
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from app.core.problems import TooManyRequests, problem_responses

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class RateLimits:
    """The write limit every caller has, and the tighter one on families' reports."""

    def __init__(self, *, writes: str, reports: str) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._writes = parse_many(writes)
        self._reports = parse_many(reports)

    def spend_write(self, user_id: str) -> None:
        self._spend("writes", user_id, self._writes)

    def spend_report(self, user_id: str) -> None:
        self._spend("reports", user_id, self._reports)

    def _spend(self, kind: str, user_id: str, items: list[RateLimitItem]) -> None:
        """Count one request against each of `items`; 429 once any of them is used up.

        A refused request is not counted, so a caller is let through again as soon as its
        oldest counted request leaves the window.
        """
        for item in items:
            if not self._limiter.hit(item, kind, user_id):
                reset_time, _ = self._limiter.get_window_stats(item, kind, user_id)
                raise TooManyRequests(max(1, math.ceil(reset_time - time.time())))


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
