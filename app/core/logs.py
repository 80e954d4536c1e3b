"""Request ids and structured logs that never carry personal data.

Every request gets an id made here (a client's `X-Request-ID` is ignored, so nobody can choose
the id that the audit trail files their request under); it is returned as `X-Request-ID` and
is on every log line written while the request runs. Each request ends with one JSON line:
request id, method, route template (`/api/v1/reports/{report_id}`, never the raw path or its
query string), status, duration and the caller's user id.

Log lines are JSON, written by `JsonFormatter`. It prints a record's message and the fields
this module puts on it, and for an exception only its type and where it was raised: exception
messages are never printed, because database errors quote the values of the row.
"""

import json
import logging
import sys
import time
import traceback
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.problems import problem_response

REQUEST_ID_HEADER = "X-Request-ID"

log = logging.getLogger("ridni.request")

_request_id: ContextVar[str | None] = ContextVar("ridni_request_id", default=None)
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

# `ridni serve` runs uvicorn with these: its lines go through the root logger (and so through
# JsonFormatter), and its access log, which prints raw paths with query strings, is off.
UVICORN_LOGGING: dict[str, Any] = {"log_config": None, "access_log": False}


def current_request_id() -> str | None:
    """The id of the request being served, or None outside a request (the command line)."""
    return _request_id.get()


_PROJECT = str(Path(__file__).resolve().parents[2])


def where(exc: BaseException) -> str | None:
    """The file and line of the project's deepest frame an exception passed through (or of the
    deepest frame, if none is the project's): where to look, never the message."""
    # A frame that sets `__tracebackhide__` (as pytest reads it) only passes statements on, such
    # as SQLite's queued-writer cursor: the place to look is its caller.
    frames = [
        (frame.f_code.co_filename, lineno)
        for frame, lineno in traceback.walk_tb(exc.__traceback__)
        if not frame.f_locals.get("__tracebackhide__")
    ]
    ours = [
        (filename, lineno)
        for filename, lineno in frames
        if filename.startswith(_PROJECT)
        and "site-packages" not in filename
        and filename != __file__
    ]
    if not frames:
        return None
    filename, lineno = (ours or frames)[-1]
    return f"{filename}:{lineno}"


class RequestContext:
    """Give each request an id, answer unexpected errors with a problem document, log the request.

    Installed inside the security headers, so that a 500 made here carries them too.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex
        token = _request_id.set(request_id)
        scope.setdefault("state", {})
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                message["headers"] = [
                    *(h for h in message.get("headers", []) if h[0] != b"x-request-id"),
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            status = 500
            log.error(
                "unhandled exception",
                extra={"fields": {"error": type(exc).__name__, "where": where(exc)}},
            )
            if not response_started:
                answer = problem_response(
                    500, "Internal server error", "Something went wrong on our side."
                )
                await answer(scope, receive, send_with_id)
        finally:
            log.info("request", extra={"fields": _request_fields(scope, status, started)})
            _request_id.reset(token)


def _request_fields(scope: Scope, status: int, started: float) -> dict[str, Any]:
    route = scope.get("route")
    principal = scope["state"].get("principal")
    method = scope.get("method", "")
    return {
        "method": method if method in _METHODS else "other",
        "route": getattr(route, "path", None),
        "status": status,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
        "user_id": getattr(principal, "user_id", None),
    }


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, event, request id, and chosen fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        request_id = current_request_id()
        if request_id is not None:
            entry["request_id"] = request_id
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        if record.exc_info and record.exc_info[1] is not None:
            # The type and the place only: the message may quote a row's values.
            entry["error"] = type(record.exc_info[1]).__name__
            entry["where"] = where(record.exc_info[1])
        return json.dumps(entry, ensure_ascii=False, default=str)


class _JsonHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The handler `configure_logging` installs (a second call replaces it)."""


def configure_logging(level: str = "info", stream: TextIO | None = None) -> logging.Handler:
    """Send every logger's lines, as JSON, to `stream` (standard error by default)."""
    handler = _JsonHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _JsonHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # SQLAlchemy at INFO prints every statement with its parameters (names, dates): never.
    logging.getLogger("sqlalchemy").setLevel(logging.WARNING)
    # Uvicorn's lines go through this handler too, whatever configured its loggers before.
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    return handler
