"""Per-caller rate limits, with real small limits (the suite's own app has limits no test
reaches): counted per token, never per address; tighter on families' reports; reads free."""

from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from app.core.ratelimit import WRITE_METHODS
from app.core.settings import Settings
from app.main import create_app
from app.sightings.models import Sighting
from tests.app import payloads
from tests.app.matching_queue import drain_queue
from tests.app.test_authorization import UPLOADS, api_routes
from tests.conftest import Callers, client_in

WRITES = 5
REPORTS = 2
NOBODY = "00000000-0000-4000-8000-000000000000"


def limited_app(settings: Settings, *, writes: str, reports: str) -> FastAPI:
    return create_app(
        settings.model_copy(update={"rate_limit_writes": writes, "rate_limit_reports": reports})
    )


@pytest.fixture
def limited(settings: Settings, connection: Connection) -> Iterator[TestClient]:
    """A client of an app with WRITES writes a minute and REPORTS reports an hour."""
    app = limited_app(settings, writes=f"{WRITES}/minute", reports=f"{REPORTS}/hour")
    with client_in(app, connection) as client:
        yield client
    app.state.engine.dispose()


def file_sighting(client: TestClient, headers: dict[str, str]) -> int:
    return client.post("/api/v1/sightings", json=payloads.sighting(), headers=headers).status_code


def file_report(client: TestClient, headers: dict[str, str]) -> int:
    return client.post("/api/v1/reports", json=payloads.report(), headers=headers).status_code


def assert_too_many(response: httpx.Response, window_seconds: int) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 429
    retry_after = int(response.headers["retry-after"])
    assert 1 <= retry_after <= window_seconds


class TestWriteLimit:
    def test_the_write_after_the_limit_is_429_and_writes_nothing(
        self, limited: TestClient, callers: Callers, session: Session
    ):
        for _ in range(WRITES):
            assert file_sighting(limited, callers.field.headers) == 201
        response = limited.post(
            "/api/v1/sightings", json=payloads.sighting(), headers=callers.field.headers
        )
        assert_too_many(response, 60)
        assert session.scalar(select(func.count()).select_from(Sighting)) == WRITES

    def test_two_tokens_from_one_address_do_not_throttle_each_other(
        self, limited: TestClient, callers: Callers
    ):
        # Every request of the test client comes from one address, as from a shared network
        # or a Tor exit; a forwarding header naming one address changes nothing either.
        same_address = {"X-Forwarded-For": "203.0.113.7"}
        for _ in range(WRITES):
            assert file_sighting(limited, {**callers.field.headers, **same_address}) == 201
        assert file_sighting(limited, {**callers.field.headers, **same_address}) == 429
        for _ in range(WRITES):
            assert file_sighting(limited, {**callers.field2.headers, **same_address}) == 201
        assert file_sighting(limited, {**callers.field2.headers, **same_address}) == 429

    def test_every_kind_of_write_counts(self, limited: TestClient, callers: Callers):
        coordinator = callers.coordinator.headers
        assert file_report(limited, coordinator) == 201
        assert file_sighting(limited, coordinator) == 201
        drain_queue(limited)
        [match] = limited.get("/api/v1/matches", headers=coordinator).json()["items"]
        decision = {"decision": "reject", "note": "another child", "version": 1}
        url = f"/api/v1/matches/{match['id']}/decision"
        assert limited.post(url, json=decision, headers=coordinator).status_code == 200
        report_id = match["report_id"]
        patch = {"circumstances": "Seen in Skadovsk."}
        patched = limited.patch(f"/api/v1/reports/{report_id}", json=patch, headers=coordinator)
        assert patched.status_code == 200
        # Refused writes count too: a 403 costs the caller as much as a 201.
        assert limited.post("/api/v1/users", json={}, headers=coordinator).status_code == 403
        assert_too_many(limited.post(url, json=decision, headers=coordinator), 60)

    def test_reads_are_not_limited(self, limited: TestClient, callers: Callers):
        for _ in range(WRITES):
            file_sighting(limited, callers.coordinator.headers)
        assert file_sighting(limited, callers.coordinator.headers) == 429
        for path in ["/api/v1/sightings", "/api/v1/reports", "/api/v1/matches"] * WRITES:
            assert limited.get(path, headers=callers.coordinator.headers).status_code == 200

    def test_no_token_or_a_bad_one_is_401_and_counts_for_nobody(
        self, limited: TestClient, callers: Callers
    ):
        bad = {"Authorization": "Bearer rdn_not-a-token"}
        for headers in [bad, {}] * WRITES:
            assert file_sighting(limited, headers) == 401
        for _ in range(WRITES):
            assert file_sighting(limited, callers.field.headers) == 201


class TestReportLimit:
    def test_a_family_has_the_tighter_limit_on_reports(self, limited: TestClient, callers: Callers):
        for _ in range(REPORTS):
            assert file_report(limited, callers.family.headers) == 201
        response = limited.post(
            "/api/v1/reports", json=payloads.report(), headers=callers.family.headers
        )
        assert_too_many(response, 3600)
        # Amending a report's child is filing another report: the same limit.
        [report, *_] = limited.get("/api/v1/reports", headers=callers.family.headers).json()[
            "items"
        ]
        amend = {"child": {"given_name": "Олена"}}
        amended = limited.patch(
            f"/api/v1/reports/{report['id']}", json=amend, headers=callers.family.headers
        )
        assert amended.status_code == 429
        # Another family, from the same address, is not held back.
        assert file_report(limited, callers.family2.headers) == 201

    def test_coordinators_file_reports_under_the_write_limit(
        self, limited: TestClient, callers: Callers
    ):
        for _ in range(WRITES):
            assert file_report(limited, callers.coordinator.headers) == 201
        assert file_report(limited, callers.coordinator.headers) == 429


def _write_routes() -> list[tuple[str, str]]:
    app = create_app(Settings(database_url="sqlite://"))
    app.state.engine.dispose()
    return sorted((m, path) for m, path in api_routes(app) if m in WRITE_METHODS)


@pytest.mark.parametrize("route", _write_routes(), ids=lambda r: f"{r[0]} {r[1]}")
def test_every_write_route_is_limited(
    settings: Settings, connection: Connection, callers: Callers, route: tuple[str, str]
):
    """Whatever the route answers first (404 for nobody's record, 422 for an empty body), the
    second write within the limit of one is a 429: the limit is on every write. Uploads are
    sent as the multipart forms they must be (any other body is refused before anyone is
    authenticated, and costs nothing)."""
    app = limited_app(settings, writes="1/minute", reports="1000/minute")
    method, template = route
    path = template.format(
        report_id=NOBODY,
        sighting_id=NOBODY,
        match_id=NOBODY,
        user_id=NOBODY,
        import_id=NOBODY,
        photo_id=NOBODY,
        duplicate_id=NOBODY,
    )
    data, files = UPLOADS.get(route, (None, None))
    body = {"data": data, "files": files} if files else {"json": {}}
    with client_in(app, connection) as client:
        first = client.request(method, path, **body, headers=callers.admin.headers)
        assert first.status_code != 429
        assert_too_many(client.request(method, path, **body, headers=callers.admin.headers), 60)
    app.state.engine.dispose()


def test_every_write_documents_429_with_retry_after(app: FastAPI):
    schema = app.openapi()
    for method, path in api_routes(app):
        responses = schema["paths"][path][method.lower()]["responses"]
        if method in WRITE_METHODS:
            assert "Retry-After" in responses["429"]["headers"], (method, path)
        else:
            assert "429" not in responses, (method, path)


@pytest.mark.parametrize("value", ["", "often", "0/minute", "10/fortnight"])
def test_a_limit_that_does_not_parse_stops_the_service_starting(value: str):
    with pytest.raises(ValidationError):
        Settings(rate_limit_writes=value)


@pytest.mark.parametrize("value", ["", "redis", "127.0.0.1:6379", "memcached://x:11211"])
def test_a_storage_that_is_not_memory_or_redis_stops_the_service_starting(value: str):
    with pytest.raises(ValidationError):
        Settings(rate_limit_storage=value)


def test_a_write_while_the_shared_store_is_away_is_503_and_writes_nothing(
    settings: Settings, connection: Connection, callers: Callers, session: Session
):
    # Nothing listens on port 1: the store of counts does not answer.
    away = settings.model_copy(update={"rate_limit_storage": "redis://127.0.0.1:1/0"})
    app = create_app(away)
    assert not app.state.rate_limits.reachable()
    with client_in(app, connection) as client:
        response = client.post(
            "/api/v1/sightings", json=payloads.sighting(), headers=callers.field.headers
        )
        read = client.get("/api/v1/sightings", headers=callers.field.headers)
    app.state.engine.dispose()
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["retry-after"]) >= 1
    assert session.scalar(select(func.count()).select_from(Sighting)) == 0
    assert read.status_code == 200  # reads are not counted, so they do not wait for it
