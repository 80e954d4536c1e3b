"""Every photo route, for every role, on the caller's own record and on someone else's: the
owner, coordinators and admins may; another family or field contact gets a 404 exactly like a
missing photo; a role that may never use the route gets a 403; no token, a 401."""

import uuid

import pytest
from fastapi.testclient import TestClient

from tests.app.photos import samples
from tests.app.photos.test_photos import file_report, file_sighting, upload
from tests.conftest import Callers

ROLES = ("family", "family2", "field", "field2", "coordinator", "admin", "anonymous")

# Route (method, what it names), and the answer to each role of ROLES, in order, on a record of
# `family` (a report) or of `field` (a sighting).
EXPECTED = {
    ("POST", "report"): dict(zip(ROLES, (201, 404, 403, 403, 201, 201, 401), strict=True)),
    ("GET", "report"): dict(zip(ROLES, (200, 404, 403, 403, 200, 200, 401), strict=True)),
    ("POST", "sighting"): dict(zip(ROLES, (403, 403, 201, 404, 201, 201, 401), strict=True)),
    ("GET", "sighting"): dict(zip(ROLES, (403, 403, 200, 404, 200, 200, 401), strict=True)),
    ("GET", "report-photo"): dict(zip(ROLES, (200, 404, 404, 404, 200, 200, 401), strict=True)),
    ("GET", "sighting-photo"): dict(zip(ROLES, (404, 404, 200, 404, 200, 200, 401), strict=True)),
    ("DELETE", "report-photo"): dict(zip(ROLES, (204, 404, 404, 404, 204, 204, 401), strict=True)),
    ("DELETE", "sighting-photo"): dict(
        zip(ROLES, (404, 404, 204, 404, 204, 204, 401), strict=True)
    ),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", list(EXPECTED), ids=lambda r: f"{r[0]} {r[1]}")
def test_who_may_use_each_photo_route(
    route: tuple[str, str], role: str, client: TestClient, callers: Callers
):
    method, target = route
    report_id = file_report(client, callers.family)
    sighting_id = file_sighting(client, callers.field)
    jpeg = samples.jpeg_with_gps(40, 30)
    photo_of = {
        "report-photo": upload(
            client, callers.family, f"/api/v1/reports/{report_id}/photos", jpeg
        ).json()["id"],
        "sighting-photo": upload(
            client, callers.field, f"/api/v1/sightings/{sighting_id}/photos", jpeg
        ).json()["id"],
    }
    caller = None if role == "anonymous" else getattr(callers, role)
    headers = caller.headers if caller else {}
    if target in ("report", "sighting"):
        path = f"/api/v1/{target}s/{report_id if target == 'report' else sighting_id}/photos"
        missing = f"/api/v1/{target}s/{uuid.uuid4()}/photos"
        if method == "POST":
            response = upload(client, caller, path, jpeg)
            absent = upload(client, caller, missing, jpeg)
        else:
            response = client.get(path, headers=headers)
            absent = client.get(missing, headers=headers)
    else:
        path = f"/api/v1/photos/{photo_of[target]}"
        missing = f"/api/v1/photos/{uuid.uuid4()}"
        response = client.request(method, path, headers=headers)
        absent = client.request(method, missing, headers=headers)
    expected = EXPECTED[route][role]
    assert response.status_code == expected, response.text
    if expected == 404:
        # Someone else's is answered exactly like one that does not exist.
        assert response.json() == absent.json()
        assert response.headers["content-type"] == absent.headers["content-type"]
    if expected == 200 and target in ("report", "sighting"):
        assert len(response.json()["items"]) == 1
    if expected == 200 and target.endswith("photo"):
        assert response.content[:3] == b"\xff\xd8\xff"  # a JPEG
    if method == "DELETE" and expected == 204:
        again = client.get(path, headers=callers.admin.headers)
        assert again.status_code == 404
    if method == "DELETE" and expected == 404:
        still = client.get(path, headers=callers.admin.headers)
        assert still.status_code == 200
