import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from app.core.idempotency import IdempotencyKey
from app.core.models import utcnow
from app.reports.models import Report
from app.sightings.models import Sighting
from tests.app import payloads
from tests.app.live import serve
from tests.conftest import Callers


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


class TestSequentialRetry:
    @pytest.mark.parametrize(
        ("path", "body", "model", "who"),
        [
            ("/api/v1/reports", payloads.report(), Report, "family"),
            ("/api/v1/sightings", payloads.sighting(), Sighting, "field"),
        ],
    )
    def test_retry_returns_the_first_answer(
        self,
        client: TestClient,
        callers: Callers,
        session: Session,
        path: str,
        body: dict,
        model: type,
        who: str,
    ):
        headers = {**getattr(callers, who).headers, "Idempotency-Key": "retry-1"}
        first = client.post(path, json=body, headers=headers)
        second = client.post(path, json=body, headers=headers)
        assert first.status_code == second.status_code == 201
        assert first.json() == second.json()
        assert count(session, model) == 1

    def test_same_key_other_body_is_422(
        self, client: TestClient, callers: Callers, session: Session
    ):
        headers = {**callers.family.headers, "Idempotency-Key": "retry-2"}
        client.post("/api/v1/reports", json=payloads.report(), headers=headers)
        other = client.post(
            "/api/v1/reports", json=payloads.report(given_name="Олена"), headers=headers
        )
        assert other.status_code == 422
        assert other.json()["errors"][0]["type"] == "idempotency_key_reused"
        assert count(session, Report) == 1

    def test_keys_are_per_caller(self, client: TestClient, callers: Callers, session: Session):
        for caller in (callers.family, callers.family2):
            response = client.post(
                "/api/v1/reports",
                json=payloads.report(),
                headers={**caller.headers, "Idempotency-Key": "shared"},
            )
            assert response.status_code == 201
        assert count(session, Report) == 2

    def test_a_failed_request_does_not_hold_the_key(
        self, client: TestClient, callers: Callers, session: Session
    ):
        headers = {**callers.family.headers, "Idempotency-Key": "retry-3"}
        bad = client.post(
            "/api/v1/reports", json=payloads.report(date_of_birth="2011-02-30"), headers=headers
        )
        good = client.post("/api/v1/reports", json=payloads.report(), headers=headers)
        assert (bad.status_code, good.status_code) == (422, 201)


class TestAClaimWhoseRequestDied:
    """A request can die between claiming its key and completing it (its connection killed,
    the process stopped): the retry takes the key over, never 500, never 409 for ever."""

    @pytest.fixture
    def first(self, client: TestClient, callers: Callers) -> dict:
        headers = {**callers.family.headers, "Idempotency-Key": "died-1"}
        response = client.post("/api/v1/reports", json=payloads.report(), headers=headers)
        assert response.status_code == 201
        return {"headers": headers, "id": response.json()["id"]}

    def left_as(self, session: Session, **values: object) -> None:
        session.execute(
            update(IdempotencyKey).where(IdempotencyKey.key == "died-1").values(**values)
        )
        session.flush()

    def stored_id(self, session: Session) -> str | None:
        return session.scalar(
            select(IdempotencyKey.resource_id)
            .where(IdempotencyKey.key == "died-1")
            .execution_options(populate_existing=True)
        )

    def test_a_pending_claim_past_its_lifetime_is_taken_over(
        self, client: TestClient, session: Session, first: dict
    ):
        self.left_as(session, resource_id=None, updated_at=utcnow() - timedelta(minutes=5))
        retry = client.post("/api/v1/reports", json=payloads.report(), headers=first["headers"])
        again = client.post("/api/v1/reports", json=payloads.report(), headers=first["headers"])
        assert (retry.status_code, again.status_code) == (201, 201)
        assert again.json()["id"] == retry.json()["id"] == self.stored_id(session)

    def test_a_pending_claim_within_its_lifetime_is_still_in_flight(
        self, client: TestClient, session: Session, first: dict
    ):
        self.left_as(session, resource_id=None, updated_at=utcnow())
        retry = client.post("/api/v1/reports", json=payloads.report(), headers=first["headers"])
        assert retry.status_code == 409
        assert self.stored_id(session) is None

    @pytest.mark.parametrize(
        ("path", "body", "who"),
        [
            ("/api/v1/reports", payloads.report(), "family"),
            ("/api/v1/sightings", payloads.sighting(), "field"),
            ("/api/v1/users", {"name": "Olena", "role": "field"}, "admin"),
        ],
    )
    def test_a_claim_pointing_at_nothing_is_taken_over(
        self,
        client: TestClient,
        callers: Callers,
        session: Session,
        path: str,
        body: dict,
        who: str,
    ):
        headers = {**getattr(callers, who).headers, "Idempotency-Key": "died-1"}
        assert client.post(path, json=body, headers=headers).status_code == 201
        self.left_as(session, resource_id=str(uuid.uuid4()))
        retry = client.post(path, json=body, headers=headers)
        again = client.post(path, json=body, headers=headers)
        assert (retry.status_code, again.status_code) == (201, 201)
        assert again.json()["id"] == retry.json()["id"] == self.stored_id(session)


def test_twenty_concurrent_retries_make_one_row(
    committed_app: FastAPI, committed_callers: Callers, engine: Engine
):
    headers = {**committed_callers.family.headers, "Idempotency-Key": "burst"}
    body = payloads.report()
    with (
        serve(committed_app) as base,
        httpx.Client(base_url=base, timeout=30) as http,
        ThreadPoolExecutor(20) as pool,
    ):
        barrier = threading.Barrier(20)

        def post(_: int) -> httpx.Response:
            barrier.wait()
            return http.post("/api/v1/reports", json=body, headers=headers)

        answers = list(pool.map(post, range(20)))
        after = http.post("/api/v1/reports", json=body, headers=headers)
    statuses = {answer.status_code for answer in answers}
    assert statuses <= {201, 409}
    created_ids = {answer.json()["id"] for answer in answers if answer.status_code == 201}
    assert len(created_ids) == 1
    assert after.status_code == 201
    assert after.json()["id"] in created_ids
    with Session(engine) as session:
        assert count(session, Report) == 1
