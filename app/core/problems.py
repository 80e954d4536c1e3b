"""RFC 9457 problem details: one small error hierarchy, rendered by one set of handlers.

Details never carry personal data: no names, dates, contacts or the offending input.
"""

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, cast

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

PROBLEM_JSON = "application/problem+json"

# The RFC 9457 body every error has, for the OpenAPI schema (inline: it is small).
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": "A URI naming the kind of problem."},
        "title": {"type": "string", "description": "The kind of problem, in a few words."},
        "status": {"type": "integer", "description": "The HTTP status code."},
        "detail": {"type": "string", "description": "What went wrong with this request."},
        "errors": {
            "type": "array",
            "description": "Validation failures: where and why, never the rejected value.",
            "items": {
                "type": "object",
                "required": ["loc", "msg", "type"],
                "properties": {
                    "loc": {
                        "type": "array",
                        "items": {"type": "string"},
                        "description": "Where: body, query, path or header, then the field.",
                    },
                    "msg": {"type": "string", "description": "Why, in words."},
                    "type": {"type": "string", "description": "Why, as a code."},
                },
            },
        },
    },
}
_MEANINGS = {
    400: "Malformed JSON",
    401: "No bearer token, or a bad one",
    403: "This role may never use this endpoint",
    404: "No such record, or not one the caller may see (the same answer)",
    409: "A conflict: someone decided first, or the same Idempotency-Key is still in flight",
    413: "Request body too large",
    415: "The body is not of a type this operation takes (JSON; an upload: CSV text)",
    422: "The request does not validate",
    429: "Too many writes from this caller; `Retry-After` says how many seconds to wait",
    500: "Something went wrong on our side, or a protected field of a record cannot be "
    "decrypted (logged for the operators)",
    503: "The database is not reachable (a write: or the store of rate limits); retry later",
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries for problem documents with these statuses."""
    return {
        status: {
            "description": _MEANINGS[status],
            "content": {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}},
            **({"headers": _RETRY_AFTER} if status == 429 else {}),
        }
        for status in statuses
    }


_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds until this caller may write again.",
        "required": True,
        "schema": {"type": "integer", "minimum": 1},
    }
}


class Problem(Exception):
    status = 400
    title = "Bad request"

    def __init__(self, detail: str | None = None, *, headers: dict[str, str] | None = None):
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.headers = headers or {}

    def extra(self) -> dict[str, Any]:
        return {}


class Unauthorized(Problem):
    status = 401
    title = "Unauthorized"

    def __init__(self, detail: str = "A valid bearer token is required.") -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(Problem):
    status = 403
    title = "Forbidden"


class NotFound(Problem):
    status = 404
    title = "Not found"

    def __init__(self, detail: str = "No such resource.") -> None:
        super().__init__(detail)


class Conflict(Problem):
    status = 409
    title = "Conflict"


class TooManyRequests(Problem):
    status = 429
    title = "Too many requests"

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"Too many writes; retry after {retry_after} seconds.",
            headers={"Retry-After": str(retry_after)},
        )


class RateLimitsUnavailable(Problem):
    """The shared store of rate-limit counts (Redis) does not answer: writes wait for it."""

    status = 503
    title = "Service unavailable"

    def __init__(self) -> None:
        super().__init__(
            "Writes are counted against rate limits, and their store is not reachable; "
            "retry later.",
            headers={"Retry-After": "5"},
        )


class UnsupportedMediaType(Problem):
    status = 415
    title = "Unsupported media type"


class Unprocessable(Problem):
    status = 422
    title = "Unprocessable content"

    def __init__(self, detail: str, *, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(detail)
        self.errors = errors

    def extra(self) -> dict[str, Any]:
        return {"errors": self.errors} if self.errors is not None else {}


class Unreadable(Problem):
    """A sealed value that does not decrypt: copied from another row or column, altered, or
    under a key the key file does not hold. The server's fault, never the caller's: 500."""

    status = 500
    title = "Record unreadable"

    def __init__(self, *, table: str, record_id: str, column: str, reason: str) -> None:
        super().__init__(
            f"A protected field of record {record_id} cannot be decrypted; this is logged for "
            "the operators, and nothing was changed."
        )
        self.table = table
        self.record_id = record_id
        self.column = column
        self.reason = reason  # for the log and the `ridni keys` commands, not for the caller


def problem_response(
    status: int,
    title: str,
    detail: str,
    *,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _error_list(errors: Sequence[Any], prefix: Sequence[str] = ()) -> list[dict[str, Any]]:
    # Only where and why: echoing the input could put a child's name into a client log.
    return [
        {
            "loc": [*prefix, *(str(part) for part in error.get("loc", ()))],
            "msg": error.get("msg", ""),
            "type": error.get("type", ""),
        }
        for error in errors
    ]


def validation_problem(error: ValidationError, prefix: Sequence[str]) -> Unprocessable:
    """A 422 for data validated inside a service (a merged patch, an imported row)."""
    return Unprocessable(
        "The request does not validate.", errors=_error_list(error.errors(), prefix)
    )


# Starlette hands handlers a plain Exception; each is registered for one type only.
async def _on_problem(_request: Request, exc: Exception) -> JSONResponse:
    exc = cast(Problem, exc)
    return problem_response(exc.status, exc.title, exc.detail, headers=exc.headers, **exc.extra())


ProblemHook = Callable[[Request, Problem], Awaitable[None]]


async def _on_validation(_request: Request, exc: Exception) -> JSONResponse:
    exc = cast(RequestValidationError, exc)
    errors = _error_list(exc.errors())
    if any(error["type"] == "json_invalid" for error in errors):
        return problem_response(400, "Malformed JSON", "The request body is not valid JSON.")
    return problem_response(
        422, "Unprocessable content", "The request does not validate.", errors=errors
    )


async def _on_http(_request: Request, exc: Exception) -> JSONResponse:
    exc = cast(StarletteHTTPException, exc)
    titles = {
        400: "Bad request",
        404: "Not found",
        405: "Method not allowed",
        413: "Payload too large",
    }
    title = titles.get(exc.status_code, "Error")
    detail = exc.detail if isinstance(exc.detail, str) else title
    return problem_response(exc.status_code, title, detail, headers=dict(exc.headers or {}))


# A page in place of the problem document, for the HTML pages' paths (None: not one of them).
PageHook = Callable[[Request, int, Problem | None], Response | None]


def install_problem_handlers(
    app: FastAPI, *, before_problem: ProblemHook | None = None, pages: PageHook | None = None
) -> None:
    """Render errors as problem documents, or as the pages `pages` makes for its paths;
    `before_problem` sees each Problem first (the audit trail records refusals there).
    Unexpected errors are answered by app.core.logs."""

    def page(request: Request, status: int, problem: Problem | None) -> Response | None:
        return pages(request, status, problem) if pages is not None else None

    async def on_problem(request: Request, exc: Exception) -> Response:
        problem = cast(Problem, exc)
        if before_problem is not None:
            await before_problem(request, problem)
        return page(request, problem.status, problem) or await _on_problem(request, exc)

    async def on_validation(request: Request, exc: Exception) -> Response:
        return page(request, 422, None) or await _on_validation(request, exc)

    async def on_http(request: Request, exc: Exception) -> Response:
        status = cast(StarletteHTTPException, exc).status_code
        return page(request, status, None) or await _on_http(request, exc)

    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
