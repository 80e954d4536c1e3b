"""Duplicate reports in the service: proposals on filing, the queue, decisions, cases."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, select, text, update
from sqlalchemy.orm import Session

import matching
from app.audit.models import AuditEvent
from app.core.security import Principal
from app.matches.duplicates import review
from app.matches.duplicates.models import Duplicate
from app.reports.models import Report
from tests.app import payloads
from tests.app.live import serve
from tests.app.matching_queue import drain_queue
from tests.conftest import Caller, Callers

# The second family (an aunt abroad) writes the same child in Latin, with his patronymic.
SECOND_FAMILY = {
    "given_name": "Mykola",
    "family_name": "Oliinyk",
    "patronymic": "Andriiovych",
    "other_names": ["Kolia"],
    "home_settlement": "Melitopol",
}


def file_report(client: TestClient, caller: Caller, **child: Any) -> str:
    response = client.post("/api/v1/reports", json=payloads.report(**child), headers=caller.headers)
    assert response.status_code == 201, response.text
    drain_queue(client)
    report_id: str = response.json()["id"]
    return report_id


def file_two_families(client: TestClient, callers: Callers) -> tuple[str, str]:
    first = file_report(client, callers.family)
    second = file_report(client, callers.family2, **SECOND_FAMILY)
    return first, second


def duplicates(client: TestClient, caller: Caller, status: str | None = None) -> list[dict]:
    params = {"status": status} if status else {}
    response = client.get("/api/v1/duplicates", params=params, headers=caller.headers)
    assert response.status_code == 200, response.text
    items: list[dict] = response.json()["items"]
    return items


def decide(
    client: TestClient, caller: Caller, pair: dict, decision: str, version: int | None = None
) -> httpx.Response:
    body = {
        "decision": decision,
        "note": f"{decision}: both mothers' papers",
        "version": pair["version"] if version is None else version,
    }
    return client.post(
        f"/api/v1/duplicates/{pair['id']}/decision", json=body, headers=caller.headers
    )


def report_as(client: TestClient, caller: Caller, report_id: str) -> dict:
    response = client.get(f"/api/v1/reports/{report_id}", headers=caller.headers)
    assert response.status_code == 200, response.text
    body: dict = response.json()
    return body


def confirm_sighting(client: TestClient, callers: Callers, report_id: str) -> dict:
    sighting = client.post(
        "/api/v1/sightings", json=payloads.sighting(), headers=callers.field.headers
    )
    assert sighting.status_code == 201
    drain_queue(client)
    matches = client.get(
        "/api/v1/matches", params={"status": "proposed"}, headers=callers.coordinator.headers
    ).json()["items"]
    [match] = [m for m in matches if m["report_id"] == report_id]
    decided = client.post(
        f"/api/v1/matches/{match['id']}/decision",
        json={"decision": "confirm", "version": match["version"]},
        headers=callers.coordinator.headers,
    )
    assert decided.status_code == 200, decided.text
    confirmed: dict = decided.json()
    return confirmed


class TestProposals:
    def test_a_second_familys_report_is_proposed_as_a_duplicate(
        self, client: TestClient, callers: Callers
    ):
        first, second = file_two_families(client, callers)
        [pair] = duplicates(client, callers.coordinator, "proposed")
        assert (pair["report_id"], pair["duplicate_of"]) == (second, first)
        assert pair["score"] >= 0.5
        assert pair["version"] == 1
        assert pair["case_id"] is None
        verdicts = {e["field"]: e["verdict"] for e in pair["explanation"]}
        assert verdicts["date_of_birth"] == "exact"

    def test_a_sibling_is_not_proposed(self, client: TestClient, callers: Callers):
        file_report(client, callers.family)
        file_report(
            client,
            callers.family,
            given_name="Андрій",
            other_names=[],
            date_of_birth="2014-06-02",
        )
        assert duplicates(client, callers.coordinator) == []

    def test_an_amendment_that_tells_them_apart_withdraws_the_proposal(
        self, client: TestClient, callers: Callers
    ):
        _, second = file_two_families(client, callers)
        amended = client.patch(
            f"/api/v1/reports/{second}",
            json={"child": {"given_name": "Andrii", "date_of_birth": "2015-01-20"}},
            headers=callers.family2.headers,
        )
        assert amended.status_code == 200, amended.text
        drain_queue(client)
        [pair] = duplicates(client, callers.coordinator)
        assert pair["status"] == "withdrawn"


class TestQueueRoles:
    @pytest.mark.parametrize("role", ["family", "field"])
    def test_families_and_field_contacts_may_not_read_the_queue(
        self, client: TestClient, callers: Callers, role: str
    ):
        file_two_families(client, callers)
        caller = getattr(callers, role)
        assert client.get("/api/v1/duplicates", headers=caller.headers).status_code == 403

    def test_anonymous_is_401(self, client: TestClient):
        assert client.get("/api/v1/duplicates").status_code == 401

    def test_admins_read_the_queue_and_one_pair_with_both_reports(
        self, client: TestClient, callers: Callers, session: Session
    ):
        first, second = file_two_families(client, callers)
        [pair] = duplicates(client, callers.admin)
        detail = client.get(f"/api/v1/duplicates/{pair['id']}", headers=callers.admin.headers)
        assert detail.status_code == 200
        body = detail.json()
        assert body["report"]["id"] == second
        assert body["duplicate_of_report"]["id"] == first
        actions = set(
            session.scalars(
                select(AuditEvent.action).where(AuditEvent.user_id == callers.admin.user_id)
            )
        )
        assert {"duplicate.list", "duplicate.read", "report.read"} <= actions

    def test_a_reports_pairs_are_read_only_by_those_who_read_the_queue(
        self, client: TestClient, callers: Callers, session: Session
    ):
        """What the console's report page lists: a family never learns, even of its own
        report, that another family reported its child."""
        first, second = file_two_families(client, callers)
        for caller in (callers.family, callers.family2, callers.field):
            assert review.of_report(session, Principal(caller.user_id, caller.role), first) == []
        coordinator = Principal(callers.coordinator.user_id, callers.coordinator.role)
        [(other, pair)] = review.of_report(session, coordinator, first)
        assert (other, pair.report_id) == (second, second)

    def test_an_unknown_pair_is_404(self, client: TestClient, callers: Callers):
        missing = "00000000-0000-4000-8000-000000000000"
        response = client.get(f"/api/v1/duplicates/{missing}", headers=callers.coordinator.headers)
        assert response.status_code == 404


class TestDecisions:
    def test_a_stale_version_is_409_and_changes_nothing(self, client: TestClient, callers: Callers):
        file_two_families(client, callers)
        [pair] = duplicates(client, callers.coordinator)
        assert decide(client, callers.coordinator, pair, "confirm", version=7).status_code == 409
        [after] = duplicates(client, callers.coordinator)
        assert (after["status"], after["version"]) == ("proposed", 1)

    def test_a_rejected_pair_is_not_proposed_again(self, client: TestClient, callers: Callers):
        _, second = file_two_families(client, callers)
        [pair] = duplicates(client, callers.coordinator)
        assert decide(client, callers.coordinator, pair, "reject").status_code == 200
        client.patch(
            f"/api/v1/reports/{second}",
            json={"child": {"other_names": ["Kolia", "Mykolka"]}},
            headers=callers.family2.headers,
        )
        drain_queue(client)
        [after] = duplicates(client, callers.coordinator)
        assert after["status"] == "rejected"
        assert decide(client, callers.coordinator, after, "confirm").status_code == 409

    def test_a_family_may_not_decide(self, client: TestClient, callers: Callers):
        file_two_families(client, callers)
        [pair] = duplicates(client, callers.coordinator)
        assert decide(client, callers.family, pair, "confirm").status_code == 403


class TestCases:
    def test_confirming_joins_the_reports_into_one_case_with_history(
        self, client: TestClient, callers: Callers
    ):
        first, second = file_two_families(client, callers)
        [pair] = duplicates(client, callers.coordinator)
        confirmed = decide(client, callers.coordinator, pair, "confirm")
        assert confirmed.status_code == 200
        case_id = confirmed.json()["case_id"]
        assert case_id is not None
        assert confirmed.json()["version"] == 2
        for report_id in (first, second):
            assert report_as(client, callers.coordinator, report_id)["case_id"] == case_id
        history = client.get(
            f"/api/v1/duplicates/{pair['id']}/history", headers=callers.coordinator.headers
        ).json()["items"]
        assert [(h["action"], h["case_id"]) for h in history] == [
            ("proposed", None),
            ("confirm", case_id),
        ]

    def test_reopening_splits_the_case_again(self, client: TestClient, callers: Callers):
        first, second = file_two_families(client, callers)
        [pair] = duplicates(client, callers.coordinator)
        confirmed = decide(client, callers.coordinator, pair, "confirm").json()
        reopened = decide(client, callers.coordinator, confirmed, "reopen")
        assert reopened.status_code == 200
        assert reopened.json()["status"] == "proposed"
        assert reopened.json()["case_id"] is None
        for report_id in (first, second):
            assert report_as(client, callers.coordinator, report_id)["case_id"] is None
        history = client.get(
            f"/api/v1/duplicates/{pair['id']}/history", headers=callers.coordinator.headers
        ).json()["items"]
        assert [h["action"] for h in history] == ["proposed", "confirm", "reopen"]
        assert history[-1]["case_id"] is None

    def test_a_third_report_joins_the_case_and_a_split_keeps_the_rest_joined(
        self, client: TestClient, callers: Callers
    ):
        first, second = file_two_families(client, callers)
        third = file_report(client, callers.family2, given_name="Коля", other_names=[])
        pairs = duplicates(client, callers.coordinator)
        by_reports = {(p["report_id"], p["duplicate_of"]): p for p in pairs}
        one = decide(client, callers.coordinator, by_reports[(second, first)], "confirm").json()
        decide(client, callers.coordinator, by_reports[(third, first)], "confirm")
        case_id = one["case_id"]
        assert {
            report_as(client, callers.coordinator, r)["case_id"] for r in (first, second, third)
        } == {case_id}
        decide(client, callers.coordinator, one, "reopen")
        assert report_as(client, callers.coordinator, second)["case_id"] is None
        assert report_as(client, callers.coordinator, first)["case_id"] == case_id
        assert report_as(client, callers.coordinator, third)["case_id"] == case_id


class TestSightingsOfACase:
    def test_one_confirmation_locates_every_report_of_the_case(
        self, client: TestClient, callers: Callers
    ):
        first, second = file_two_families(client, callers)
        [pair] = duplicates(client, callers.coordinator)
        decide(client, callers.coordinator, pair, "confirm")
        confirm_sighting(client, callers, first)
        assert report_as(client, callers.family, first)["status"] == "located"
        assert report_as(client, callers.family2, second)["status"] == "located"

    def test_a_case_joined_after_the_confirmation_is_located_too(
        self, client: TestClient, callers: Callers
    ):
        first, second = file_two_families(client, callers)
        confirm_sighting(client, callers, first)
        assert report_as(client, callers.family2, second)["status"] == "open"
        [pair] = duplicates(client, callers.coordinator)
        decide(client, callers.coordinator, pair, "confirm")
        assert report_as(client, callers.family2, second)["status"] == "located"

    def test_the_confirmed_sighting_is_not_proposed_for_another_report_of_the_case(
        self, client: TestClient, callers: Callers, session: Session
    ):
        first, second = file_two_families(client, callers)
        [pair] = duplicates(client, callers.coordinator)
        decide(client, callers.coordinator, pair, "confirm")
        match = confirm_sighting(client, callers, first)
        other = client.get(
            f"/api/v1/sightings/{match['sighting_id']}/candidates",
            headers=callers.coordinator.headers,
        )
        assert other.status_code == 200
        queue = client.get("/api/v1/matches", headers=callers.coordinator.headers).json()["items"]
        of_second = [m for m in queue if m["report_id"] == second]
        assert all(m["status"] != "proposed" for m in of_second)
        # Amending the second report scores it again: the sighting stays withheld.
        client.patch(
            f"/api/v1/reports/{second}",
            json={"child": {"other_names": ["Kolia", "Mykolka"]}},
            headers=callers.family2.headers,
        )
        drain_queue(client)
        queue = client.get("/api/v1/matches", headers=callers.coordinator.headers).json()["items"]
        assert all(m["status"] != "proposed" for m in queue if m["report_id"] == second)

    def test_reopening_the_sighting_opens_every_report_of_the_case(
        self, client: TestClient, callers: Callers
    ):
        first, second = file_two_families(client, callers)
        [pair] = duplicates(client, callers.coordinator)
        decide(client, callers.coordinator, pair, "confirm")
        match = confirm_sighting(client, callers, first)
        reopened = client.post(
            f"/api/v1/matches/{match['id']}/decision",
            json={"decision": "reopen", "version": match["version"]},
            headers=callers.coordinator.headers,
        )
        assert reopened.status_code == 200
        assert report_as(client, callers.family2, second)["status"] == "open"
        assert report_as(client, callers.family, first)["status"] == "open"

    def test_splitting_the_case_opens_the_report_without_a_confirmed_sighting(
        self, client: TestClient, callers: Callers
    ):
        first, second = file_two_families(client, callers)
        [pair] = duplicates(client, callers.coordinator)
        confirmed = decide(client, callers.coordinator, pair, "confirm").json()
        confirm_sighting(client, callers, first)
        decide(client, callers.coordinator, confirmed, "reopen")
        assert report_as(client, callers.family, first)["status"] == "located"
        assert report_as(client, callers.family2, second)["status"] == "open"


class TestNamesakesOfACase:
    """Two relatives' reports of one child, joined as one case, are not each other's
    namesakes: a sighting of the child weighs both without the namesakes' loss, as a
    `matching.Linker` told they are one child does, and a real namesake still counts."""

    CHILD: ClassVar[dict[str, Any]] = {
        "given_name": "Павло",
        "family_name": "Карпенко",
        "other_names": [],
    }

    # Children of other names: the crowd that sets each name's share (few enough namesakes
    # are then expected that one of a rare name counts).
    @staticmethod
    def crowd() -> list[dict[str, Any]]:
        names = [
            (given, family)
            for given in ("Іван", "Петро", "Тарас", "Андрій", "Богдан")
            for family in ("Коваль", "Бондар")
        ]
        return [
            {
                "given_name": given,
                "family_name": family,
                "other_names": [],
                "date_of_birth": f"201{i % 6}-0{1 + i % 9}-1{i}",
            }
            for i, (given, family) in enumerate(names)
        ]

    def _detail(self, items: list[dict], report_id: str) -> str:
        [item] = [i for i in items if i["report_id"] == report_id]
        detail: str = next(e for e in item["explanation"] if e["field"] == "family_name")["detail"]
        return detail

    # Seen with another child, the sighting is scored with its group (`groups.group_ranking`).
    @pytest.mark.parametrize("seen_with_another", [False, True])
    def test_the_case_mate_is_no_namesake_and_a_real_one_still_is(
        self, client: TestClient, callers: Callers, seen_with_another: bool
    ):
        crowd = {file_report(client, callers.family, **child): child for child in self.crowd()}
        mothers = file_report(client, callers.family, **self.CHILD, date_of_birth="2010-09-24")
        grandmothers = file_report(
            client, callers.family2, **self.CHILD, date_of_birth="2010-09-24"
        )
        cousins = file_report(client, callers.family, **self.CHILD, date_of_birth="2009-10-16")
        subject = {"given_name": "Паша", "family_name": "Карпенко", "sex": "male"}
        body = {
            **payloads.sighting(),
            "subject": {**subject, "date_of_birth": "2010-09", "origin_settlement": "Мелитополь"},
            "source_type": "witness",
        }
        if seen_with_another:
            companion = {**payloads.sighting(), "subject": {"full_name": "ШЕВЧУК Олена"}}
            response = client.post(
                "/api/v1/sightings", json=companion, headers=callers.field.headers
            )
            assert response.status_code == 201, response.text
            body["seen_with"] = [response.json()["id"]]
        filed = client.post("/api/v1/sightings", json=body, headers=callers.field.headers)
        assert filed.status_code == 201, filed.text
        drain_queue(client)
        url = f"/api/v1/sightings/{filed.json()['id']}/candidates"

        def candidates() -> list[dict]:
            response = client.get(url, headers=callers.coordinator.headers)
            assert response.status_code == 200, response.text
            items: list[dict] = response.json()["items"]
            return items

        before = candidates()
        for report_id in (mothers, grandmothers):
            assert self._detail(before, report_id).endswith(
                "; 2 other reports of the same given and family name"
            )
        [pair] = [
            p
            for p in duplicates(client, callers.coordinator, "proposed")
            if {p["report_id"], p["duplicate_of"]} == {mothers, grandmothers}
        ]
        assert decide(client, callers.coordinator, pair, "confirm").status_code == 200
        drain_queue(client)
        after = candidates()
        # The engine told the same: the grandmother's report is the mother's child.
        linker = matching.Linker()
        for report_id, written in crowd.items():
            child = payloads.report(**written)["child"]
            linker.add(report_id, matching.Person.from_api(child))
        for report_id, born in (
            (mothers, "2010-09-24"),
            (grandmothers, "2010-09-24"),
            (cousins, "2009-10-16"),
        ):
            child = payloads.report(**self.CHILD, date_of_birth=born)["child"]
            linker.add(report_id, matching.Person.from_api(child))
        linker.same_child({mothers: {grandmothers}, grandmothers: {mothers}})
        seen = matching.Person.from_api({**body["subject"], "observed_on": body["observed_on"]})
        expected = {str(c.key): c.score for c in linker.candidates(seen)}
        for report_id in (mothers, grandmothers):
            assert self._detail(after, report_id).endswith(
                "; 1 other report of the same given and family name"
            )
            [item] = [i for i in after if i["report_id"] == report_id]
            [earlier] = [i for i in before if i["report_id"] == report_id]
            assert item["score"] > earlier["score"]
            assert item["score"] == pytest.approx(expected[report_id], abs=1e-4)
        # The cousin's report counts both of the child's: they are his namesakes.
        assert self._detail(after, cousins).endswith(
            "; 2 other reports of the same given and family name"
        )
        # The stored matches are scored again when the case is joined.
        stored = client.get(
            "/api/v1/matches",
            params={"sighting_id": filed.json()["id"]},
            headers=callers.coordinator.headers,
        ).json()["items"]
        by_report = {m["report_id"]: m for m in stored}
        for report_id in (mothers, grandmothers):
            [item] = [i for i in after if i["report_id"] == report_id]
            assert by_report[report_id]["score"] == pytest.approx(item["score"], abs=1e-4)
        # From the report's side too (the report's candidates).
        sightings = client.get(
            f"/api/v1/reports/{mothers}/candidates", headers=callers.coordinator.headers
        ).json()["items"]
        [seen_item] = [i for i in sightings if i["sighting_id"] == filed.json()["id"]]
        family = next(e for e in seen_item["explanation"] if e["field"] == "family_name")
        assert family["detail"].endswith("; 1 other report of the same given and family name")


class TestWithheldSightings:
    """A sighting withheld from a report because another report of its case has it confirmed
    is matched again once that no longer holds."""

    def withheld(self, client: TestClient, callers: Callers) -> tuple[str, dict, dict]:
        first, second = file_two_families(client, callers)
        [pair] = duplicates(client, callers.coordinator)
        confirmed_pair = decide(client, callers.coordinator, pair, "confirm").json()
        match = confirm_sighting(client, callers, first)
        assert self.status_for(client, callers, second, match["sighting_id"]) != "proposed"
        return second, confirmed_pair, match

    def status_for(self, client: TestClient, callers: Callers, report: str, sighting: str) -> Any:
        drain_queue(client)
        queue = client.get(
            "/api/v1/matches", params={"limit": 100}, headers=callers.coordinator.headers
        ).json()["items"]
        found = [
            m["status"] for m in queue if (m["report_id"], m["sighting_id"]) == (report, sighting)
        ]
        return found[0] if found else None

    def test_reopening_the_confirmation_proposes_it_for_the_other_report(
        self, client: TestClient, callers: Callers
    ):
        second, _, match = self.withheld(client, callers)
        reopened = client.post(
            f"/api/v1/matches/{match['id']}/decision",
            json={"decision": "reopen", "version": match["version"]},
            headers=callers.coordinator.headers,
        )
        assert reopened.status_code == 200, reopened.text
        assert self.status_for(client, callers, second, match["sighting_id"]) == "proposed"

    def test_splitting_the_case_proposes_it_for_the_report_split_off(
        self, client: TestClient, callers: Callers
    ):
        second, confirmed_pair, match = self.withheld(client, callers)
        assert decide(client, callers.coordinator, confirmed_pair, "reopen").status_code == 200
        assert self.status_for(client, callers, second, match["sighting_id"]) == "proposed"


class TestFamiliesSeeOnlyTheirOwn:
    def test_each_family_sees_its_own_report_and_status_never_the_case(
        self, client: TestClient, callers: Callers, session: Session
    ):
        first, second = file_two_families(client, callers)
        [pair] = duplicates(client, callers.coordinator)
        decide(client, callers.coordinator, pair, "confirm")
        confirm_sighting(client, callers, first)
        own = report_as(client, callers.family2, second)
        assert own["status"] == "located"
        assert own["case_id"] is None
        assert (
            client.get(f"/api/v1/reports/{first}", headers=callers.family2.headers).status_code
            == 404
        )
        listed = client.get("/api/v1/reports", headers=callers.family2.headers).json()["items"]
        assert [r["id"] for r in listed] == [second]
        assert all(r["case_id"] is None for r in listed)
        assert (
            client.get(
                f"/api/v1/duplicates/{pair['id']}", headers=callers.family2.headers
            ).status_code
            == 403
        )
        stored = session.scalars(select(Duplicate)).all()
        assert len(stored) == 1

    def test_joining_and_splitting_a_case_leave_the_familys_view_as_it_was(
        self, client: TestClient, callers: Callers
    ):
        first, second = file_two_families(client, callers)
        views = [
            report_as(client, callers.family, first),
            report_as(client, callers.family2, second),
        ]
        [pair] = duplicates(client, callers.coordinator)
        confirmed = decide(client, callers.coordinator, pair, "confirm").json()
        assert views == [
            report_as(client, callers.family, first),
            report_as(client, callers.family2, second),
        ]
        decide(client, callers.coordinator, confirmed, "reopen")
        assert views == [
            report_as(client, callers.family, first),
            report_as(client, callers.family2, second),
        ]


@pytest.mark.postgres_only
def test_two_pairs_of_one_report_confirmed_at_once_make_one_case(
    is_postgres: bool, committed_app: FastAPI, committed_callers: Callers
):
    if not is_postgres:
        pytest.skip("real concurrent decisions are proven on PostgreSQL")
    callers = committed_callers
    with serve(committed_app) as base, httpx.Client(base_url=base, timeout=30) as http:
        ids = []
        for caller, child in [
            (callers.family, {}),
            (callers.family2, SECOND_FAMILY),
            (callers.family2, {"given_name": "Коля", "other_names": []}),
        ]:
            filed = http.post(
                "/api/v1/reports", json=payloads.report(**child), headers=caller.headers
            )
            assert filed.status_code == 201
            ids.append(filed.json()["id"])
        drain_queue(committed_app)
        first, second, third = ids
        pairs = http.get("/api/v1/duplicates", headers=callers.coordinator.headers).json()["items"]
        by_reports = {(p["report_id"], p["duplicate_of"]): p for p in pairs}
        chosen = [by_reports[(second, first)], by_reports[(third, second)]]
        barrier = threading.Barrier(2)

        def confirm_now(pair: dict) -> int:
            barrier.wait()
            return http.post(
                f"/api/v1/duplicates/{pair['id']}/decision",
                json={"decision": "confirm", "version": pair["version"]},
                headers=callers.coordinator.headers,
            ).status_code

        with ThreadPoolExecutor(2) as pool:
            codes = list(pool.map(confirm_now, chosen))
        cases = {
            http.get(f"/api/v1/reports/{r}", headers=callers.coordinator.headers).json()["case_id"]
            for r in ids
        }
    assert codes == [200, 200]
    assert len(cases) == 1 and None not in cases


@pytest.mark.postgres_only
def test_a_decision_waits_for_the_worker_writing_its_report_and_then_is_409(
    is_postgres: bool, committed_app: FastAPI, committed_callers: Callers, engine: Engine
):
    """The matching worker writes a report (its index) and then the report's pairs (a new
    score, a new version). A decision that took the pair before waiting for the report
    deadlocked with it and answered 500; it locks the reports first, so it waits, then finds
    the version changed: 409."""
    if not is_postgres:
        pytest.skip("row locks are proven on PostgreSQL")
    callers = committed_callers
    with serve(committed_app) as base, httpx.Client(base_url=base, timeout=60) as http:
        for caller, child in [(callers.family, {}), (callers.family2, SECOND_FAMILY)]:
            filed = http.post(
                "/api/v1/reports", json=payloads.report(**child), headers=caller.headers
            )
            assert filed.status_code == 201
        drain_queue(committed_app)
        [pair] = http.get("/api/v1/duplicates", headers=callers.coordinator.headers).json()["items"]
        with engine.connect() as worker:
            # The other side detects nothing: the decision, waiting longer, is the one to check.
            worker.execute(text("SET deadlock_timeout = '60s'"))
            worker.execute(
                update(Report)
                .where(Report.id == pair["report_id"])
                .values(matched_with="a newer engine")
            )
            with ThreadPoolExecutor(1) as pool:
                decided = pool.submit(
                    http.post,
                    f"/api/v1/duplicates/{pair['id']}/decision",
                    json={"decision": "confirm", "version": pair["version"]},
                    headers=callers.coordinator.headers,
                )
                assert eventually_waiting(worker), "the decision never waited for the report"
                worker.execute(
                    update(Duplicate)
                    .where(Duplicate.id == pair["id"])
                    .values(version=Duplicate.version + 1)
                )
                worker.commit()
                answer = decided.result()
    assert answer.status_code == 409, answer.text
    with engine.connect() as connection:
        stored = connection.execute(select(Duplicate.status, Duplicate.version)).one()
    assert tuple(stored) == ("proposed", pair["version"] + 1)


def eventually_waiting(connection: Connection) -> bool:
    """Whether another session of this database comes to wait for a lock (polled)."""
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
    )
    for _ in range(300):
        if connection.scalar(waiting):
            return True
        time.sleep(0.1)
    return False
