"""Matching inside the service: proposals on arrival, the review queue, decisions, invariants."""

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import matching
from app.matches.models import Match
from app.reports.models import Report
from tests.app import payloads
from tests.app.live import serve
from tests.app.matches.test_duplicates import eventually_waiting
from tests.app.matching_queue import drain_queue
from tests.conftest import Callers


def file_pair(client: TestClient, callers: Callers, **child: Any) -> tuple[str, str]:
    report = client.post(
        "/api/v1/reports", json=payloads.report(**child), headers=callers.family.headers
    )
    sighting = client.post(
        "/api/v1/sightings", json=payloads.sighting(), headers=callers.field.headers
    )
    assert report.status_code == sighting.status_code == 201
    drain_queue(client)
    return report.json()["id"], sighting.json()["id"]


def queue(client: TestClient, callers: Callers, status: str | None = None) -> list[dict]:
    """The review queue once the matching worker has matched everything filed before."""
    drain_queue(client)
    params = {"status": status} if status else {}
    response = client.get("/api/v1/matches", params=params, headers=callers.coordinator.headers)
    assert response.status_code == 200
    items: list[dict] = response.json()["items"]
    return items


def decide(
    client: TestClient, caller: Any, match: dict, decision: str, version: int | None = None
) -> httpx.Response:
    body = {
        "decision": decision,
        "note": f"{decision}: checked the birth certificate",
        "version": match["version"] if version is None else version,
    }
    return client.post(f"/api/v1/matches/{match['id']}/decision", json=body, headers=caller.headers)


class TestProposalOnArrival:
    def test_a_russian_document_is_proposed_for_the_familys_report(
        self, client: TestClient, callers: Callers
    ):
        report_id, sighting_id = file_pair(client, callers)
        [match] = queue(client, callers, "proposed")
        assert (match["report_id"], match["sighting_id"]) == (report_id, sighting_id)
        assert match["score"] >= 0.9
        assert match["version"] == 1
        fields = {item["field"]: item for item in match["explanation"]}
        assert fields["given_name"]["verdict"] == "equivalent"
        assert "Микола" in fields["given_name"]["detail"]
        assert "Николай" in fields["given_name"]["detail"]

    def test_the_same_institution_in_two_languages_is_evidence(
        self, client: TestClient, callers: Callers
    ):
        report = client.post(
            "/api/v1/reports",
            json=payloads.report(institution="Херсонський обласний будинок дитини"),
            headers=callers.family.headers,
        )
        sighting = client.post(
            "/api/v1/sightings",
            json=payloads.sighting(institution="Херсонский областной дом ребенка"),
            headers=callers.field.headers,
        )
        assert report.status_code == sighting.status_code == 201
        [match] = queue(client, callers, "proposed")
        fields = {item["field"]: item for item in match["explanation"]}
        assert fields["institution"]["verdict"] == "same institution"

    def test_the_report_filed_second_finds_the_sighting_too(
        self, client: TestClient, callers: Callers
    ):
        sighting = client.post(
            "/api/v1/sightings", json=payloads.sighting(), headers=callers.field.headers
        ).json()
        report = client.post(
            "/api/v1/reports", json=payloads.report(), headers=callers.family.headers
        ).json()
        [match] = queue(client, callers)
        assert (match["report_id"], match["sighting_id"]) == (report["id"], sighting["id"])

    def test_another_child_is_not_proposed(self, client: TestClient, callers: Callers):
        client.post(
            "/api/v1/reports",
            json=payloads.report(
                given_name="Олена",
                family_name="Бондар",
                sex="female",
                date_of_birth="2016-09-01",
                other_names=[],
                home_settlement="Бердянськ",
            ),
            headers=callers.family.headers,
        )
        client.post("/api/v1/sightings", json=payloads.sighting(), headers=callers.field.headers)
        assert queue(client, callers) == []

    def test_match_detail_shows_both_records(self, client: TestClient, callers: Callers):
        file_pair(client, callers)
        [match] = queue(client, callers)
        detail = client.get(
            f"/api/v1/matches/{match['id']}", headers=callers.coordinator.headers
        ).json()
        assert detail["report"]["child"]["given_name"] == "Микола"
        assert detail["sighting"]["subject"]["full_name"] == "ОЛЕЙНИК Николай Андреевич"
        assert detail["sighting"]["source"]["contact"] == "Signal +000"
        assert detail["explanation"] == match["explanation"]


class TestCandidates:
    def test_best_first_with_explanations(self, client: TestClient, callers: Callers):
        report_id, sighting_id = file_pair(client, callers)
        client.post(
            "/api/v1/reports",
            json=payloads.report(given_name="Олександр", other_names=[]),
            headers=callers.family2.headers,
        )
        drain_queue(client)
        response = client.get(
            f"/api/v1/sightings/{sighting_id}/candidates", headers=callers.coordinator.headers
        )
        assert response.status_code == 200
        items = response.json()["items"]
        assert items[0]["report_id"] == report_id
        assert items[0]["match_status"] == "proposed"
        assert all(0 <= item["score"] <= 1 for item in items)
        assert [item["score"] for item in items] == sorted(
            (item["score"] for item in items), reverse=True
        )
        assert all(item["explanation"] for item in items)

    def test_namesakes_among_the_reports_weigh_as_the_engine_weighs_them(
        self, client: TestClient, callers: Callers
    ):
        """Two reports of one name, beside children of other names: a witness's sighting of
        that name scores each as a `matching.Linker` holding the same reports does."""
        crowd = [
            dict(given_name=given, family_name=family, date_of_birth=f"201{i}-0{i + 1}-1{i}")
            for i, (given, family) in enumerate(
                (("Іван", "Коваль"), ("Петро", "Бондар"), ("Тарас", "Ткачук"), ("Андрій", "Гончар"))
            )
        ]
        namesakes = [
            dict(given_name="Павло", family_name="Карпенко", date_of_birth=born)
            for born in ("2010-09-24", "2009-10-16")
        ]
        linker = matching.Linker()
        ids = []
        for child in (*crowd, *namesakes):
            body = payloads.report(**child, other_names=[])
            response = client.post("/api/v1/reports", json=body, headers=callers.family.headers)
            assert response.status_code == 201
            ids.append(response.json()["id"])
            linker.add(ids[-1], matching.Person.from_api(body["child"]))
        subject = {
            "given_name": "Паша",
            "family_name": "Карпенко",
            "age_estimate": {"min": 11, "max": 15},
            "sex": "male",
        }
        body = {**payloads.sighting(), "subject": subject, "source_type": "witness"}
        response = client.post("/api/v1/sightings", json=body, headers=callers.field.headers)
        assert response.status_code == 201
        drain_queue(client)
        items = client.get(
            f"/api/v1/sightings/{response.json()['id']}/candidates",
            headers=callers.coordinator.headers,
        ).json()["items"]
        seen = matching.Person.from_api({**subject, "observed_on": body["observed_on"]})
        expected = {str(c.key): c for c in linker.candidates(seen)}
        by_report = {item["report_id"]: item for item in items}
        for report_id in ids[-2:]:
            family = next(
                e for e in by_report[report_id]["explanation"] if e["field"] == "family_name"
            )
            assert family["detail"].endswith("; 1 other report of the same given and family name")
            assert by_report[report_id]["score"] == pytest.approx(
                expected[report_id].score, abs=1e-4
            )

    def test_report_side(self, client: TestClient, callers: Callers):
        report_id, sighting_id = file_pair(client, callers)
        items = client.get(
            f"/api/v1/reports/{report_id}/candidates", headers=callers.coordinator.headers
        ).json()["items"]
        assert items[0]["sighting_id"] == sighting_id

    def test_limit_is_bounded(self, client: TestClient, callers: Callers):
        _, sighting_id = file_pair(client, callers)
        response = client.get(
            f"/api/v1/sightings/{sighting_id}/candidates",
            params={"limit": 1000},
            headers=callers.coordinator.headers,
        )
        assert response.status_code == 422


class TestDecisions:
    def test_confirm_locates_the_report_and_is_kept_in_history(
        self, client: TestClient, callers: Callers
    ):
        report_id, _ = file_pair(client, callers)
        [match] = queue(client, callers)
        response = decide(client, callers.coordinator, match, "confirm")
        assert response.status_code == 200
        assert response.json()["status"] == "confirmed"
        assert response.json()["version"] == 2
        assert response.json()["decided_by"] == callers.coordinator.user_id
        family_view = client.get(f"/api/v1/reports/{report_id}", headers=callers.family.headers)
        assert family_view.json()["status"] == "located"
        assert "score" not in family_view.text and "sighting" not in family_view.text
        history = client.get(
            f"/api/v1/matches/{match['id']}/history", headers=callers.coordinator.headers
        ).json()["items"]
        assert [(h["action"], h["from_status"], h["to_status"]) for h in history] == [
            ("proposed", None, "proposed"),
            ("confirm", "proposed", "confirmed"),
        ]
        assert history[1]["actor_id"] == callers.coordinator.user_id
        assert history[1]["note"].startswith("confirm")

    def test_a_stale_version_is_409(self, client: TestClient, callers: Callers):
        file_pair(client, callers)
        [match] = queue(client, callers)
        assert decide(client, callers.coordinator, match, "reject").status_code == 200
        late = decide(client, callers.admin, match, "confirm", version=1)
        assert late.status_code == 409
        assert queue(client, callers)[0]["status"] == "rejected"

    def test_reopen_puts_the_report_back_to_open(self, client: TestClient, callers: Callers):
        report_id, _ = file_pair(client, callers)
        [match] = queue(client, callers)
        confirmed = decide(client, callers.coordinator, match, "confirm").json()
        reopened = decide(client, callers.coordinator, confirmed, "reopen")
        assert reopened.json()["status"] == "proposed"
        report = client.get(f"/api/v1/reports/{report_id}", headers=callers.family.headers)
        assert report.json()["status"] == "open"

    def test_a_sighting_is_confirmed_for_one_report_at_a_time(
        self, client: TestClient, callers: Callers
    ):
        # Two relatives reported the same child: both reports are proposed for the sighting.
        first = client.post(
            "/api/v1/reports", json=payloads.report(), headers=callers.family.headers
        ).json()
        client.post("/api/v1/reports", json=payloads.report(), headers=callers.family2.headers)
        client.post("/api/v1/sightings", json=payloads.sighting(), headers=callers.field.headers)
        one, two = queue(client, callers, "proposed")
        assert decide(client, callers.coordinator, one, "confirm").status_code == 200
        second = decide(client, callers.coordinator, two, "confirm")
        assert second.status_code == 409
        assert one["report_id"] in second.json()["detail"]
        assert {m["report_id"] for m in queue(client, callers, "confirmed")} == {one["report_id"]}
        assert first["id"] in {one["report_id"], two["report_id"]}

    def test_a_report_may_have_several_confirmed_sightings(
        self, client: TestClient, callers: Callers
    ):
        client.post("/api/v1/reports", json=payloads.report(), headers=callers.family.headers)
        for _ in range(2):
            client.post(
                "/api/v1/sightings", json=payloads.sighting(), headers=callers.field.headers
            )
        for match in queue(client, callers, "proposed"):
            assert decide(client, callers.coordinator, match, "confirm").status_code == 200
        assert len(queue(client, callers, "confirmed")) == 2

    def test_undefined_transitions_are_409(self, client: TestClient, callers: Callers):
        file_pair(client, callers)
        [match] = queue(client, callers)
        assert decide(client, callers.coordinator, match, "reopen").status_code == 409

    def test_bad_decision_bodies_are_422(self, client: TestClient, callers: Callers):
        file_pair(client, callers)
        [match] = queue(client, callers)
        for body in (
            {"decision": "approve", "version": 1},
            {"decision": "confirm"},
            {"decision": "confirm", "version": "1"},
            {"decision": "confirm", "version": 1, "extra": True},
        ):
            response = client.post(
                f"/api/v1/matches/{match['id']}/decision",
                json=body,
                headers=callers.coordinator.headers,
            )
            assert response.status_code == 422
        assert queue(client, callers)[0]["version"] == 1


class TestAmendments:
    def test_a_rejected_pair_is_never_proposed_again(
        self, client: TestClient, callers: Callers, session: Session
    ):
        report_id, _ = file_pair(client, callers)
        [match] = queue(client, callers)
        decide(client, callers.coordinator, match, "reject")
        client.patch(
            f"/api/v1/reports/{report_id}",
            json={"child": {"patronymic": "Андрійович"}},
            headers=callers.family.headers,
        )
        client.post("/api/v1/sightings", json=payloads.sighting(), headers=callers.field.headers)
        drain_queue(client)
        matches = session.scalars(select(Match).where(Match.report_id == report_id)).all()
        statuses = sorted(m.status for m in matches)
        assert statuses == ["proposed", "rejected"]  # the new sighting only

    def test_a_proposal_that_falls_below_the_threshold_is_withdrawn(
        self, client: TestClient, callers: Callers
    ):
        report_id, _ = file_pair(client, callers)
        client.patch(
            f"/api/v1/reports/{report_id}",
            json={
                "child": {
                    "given_name": "Олена",
                    "other_names": [],
                    "sex": "female",
                    "date_of_birth": "2017-08-30",
                    "home_settlement": "Бердянськ",
                }
            },
            headers=callers.family.headers,
        )
        assert queue(client, callers, "proposed") == []
        [withdrawn] = queue(client, callers, None)
        assert withdrawn["status"] == "withdrawn"
        assert withdrawn["version"] == 2

    def test_decided_matches_keep_their_decision(self, client: TestClient, callers: Callers):
        report_id, _ = file_pair(client, callers)
        [match] = queue(client, callers)
        decide(client, callers.coordinator, match, "confirm")
        client.patch(
            f"/api/v1/reports/{report_id}",
            json={"child": {"given_name": "Олена"}},
            headers=callers.family.headers,
        )
        assert queue(client, callers)[0]["status"] == "confirmed"


class TestDatabaseInvariants:
    def test_one_row_per_pair(self, client: TestClient, callers: Callers, session: Session):
        file_pair(client, callers)
        existing = session.scalars(select(Match)).one()
        with pytest.raises(IntegrityError), session.begin_nested():
            session.add(
                Match(
                    report_id=existing.report_id,
                    sighting_id=existing.sighting_id,
                    score=0.5,
                    explanation=[],
                )
            )
            session.flush()

    def test_one_confirmed_report_per_sighting(
        self, client: TestClient, callers: Callers, session: Session
    ):
        file_pair(client, callers)
        other = client.post(
            "/api/v1/reports",
            json=payloads.report(given_name="Олег"),
            headers=callers.family2.headers,
        ).json()
        drain_queue(client)
        existing = session.scalars(select(Match)).first()
        assert existing is not None
        existing.status = "confirmed"
        session.flush()
        with pytest.raises(IntegrityError), session.begin_nested():
            session.add(
                Match(
                    report_id=other["id"],
                    sighting_id=existing.sighting_id,
                    score=0.5,
                    explanation=[],
                    status="confirmed",
                )
            )
            session.flush()


@pytest.mark.postgres_only
def test_two_coordinators_deciding_at_once_one_wins(
    is_postgres: bool, committed_app: FastAPI, committed_callers: Callers
):
    if not is_postgres:
        pytest.skip("real concurrent decisions are proven on PostgreSQL")
    callers = committed_callers
    with serve(committed_app) as base, httpx.Client(base_url=base, timeout=30) as http:
        http.post("/api/v1/reports", json=payloads.report(), headers=callers.family.headers)
        http.post("/api/v1/sightings", json=payloads.sighting(), headers=callers.field.headers)
        drain_queue(committed_app)
        [match] = http.get("/api/v1/matches", headers=callers.coordinator.headers).json()["items"]
        barrier = threading.Barrier(2)

        def decide_now(caller_and_decision: tuple[Any, str]) -> int:
            caller, decision = caller_and_decision
            barrier.wait()
            return http.post(
                f"/api/v1/matches/{match['id']}/decision",
                json={"decision": decision, "version": match["version"]},
                headers=caller.headers,
            ).status_code

        with ThreadPoolExecutor(2) as pool:
            codes = sorted(
                pool.map(decide_now, [(callers.coordinator, "confirm"), (callers.admin, "reject")])
            )
        history = http.get(
            f"/api/v1/matches/{match['id']}/history", headers=callers.coordinator.headers
        ).json()["items"]
    assert codes == [200, 409]
    assert len([h for h in history if h["actor_id"] is not None]) == 1


@pytest.mark.postgres_only
def test_a_decision_waits_for_the_worker_writing_its_report_and_then_is_409(
    is_postgres: bool, committed_app: FastAPI, committed_callers: Callers, engine: Engine
):
    """The matching worker writes a report (its index) and then the report's matches (a new
    score, a new version). A decision that took the match before waiting for the report (to
    set its status) deadlocked with it and answered 500; it locks the report first, so it
    waits, then finds the version changed: 409."""
    if not is_postgres:
        pytest.skip("row locks are proven on PostgreSQL")
    callers = committed_callers
    with serve(committed_app) as base, httpx.Client(base_url=base, timeout=60) as http:
        http.post("/api/v1/reports", json=payloads.report(), headers=callers.family.headers)
        http.post("/api/v1/sightings", json=payloads.sighting(), headers=callers.field.headers)
        drain_queue(committed_app)
        [match] = http.get("/api/v1/matches", headers=callers.coordinator.headers).json()["items"]
        with engine.connect() as worker:
            worker.execute(text("SET deadlock_timeout = '60s'"))  # the decision checks first
            worker.execute(
                update(Report)
                .where(Report.id == match["report_id"])
                .values(matched_with="a newer engine")
            )
            with ThreadPoolExecutor(1) as pool:
                decided = pool.submit(
                    http.post,
                    f"/api/v1/matches/{match['id']}/decision",
                    json={"decision": "confirm", "version": match["version"]},
                    headers=callers.coordinator.headers,
                )
                assert eventually_waiting(worker), "the decision never waited for the report"
                worker.execute(
                    update(Match).where(Match.id == match["id"]).values(version=Match.version + 1)
                )
                worker.commit()
                answer = decided.result()
    assert answer.status_code == 409, answer.text
    with engine.connect() as connection:
        stored = connection.execute(select(Match.status, Match.version)).one()
        report_status = connection.scalar(select(Report.status))
    assert tuple(stored) == ("proposed", match["version"] + 1)
    assert report_status == "open"


class TestWhatAFamilySees:
    """No answer to a family tells whether its child has been sighted: proposals, rejections
    and withdrawn confirmations leave its view exactly as it was, timestamps included; a
    confirmation changes the coarse status and nothing else."""

    @staticmethod
    def family_view(client: TestClient, callers: Callers, report_id: str) -> list[Any]:
        return [
            client.get(path, headers=callers.family.headers).json()
            for path in (f"/api/v1/reports/{report_id}", "/api/v1/reports")
        ]

    def test_only_a_confirmation_shows_and_only_as_the_status(
        self, client: TestClient, callers: Callers
    ):
        report = client.post(
            "/api/v1/reports", json=payloads.report(), headers=callers.family.headers
        ).json()
        before = self.family_view(client, callers, report["id"])
        drain_queue(client)  # indexing the report changes nothing a family sees
        assert self.family_view(client, callers, report["id"]) == before

        client.post("/api/v1/sightings", json=payloads.sighting(), headers=callers.field.headers)
        [match] = queue(client, callers, "proposed")
        assert self.family_view(client, callers, report["id"]) == before

        match = decide(client, callers.coordinator, match, "reject").json()
        assert self.family_view(client, callers, report["id"]) == before
        match = decide(client, callers.coordinator, match, "reopen").json()
        assert self.family_view(client, callers, report["id"]) == before

        match = decide(client, callers.coordinator, match, "confirm").json()
        single, listed = self.family_view(client, callers, report["id"])
        assert single == {**before[0], "status": "located"}
        assert listed == {"items": [single], "next_cursor": None}

        decide(client, callers.coordinator, match, "reopen")
        assert self.family_view(client, callers, report["id"]) == before


def scores(node: Any) -> list[float]:
    """Every `score` in an answer, however deeply nested."""
    if isinstance(node, dict):
        found = [node["score"]] if "score" in node else []
        return found + [s for value in node.values() for s in scores(value)]
    if isinstance(node, list):
        return [s for item in node for s in scores(item)]
    return []


class TestScoresAreShownToFourDecimals:
    def test_every_answer_rounds_the_score_the_database_keeps_whole(
        self, client: TestClient, callers: Callers, session: Session
    ):
        report_id, sighting_id = file_pair(client, callers)
        [match] = queue(client, callers, "proposed")
        headers = callers.coordinator.headers
        decide(client, callers.coordinator, match, "confirm")
        answers = [
            client.get(f"/api/v1/{path}", headers=headers)
            for path in (
                "matches?status=confirmed",
                f"matches/{match['id']}",
                f"matches/{match['id']}/history",
                f"sightings/{sighting_id}/candidates",
                f"reports/{report_id}/candidates",
                "exports/matches?format=json",
            )
        ]
        assert all(answer.status_code == 200 for answer in answers)
        stored = session.scalars(select(Match.score).where(Match.id == match["id"])).one()
        shown = [score for answer in answers for score in scores(answer.json())]
        assert len(shown) >= 7
        assert set(shown) == {round(stored, 4)}
        assert stored == pytest.approx(shown[0], abs=5e-5)
