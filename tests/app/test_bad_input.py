"""Bad input gets a 4xx problem document and stores nothing."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.reports.models import Report
from app.sightings.models import Sighting
from tests.app import payloads
from tests.conftest import Callers


def child(**fields: Any) -> dict[str, Any]:
    return {"child": {"given_name": "Микола", **fields}}


def subject(**fields: Any) -> dict[str, Any]:
    return {"subject": {"given_name": "Коля", **fields}, "source_type": "witness"}


BAD_REPORTS: dict[str, Any] = {
    "wrong type for a name": child(given_name=12),
    "number as a string age": child(age_estimate={"min": "3", "max": 5}),
    "boolean age": child(age_estimate={"min": True, "max": 5}),
    "float age": child(age_estimate={"min": 3.5, "max": 5}),
    "unknown field at the top": {**child(), "priority": "high"},
    "unknown field in the child": child(eye_colour="blue"),
    "unknown field in the reporter": {**child(), "reporter": {"name": "Ганна", "ssn": "1"}},
    "name too long": child(given_name="М" * 201),
    "free text too long": {**child(), "circumstances": "x" * 10_001},
    "too many other names": child(other_names=["Коля"] * 21),
    "impossible date": child(date_of_birth="2011-02-30"),
    "month 13": child(date_of_birth="2011-13"),
    "future date": child(date_of_birth="2099-01-01"),
    "absurdly old": child(date_of_birth="1850"),
    "date in another format": child(date_of_birth="12.03.2011"),
    "negative age": child(age_estimate={"min": -1, "max": 5}),
    "absurd age": child(age_estimate={"min": 3, "max": 140}),
    "age range upside down": child(age_estimate={"min": 9, "max": 5}),
    "empty name": child(given_name=""),
    "blank name": {"child": {"given_name": "   "}},
    "no name at all": {"child": {"sex": "male", "date_of_birth": "2011"}},
    "NUL in a name": child(given_name="Ми\x00кола"),
    "control character in a name": child(family_name="Олій\x1bник"),
    "emoji for a name": child(given_name="🙂"),
    "digits for a name": child(given_name="12345"),
    "NUL in free text": {**child(), "circumstances": "seen\x00there"},
    "unknown sex": child(sex="boy"),
    "child missing": {"circumstances": "no child"},
    "child is a list": {"child": ["Микола"]},
    "body is a list": [child()],
    "future last-seen date": {**child(), "last_seen": {"date": "2099-05-01"}},
}

BAD_SIGHTINGS: dict[str, Any] = {
    "unknown source type": {**subject(), "source_type": "rumour"},
    "missing source type": {"subject": {"given_name": "Коля"}},
    "observed in the future": {**subject(), "observed_on": "2099-01-01"},
    "observed on a partial date": {**subject(), "observed_on": "2024-05"},
    "unknown field in the source": {**subject(), "source": {"contact": "x", "phone": "y"}},
    "source contact too long": {**subject(), "source": {"contact": "x" * 501}},
    "no name": {"subject": {"age_estimate": {"min": 5, "max": 7}}, "source_type": "witness"},
    "absurd age": subject(age_estimate={"min": 30, "max": 40}),
}


def _count(session: Session) -> tuple[int, int]:
    reports = session.scalar(select(func.count()).select_from(Report))
    sightings = session.scalar(select(func.count()).select_from(Sighting))
    return reports or 0, sightings or 0


def _assert_problem(response: Any, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert {"type", "title", "detail"} <= set(body)


@pytest.mark.parametrize("body", BAD_REPORTS.values(), ids=BAD_REPORTS.keys())
def test_bad_report_is_422_and_stores_nothing(
    client: TestClient, callers: Callers, session: Session, body: Any
):
    response = client.post("/api/v1/reports", json=body, headers=callers.coordinator.headers)
    _assert_problem(response, 422)
    assert response.json()["errors"]
    assert _count(session) == (0, 0)


@pytest.mark.parametrize("body", BAD_SIGHTINGS.values(), ids=BAD_SIGHTINGS.keys())
def test_bad_sighting_is_422_and_stores_nothing(
    client: TestClient, callers: Callers, session: Session, body: Any
):
    response = client.post("/api/v1/sightings", json=body, headers=callers.field.headers)
    _assert_problem(response, 422)
    assert _count(session) == (0, 0)


def test_validation_errors_do_not_echo_the_input(client: TestClient, callers: Callers):
    response = client.post(
        "/api/v1/reports", json=child(given_name="Секретна" * 30), headers=callers.family.headers
    )
    assert response.status_code == 422
    assert "Секретна" not in response.text


class TestMalformedRequests:
    def test_malformed_json_is_400(self, client: TestClient, callers: Callers, session: Session):
        response = client.post(
            "/api/v1/reports",
            content='{"child": {"given_name": "Ми'.encode(),
            headers={**callers.family.headers, "Content-Type": "application/json"},
        )
        _assert_problem(response, 400)
        assert _count(session) == (0, 0)

    def test_body_that_is_not_json_is_415(self, client: TestClient, callers: Callers):
        response = client.post(
            "/api/v1/reports",
            content=b"given_name=Mykola",
            headers={**callers.family.headers, "Content-Type": "application/x-www-form-urlencoded"},
        )
        _assert_problem(response, 415)

    def test_oversized_body_is_413(self, client: TestClient, callers: Callers, session: Session):
        body = {**payloads.report(), "circumstances": "x" * 70_000}
        response = client.post("/api/v1/reports", json=body, headers=callers.family.headers)
        _assert_problem(response, 413)
        assert _count(session) == (0, 0)

    def test_oversized_body_without_content_length_is_413(
        self, client: TestClient, callers: Callers, session: Session
    ):
        def chunks():  # streamed, so no Content-Length header is sent
            yield b'{"child": {"given_name": "'
            for _ in range(100):
                yield b"x" * 1024
            yield b'"}}'

        response = client.post(
            "/api/v1/reports",
            content=chunks(),
            headers={**callers.family.headers, "Content-Type": "application/json"},
        )
        _assert_problem(response, 413)
        assert _count(session) == (0, 0)

    def test_huge_limit_is_422(self, client: TestClient, callers: Callers):
        response = client.get(
            "/api/v1/reports", params={"limit": 100_000}, headers=callers.coordinator.headers
        )
        _assert_problem(response, 422)

    @pytest.mark.parametrize("limit", ["0", "-1", "ten"])
    def test_nonsense_limit_is_422(self, client: TestClient, callers: Callers, limit: str):
        response = client.get(
            "/api/v1/reports", params={"limit": limit}, headers=callers.coordinator.headers
        )
        _assert_problem(response, 422)

    @pytest.mark.parametrize("record_id", ["not-a-uuid", "1", "x" * 37, "' OR 1=1 --"])
    def test_non_uuid_ids_are_4xx(self, client: TestClient, callers: Callers, record_id: str):
        for path in (f"/api/v1/reports/{record_id}", f"/api/v1/sightings/{record_id}"):
            response = client.get(path, headers=callers.coordinator.headers)
            assert response.status_code in (404, 422)
            assert response.headers["content-type"] == "application/problem+json"

    def test_unknown_status_filter_is_422(self, client: TestClient, callers: Callers):
        response = client.get(
            "/api/v1/reports", params={"status": "found"}, headers=callers.coordinator.headers
        )
        _assert_problem(response, 422)

    def test_unknown_path_is_a_404_problem(self, client: TestClient):
        _assert_problem(client.get("/api/v1/nothing-here"), 404)

    def test_wrong_method_is_a_405_problem(self, client: TestClient, callers: Callers):
        response = client.delete("/api/v1/reports", headers=callers.coordinator.headers)
        _assert_problem(response, 405)

    def test_patch_with_unknown_field_changes_nothing(self, client: TestClient, callers: Callers):
        report = client.post(
            "/api/v1/reports", json=payloads.report(), headers=callers.family.headers
        ).json()
        response = client.patch(
            f"/api/v1/reports/{report['id']}",
            json={"circumstances": "changed", "owner_id": "someone"},
            headers=callers.family.headers,
        )
        _assert_problem(response, 422)
        after = client.get(f"/api/v1/reports/{report['id']}", headers=callers.family.headers)
        assert after.json()["circumstances"] == report["circumstances"]
