from fastapi.testclient import TestClient

from app.core.settings import Settings
from app.main import create_app


def test_healthz_answers_ok_without_auth(client: TestClient):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_healthz_is_503_when_the_database_is_unreachable():
    app = create_app(
        Settings(database_url="postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1")
    )
    with TestClient(app) as client:
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"


def test_openapi_documents_every_endpoint(client: TestClient):
    schema = client.get("/openapi.json").json()
    assert {
        "/api/v1/reports",
        "/api/v1/reports/{report_id}",
        "/api/v1/sightings",
        "/api/v1/sightings/{sighting_id}",
        "/healthz",
    } <= set(schema["paths"])
    assert client.get("/docs").status_code == 200


def test_docs_can_be_switched_off(settings: Settings):
    with TestClient(create_app(settings.model_copy(update={"docs_enabled": False}))) as client:
        assert client.get("/docs").status_code == 404
        assert client.get("/openapi.json").status_code == 404
