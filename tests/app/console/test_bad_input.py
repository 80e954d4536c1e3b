"""A NUL (%00) anywhere a console page takes text: a clear 4xx page, never a 500.

PostgreSQL cannot hold a NUL in text, so a NUL that reached a query there was a 500 (SQLite
took it). Every parameter of every console route is tried, read from the routes themselves, on
whichever database the suite runs on.
"""

from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.console.labels import LABELS
from app.matches.models import Match
from app.reports.models import Report
from tests.app.console.helpers import Reviewer, csrf_of
from tests.app.console.test_pages import file_pair, proposed
from tests.app.test_authorization import _flatten
from tests.conftest import Callers

NUL = "x\x00y"
SOME_ID = "00000000-0000-4000-8000-000000000000"


def _console_routes(app: FastAPI) -> list[APIRoute]:
    routes = [
        r
        for r in _flatten(app.routes)
        if isinstance(r, APIRoute) and r.path_format.startswith("/console")
    ]
    assert len(routes) > 10  # the table really reads the routes
    return routes


def _url_cases(app: FastAPI) -> list[tuple[str, str, str]]:
    """(path format, "path" or "query", parameter name) for each GET route's parameters."""
    cases = []
    for route in _console_routes(app):
        if "GET" not in route.methods:
            continue
        cases += [(route.path_format, "path", p.name) for p in route.dependant.path_params]
        cases += [(route.path_format, "query", p.name) for p in route.dependant.query_params]
    assert ("/console/search", "query", "q") in cases
    assert ("/console/matches", "query", "cursor") in cases
    assert ("/console/matches/{match_id}", "path", "match_id") in cases
    return cases


def _assert_clear_page(response, case: object) -> None:  # type: ignore[no-untyped-def]
    assert 400 <= response.status_code < 500, (case, response.status_code)
    assert response.headers["content-type"].startswith("text/html"), case
    assert "Traceback" not in response.text
    assert LABELS["en"]["invalid_input"] in response.text, case


def test_nul_in_any_path_or_query_parameter_is_a_clear_4xx_page(
    app: FastAPI, console: TestClient, callers: Callers, session: Session
):
    report_id, _ = file_pair(console, callers)
    [match] = proposed(console, callers)
    ids = {"match_id": match["id"], "report_id": report_id, "sighting_id": SOME_ID}
    ids |= {"photo_id": SOME_ID, "duplicate_id": SOME_ID}
    ids |= {"code": "not-a-code"}
    before = session.scalar(select(func.count()).select_from(Match))
    for path, where, name in _url_cases(app):
        url = path.format(
            **{k: ("x%00y" if (where, k) == ("path", name) else v) for k, v in ids.items()}
        )
        params = {name: NUL} if where == "query" else {}
        response = console.get(url, params=params, follow_redirects=False)
        _assert_clear_page(response, (path, where, name))
    assert session.scalar(select(func.count()).select_from(Match)) == before


def test_nul_in_any_field_of_a_console_form_is_a_clear_4xx_page(
    console: TestClient, callers: Callers, session: Session, olena: Reviewer
):
    file_pair(console, callers)
    [match] = proposed(console, callers)
    page = console.get(f"/console/matches/{match['id']}")
    csrf = csrf_of(page.text)
    forms = {
        f"/console/matches/{match['id']}/decision": {
            "decision": "confirm",
            "version": str(match["version"]),
            "note": "seen",
        },
        f"/console/duplicates/{SOME_ID}/decision": {
            "decision": "confirm",
            "version": "1",
            "note": "seen",
        },
        "/console/sign-in": {"login": olena.login, "password": "p", "code": "123456"},
        "/console/enrol/not-a-code": {"password": "p", "repeat": "p", "otp": "123456"},
    }
    for path, fields in forms.items():
        for name in [*fields, "csrf"]:
            data = {"csrf": csrf, **fields, name: NUL}
            response = console.post(path, data=data, follow_redirects=False)
            _assert_clear_page(response, (path, name))
    # Nothing was decided, and the report is as it was filed.
    decided = console.get(f"/console/matches/{match['id']}")
    assert 'value="confirm"' in decided.text
    assert session.scalar(select(Report.status)) == "open"
