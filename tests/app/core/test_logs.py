"""Request ids and safe structured logs: no names, dates, places, contacts, notes, tokens or query
strings in any log line, while every line of a request carries its id."""

import io
import json
import logging
import re
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.core.database import SessionDep, make_engine
from app.core.logs import UVICORN_LOGGING, JsonFormatter, configure_logging
from app.core.security import Role
from tests.app.live import serve
from tests.app.payloads import CANARY, canary_report, canary_sighting
from tests.conftest import Callers

REQUEST_ID = re.compile(r"^[0-9a-f]{32}$")


class TestRequestId:
    def test_every_answer_has_its_own(self, client: TestClient, callers: Callers):
        answers = [
            client.get("/healthz"),
            client.get("/api/v1/reports", headers=callers.family.headers),
            client.get("/api/v1/reports"),  # 401
            client.get("/api/v1/nowhere"),  # 404 without a route
            client.post(
                "/api/v1/reports",
                content=b"x",
                headers={**callers.family.headers, "Content-Type": "text/plain"},
            ),  # 415, answered before the app
        ]
        ids = [answer.headers["X-Request-ID"] for answer in answers]
        assert all(REQUEST_ID.match(request_id) for request_id in ids)
        assert len(set(ids)) == len(ids)

    def test_a_clients_id_is_not_taken(self, client: TestClient):
        answer = client.get("/healthz", headers={"X-Request-ID": CANARY["client_request_id"]})
        assert REQUEST_ID.match(answer.headers["X-Request-ID"])
        assert answer.headers.get_list("X-Request-ID") == [answer.headers["X-Request-ID"]]


class TestJsonFormatter:
    def test_an_exception_is_its_type_and_place_never_its_message(self):
        try:
            raise ValueError(CANARY["error_message"])
        except ValueError:
            record = logging.LogRecord(
                "ridni.test", logging.ERROR, __file__, 1, "failed", (), sys.exc_info()
            )
        line = json.loads(JsonFormatter().format(record))
        assert line["event"] == "failed"
        assert line["error"] == "ValueError"
        assert line["where"].startswith(__file__ + ":")
        assert CANARY["error_message"] not in json.dumps(line)


def test_database_errors_do_not_quote_parameters(database_url: str):
    """SQLAlchemy leaves the values out of its messages (PostgreSQL may still quote a failing
    row in its own DETAIL: that is why log lines never carry an exception's message)."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection, pytest.raises(DBAPIError) as raised:
            connection.execute(
                text(
                    "INSERT INTO users (id, name, role, token_hash) VALUES (:id, :name, 'x', 'y')"
                ),
                {"id": "canary", "name": CANARY["given_name"]},
            )
    finally:
        engine.dispose()
    assert "parameters hidden" in str(raised.value)


@pytest.fixture
def captured(caplog: pytest.LogCaptureFixture) -> Iterator[io.StringIO]:
    """What `ridni serve` would write (its JSON handler on the root logger, at DEBUG), while
    caplog keeps every record. The test's own HTTP client logs the URLs it calls: those lines
    are the client's, not the service's, so they stay out."""
    stream = io.StringIO()
    root = logging.getLogger()
    level = root.level
    handler = configure_logging("debug", stream)
    caplog.set_level(logging.DEBUG)
    quiet = {name: logging.getLogger(name) for name in ("httpx", "httpcore", "httpx2")}
    before = {name: logger.level for name, logger in quiet.items()}
    for logger in quiet.values():
        logger.setLevel(logging.WARNING)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        for name, logger in quiet.items():
            logger.setLevel(before[name])


def _add_failing_routes(app: FastAPI) -> None:
    @app.get("/api/v1/test-explodes")
    def explodes() -> None:
        raise RuntimeError(f"{CANARY['error_message']} {CANARY['given_name']}")

    @app.post("/api/v1/test-database-error")
    def database_error(session: SessionDep) -> None:
        session.execute(
            text("INSERT INTO users (id, name, role, token_hash) VALUES (:id, :name, 'x', 'y')"),
            {"id": "canary", "name": CANARY["family_name"]},
        )


def test_no_personal_data_in_any_log_line(
    committed_app: FastAPI,
    committed_callers: Callers,
    captured: io.StringIO,
    caplog: pytest.LogCaptureFixture,
):
    """Files records full of canaries through a real uvicorn server configured as `ridni serve`
    configures it, provokes validation errors, 404s, 401s and 500s, then reads every line."""
    _add_failing_routes(committed_app)
    family, field, coordinator = (
        committed_callers.family,
        committed_callers.field,
        committed_callers.coordinator,
    )
    answers: list[tuple[httpx.Response, int]] = []
    with (
        serve(committed_app, log_level="debug", **UVICORN_LOGGING) as base,
        httpx.Client(base_url=base) as http,
    ):

        def call(expected: int, method: str, path: str, **kwargs: Any) -> httpx.Response:
            answer = http.request(method, path, **kwargs)
            assert answer.status_code == expected, answer.text
            answers.append((answer, expected))
            return answer

        report = call(
            201,
            "POST",
            "/api/v1/reports",
            json=canary_report(),
            headers={**family.headers, "Idempotency-Key": CANARY["idempotency_key"]},
        ).json()
        sighting = call(
            201, "POST", "/api/v1/sightings", json=canary_sighting(), headers=field.headers
        ).json()
        call(200, "GET", f"/api/v1/reports/{report['id']}", headers=family.headers)
        call(200, "GET", f"/api/v1/sightings/{sighting['id']}", headers=coordinator.headers)
        call(200, "GET", "/api/v1/matches", headers=coordinator.headers)
        call(
            200,
            "PATCH",
            f"/api/v1/reports/{report['id']}",
            json={"circumstances": CANARY["circumstances"] + " again"},
            headers=family.headers,
        )
        # Refusals and invalid input.
        call(
            401,
            "GET",
            "/api/v1/reports",
            headers={"Authorization": "Bearer " + CANARY["bad_token"]},
        )
        call(403, "GET", f"/api/v1/sightings/{sighting['id']}", headers=family.headers)
        call(
            404,
            "GET",
            f"/api/v1/sightings/{sighting['id']}",
            headers=committed_callers.field2.headers,
        )
        call(
            422,
            "GET",
            "/api/v1/reports",
            params={"cursor": CANARY["cursor"], "status": CANARY["given_name"]},
            headers=family.headers,
        )
        bad_date = {**canary_report(), "last_seen": {"date": CANARY["given_name"]}}
        call(422, "POST", "/api/v1/reports", json=bad_date, headers=family.headers)
        unknown_field = {**canary_sighting(), CANARY["family_name"]: CANARY["notes"]}
        call(422, "POST", "/api/v1/sightings", json=unknown_field, headers=field.headers)
        call(
            404,
            "GET",
            f"/api/v1/{CANARY['location']}",
            params={"q": CANARY["reporter_phone"]},
            headers={"X-Request-ID": CANARY["client_request_id"]},
        )
        call(500, "GET", "/api/v1/test-explodes", headers=family.headers)
        call(500, "POST", "/api/v1/test-database-error", headers=family.headers)

    output = captured.getvalue()
    lines = [json.loads(line) for line in output.splitlines()]
    secrets = [*CANARY.values(), family.token, field.token, coordinator.token]
    for secret in secrets:
        assert secret not in output, secret
        assert secret not in caplog.text, secret
        for record in caplog.records:
            assert secret not in str(vars(record)), (secret, record.name)

    # Every request has one line with its id, route template, status, duration and caller.
    by_id = {line["request_id"]: line for line in lines if line["event"] == "request"}
    for answer, status in answers:
        request_id = answer.headers["X-Request-ID"]
        assert REQUEST_ID.match(request_id)
        line = by_id[request_id]
        assert line["status"] == status
        assert line["method"] == answer.request.method
        assert isinstance(line["duration_ms"], float)
    first = by_id[answers[0][0].headers["X-Request-ID"]]
    assert first["route"] == "/api/v1/reports"
    assert first["user_id"] == family.user_id
    read = by_id[answers[2][0].headers["X-Request-ID"]]
    assert read["route"] == "/api/v1/reports/{report_id}"
    refused = by_id[answers[6][0].headers["X-Request-ID"]]
    assert refused["status"] == 401
    assert refused["user_id"] is None
    unmatched = by_id[answers[12][0].headers["X-Request-ID"]]
    assert unmatched["route"] is None
    # The 500s: one line with the error's type and place, under the request's id.
    for answer, _status in answers[-2:]:
        request_id = answer.headers["X-Request-ID"]
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.headers["x-content-type-options"] == "nosniff"
        [error] = [
            line
            for line in lines
            if line.get("request_id") == request_id and line["event"] == "unhandled exception"
        ]
        assert error["error"] in {"RuntimeError", "IntegrityError"}
        assert "tests/app/core/test_logs.py:" in error["where"]
    # Uvicorn's own lines come through the same formatter, and its access log is off.
    assert any(line["logger"].startswith("uvicorn") for line in lines)
    assert not any(line["logger"] == "uvicorn.access" for line in lines)
    assert "?" not in "".join(str(line.get("route")) for line in lines)


def test_a_request_refused_before_routing_is_logged(client: TestClient, callers: Callers):
    """A body refused before any route ran (415) still has its line, without a route or caller."""
    stream = io.StringIO()
    root = logging.getLogger()
    level = root.level
    handler = configure_logging("info", stream)
    try:
        answer = client.post(
            "/api/v1/reports",
            content=b"x",
            headers={**callers.of(Role.family).headers, "Content-Type": "text/plain"},
        )
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    lines = [json.loads(text) for text in stream.getvalue().splitlines()]
    [line] = [line for line in lines if line["logger"] == "ridni.request"]
    assert line["request_id"] == answer.headers["X-Request-ID"]
    assert (line["status"], line["route"], line["user_id"]) == (415, None, None)
