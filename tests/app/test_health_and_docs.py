from html.parser import HTMLParser

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from app.core.database import make_engine
from app.core.settings import Settings
from app.main import create_app


def test_healthz_answers_ok_without_auth(client: TestClient):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_healthz_is_503_when_the_database_is_unreachable(settings: Settings, engine: Engine):
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
        assert client.get("/docs/assets/swagger-ui-bundle.js").status_code == 404
        assert client.get("/docs/swagger-init.js").status_code == 404
        assert client.get("/openapi.json").status_code == 404


class _Page(HTMLParser):
    """What a page loads (every src and href) and any script written into the page itself."""

    def __init__(self) -> None:
        super().__init__()
        self.loads: list[str] = []
        self.inline: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        self.loads += [value for key, value in named.items() if key in ("src", "href") and value]
        self.inline += [key for key in named if key.startswith("on")]  # onload=...
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline.append(data)


def test_docs_load_everything_from_the_service_itself(client: TestClient):
    """/docs works without internet: every file the page loads is served here, none inline."""
    answer = client.get("/docs")
    assert answer.status_code == 200
    page = _Page()
    page.feed(answer.text)
    assert page.inline == []
    assert "//" not in answer.text  # no URL of another origin, not even protocol-relative
    types = {}
    for url in page.loads:
        assert url.startswith("/docs/"), url
        loaded = client.get(url)
        assert loaded.status_code == 200, url
        types[url.rsplit(".", 1)[-1]] = loaded.headers["content-type"].split(";")[0]
        assert loaded.content
    assert types == {"png": "image/png", "css": "text/css", "js": "text/javascript"}
    # The script that starts Swagger UI reads the schema's address from the page.
    assert 'data-openapi-url="/openapi.json"' in answer.text
