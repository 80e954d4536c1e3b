"""The matching queue and its worker: a filing answers without matching and queues its record in
its own transaction; the worker thread proposes soon after, retries a failing record a bounded
number of times, and takes over the rows of a process that died."""

import logging
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, text, update
from sqlalchemy.orm import Session

from app.core.models import utcnow
from app.core.settings import Settings
from app.main import create_app
from app.matches import worker
from app.matches.models import Match, MatchingQueueItem, ReportKey, SightingKey
from app.models import Base
from app.reports.models import Report
from app.sightings.models import Sighting
from tests.app import payloads
from tests.app.matching_queue import drain_queue
from tests.conftest import APPEND_ONLY, Callers, make_callers

# What this module's log lines and stored errors must never hold.
FILED = ["Олійник", "ОЛЕЙНИК", "Николай", "Signal +000", "Мелитополь"]


def queued(session: Session) -> list[MatchingQueueItem]:
    session.expire_all()
    return list(session.scalars(select(MatchingQueueItem).order_by(MatchingQueueItem.id)))


def count(session: Session, model: Any) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


class TestFiling:
    def test_a_filing_answers_before_matching_and_leaves_its_record_queued(
        self, client: TestClient, callers: Callers, session: Session
    ):
        report = client.post(
            "/api/v1/reports", json=payloads.report(), headers=callers.family.headers
        )
        sighting = client.post(
            "/api/v1/sightings", json=payloads.sighting(), headers=callers.field.headers
        )
        amended = client.patch(
            f"/api/v1/reports/{report.json()['id']}",
            json={"child": {"patronymic": "Андрійович"}},
            headers=callers.family.headers,
        )
        assert report.status_code == sighting.status_code == 201 and amended.status_code == 200
        assert count(session, Match) == 0
        assert [(item.kind, item.record_id, item.attempts) for item in queued(session)] == [
            ("report", report.json()["id"], 0),
            ("sighting", sighting.json()["id"], 0),
            ("report", report.json()["id"], 0),
        ]
        assert session.get(Sighting, sighting.json()["id"]).matched_with is None  # type: ignore[union-attr]

        assert drain_queue(client) == 3
        assert queued(session) == []
        [match] = session.scalars(select(Match))
        assert (match.report_id, match.sighting_id) == (report.json()["id"], sighting.json()["id"])

    def test_a_filing_writes_its_candidate_keys_before_it_answers(
        self, client: TestClient, callers: Callers, session: Session
    ):
        """Two instances' workers, matching a report and a sighting filed at the same moment,
        each read the other's keys: both must be there, committed with the filings."""
        report = client.post(
            "/api/v1/reports", json=payloads.report(), headers=callers.family.headers
        ).json()["id"]
        sighting = client.post(
            "/api/v1/sightings", json=payloads.sighting(), headers=callers.field.headers
        ).json()["id"]
        assert count(session, Match) == 0 and len(queued(session)) == 2
        report_keys = set(
            session.scalars(select(ReportKey.key).where(ReportKey.report_id == report))
        )
        sighting_keys = set(
            session.scalars(select(SightingKey.key).where(SightingKey.sighting_id == sighting))
        )
        assert report_keys & sighting_keys  # the pair is reachable from either side

    def test_an_amendment_that_leaves_the_child_alone_queues_nothing(
        self, client: TestClient, callers: Callers, session: Session
    ):
        report = client.post(
            "/api/v1/reports", json=payloads.report(), headers=callers.family.headers
        ).json()
        drain_queue(client)
        client.patch(
            f"/api/v1/reports/{report['id']}",
            json={"circumstances": "Seen at the station."},
            headers=callers.family.headers,
        )
        assert queued(session) == []

    def test_a_filing_that_fails_queues_nothing(
        self, client: TestClient, callers: Callers, session: Session, is_postgres: bool
    ):
        # The database refuses the filing's last write (completing its idempotency claim),
        # after the record and its queue row were written: all of it is rolled back.
        if is_postgres:
            session.execute(
                text(
                    "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
                    "$$ BEGIN RAISE EXCEPTION 'refused'; END $$"
                )
            )
            session.execute(
                text(
                    "CREATE TRIGGER refuse BEFORE UPDATE ON idempotency_keys "
                    "FOR EACH ROW EXECUTE FUNCTION refuse()"
                )
            )
        else:
            session.execute(
                text(
                    "CREATE TRIGGER refuse BEFORE UPDATE ON idempotency_keys "
                    "BEGIN SELECT RAISE(ABORT, 'refused'); END"
                )
            )
        session.flush()
        headers = {**callers.field.headers, "Idempotency-Key": "fails-after-queueing"}
        answer = client.post("/api/v1/sightings", json=payloads.sighting(), headers=headers)
        assert answer.status_code == 500
        assert count(session, Sighting) == 0
        assert queued(session) == []


class TestFailures:
    def test_a_record_that_fails_is_retried_then_kept_marked_failed(
        self,
        client: TestClient,
        callers: Callers,
        session: Session,
        caplog: pytest.LogCaptureFixture,
    ):
        sighting = client.post(
            "/api/v1/sightings", json=payloads.sighting(), headers=callers.field.headers
        ).json()
        # A stored row the engine cannot read (an earlier version's bug, say).
        session.execute(update(Sighting).values(other_names=5))
        session.flush()

        with caplog.at_level(logging.WARNING, logger="ridni.matching"):
            assert drain_queue(client) == 0

        [item] = queued(session)
        assert (item.record_id, item.attempts, item.last_error) == (
            sighting["id"],
            worker.MAX_ATTEMPTS,
            "TypeError",
        )
        assert item.failed_at is not None and item.claimed_by is None
        failures = [r for r in caplog.records if r.message == "matching a record failed"]
        assert [r.fields["attempts"] for r in failures] == [1, 2, 3]  # type: ignore[attr-defined]
        assert [r.fields["gave_up"] for r in failures] == [False, False, True]  # type: ignore[attr-defined]
        assert {r.fields["error"] for r in failures} == {"TypeError"}  # type: ignore[attr-defined]
        assert not any(value in caplog.text for value in FILED)

        # Failed for good: later rounds leave it alone, and other records are matched (another
        # child's: the broken sighting's keys, written when it was filed, reach the first report).
        other_child = payloads.report(
            given_name="Олена", family_name="Ткач", other_names=[], sex="female",
            date_of_birth="2014-06-01",
        )  # fmt: skip
        client.post("/api/v1/reports", json=other_child, headers=callers.family.headers)
        assert drain_queue(client) == 1
        assert [i.id for i in queued(session)] == [item.id]
        assert queued(session)[0].attempts == worker.MAX_ATTEMPTS


def ended_process() -> str:
    """How a process of this host that has ended names itself (`this_process()`)."""
    script = "from app.core.processes import this_process; print(this_process())"
    return subprocess.run(  # noqa: S603 - our own interpreter and a fixed script
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout.strip()


@pytest.fixture
def living_process() -> Iterator[str]:
    script = (
        "import time; from app.core.processes import this_process; "
        "print(this_process(), flush=True); time.sleep(120)"
    )
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and a fixed script
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        yield process.stdout.readline().strip()
    finally:
        process.kill()
        process.communicate()


def claim_every_row(session: Session, runner: str) -> None:
    session.execute(
        update(MatchingQueueItem).values(claimed_by=runner, claimed_at=utcnow(), attempts=1)
    )
    session.commit()


@pytest.fixture
def worker_app(settings: Settings, engine: Engine) -> Iterator[FastAPI]:
    """An app that runs the matching worker as deployed (RIDNI_MATCHING_INTERVAL's default),
    with real commits; every table but the audit trail is emptied after."""
    app = create_app(settings.model_copy(update={"matching_interval": 0.25}))
    yield app
    app.state.engine.dispose()
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name not in APPEND_ONLY:
                connection.execute(table.delete())


def wait_for(condition: Any, seconds: float = 20) -> bool:
    """Poll until `condition()` holds; the bound is generous (a loaded test machine): how soon
    proposals appear is measured by `python -m bench.service timing`, not here."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


class TestWorker:
    def test_the_thread_proposes_after_the_answer_and_empties_the_queue(self, worker_app: FastAPI):
        with worker_app.state.session_factory() as session:
            callers = make_callers(session)
        with TestClient(worker_app) as client:
            client.post("/api/v1/reports", json=payloads.report(), headers=callers.family.headers)
            client.post(
                "/api/v1/sightings", json=payloads.sighting(), headers=callers.field.headers
            )

            def proposed() -> list[Any]:
                answer = client.get("/api/v1/matches", headers=callers.coordinator.headers)
                items: list[Any] = answer.json()["items"]
                return items

            assert wait_for(lambda: len(proposed()) == 1)
            with worker_app.state.session_factory() as session:
                assert wait_for(lambda: queued(session) == [])
                assert {r.matched_with for r in session.scalars(select(Report))} == {
                    worker_app.state.matching.signature
                }

    def test_rows_left_by_a_process_that_died_are_taken_over_on_start(
        self, worker_app: FastAPI, committed_app: FastAPI, committed_callers: Callers
    ):
        callers = committed_callers
        with TestClient(committed_app) as client:  # no worker: the rows stay queued
            client.post("/api/v1/reports", json=payloads.report(), headers=callers.family.headers)
            client.post(
                "/api/v1/sightings", json=payloads.sighting(), headers=callers.field.headers
            )
        with committed_app.state.session_factory() as session:
            claim_every_row(session, ended_process())  # it died matching them

            with TestClient(worker_app):
                assert wait_for(lambda: count(session, Match) == 1)
                assert wait_for(lambda: queued(session) == [])

    def test_rows_a_living_process_claimed_are_left_to_it(
        self, committed_app: FastAPI, committed_callers: Callers, living_process: str
    ):
        callers = committed_callers
        with TestClient(committed_app) as client:
            client.post(
                "/api/v1/sightings", json=payloads.sighting(), headers=callers.field.headers
            )
        with committed_app.state.session_factory() as session:
            claim_every_row(session, living_process)
            assert drain_queue(committed_app) == 0
            [item] = queued(session)
            assert (item.claimed_by, item.attempts) == (living_process, 1)

    def test_a_process_that_died_on_its_last_attempt_leaves_the_row_failed(
        self, committed_app: FastAPI, committed_callers: Callers
    ):
        callers = committed_callers
        with TestClient(committed_app) as client:
            client.post(
                "/api/v1/sightings", json=payloads.sighting(), headers=callers.field.headers
            )
        with committed_app.state.session_factory() as session:
            claim_every_row(session, ended_process())
            session.execute(update(MatchingQueueItem).values(attempts=worker.MAX_ATTEMPTS))
            session.commit()
            assert drain_queue(committed_app) == 0
            [item] = queued(session)
            assert (item.last_error, item.failed_at is not None) == ("ProcessEnded", True)
