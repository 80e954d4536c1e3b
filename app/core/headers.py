"""Security headers on every response."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.docs import DOCS_PATH

# The API serves JSON about children: nothing may frame it, sniff it, cache it or leak a referrer.
_API_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    (b"strict-transport-security", b"max-age=63072000; includeSubDomains"),
]
_API_CSP = (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'")
# Every API answer's headers, for answers written outside the app (app/core/protocol.py).
EVERY_API_ANSWER = (*_API_HEADERS, _API_CSP)
# /docs loads Swagger UI's script, style and the script that starts it from this origin (the
# images in its style are data: URLs); nothing inline, nothing from elsewhere.
_DOCS_CSP = (
    b"content-security-policy",
    b"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    b"connect-src 'self'; frame-ancestors 'none'",
)

# The console's pages: their own script and style only (no inline ones), forms to themselves.
_CONSOLE_CSP = (
    b"content-security-policy",
    b"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    b"form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
)


def _csp(path: str) -> tuple[bytes, bytes]:
    if _is_docs(path):
        return _DOCS_CSP
    if path == "/console" or path.startswith("/console/"):
        return _CONSOLE_CSP
    return _API_CSP


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = _csp(scope["path"])

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in (*_API_HEADERS, csp) if n not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _is_docs(path: str) -> bool:
    return path == DOCS_PATH or path.startswith(f"{DOCS_PATH}/")
