"""Request body rules enforced before anything parses the body: size, then media type."""

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.problems import PROBLEM_JSON


class RequestBodyGuard:
    """Answer 413 to bodies over `max_bytes`, whether or not Content-Length tells the truth,
    and 415 to a non-empty body that is not declared as JSON."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
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
        if body and not _declares_json(scope):
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

    async def _too_large(self, send: Send) -> None:
        detail = f"Request bodies are limited to {self.max_bytes} bytes."
        await _problem(send, 413, "Payload too large", detail)


def _declares_json(scope: Scope) -> bool:
    content_type: str = dict(scope["headers"]).get(b"content-type", b"").decode("latin-1")
    media_type = content_type.partition(";")[0].strip().lower()
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
