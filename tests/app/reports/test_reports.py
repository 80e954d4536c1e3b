from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.reports.models import Report
from tests.app import payloads
from tests.conftest import Callers


class TestCreateReport:
    def test_family_files_a_report_and_gets_it_back(self, client: TestClient, callers: Callers):
        response = client.post(
            "/api/v1/reports", json=payloads.report(), headers=callers.family.headers
        )
        assert response.status_code == 201
        body = response.json()
        assert body["status"] == "open"
        assert body["child"]["given_name"] == "Микола"
        assert body["child"]["date_of_birth"] == "2011-03-12"
        assert body["last_seen"] == {"date": "2022-10-07", "place": "Херсон"}
        assert body["reporter"]["phone"] == "+380501234567"
        assert body["created_at"].endswith("Z")

    def test_anonymous_gets_401(self, client: TestClient):
        response = client.post("/api/v1/reports", json=payloads.report())
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["www-authenticate"] == "Bearer"

    def test_field_contact_gets_403(self, client: TestClient, callers: Callers, session: Session):
        response = client.post(
            "/api/v1/reports", json=payloads.report(), headers=callers.field.headers
        )
        assert response.status_code == 403
        assert session.scalar(select(func.count()).select_from(Report)) == 0


NAMES_AS_WRITTEN = [
    {"given_name": "Дар'я", "family_name": "Григор'єва", "patronymic": "Андріївна"},
    {"given_name": "Дарʼя", "family_name": "ГРИГОР’ЄВА"},  # modifier-letter and typographic
    {"full_name": "Олейник Николай Андреевич"},
    {"given_name": "Mykola", "family_name": "Oliinyk", "other_names": ["Kolya", "Ніколай"]},
    {"given_name": "  Yevhen ", "family_name": "Szewczenko"},  # spacing is kept as written
    {"given_name": "Ševčenko-Ïvanova"},
]


class TestNamesAndDatesRoundTrip:
    def test_names_come_back_exactly_as_written(self, client: TestClient, callers: Callers):
        for child in NAMES_AS_WRITTEN:
            created = client.post(
                "/api/v1/reports", json={"child": child}, headers=callers.family.headers
            )
            assert created.status_code == 201, created.text
            fetched = client.get(
                f"/api/v1/reports/{created.json()['id']}", headers=callers.family.headers
            ).json()
            for field, value in child.items():
                assert fetched["child"][field] == value

    def test_partial_dates_keep_their_precision(self, client: TestClient, callers: Callers):
        for written in ["2011", "2011-07", "2011-07-03", "2008-02-29"]:
            body = {
                "child": {"given_name": "Софія", "date_of_birth": written},
                "last_seen": {"date": written},
            }
            created = client.post("/api/v1/reports", json=body, headers=callers.family.headers)
            assert created.status_code == 201, created.text
            fetched = client.get(
                f"/api/v1/reports/{created.json()['id']}", headers=callers.family.headers
            ).json()
            assert fetched["child"]["date_of_birth"] == written
            assert fetched["last_seen"]["date"] == written

    def test_year_is_queryable_in_its_own_column(
        self, client: TestClient, callers: Callers, session: Session
    ):
        client.post(
            "/api/v1/reports",
            json=payloads.report(date_of_birth="2011-07"),
            headers=callers.family.headers,
        )
        stored = session.scalars(select(Report).where(Report.birth_year == 2011)).one()
        assert (stored.birth_month, stored.birth_day) == (7, None)


class TestInstitution:
    def test_the_institution_comes_back_as_written(self, client: TestClient, callers: Callers):
        written = "Херсонський обласний будинок дитини"
        created = client.post(
            "/api/v1/reports",
            json=payloads.report(institution=written),
            headers=callers.family.headers,
        )
        assert created.status_code == 201, created.text
        fetched = client.get(
            f"/api/v1/reports/{created.json()['id']}", headers=callers.family.headers
        ).json()
        assert fetched["child"]["institution"] == written

    def test_an_overlong_institution_is_a_problem(self, client: TestClient, callers: Callers):
        response = client.post(
            "/api/v1/reports",
            json=payloads.report(institution="б" * 201),
            headers=callers.family.headers,
        )
        assert response.status_code == 422
        assert response.headers["content-type"].startswith("application/problem+json")


class TestReadReports:
    def test_family_sees_only_its_own(self, client: TestClient, callers: Callers):
        own = client.post(
            "/api/v1/reports", json=payloads.report(), headers=callers.family.headers
        ).json()
        other = client.post(
            "/api/v1/reports",
            json=payloads.report(given_name="Олена"),
            headers=callers.family2.headers,
        ).json()
        listed = client.get("/api/v1/reports", headers=callers.family.headers).json()
        assert [item["id"] for item in listed["items"]] == [own["id"]]
        hidden = client.get(f"/api/v1/reports/{other['id']}", headers=callers.family.headers)
        missing = client.get(
            "/api/v1/reports/00000000-0000-4000-8000-000000000000", headers=callers.family.headers
        )
        assert hidden.status_code == missing.status_code == 404
        assert hidden.json() == missing.json()

    def test_coordinator_sees_every_report_with_reporter(
        self, client: TestClient, callers: Callers
    ):
        for caller in (callers.family, callers.family2):
            client.post("/api/v1/reports", json=payloads.report(), headers=caller.headers)
        listed = client.get("/api/v1/reports", headers=callers.coordinator.headers).json()
        assert len(listed["items"]) == 2
        assert all(item["reporter"]["name"] == "Ганна Олійник" for item in listed["items"])

    def test_cursor_pages_through_everything_once(self, client: TestClient, callers: Callers):
        created = {
            client.post(
                "/api/v1/reports",
                json=payloads.report(given_name=f"Іван{'і' * n}"),
                headers=callers.family.headers,
            ).json()["id"]
            for n in range(5)
        }
        seen: list[str] = []
        cursor = None
        while True:
            params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            page = client.get(
                "/api/v1/reports", params=params, headers=callers.family.headers
            ).json()
            assert len(page["items"]) <= 2
            seen += [item["id"] for item in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert sorted(seen) == sorted(created)

    def test_status_filter(self, client: TestClient, callers: Callers):
        report = client.post(
            "/api/v1/reports", json=payloads.report(), headers=callers.family.headers
        ).json()
        client.patch(
            f"/api/v1/reports/{report['id']}",
            json={"status": "closed"},
            headers=callers.coordinator.headers,
        )
        open_ids = [
            r["id"]
            for r in client.get(
                "/api/v1/reports", params={"status": "open"}, headers=callers.coordinator.headers
            ).json()["items"]
        ]
        closed_ids = [
            r["id"]
            for r in client.get(
                "/api/v1/reports", params={"status": "closed"}, headers=callers.coordinator.headers
            ).json()["items"]
        ]
        assert report["id"] not in open_ids
        assert closed_ids == [report["id"]]

    def test_a_forged_cursor_is_a_problem(self, client: TestClient, callers: Callers):
        response = client.get(
            "/api/v1/reports", params={"cursor": "not-a-cursor"}, headers=callers.family.headers
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"] == ["query", "cursor"]


class TestAmendReport:
    def test_owner_amends_and_untouched_fields_stay(self, client: TestClient, callers: Callers):
        report = client.post(
            "/api/v1/reports", json=payloads.report(), headers=callers.family.headers
        ).json()
        response = client.patch(
            f"/api/v1/reports/{report['id']}",
            json={"child": {"patronymic": "Андрійович", "other_names": ["Коля", "Миколка"]}},
            headers=callers.family.headers,
        )
        assert response.status_code == 200, response.text
        child = response.json()["child"]
        assert child["patronymic"] == "Андрійович"
        assert child["other_names"] == ["Коля", "Миколка"]
        assert child["given_name"] == "Микола"
        assert child["date_of_birth"] == "2011-03-12"
        assert response.json()["reporter"]["email"] == "hanna@example.org"

    def test_null_clears_a_field(self, client: TestClient, callers: Callers):
        report = client.post(
            "/api/v1/reports", json=payloads.report(), headers=callers.family.headers
        ).json()
        response = client.patch(
            f"/api/v1/reports/{report['id']}",
            json={"child": {"date_of_birth": None}, "reporter": None},
            headers=callers.family.headers,
        )
        assert response.json()["child"]["date_of_birth"] is None
        assert response.json()["reporter"] is None

    def test_removing_every_name_is_refused_and_changes_nothing(
        self, client: TestClient, callers: Callers
    ):
        report = client.post(
            "/api/v1/reports", json=payloads.report(), headers=callers.family.headers
        ).json()
        response = client.patch(
            f"/api/v1/reports/{report['id']}",
            json={"child": {"given_name": None, "family_name": None}, "circumstances": "new"},
            headers=callers.family.headers,
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"][:2] == ["body", "child"]
        after = client.get(f"/api/v1/reports/{report['id']}", headers=callers.family.headers).json()
        assert after["child"]["given_name"] == "Микола"
        assert after["circumstances"] == report["circumstances"]

    def test_family_may_not_change_status(self, client: TestClient, callers: Callers):
        report = client.post(
            "/api/v1/reports", json=payloads.report(), headers=callers.family.headers
        ).json()
        response = client.patch(
            f"/api/v1/reports/{report['id']}",
            json={"status": "located"},
            headers=callers.family.headers,
        )
        assert response.status_code == 403
        after = client.get(f"/api/v1/reports/{report['id']}", headers=callers.family.headers)
        assert after.json()["status"] == "open"

    def test_another_family_gets_404(self, client: TestClient, callers: Callers):
        report = client.post(
            "/api/v1/reports", json=payloads.report(), headers=callers.family.headers
        ).json()
        response = client.patch(
            f"/api/v1/reports/{report['id']}",
            json={"circumstances": "x"},
            headers=callers.family2.headers,
        )
        assert response.status_code == 404
