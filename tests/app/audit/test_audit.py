"""The audit trail: what gets a row, reading it, and that nobody can change it."""

import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app.audit import service
from app.audit.http import Audited
from app.audit.models import Action, AuditEvent, ObjectType, Outcome
from app.audit.repository import TABLES
from app.core.security import Principal, Role
from app.exports import service as exports
from app.exports.service import Export, ExportKind
from app.models import Base
from tests.app import payloads
from tests.app.matching_queue import drain_queue
from tests.app.payloads import CANARY, canary_report, canary_sighting
from tests.app.test_authorization import _flatten, api_routes
from tests.conftest import Caller, Callers

Row = tuple[str | None, str, str | None, str]  # user id, action, object id, outcome


def _rows(session: Session, request_ids: set[str]) -> dict[str, Counter[Row]]:
    found: dict[str, Counter[Row]] = {}
    events = session.scalars(select(AuditEvent).where(AuditEvent.request_id.in_(request_ids)))
    for event in events:
        row = (event.user_id, event.action, event.object_id, event.outcome)
        found.setdefault(event.request_id or "", Counter())[row] += 1
    return found


def test_every_api_route_declares_its_action(app: FastAPI):
    routes = [r for r in _flatten(app.routes) if isinstance(r, APIRoute)]
    declared = {
        (method, route.path): [d.dependency for d in route.dependencies]
        for route in routes
        if route.path.startswith("/api/")
        for method in route.methods
    }
    assert set(declared) == api_routes(app)
    for route, dependencies in declared.items():
        actions = [d.action for d in dependencies if isinstance(d, Audited)]
        assert len(actions) == 1, route


def test_every_action_names_a_known_object_type():
    """The trail's answers list object types from ObjectType: a new action's prefix must be one."""
    assert {action.object_type for action in Action} == {t.value for t in ObjectType}


@pytest.mark.nodb
def test_every_object_type_with_records_names_a_table_of_the_schema():
    """A refused id is `hidden` or `not_found` by a look into its type's table, found by name:
    a renamed table, or a new type with records, must be named in TABLES."""
    assert set(TABLES) == set(ObjectType) - {ObjectType.export, ObjectType.audit}
    for name in TABLES.values():
        assert "id" in Base.metadata.tables[name].c, name


class TestScriptedRun:
    """The proof: a scripted run of requests that touch K records, with refusals of every
    kind, leaves exactly K rows, each with the right caller, action, record and outcome, and
    none of the values that were filed. Real commits, so that refusals are seen to survive
    their request's rollback."""

    def test_k_records_touched_leave_k_rows(
        self, committed_app: FastAPI, committed_callers: Callers, engine: Engine
    ):
        c = committed_callers
        expected: dict[str, Counter[Row]] = {}
        with TestClient(committed_app) as client:

            def step(
                caller: Caller | None,
                status: int,
                method: str,
                path: str,
                rows: list[tuple[Action, str | None, Outcome]],
                *,
                headers: dict[str, str] | None = None,
                **kwargs: Any,
            ) -> Any:
                sent = {**(caller.headers if caller else {}), **(headers or {})}
                answer = client.request(method, path, headers=sent, **kwargs)
                assert answer.status_code == status, answer.text
                user = caller.user_id if caller and status != 401 else None
                expected[answer.headers["X-Request-ID"]] = Counter(
                    (user, action.value, object_id, outcome.value)
                    for action, object_id, outcome in rows
                )
                return answer.json()

            def created(caller: Caller, path: str, body: Any, action: Action, **kw: Any) -> str:
                answer = client.post(path, json=body, headers={**caller.headers, **kw})
                assert answer.status_code == 201, answer.text
                record = str(answer.json()["id"])
                expected[answer.headers["X-Request-ID"]] = Counter(
                    [(caller.user_id, action.value, record, "allowed")]
                )
                return record

            allowed, replayed = Outcome.allowed, Outcome.replayed
            hidden, forbidden = Outcome.hidden, Outcome.forbidden
            key = {"Idempotency-Key": CANARY["idempotency_key"]}
            report = created(
                c.family, "/api/v1/reports", canary_report(), Action.report_create, **key
            )
            step(
                c.family,
                201,
                "POST",
                "/api/v1/reports",
                [(Action.report_create, report, replayed)],
                json=canary_report(),
                headers=key,
            )
            other_child = payloads.report(given_name="Олена", family_name="Бондар", sex="female")
            other = created(c.family2, "/api/v1/reports", other_child, Action.report_create)
            sighting_id = created(
                c.field, "/api/v1/sightings", canary_sighting(), Action.sighting_create
            )

            step(
                c.family,
                200,
                "GET",
                f"/api/v1/reports/{report}",
                [(Action.report_read, report, allowed)],
            )
            step(
                c.family,
                404,
                "GET",
                f"/api/v1/reports/{other}",
                [(Action.report_read, other, hidden)],
            )
            step(c.family, 200, "GET", "/api/v1/reports", [(Action.report_list, report, allowed)])
            step(
                c.family,
                403,
                "PATCH",
                f"/api/v1/reports/{report}",
                [(Action.report_update, report, forbidden)],
                json={"status": "closed"},
            )
            step(
                c.family,
                200,
                "PATCH",
                f"/api/v1/reports/{report}",
                [(Action.report_update, report, allowed)],
                json={"circumstances": CANARY["circumstances"] + ", amended"},
            )
            step(
                c.field,
                200,
                "GET",
                f"/api/v1/sightings/{sighting_id}",
                [(Action.sighting_read, sighting_id, allowed)],
            )
            step(
                c.field2,
                404,
                "GET",
                f"/api/v1/sightings/{sighting_id}",
                [(Action.sighting_read, sighting_id, hidden)],
            )
            step(
                c.family,
                403,
                "GET",
                f"/api/v1/sightings/{sighting_id}",
                [(Action.sighting_read, sighting_id, forbidden)],
            )
            step(
                None,
                401,
                "GET",
                f"/api/v1/reports/{report}",
                [(Action.report_read, report, Outcome.unauthenticated)],
            )
            step(
                None,
                401,
                "GET",
                "/api/v1/reports",
                [(Action.report_list, None, Outcome.unauthenticated)],
                headers={"Authorization": "Bearer " + CANARY["bad_token"]},
            )
            nobody = str(uuid.uuid4())
            step(
                c.coordinator,
                404,
                "GET",
                f"/api/v1/matches/{nobody}",
                [(Action.match_read, nobody, Outcome.not_found)],
            )
            step(
                c.coordinator,
                404,
                "GET",
                f"/api/v1/reports/{CANARY['given_name']}",
                [(Action.report_read, None, Outcome.not_found)],
            )

            drain_queue(committed_app)  # matching writes no audit row: the trail is the same
            queue = client.get("/api/v1/matches", headers=c.coordinator.headers)
            [match] = queue.json()["items"]
            assert (match["report_id"], match["sighting_id"]) == (report, sighting_id)
            expected[queue.headers["X-Request-ID"]] = Counter(
                [(c.coordinator.user_id, "match.list", match["id"], "allowed")]
            )
            step(
                c.coordinator,
                200,
                "GET",
                f"/api/v1/matches/{match['id']}",
                [
                    (Action.match_read, match["id"], allowed),
                    (Action.report_read, report, allowed),
                    (Action.sighting_read, sighting_id, allowed),
                ],
            )
            ranked = client.get(
                f"/api/v1/sightings/{sighting_id}/candidates", headers=c.coordinator.headers
            )
            shown = [item["report_id"] for item in ranked.json()["items"]]
            assert shown == [report]
            expected[ranked.headers["X-Request-ID"]] = Counter(
                [(c.coordinator.user_id, "sighting.candidates", sighting_id, "allowed")]
                + [(c.coordinator.user_id, "report.candidate", r, "allowed") for r in shown]
            )
            step(
                c.admin,
                200,
                "GET",
                f"/api/v1/reports/{report}/candidates",
                [
                    (Action.report_candidates, report, allowed),
                    (Action.sighting_candidate, sighting_id, allowed),
                ],
            )
            decision = {"decision": "confirm", "note": CANARY["notes"], "version": 1}
            step(
                c.coordinator,
                200,
                "POST",
                f"/api/v1/matches/{match['id']}/decision",
                [(Action.match_decide, match["id"], allowed)],
                json=decision,
            )
            step(
                c.coordinator,
                409,
                "POST",
                f"/api/v1/matches/{match['id']}/decision",
                [],
                json=decision,
            )
            step(
                c.coordinator,
                200,
                "GET",
                f"/api/v1/matches/{match['id']}/history",
                [(Action.match_history, match["id"], allowed)],
            )
            step(
                c.admin,
                200,
                "GET",
                "/api/v1/sightings",
                [(Action.sighting_list, sighting_id, allowed)],
            )
            step(c.family, 422, "POST", "/api/v1/reports", [], json={"child": {}})
            step(c.field, 403, "GET", "/api/v1/audit", [(Action.audit_read, None, forbidden)])
            step(c.coordinator, 200, "GET", "/api/v1/audit", [])

        k = sum(sum(rows.values()) for rows in expected.values())
        assert k == 28  # 30 requests: 2 touched nothing (409, 422), 1 read the trail (none),
        # 3 showed 2 or 3 records each (match detail, the two candidate lists)
        with Session(engine) as session:
            found = _rows(session, set(expected))
            assert sum(sum(rows.values()) for rows in found.values()) == k
            assert {rid: rows for rid, rows in found.items()} == {
                rid: rows for rid, rows in expected.items() if rows
            }
            roles = dict(
                session.execute(select(AuditEvent.user_id, AuditEvent.role).distinct()).all()
            )
            # Nothing that was filed, and no token, anywhere in the trail.
            dump = str(session.execute(text("SELECT * FROM audit_events")).all())
        assert roles[c.family.user_id] == "family" and roles[c.admin.user_id] == "admin"
        for secret in [*CANARY.values(), *(caller.token for caller in vars(c).values())]:
            assert secret not in dump, secret


class TestAuditList:
    @pytest.fixture
    def filed(self, client: TestClient, callers: Callers) -> dict[str, str]:
        report = client.post(
            "/api/v1/reports", json=payloads.report(), headers=callers.family.headers
        ).json()["id"]
        client.get(f"/api/v1/reports/{report}", headers=callers.family2.headers)  # hidden
        client.get(f"/api/v1/reports/{report}", headers=callers.coordinator.headers)
        return {"report": report}

    def test_newest_first_with_filters(
        self, client: TestClient, callers: Callers, filed: dict[str, str]
    ):
        answer = client.get(
            "/api/v1/audit",
            params={"object_id": filed["report"]},
            headers=callers.coordinator.headers,
        )
        assert answer.status_code == 200
        items = answer.json()["items"]
        assert [(i["action"], i["outcome"], i["role"]) for i in items] == [
            ("report.read", "allowed", "coordinator"),
            ("report.read", "hidden", "family"),
            ("report.create", "allowed", "family"),
        ]
        assert set(items[0]) == {
            "id", "created_at", "request_id", "user_id", "role", "action", "object_type",
            "object_id", "outcome",
        }  # fmt: skip
        by = {
            "user_id": callers.family2.user_id,
            "outcome": "hidden",
            "action": "report.read",
            "object_type": "report",
        }
        for name, value in by.items():
            found = client.get(
                "/api/v1/audit",
                params={name: value, "object_id": filed["report"]},
                headers=callers.admin.headers,
            ).json()["items"]
            assert found and all(item[name] == value for item in found), name
        only_family2 = client.get(
            "/api/v1/audit",
            params={"user_id": callers.family2.user_id, "object_id": filed["report"]},
            headers=callers.admin.headers,
        ).json()["items"]
        assert [i["outcome"] for i in only_family2] == ["hidden"]

    def test_time_range(self, client: TestClient, callers: Callers, filed: dict[str, str]):
        items = client.get(
            "/api/v1/audit",
            params={"object_id": filed["report"]},
            headers=callers.coordinator.headers,
        ).json()["items"]
        middle = items[1]["created_at"]

        def between(**moments: str) -> list[str]:
            answer = client.get(
                "/api/v1/audit",
                params={"object_id": filed["report"], **moments},
                headers=callers.coordinator.headers,
            )
            assert answer.status_code == 200, answer.text
            return [item["id"] for item in answer.json()["items"]]

        assert between(since=middle) == [items[0]["id"], items[1]["id"]]
        assert between(until=middle) == [items[2]["id"]]
        future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
        assert between(since=future) == []

    def test_pages_with_a_cursor(self, client: TestClient, callers: Callers, filed: dict[str, str]):
        seen: list[str] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"object_id": filed["report"], "limit": 1}
            if cursor:
                params["cursor"] = cursor
            page = client.get("/api/v1/audit", params=params, headers=callers.admin.headers).json()
            seen += [item["id"] for item in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        everything = client.get(
            "/api/v1/audit", params={"object_id": filed["report"]}, headers=callers.admin.headers
        ).json()["items"]
        assert seen == [item["id"] for item in everything] and len(seen) == 3

    @pytest.mark.parametrize(
        "params",
        [
            {"since": "2024-05-01T00:00:00"},  # no time zone
            {"until": "1714521600"},  # a Unix time is not a date-time
            {"outcome": "maybe"},
            {"action": "report.delete"},
            {"object_id": "x" * 37},
        ],
    )
    def test_bad_filters_are_422(
        self, client: TestClient, callers: Callers, params: dict[str, str]
    ):
        answer = client.get("/api/v1/audit", params=params, headers=callers.coordinator.headers)
        assert answer.status_code == 422
        assert answer.headers["content-type"] == "application/problem+json"

    @pytest.mark.parametrize("role", [Role.family, Role.field])
    def test_other_roles_are_refused_and_recorded(
        self, client: TestClient, callers: Callers, session: Session, role: Role
    ):
        answer = client.get("/api/v1/audit", headers=callers.of(role).headers)
        assert answer.status_code == 403
        [row] = session.scalars(
            select(AuditEvent).where(AuditEvent.request_id == answer.headers["X-Request-ID"])
        )
        assert (row.user_id, row.role, row.action, row.object_type, row.outcome) == (
            callers.of(role).user_id,
            role.value,
            "audit.read",
            "audit",
            "forbidden",
        )

    def test_no_route_changes_the_trail(self, client: TestClient, callers: Callers):
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            answer = client.request(method, "/api/v1/audit", headers=callers.admin.headers)
            assert answer.status_code == 405


class TestAppendOnly:
    """The database itself refuses to change or remove audit rows, whoever asks."""

    @pytest.fixture
    def row(self, session: Session) -> Iterator[str]:
        record = str(uuid.uuid4())
        service.record(session, None, Action.report_read, [record])
        session.flush()
        yield session.scalars(select(AuditEvent.id).where(AuditEvent.object_id == record)).one()

    @pytest.mark.parametrize(
        "statement",
        [
            "UPDATE audit_events SET outcome = 'allowed', user_id = NULL",
            "UPDATE audit_events SET action = 'report.read' WHERE id = :id",
            "DELETE FROM audit_events WHERE id = :id",
            "DELETE FROM audit_events",
        ],
    )
    def test_update_and_delete_are_refused(self, session: Session, row: str, statement: str):
        with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
            session.execute(text(statement), {"id": row})
        assert session.get(AuditEvent, row) is not None

    def test_truncate_is_refused_on_postgres(self, session: Session, row: str, is_postgres: bool):
        if not is_postgres:
            pytest.skip("SQLite has no TRUNCATE")
        with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
            session.execute(text("TRUNCATE audit_events"))


class TestExports:
    """One row per export, written before anything is sent; refusals like any other."""

    def _rows(self, session: Session, request_id: str) -> list[tuple[Any, ...]]:
        return [
            tuple(row)
            for row in session.execute(
                select(
                    AuditEvent.user_id,
                    AuditEvent.action,
                    AuditEvent.object_type,
                    AuditEvent.object_id,
                    AuditEvent.outcome,
                ).where(AuditEvent.request_id == request_id)
            )
        ]

    @pytest.mark.parametrize(
        ("kind", "contacts", "action"),
        [
            ("pfif", False, "export.pfif"),
            ("reports", True, "export.reports_with_contacts"),
            ("matches", False, "export.matches"),
        ],
    )
    def test_an_export_is_one_row(
        self,
        client: TestClient,
        callers: Callers,
        session: Session,
        kind: str,
        contacts: bool,
        action: str,
    ):
        answer = client.get(
            f"/api/v1/exports/{kind}",
            params={"include_contacts": contacts},
            headers=callers.admin.headers,
        )
        assert answer.status_code == 200
        assert self._rows(session, answer.headers["X-Request-ID"]) == [
            (callers.admin.user_id, action, "export", None, "allowed")
        ]

    @pytest.mark.parametrize(("role", "contacts"), [(Role.coordinator, True), (Role.family, False)])
    def test_a_refused_export_is_recorded(
        self, client: TestClient, callers: Callers, session: Session, role: Role, contacts: bool
    ):
        answer = client.get(
            "/api/v1/exports/pfif",
            params={"include_contacts": contacts},
            headers=callers.of(role).headers,
        )
        assert answer.status_code == 403
        assert self._rows(session, answer.headers["X-Request-ID"]) == [
            (callers.of(role).user_id, "export.pfif", "export", None, "forbidden")
        ]

    def test_the_operators_export_is_recorded_without_a_user(self, session: Session):
        exports.start(session, None, Export(ExportKind.reports, include_contacts=True))
        [row] = session.execute(
            select(AuditEvent.user_id, AuditEvent.role, AuditEvent.request_id).where(
                AuditEvent.action == "export.reports_with_contacts",
                AuditEvent.user_id.is_(None),
            )
        ).all()
        assert tuple(row) == (None, None, None)


def test_user_management_is_audited(client: TestClient, callers: Callers, session: Session):
    target = callers.field.user_id
    nobody = str(uuid.uuid4())
    calls = [
        (callers.admin, "DELETE", f"/api/v1/users/{target}/tokens", 204),
        (callers.admin, "POST", f"/api/v1/users/{target}/tokens", 201),
        (callers.coordinator, "GET", f"/api/v1/users/{target}", 403),
        (callers.admin, "GET", f"/api/v1/users/{nobody}", 404),
    ]
    found = []
    issued = []
    for caller, method, path, status in calls:
        answer = client.request(method, path, headers=caller.headers)
        assert answer.status_code == status, answer.text
        if status == 201:
            issued.append(answer.json()["token"])
        found += session.execute(
            select(AuditEvent.user_id, AuditEvent.action, AuditEvent.object_id, AuditEvent.outcome)
            .where(AuditEvent.request_id == answer.headers["X-Request-ID"])
        ).all()  # fmt: skip
    assert [tuple(row) for row in found] == [
        (callers.admin.user_id, "user.revoke_token", target, "allowed"),
        (callers.admin.user_id, "user.issue_token", target, "allowed"),
        (callers.coordinator.user_id, "user.read", target, "forbidden"),
        (callers.admin.user_id, "user.read", nobody, "not_found"),
    ]
    dump = str(session.execute(text("SELECT * FROM audit_events")).all())
    assert issued and all(token not in dump for token in [*issued, callers.field.token])


def test_commands_record_their_events_with_record(session: Session, callers: Callers):
    """What exports and imports call: rows in the caller's transaction, no request id outside
    a request, the principal they act for (or none for an operator's command)."""
    ids = [str(uuid.uuid4()), str(uuid.uuid4())]
    principal = Principal(user_id=callers.admin.user_id, role=Role.admin)
    service.record(session, principal, Action.report_read, ids)
    service.record(session, None, Action.sighting_read, [None], outcome=Outcome.forbidden)
    rows = session.execute(
        select(AuditEvent.user_id, AuditEvent.role, AuditEvent.object_type, AuditEvent.object_id,
               AuditEvent.request_id)
        .where(AuditEvent.request_id.is_(None))
        .order_by(AuditEvent.object_type, AuditEvent.object_id)
    ).all()  # fmt: skip
    assert sorted(rows, key=str) == sorted(
        [
            (callers.admin.user_id, "admin", "report", ids[0], None),
            (callers.admin.user_id, "admin", "report", ids[1], None),
            (None, None, "sighting", None, None),
        ],
        key=str,
    )
