from fastapi.testclient import TestClient
from sqlalchemy.orm import sessionmaker

from app.core.database import make_engine
from app.core.settings import Settings
from app.main import create_app


def test_healthz_answers_ok_without_auth(client: TestClient):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_healthz_is_503_when_the_database_is_unreachable(settings: Settings):
    app = create_app(settings)  # starting needs the database: it checks the keys against it
    app.state.engine.dispose()
    gone = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1")
    app.state.session_factory = sessionmaker(bind=gone)
    with TestClient(app) as client:
        response = client.get("/healthz")
    gone.dispose()
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
