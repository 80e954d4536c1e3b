"""Users and tokens: expiry, revocation, disabled users, and admins managing users by API."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.core.models import utcnow
from app.core.security import Role
from app.users.models import User
from app.users.service import authenticate, create_user, find_user, hash_token
from tests.app import payloads
from tests.app.live import serve
from tests.conftest import Caller, Callers

USERS = "/api/v1/users"
NOBODY = "00000000-0000-4000-8000-000000000000"


def works(client: TestClient, token: str) -> bool:
    """Whether the token is let in (a family's or anyone's list of reports is a 200 or a 403)."""
    response = client.get("/api/v1/reports", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code in (200, 401, 403), response.text
    return response.status_code != 401


def refused_like_a_bad_token(client: TestClient, token: str) -> None:
    """401, with exactly the answer an unknown token gets: no hint of why."""
    response = client.get("/api/v1/reports", headers={"Authorization": f"Bearer {token}"})
    unknown = client.get("/api/v1/reports", headers={"Authorization": "Bearer rdn_not-a-token"})
    assert response.status_code == unknown.status_code == 401
    assert response.json() == unknown.json()
    assert response.headers["www-authenticate"] == unknown.headers["www-authenticate"]


def issued_days_ago(session: Session, caller: Caller, days: float) -> None:
    session.execute(
        update(User)
        .where(User.id == caller.user_id)
        .values(token_issued_at=utcnow() - timedelta(days=days))
    )
    session.commit()


class TestTokenLifetime:
    def test_a_token_works_until_its_lifetime_is_over(
        self, client: TestClient, callers: Callers, session: Session
    ):
        issued_days_ago(session, callers.family, 89.9)
        assert works(client, callers.family.token)
        issued_days_ago(session, callers.family, 90.1)
        refused_like_a_bad_token(client, callers.family.token)

    def test_the_lifetime_is_a_setting_applied_to_tokens_already_out(self, session: Session):
        user, token = create_user(session, name="Volunteer 18", role=Role.field)
        user.token_issued_at = utcnow() - timedelta(days=10)
        session.flush()
        assert authenticate(session, token, lifetime=timedelta(days=11)) is user
        assert authenticate(session, token, lifetime=timedelta(days=10)) is None

    def test_a_new_token_after_expiry_works(
        self, client: TestClient, callers: Callers, session: Session
    ):
        issued_days_ago(session, callers.field, 365)
        response = client.post(
            f"{USERS}/{callers.field.user_id}/tokens", headers=callers.admin.headers
        )
        assert response.status_code == 201
        assert works(client, response.json()["token"])
        refused_like_a_bad_token(client, callers.field.token)


class TestListUsers:
    def test_admin_pages_through_every_user_newest_first(
        self, client: TestClient, callers: Callers
    ):
        seen: list[dict] = []
        cursor = None
        while True:
            params = {"limit": 4, **({"cursor": cursor} if cursor else {})}
            page = client.get(USERS, params=params, headers=callers.admin.headers).json()
            seen += page["items"]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert len(seen) == 6
        assert {u["id"] for u in seen} == {c.user_id for c in vars(callers).values()}
        assert [u["created_at"] for u in seen] == sorted(
            (u["created_at"] for u in seen), reverse=True
        )

    def test_filter_by_role(self, client: TestClient, callers: Callers):
        page = client.get(USERS, params={"role": "field"}, headers=callers.admin.headers).json()
        assert {u["id"] for u in page["items"]} == {
            callers.field.user_id,
            callers.field2.user_id,
        }

    def test_no_answer_carries_a_token_hash(self, client: TestClient, callers: Callers):
        user_id = callers.family.user_id
        answers = [
            client.get(USERS, headers=callers.admin.headers),
            client.get(f"{USERS}/{user_id}", headers=callers.admin.headers),
            client.patch(f"{USERS}/{user_id}", json={}, headers=callers.admin.headers),
            client.post(
                USERS, json={"name": "Олена", "role": "family"}, headers=callers.admin.headers
            ),
            client.post(f"{USERS}/{user_id}/tokens", headers=callers.admin.headers),
        ]
        tokens = [c.token for c in vars(callers).values()] + [
            answers[3].json()["token"],
            answers[4].json()["token"],
        ]
        for answer in answers:
            assert answer.status_code in (200, 201)
            assert "hash" not in answer.text
            for token in tokens:
                assert hash_token(token) not in answer.text

    def test_coordinator_gets_403(self, client: TestClient, callers: Callers):
        assert client.get(USERS, headers=callers.coordinator.headers).status_code == 403


class TestCreateUser:
    def test_admin_creates_a_user_whose_token_works(
        self, client: TestClient, callers: Callers, session: Session
    ):
        response = client.post(
            USERS, json={"name": "Ганна Олійник", "role": "family"}, headers=callers.admin.headers
        )
        assert response.status_code == 201
        body = response.json()
        assert body["name"] == "Ганна Олійник"
        assert body["role"] == "family"
        assert body["disabled"] is False
        assert body["token"].startswith("rdn_")
        assert body["token_expires_at"] > body["token_issued_at"]
        family = {"Authorization": f"Bearer {body['token']}"}
        filed = client.post("/api/v1/reports", json=payloads.report(), headers=family)
        assert filed.status_code == 201
        stored = session.get(User, body["id"])
        assert stored is not None and stored.token_hash == hash_token(body["token"])

    def test_a_retry_creates_nothing_and_shows_no_token(
        self, client: TestClient, callers: Callers, session: Session
    ):
        headers = {**callers.admin.headers, "Idempotency-Key": "user-1"}
        body = {"name": "Volunteer 18", "role": "field"}
        first = client.post(USERS, json=body, headers=headers)
        again = client.post(USERS, json=body, headers=headers)
        assert first.status_code == again.status_code == 201
        assert again.json()["id"] == first.json()["id"]
        assert again.json()["token"] is None
        assert works(client, first.json()["token"])
        count = select(func.count()).select_from(User).where(User.name == "Volunteer 18")
        assert session.scalar(count) == 1

    @pytest.mark.parametrize(
        "body",
        [
            {"name": "x", "role": "superuser"},
            {"name": "", "role": "field"},
            {"name": "Volunteer", "role": "field", "token_hash": "0" * 64},
            {"role": "field"},
        ],
    )
    def test_bad_input_is_422(self, client: TestClient, callers: Callers, body: dict):
        response = client.post(USERS, json=body, headers=callers.admin.headers)
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"

    def test_coordinator_gets_403_and_nothing_is_created(
        self, client: TestClient, callers: Callers, session: Session
    ):
        response = client.post(
            USERS, json={"name": "Volunteer", "role": "admin"}, headers=callers.coordinator.headers
        )
        assert response.status_code == 403
        assert session.scalar(select(func.count()).select_from(User)) == 6

    def test_anonymous_gets_401(self, client: TestClient):
        assert client.post(USERS, json={"name": "x", "role": "admin"}).status_code == 401


class TestGetUser:
    def test_admin_reads_a_user(self, client: TestClient, callers: Callers):
        response = client.get(f"{USERS}/{callers.field.user_id}", headers=callers.admin.headers)
        assert response.status_code == 200
        assert response.json()["role"] == "field"
        assert response.json()["name"] == "test field"

    def test_unknown_user_is_404(self, client: TestClient, callers: Callers):
        assert client.get(f"{USERS}/{NOBODY}", headers=callers.admin.headers).status_code == 404


class TestChangeUser:
    def test_disabling_a_user_shuts_its_token_out_until_enabled(
        self, client: TestClient, callers: Callers
    ):
        url = f"{USERS}/{callers.field.user_id}"
        disabled = client.patch(url, json={"disabled": True}, headers=callers.admin.headers)
        assert disabled.status_code == 200 and disabled.json()["disabled"] is True
        refused_like_a_bad_token(client, callers.field.token)
        client.patch(url, json={"disabled": False}, headers=callers.admin.headers)
        assert works(client, callers.field.token)

    def test_a_new_role_applies_to_the_next_request(self, client: TestClient, callers: Callers):
        url = f"{USERS}/{callers.coordinator.user_id}"
        changed = client.patch(url, json={"role": "family"}, headers=callers.admin.headers)
        assert changed.json()["role"] == "family"
        assert client.get("/api/v1/matches", headers=callers.coordinator.headers).status_code == 403

    def test_the_last_admin_may_neither_step_down_nor_disable_itself(
        self, client: TestClient, callers: Callers
    ):
        url = f"{USERS}/{callers.admin.user_id}"
        for change in ({"role": "coordinator"}, {"disabled": True}):
            response = client.patch(url, json=change, headers=callers.admin.headers)
            assert response.status_code == 409, change
            assert response.headers["content-type"] == "application/problem+json"
        assert works(client, callers.admin.token)
        user = client.get(url, headers=callers.admin.headers).json()
        assert (user["role"], user["disabled"]) == ("admin", False)

    def test_a_disabled_admin_does_not_count_as_one_left(
        self, client: TestClient, callers: Callers
    ):
        other = client.post(
            USERS, json={"name": "Second admin", "role": "admin"}, headers=callers.admin.headers
        ).json()
        url = f"{USERS}/{callers.admin.user_id}"
        client.patch(
            f"{USERS}/{other['id']}", json={"disabled": True}, headers=callers.admin.headers
        )
        assert (
            client.patch(url, json={"role": "field"}, headers=callers.admin.headers).status_code
            == 409
        )
        client.patch(
            f"{USERS}/{other['id']}", json={"disabled": False}, headers=callers.admin.headers
        )
        stepped_down = client.patch(url, json={"role": "field"}, headers=callers.admin.headers)
        assert stepped_down.status_code == 200
        assert client.get(USERS, headers=callers.admin.headers).status_code == 403
        second = {"Authorization": f"Bearer {other['token']}"}
        assert client.get(USERS, headers=second).status_code == 200

    @pytest.mark.parametrize(
        "body", [{"role": None}, {"disabled": None}, {"disabled": "yes"}, {"name": "New name"}]
    )
    def test_bad_changes_are_422(self, client: TestClient, callers: Callers, body: dict):
        url = f"{USERS}/{callers.field.user_id}"
        assert client.patch(url, json=body, headers=callers.admin.headers).status_code == 422

    def test_unknown_user_is_404(self, client: TestClient, callers: Callers):
        response = client.patch(
            f"{USERS}/{NOBODY}", json={"disabled": True}, headers=callers.admin.headers
        )
        assert response.status_code == 404


class TestTokens:
    def test_a_new_token_replaces_the_old_one(self, client: TestClient, callers: Callers):
        response = client.post(
            f"{USERS}/{callers.family.user_id}/tokens", headers=callers.admin.headers
        )
        assert response.status_code == 201
        body = response.json()
        assert body["user_id"] == callers.family.user_id
        assert body["expires_at"] > body["issued_at"]
        assert works(client, body["token"])
        refused_like_a_bad_token(client, callers.family.token)

    def test_revoking_shuts_the_token_out_at_once(self, client: TestClient, callers: Callers):
        url = f"{USERS}/{callers.field.user_id}"
        response = client.delete(f"{url}/tokens", headers=callers.admin.headers)
        assert response.status_code == 204
        refused_like_a_bad_token(client, callers.field.token)
        user = client.get(url, headers=callers.admin.headers).json()
        assert user["token_issued_at"] is None and user["token_expires_at"] is None
        assert client.delete(f"{url}/tokens", headers=callers.admin.headers).status_code == 204
        fresh = client.post(f"{url}/tokens", headers=callers.admin.headers).json()["token"]
        assert works(client, fresh)

    def test_unknown_user_is_404(self, client: TestClient, callers: Callers):
        for method in ("POST", "DELETE"):
            response = client.request(
                method, f"{USERS}/{NOBODY}/tokens", headers=callers.admin.headers
            )
            assert response.status_code == 404

    def test_coordinator_cannot_revoke(self, client: TestClient, callers: Callers):
        response = client.delete(
            f"{USERS}/{callers.field.user_id}/tokens", headers=callers.coordinator.headers
        )
        assert response.status_code == 403
        assert works(client, callers.field.token)


class TestFindUser:
    """How the command line finds the user it is given: by id, or by a name nobody shares."""

    def test_by_id_or_unique_name(self, session: Session, callers: Callers):
        assert find_user(session, callers.field.user_id).id == callers.field.user_id
        assert find_user(session, "test field").id == callers.field.user_id

    def test_a_shared_or_unknown_name_is_refused(self, session: Session, callers: Callers):
        create_user(session, name="test field", role=Role.field)
        with pytest.raises(LookupError, match="2 users have that name"):
            find_user(session, "test field")
        with pytest.raises(LookupError, match="no user has that id or name"):
            find_user(session, "nobody at all")


@pytest.mark.postgres_only
def test_two_admins_demoting_each_other_at_once_leave_one(
    is_postgres: bool, committed_app: FastAPI, committed_callers: Callers
):
    if not is_postgres:
        pytest.skip("real concurrent changes are proven on PostgreSQL")
    first = committed_callers.admin
    with serve(committed_app) as base, httpx.Client(base_url=base, timeout=30) as http:
        made = http.post(
            USERS, json={"name": "Second admin", "role": "admin"}, headers=first.headers
        )
        second = Caller(made.json()["id"], Role.admin, made.json()["token"])
        barrier = threading.Barrier(2)  # reusable: each round releases both at once

        def demote(pair: tuple[Caller, Caller]) -> int:
            caller, other = pair
            barrier.wait()
            return http.patch(
                f"{USERS}/{other.user_id}", json={"role": "coordinator"}, headers=caller.headers
            ).status_code

        for _ in range(10):
            with ThreadPoolExecutor(2) as pool:
                codes = list(pool.map(demote, [(first, second), (second, first)]))
            assert codes.count(200) == 1, codes
            winner, loser = (first, second) if codes[0] == 200 else (second, first)
            promoted = http.patch(
                f"{USERS}/{loser.user_id}", json={"role": "admin"}, headers=winner.headers
            )
            assert promoted.status_code == 200
