"""Every API route × every role × own/other record, with the exact status expected.

The table is keyed by the routes the app really has: a new route without a row fails
`test_every_route_has_a_row`, so nobody can add an endpoint without deciding who may call it.
"""

import io
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session
from starlette.routing import BaseRoute

from app.core.security import Role
from app.crypto.keyring import Keyring
from app.matches.duplicates.models import Duplicate
from app.matches.models import Match
from tests.app import payloads
from tests.app.matching_queue import drain_queue
from tests.conftest import Callers, client_in, savepoint, session_in, shared_by_module

OWN, OTHER = "own", "other"
F, FI, C, A = Role.family, Role.field, Role.coordinator, Role.admin

# (method, path) -> {role: (status for its own record, status for someone else's)}
EXPECTED: dict[tuple[str, str], dict[Role, tuple[int, int]]] = {
    ("POST", "/api/v1/reports"): {F: (201, 201), FI: (403, 403), C: (201, 201), A: (201, 201)},
    ("GET", "/api/v1/reports"): {F: (200, 200), FI: (403, 403), C: (200, 200), A: (200, 200)},
    ("GET", "/api/v1/reports/{report_id}"): {
        F: (200, 404),
        FI: (403, 403),
        C: (200, 200),
        A: (200, 200),
    },
    ("PATCH", "/api/v1/reports/{report_id}"): {
        F: (200, 404),
        FI: (403, 403),
        C: (200, 200),
        A: (200, 200),
    },
    ("POST", "/api/v1/sightings"): {F: (403, 403), FI: (201, 201), C: (201, 201), A: (201, 201)},
    ("GET", "/api/v1/sightings"): {F: (403, 403), FI: (200, 200), C: (200, 200), A: (200, 200)},
    ("GET", "/api/v1/sightings/{sighting_id}"): {
        F: (403, 403),
        FI: (200, 404),
        C: (200, 200),
        A: (200, 200),
    },
    ("PATCH", "/api/v1/sightings/{sighting_id}"): {
        F: (403, 403),
        FI: (200, 404),
        C: (200, 200),
        A: (200, 200),
    },
    **{
        route: {F: (403, 403), FI: (403, 403), C: (200, 200), A: (200, 200)}
        for route in [
            ("GET", "/api/v1/sightings/{sighting_id}/candidates"),
            ("GET", "/api/v1/reports/{report_id}/candidates"),
            ("GET", "/api/v1/matches"),
            ("GET", "/api/v1/matches/{match_id}"),
            ("GET", "/api/v1/matches/{match_id}/history"),
            ("POST", "/api/v1/matches/{match_id}/decision"),
            ("GET", "/api/v1/duplicates"),
            ("GET", "/api/v1/duplicates/{duplicate_id}"),
            ("GET", "/api/v1/duplicates/{duplicate_id}/history"),
            ("POST", "/api/v1/duplicates/{duplicate_id}/decision"),
            ("GET", "/api/v1/exports/pfif"),
            ("GET", "/api/v1/exports/matches"),
            ("GET", "/api/v1/exports/reports"),
            ("GET", "/api/v1/audit"),
            ("GET", "/api/v1/imports"),
            ("GET", "/api/v1/imports/{import_id}"),
        ]
    },
    # User management is for admins alone; coordinators see every record but manage nobody.
    **{
        (method, path): {F: (403, 403), FI: (403, 403), C: (403, 403), A: (status, status)}
        for method, path, status in [
            ("GET", "/api/v1/users", 200),
            ("POST", "/api/v1/users", 201),
            ("GET", "/api/v1/users/{user_id}", 200),
            ("PATCH", "/api/v1/users/{user_id}", 200),
            ("POST", "/api/v1/users/{user_id}/tokens", 201),
            ("DELETE", "/api/v1/users/{user_id}/tokens", 204),
        ]
    },
    ("POST", "/api/v1/imports"): {F: (403, 403), FI: (403, 403), C: (202, 202), A: (202, 202)},
    # Photos: a record's owner, coordinators and admins; the photo of the caller's own record
    # (a family's report, a field contact's sighting) or of someone else's.
    ("POST", "/api/v1/reports/{report_id}/photos"): {
        F: (201, 404),
        FI: (403, 403),
        C: (201, 201),
        A: (201, 201),
    },
    ("GET", "/api/v1/reports/{report_id}/photos"): {
        F: (200, 404),
        FI: (403, 403),
        C: (200, 200),
        A: (200, 200),
    },
    ("POST", "/api/v1/sightings/{sighting_id}/photos"): {
        F: (403, 403),
        FI: (201, 404),
        C: (201, 201),
        A: (201, 201),
    },
    ("GET", "/api/v1/sightings/{sighting_id}/photos"): {
        F: (403, 403),
        FI: (200, 404),
        C: (200, 200),
        A: (200, 200),
    },
    ("GET", "/api/v1/photos/{photo_id}"): {
        F: (200, 404),
        FI: (200, 404),
        C: (200, 200),
        A: (200, 200),
    },
    ("DELETE", "/api/v1/photos/{photo_id}"): {
        F: (204, 404),
        FI: (204, 404),
        C: (204, 204),
        A: (204, 204),
    },
}

BODIES: dict[tuple[str, str], Any] = {
    ("POST", "/api/v1/reports"): payloads.report(),
    ("PATCH", "/api/v1/reports/{report_id}"): {"circumstances": "Seen in Skadovsk in May."},
    ("POST", "/api/v1/sightings"): payloads.sighting(),
    ("PATCH", "/api/v1/sightings/{sighting_id}"): {"seen_with": []},
    ("POST", "/api/v1/matches/{match_id}/decision"): {
        "decision": "reject",
        "note": "Different child: another mother.",
        "version": 1,
    },
    ("POST", "/api/v1/duplicates/{duplicate_id}/decision"): {
        "decision": "reject",
        "note": "Two children: twins.",
        "version": 1,
    },
    ("POST", "/api/v1/users"): {"name": "Volunteer 18", "role": "field"},
    ("PATCH", "/api/v1/users/{user_id}"): {"disabled": False},
}


def _small_jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (120, 80, 40)).save(out, format="JPEG")
    return out.getvalue()


PHOTO = {"file": ("photo.jpg", _small_jpeg(), "image/jpeg")}
# Multipart uploads: (form fields, files).
UPLOADS: dict[tuple[str, str], tuple[dict[str, str], dict[str, Any]]] = {
    ("POST", "/api/v1/imports"): (
        {"kind": "sightings"},
        {"file": ("list.csv", "Фамилия;Имя\nОлейник;Николай\n".encode(), "text/csv")},
    ),
    ("POST", "/api/v1/reports/{report_id}/photos"): ({}, PHOTO),
    ("POST", "/api/v1/sightings/{sighting_id}/photos"): ({}, PHOTO),
}


def send(client: TestClient, route: tuple[str, str], path: str, headers: dict[str, str]) -> Any:
    method = route[0]
    if route in UPLOADS:
        data, files = UPLOADS[route]
        return client.request(method, path, data=data, files=files, headers=headers)
    return client.request(method, path, json=BODIES.get(route), headers=headers)


def api_routes(app: FastAPI) -> set[tuple[str, str]]:
    return {
        (method, route.path)
        for route in _flatten(app.routes)
        if isinstance(route, APIRoute) and route.path.startswith("/api/")
        for method in route.methods
    }


def _flatten(routes: list[BaseRoute]) -> list[BaseRoute]:
    # FastAPI keeps an included router as one entry that holds the router it was given.
    flat: list[BaseRoute] = []
    for route in routes:
        included = getattr(route, "original_router", None)
        flat += _flatten(included.routes) if included is not None else [route]
    return flat


def test_every_route_has_a_row(app: FastAPI):
    assert api_routes(app) == set(EXPECTED)


# Each (role, whose) pair's records are made once and shared by that pair's tests (296 tests,
# 8 sets of records), each test in a savepoint of the module's transaction.
connection, callers = shared_by_module()


@pytest.fixture(scope="module")
def record_ids(
    app: FastAPI,
    module_connection: Connection,
    keyring: Keyring,
    callers: Callers,
    role: Role,
    whose: str,
) -> Iterator[dict[str, str]]:
    # The session stays open as the test's did: closing it would roll back what it saw written.
    with savepoint(module_connection), session_in(module_connection, keyring) as session:
        with client_in(app, module_connection) as client:
            ids = _record_ids(client, session, callers, role, whose)
        yield ids


def _record_ids(
    client: TestClient, session: Session, callers: Callers, role: Role, whose: str
) -> dict[str, str]:
    """A report and a sighting of one child, belonging to the caller (own) or to somebody else
    (other), the match the service proposed between them, and the caller (own) or another user
    (other)."""
    report_owner = (
        callers.family2
        if whose == OTHER
        else (callers.of(role) if role != Role.field else callers.family)
    )
    sighting_owner = (
        callers.field2
        if whose == OTHER
        else (callers.of(role) if role != Role.family else callers.field)
    )
    report = client.post("/api/v1/reports", json=payloads.report(), headers=report_owner.headers)
    sighting = client.post(
        "/api/v1/sightings", json=payloads.sighting(), headers=sighting_owner.headers
    )
    assert report.status_code == sighting.status_code == 201
    drain_queue(client)
    match = session.scalars(select(Match).where(Match.report_id == report.json()["id"])).one()
    # A second report of the same child, proposed as a duplicate of the first.
    second = client.post("/api/v1/reports", json=payloads.report(), headers=report_owner.headers)
    assert second.status_code == 201
    drain_queue(client)
    duplicate = session.scalars(
        select(Duplicate).where(Duplicate.report_id == second.json()["id"])
    ).one()
    # An import started by the caller (own), or by another coordinator or admin (other).
    importer = callers.coordinator
    if (role == Role.coordinator) == (whose == OTHER):
        importer = callers.admin
    started = send(client, ("POST", "/api/v1/imports"), "/api/v1/imports", importer.headers)
    assert started.status_code == 202
    ids = {
        "report_id": report.json()["id"],
        "sighting_id": sighting.json()["id"],
        "match_id": match.id,
        "duplicate_id": duplicate.id,
        "user_id": callers.family2.user_id if whose == OTHER else callers.of(role).user_id,
        "import_id": started.json()["id"],
    }
    return {**ids, "photo_id": _photo_id(client, callers, role, ids)}


def _photo_id(client: TestClient, callers: Callers, role: Role, ids: dict[str, str]) -> str:
    """A photo of the caller's own kind of record: the sighting's for a field contact."""
    photo_route = (
        "POST",
        "/api/v1/sightings/{sighting_id}/photos"
        if role == Role.field
        else "/api/v1/reports/{report_id}/photos",
    )
    photo = send(client, photo_route, photo_route[1].format(**ids), callers.admin.headers)
    assert photo.status_code == 201, photo.text
    photo_id: str = photo.json()["id"]
    return photo_id


DELETE_PHOTO = ("DELETE", "/api/v1/photos/{photo_id}")


@pytest.mark.parametrize("route", sorted(EXPECTED), ids=lambda r: f"{r[0]} {r[1]}")
@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value, scope="module")
@pytest.mark.parametrize("whose", [OWN, OTHER], scope="module")
def test_status(
    client: TestClient,
    callers: Callers,
    record_ids: dict[str, str],
    route: tuple[str, str],
    role: Role,
    whose: str,
):
    ids = record_ids
    if route == DELETE_PHOTO:
        # A deleted photo's files go once the request commits, which no rollback brings back:
        # the photo the other tests read is not the one this one deletes.
        ids = {**ids, "photo_id": _photo_id(client, callers, role, ids)}
    path = route[1].format(**ids)
    response = send(client, route, path, callers.of(role).headers)
    expected = EXPECTED[route][role][0 if whose == OWN else 1]
    assert response.status_code == expected, response.text
    if expected >= 400:
        assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("route", sorted(EXPECTED), ids=lambda r: f"{r[0]} {r[1]}")
@pytest.mark.parametrize("token", [None, "rdn_not-a-token", ""])
def test_no_token_or_a_bad_one_is_401(
    client: TestClient, route: tuple[str, str], token: str | None
):
    template = route[1]
    nobody = "00000000-0000-4000-8000-000000000000"
    path = template.format(
        report_id=nobody,
        sighting_id=nobody,
        match_id=nobody,
        duplicate_id=nobody,
        user_id=nobody,
        import_id=nobody,
        photo_id=nobody,
    )
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    response = send(client, route, path, headers)
    assert response.status_code == 401
    assert response.json()["status"] == 401
