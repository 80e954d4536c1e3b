"""Security headers on every answer; CORS closed unless configured."""

from fastapi.testclient import TestClient

from app.core.settings import Settings
from app.main import create_app
from tests.conftest import Callers

EXPECTED = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}


def test_every_kind_of_answer_has_the_headers(client: TestClient, callers: Callers):
    answers = [
        client.get("/healthz"),
        client.get("/api/v1/reports", headers=callers.family.headers),  # 200
        client.get("/api/v1/reports"),  # 401
        client.post(
            "/api/v1/reports",
            content=b"x" * 70_000,
            headers={**callers.family.headers, "Content-Type": "application/json"},
        ),
        client.post(
            "/api/v1/reports",
            content=b"given_name=x",
            headers={**callers.family.headers, "Content-Type": "text/plain"},
        ),  # 415
    ]
    assert [a.status_code for a in answers] == [200, 200, 401, 413, 415]
    for answer in answers:
        for name, value in EXPECTED.items():
            assert answer.headers[name] == value, (answer.status_code, name)
        assert "default-src 'none'" in answer.headers["content-security-policy"]


def test_docs_may_load_scripts_and_styles_from_this_origin_only(client: TestClient):
    answer = client.get("/docs")
    assert answer.status_code == 200
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in answer.headers["content-security-policy"].split(";")
    )
    assert policy == {
        "default-src": "'none'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": "'self' data:",
        "connect-src": "'self'",
        "frame-ancestors": "'none'",
    }


def test_a_path_that_only_starts_like_docs_gets_the_api_policy(client: TestClient):
    answer = client.get("/docsx")
    assert answer.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"


def test_cors_is_closed_unless_configured(client: TestClient):
    preflight = client.options(
        "/api/v1/reports",
        headers={"Origin": "https://example.org", "Access-Control-Request-Method": "GET"},
    )
    assert "access-control-allow-origin" not in preflight.headers


def test_cors_allows_only_the_configured_origins(settings: Settings):
    app = create_app(settings.model_copy(update={"cors_origins": ["https://ridni.example"]}))
    with TestClient(app) as client:
        allowed = client.options(
            "/api/v1/reports",
            headers={"Origin": "https://ridni.example", "Access-Control-Request-Method": "GET"},
        )
        other = client.options(
            "/api/v1/reports",
            headers={"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "GET"},
        )
    app.state.engine.dispose()
    assert allowed.headers["access-control-allow-origin"] == "https://ridni.example"
    assert "access-control-allow-origin" not in other.headers
