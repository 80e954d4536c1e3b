"""Request body rules enforced before anything parses the body: size, then media type."""

import json
import re
from collections.abc import Mapping, Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.problems import PROBLEM_JSON


class RequestBodyGuard:
    """Answer 413 to bodies over `max_bytes`, whether or not Content-Length tells the truth,
    and 415 to a non-empty body that is not declared as JSON.

    Paths that take file uploads (`uploads`: {path: its own limit}, or `upload_patterns`:
    (pattern a whole path matches, its limit)) take multipart/form-data POSTs, streamed through
    to the application rather than held here, counted as they come (other methods pass on to
    the application as they are).
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int,
        uploads: Mapping[str, int] | None = None,
        upload_patterns: Sequence[tuple[re.Pattern[str], int]] = (),
        forms_under: str | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.uploads = dict(uploads or {})
        self.upload_patterns = tuple(upload_patterns)
        # Pages under this prefix post HTML forms (application/x-www-form-urlencoded).
        self.forms_under = forms_under

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        upload_limit = self._upload_limit(scope["path"])
        if upload_limit is not None:
            await self._upload(scope, receive, send, upload_limit)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._too_large(send)
            return
        # Read the whole (bounded) body first, so an oversized chunked upload is refused
        # before the application has seen or stored any of it.
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._too_large(send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if body and not (_declares_json(scope) or self._takes_form(scope)):
            await _problem(send, 415, "Unsupported media type", "Send JSON as application/json.")
            return
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if delivered:
                return await receive()
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    def _upload_limit(self, path: str) -> int | None:
        if path in self.uploads:
            return self.uploads[path]
        return next((limit for p, limit in self.upload_patterns if p.fullmatch(path)), None)

    def _takes_form(self, scope: Scope) -> bool:
        return (
            self.forms_under is not None
            and scope["path"].startswith(self.forms_under)
            and _media_type(scope) == "application/x-www-form-urlencoded"
        )

    async def _upload(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await self._too_large(send, limit)
            return
        if scope["method"] == "POST" and _media_type(scope) not in ("", "multipart/form-data"):
            detail = "Send the file as multipart/form-data."
            await _problem(send, 415, "Unsupported media type", detail)
            return
        size = 0
        exceeded = False

        async def counted() -> Message:
            nonlocal size, exceeded
            message = await receive()
            if message["type"] == "http.request":
                size += len(message.get("body", b""))
                if size > limit:
                    # The application reads this as a client gone away and stops parsing.
                    exceeded = True
                    return {"type": "http.disconnect"}
            return message

        async def unless_exceeded(message: Message) -> None:
            if not exceeded:
                await send(message)

        try:
            await self.app(scope, counted, unless_exceeded)
        except Exception:
            if not exceeded:
                raise
        if exceeded:
            await self._too_large(send, limit)

    async def _too_large(self, send: Send, limit: int | None = None) -> None:
        detail = f"Request bodies are limited to {limit or self.max_bytes} bytes."
        await _problem(send, 413, "Payload too large", detail)


def _media_type(scope: Scope) -> str:
    content_type: str = dict(scope["headers"]).get(b"content-type", b"").decode("latin-1")
    return content_type.partition(";")[0].strip().lower()


def _declares_json(scope: Scope) -> bool:
    media_type = _media_type(scope)
    return media_type == "application/json" or media_type.endswith("+json")


async def _problem(send: Send, status: int, title: str, detail: str) -> None:
    body = json.dumps(
        {"type": "about:blank", "title": title, "status": status, "detail": detail}
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
