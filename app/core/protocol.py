"""The HTTP server's own answer to a request it cannot parse, as a problem document.

Uvicorn answers a malformed request (a bad header, a broken request line) by itself, before
any application code runs, with a `text/plain` 400 and none of our security headers. Both of
its HTTP/1.1 protocols send that answer from one method, `send_400_response`; these
subclasses write an RFC 9457 problem document with the headers every other answer has.
`ridni serve` passes the one uvicorn would pick by itself (httptools when installed, else h11);
tests/app/test_protocol.py sends malformed requests to a real server through it.
"""

import asyncio
import json

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from app.core.headers import EVERY_API_ANSWER
from app.core.problems import PROBLEM_JSON

_BODY = json.dumps(
    {
        "type": "about:blank",
        "title": "Bad request",
        "status": 400,
        "detail": "The request is not valid HTTP.",
    }
).encode()
_HEADERS = [
    (b"content-type", PROBLEM_JSON.encode()),
    (b"content-length", str(len(_BODY)).encode()),
    (b"connection", b"close"),
    *EVERY_API_ANSWER,
]


class ProblemH11Protocol(H11Protocol):
    def send_400_response(self, msg: str) -> None:
        response = h11.Response(status_code=400, headers=_HEADERS, reason=b"Bad Request")
        for event in (response, h11.Data(data=_BODY), h11.EndOfMessage()):
            self.transport.write(self.conn.send(event) or b"")
        self.transport.close()


HTTP_PROTOCOL: type[asyncio.Protocol] = ProblemH11Protocol
try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # pragma: no cover - uvicorn[standard] installs httptools
    pass
else:

    class ProblemHttpToolsProtocol(HttpToolsProtocol):
        def send_400_response(self, msg: str) -> None:
            lines = [b"HTTP/1.1 400 Bad Request"]
            headers = [*self.server_state.default_headers, *_HEADERS]
            lines += [name + b": " + value for name, value in headers]
            self.transport.write(b"\r\n".join(lines) + b"\r\n\r\n" + _BODY)
            self.transport.close()

    HTTP_PROTOCOL = ProblemHttpToolsProtocol
