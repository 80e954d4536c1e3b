"""A request the HTTP server cannot parse is answered with a problem document and the security
headers, like every other answer, by a real server configured as `ridni serve` is."""

import json
import socket

import pytest
from fastapi import FastAPI

from app.core.protocol import HTTP_PROTOCOL, ProblemH11Protocol
from tests.app.live import serve

MALFORMED = {
    "header without a colon": b"GET /healthz HTTP/1.1\r\nHost: x\r\nbroken header\r\n\r\n",
    "space in a header name": b"GET /healthz HTTP/1.1\r\nHost: x\r\nBad Name: 1\r\n\r\n",
    "header line without an end": b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n",
    "broken request line": b"GET\r\n\r\n",
}


def exchange(base: str, raw: bytes) -> bytes:
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(raw)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer


@pytest.mark.parametrize("protocol", [HTTP_PROTOCOL, ProblemH11Protocol], ids=["serve", "h11"])
@pytest.mark.parametrize("raw", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_request_gets_a_problem_document(app: FastAPI, protocol: type, raw: bytes):
    with serve(app, http=protocol) as base:
        answer = exchange(base, raw)
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in header_lines)
    assert status_line == "HTTP/1.1 400 Bad Request"
    assert headers["content-type"] == "application/problem+json"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert int(headers["content-length"]) == len(body)
    assert json.loads(body) == {
        "type": "about:blank",
        "title": "Bad request",
        "status": 400,
        "detail": "The request is not valid HTTP.",
    }
