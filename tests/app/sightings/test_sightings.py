from fastapi.testclient import TestClient

from tests.app import payloads
from tests.conftest import Callers


class TestCreateSighting:
    def test_field_contact_files_a_sighting(self, client: TestClient, callers: Callers):
        response = client.post(
            "/api/v1/sightings", json=payloads.sighting(), headers=callers.field.headers
        )
        assert response.status_code == 201
        body = response.json()
        assert body["subject"]["full_name"] == "ОЛЕЙНИК Николай Андреевич"
        assert body["observed_on"] == "2024-05-01"
        assert body["source_type"] == "document"
        # The source is for coordinators only: its filer learns that it was stored, no more.
        assert body["source"] == {"stored": True}
        assert "Signal +000" not in response.text

    def test_witness_with_an_age_instead_of_a_birth_date(
        self, client: TestClient, callers: Callers
    ):
        body = {
            "subject": {"given_name": "Коля", "age_estimate": {"min": 12, "max": 14}},
            "source_type": "witness",
        }
        response = client.post("/api/v1/sightings", json=body, headers=callers.field.headers)
        assert response.status_code == 201
        assert response.json()["subject"]["age_estimate"] == {"min": 12, "max": 14}

    def test_family_gets_403(self, client: TestClient, callers: Callers):
        response = client.post(
            "/api/v1/sightings", json=payloads.sighting(), headers=callers.family.headers
        )
        assert response.status_code == 403


class TestSourceIsProtected:
    def test_coordinator_sees_source_on_a_single_sighting(
        self, client: TestClient, callers: Callers
    ):
        sighting = client.post(
            "/api/v1/sightings", json=payloads.sighting(), headers=callers.field.headers
        ).json()
        response = client.get(
            f"/api/v1/sightings/{sighting['id']}", headers=callers.coordinator.headers
        )
        assert response.json()["source"] == {
            "contact": "Signal +000",
            "details": "volunteer in Crimea",
        }

    def test_source_never_appears_in_a_list(self, client: TestClient, callers: Callers):
        client.post("/api/v1/sightings", json=payloads.sighting(), headers=callers.field.headers)
        for caller in (callers.coordinator, callers.admin, callers.field):
            listed = client.get("/api/v1/sightings", headers=caller.headers)
            assert listed.status_code == 200
            assert listed.json()["items"][0]["source"] is None
            assert "Signal +000" not in listed.text

    def test_field_contact_sees_that_its_source_was_stored_never_the_source(
        self, client: TestClient, callers: Callers
    ):
        sighting = client.post(
            "/api/v1/sightings", json=payloads.sighting(), headers=callers.field.headers
        ).json()
        response = client.get(f"/api/v1/sightings/{sighting['id']}", headers=callers.field.headers)
        assert response.status_code == 200
        assert response.json()["source"] == {"stored": True}
        assert "Signal +000" not in response.text
        listed = client.get("/api/v1/sightings", headers=callers.field.headers)
        assert listed.json()["items"][0]["source"] is None

    def test_a_sighting_filed_without_a_source_says_none_to_its_filer(
        self, client: TestClient, callers: Callers
    ):
        body = {**payloads.sighting(), "source": None}
        filed = client.post("/api/v1/sightings", json=body, headers=callers.field.headers)
        assert filed.status_code == 201
        assert filed.json()["source"] is None
        response = client.get(
            f"/api/v1/sightings/{filed.json()['id']}", headers=callers.field.headers
        )
        assert response.json()["source"] is None

    def test_a_coordinator_filing_a_sighting_sees_its_source(
        self, client: TestClient, callers: Callers
    ):
        filed = client.post(
            "/api/v1/sightings", json=payloads.sighting(), headers=callers.coordinator.headers
        )
        assert filed.json()["source"] == {
            "contact": "Signal +000",
            "details": "volunteer in Crimea",
        }


class TestReadSightings:
    def test_field_contact_sees_only_its_own(self, client: TestClient, callers: Callers):
        own = client.post(
            "/api/v1/sightings", json=payloads.sighting(), headers=callers.field.headers
        ).json()
        other = client.post(
            "/api/v1/sightings", json=payloads.sighting(), headers=callers.field2.headers
        ).json()
        listed = client.get("/api/v1/sightings", headers=callers.field.headers).json()
        assert [item["id"] for item in listed["items"]] == [own["id"]]
        hidden = client.get(f"/api/v1/sightings/{other['id']}", headers=callers.field.headers)
        assert hidden.status_code == 404
        assert hidden.json()["detail"] == "No such resource."

    def test_family_may_not_read_sightings(self, client: TestClient, callers: Callers):
        assert client.get("/api/v1/sightings", headers=callers.family.headers).status_code == 403
