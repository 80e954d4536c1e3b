"""Several `ridni serve` processes on one PostgreSQL, counting their limits in one Redis, and
`ridni rematch` run twice at once: what one process writes, the others use at once.

Every process here is a real one (`python -m app.cli ...`), on the suite's PostgreSQL database.
Without Redis at RIDNI_TEST_REDIS_URL (default redis://127.0.0.1:6379/0) the tests that need it
are skipped, saying so; under CI (CI=true) that is a failure instead, as for PostgreSQL.
"""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, func, select, text, update

from app.core.settings import Settings
from app.matches.engine import MatchingSettings
from app.matches.models import Match, MatchEvent, SightingKey
from app.reports.models import Report
from app.sightings.models import Sighting
from tests.app import payloads
from tests.conftest import Callers

REDIS_URL = os.environ.get("RIDNI_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
WRITES_AN_HOUR = 5  # an hour, so that a loaded machine cannot let the window pass
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _on_postgres(is_postgres: bool) -> None:
    if not is_postgres:
        pytest.skip("several processes share a PostgreSQL database (the suite's second half)")


@pytest.fixture(scope="session")
def redis_url() -> str:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError:
        missing = f"these tests need Redis at {REDIS_URL} (apt-get install redis-server)"
        if os.environ.get("CI") == "true":
            pytest.fail(missing + "; CI must run them")
        pytest.skip(missing)
    finally:
        client.close()
    return REDIS_URL


def _environment(settings: Settings, **more: str) -> dict[str, str]:
    return {
        "PATH": "/usr/bin:/bin",
        "DATABASE_URL": settings.database_url,
        "RIDNI_KEY_FILE": str(settings.key_file),
        "RIDNI_LOG_LEVEL": "warning",
        **more,
    }


@dataclass
class Instance:
    base: str
    process: subprocess.Popen[bytes]

    def http(self) -> httpx.Client:
        return httpx.Client(base_url=self.base, timeout=30)


def _start(environment: dict[str, str]) -> Instance:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(  # noqa: S603 - our own command, fixed arguments
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
        env=environment,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return Instance(f"http://127.0.0.1:{port}", process)


def _wait_until_up(instance: Instance) -> None:
    for _ in range(600):
        if instance.process.poll() is not None:
            pytest.fail(f"ridni serve exited with {instance.process.returncode}")
        try:
            if httpx.get(f"{instance.base}/healthz", timeout=1).is_success:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    pytest.fail("ridni serve did not come up")


@pytest.fixture
def two_instances(
    committed_app: FastAPI, settings: Settings, redis_url: str
) -> Iterator[tuple[Instance, Instance]]:
    """Two `ridni serve` processes on the suite's database, their limits counted in Redis."""
    environment = _environment(
        settings,
        RIDNI_RATE_LIMIT_STORAGE=redis_url,
        RIDNI_RATE_LIMIT_WRITES=f"{WRITES_AN_HOUR}/hour",
        RIDNI_RATE_LIMIT_REPORTS="1000/minute",
    )
    instances = (_start(environment), _start(environment))
    try:
        for instance in instances:
            _wait_until_up(instance)
        yield instances
    finally:
        for instance in instances:
            instance.process.terminate()
        for instance in instances:
            instance.process.wait(30)


def _eventually(check: Callable[[], Any], seconds: float = 120) -> Any:
    """`check()` once it is truthy (matching may run behind the answer to a filing, and a new
    process's first matching loads the engine's tables: 20 s was too short on a loaded machine
    with both halves of ./run-tests running). It returns as soon as the check holds."""
    deadline = time.monotonic() + seconds
    while not (found := check()) and time.monotonic() < deadline:
        time.sleep(0.1)
    return found


class TestTwoInstances:
    def test_a_report_filed_on_one_is_proposed_for_a_sighting_filed_on_the_other(
        self, two_instances: tuple[Instance, Instance], committed_callers: Callers
    ):
        first, second = two_instances
        with first.http() as on_first, second.http() as on_second:
            report = on_first.post(
                "/api/v1/reports", json=payloads.report(), headers=committed_callers.family.headers
            )
            assert report.status_code == 201, report.text
            sighting = on_second.post(
                "/api/v1/sightings",
                json=payloads.sighting(),
                headers=committed_callers.field.headers,
            )
            assert sighting.status_code == 201, sighting.text

            def proposed() -> list[Any]:
                answer = on_first.get(
                    "/api/v1/matches",
                    params={"status": "proposed"},
                    headers=committed_callers.coordinator.headers,
                )
                return answer.json()["items"]

            matches = _eventually(proposed)
        assert [(m["report_id"], m["sighting_id"]) for m in matches] == [
            (report.json()["id"], sighting.json()["id"])
        ]

    def test_the_write_limit_is_counted_across_both(
        self, two_instances: tuple[Instance, Instance], committed_callers: Callers
    ):
        first, second = two_instances
        with first.http() as on_first, second.http() as on_second:
            statuses = [
                client.post(
                    "/api/v1/sightings",
                    json=payloads.sighting(),
                    headers=committed_callers.field.headers,
                ).status_code
                for client in (on_first, on_second, on_first, on_second, on_first)
            ]
            # Each process has seen at most three writes of this caller, both of them together
            # the limit's five: the next is refused on either.
            refused_first = on_first.post(
                "/api/v1/sightings",
                json=payloads.sighting(),
                headers=committed_callers.field.headers,
            )
            refused_second = on_second.post(
                "/api/v1/sightings",
                json=payloads.sighting(),
                headers=committed_callers.field.headers,
            )
            other_caller = on_second.post(
                "/api/v1/sightings",
                json=payloads.sighting(),
                headers=committed_callers.field2.headers,
            )
        assert statuses == [201] * WRITES_AN_HOUR
        assert (refused_first.status_code, refused_second.status_code) == (429, 429)
        assert int(refused_second.headers["retry-after"]) >= 1
        assert other_caller.status_code == 201

    def test_an_amendment_on_one_is_matched_by_the_other(
        self, two_instances: tuple[Instance, Instance], committed_callers: Callers
    ):
        first, second = two_instances
        with first.http() as on_first, second.http() as on_second:
            # The same name, another date of birth: reached, but far from a proposal.
            report = on_first.post(
                "/api/v1/reports",
                json=payloads.report(date_of_birth="2016-09-20", home_settlement="Бердянськ"),
                headers=committed_callers.family.headers,
            ).json()
            sighting = on_second.post(
                "/api/v1/sightings",
                json=payloads.sighting(),
                headers=committed_callers.field.headers,
            ).json()

            def candidate() -> dict[str, Any] | None:
                items = on_second.get(
                    f"/api/v1/sightings/{sighting['id']}/candidates",
                    headers=committed_callers.coordinator.headers,
                ).json()["items"]
                return next((i for i in items if i["report_id"] == report["id"]), None)

            # Once the report is indexed (the worker of its instance), the second process has
            # read it as it was.
            before = _eventually(candidate)
            assert before is not None
            amended = on_first.patch(
                f"/api/v1/reports/{report['id']}",
                json={"child": {"date_of_birth": "2011-03-12", "home_settlement": "Мелітополь"}},
                headers=committed_callers.family.headers,
            )
            assert amended.status_code == 200, amended.text

            def amended_candidate() -> dict[str, Any] | None:
                found = candidate()
                return found if found and found["score"] != before["score"] else None

            after = _eventually(amended_candidate)
            assert after is not None
        verdicts = {
            moment: {f["field"]: f["verdict"] for f in c["explanation"]}
            for moment, c in (("before", before), ("after", after))
        }
        assert verdicts["before"]["date_of_birth"] != verdicts["after"]["date_of_birth"]
        assert before["score"] < 0.5 <= after["score"]


# --- ridni rematch in two processes at once ----------------------------------------------------
SIGHTINGS = 60


def _rematch_process(settings: Settings) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli", "rematch", "--workers", "1", "--batch-size", "3"],
        env=_environment(settings),
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _stale_everything(committed_app: FastAPI, callers: Callers) -> None:
    """Records filed through the API, then as after a change of the engine: no proposals, no
    sighting keys, every signature old."""
    with TestClient(committed_app) as client:
        for i in range(SIGHTINGS // 3):
            client.post(
                "/api/v1/reports",
                json=payloads.report(date_of_birth=f"2011-03-{i + 1:02d}"),
                headers=callers.coordinator.headers,
            )
        for i in range(SIGHTINGS):
            client.post(
                "/api/v1/sightings",
                json=payloads.sighting(date_of_birth=f"2011-03-{i % 20 + 1:02d}"),
                headers=callers.coordinator.headers,
            )
    with committed_app.state.session_factory() as session, session.begin():
        session.execute(delete(MatchEvent))
        session.execute(delete(Match))
        session.execute(delete(SightingKey))
        session.execute(update(Report).values(matched_with="old-engine"))
        session.execute(update(Sighting).values(matched_with="old-engine"))


def _summary_counts(output: str) -> tuple[int, int]:
    words = output.split()
    return int(words[words.index("re-indexed") + 1]), int(words[words.index("re-matched") + 1])


class TestTwoRematches:
    def test_two_processes_finish_one_run_and_write_no_pair_twice(
        self, committed_app: FastAPI, committed_callers: Callers, settings: Settings, engine: Engine
    ):
        _stale_everything(committed_app, committed_callers)
        runs = [_rematch_process(settings), _rematch_process(settings)]
        outputs = [run.communicate(timeout=300) for run in runs]
        assert [run.returncode for run in runs] == [0, 0], outputs
        counts = [_summary_counts(out) for out, _ in outputs]
        # Each record was claimed by one process exactly: together they did each once.
        assert sum(reports for reports, _ in counts) == SIGHTINGS // 3
        assert sum(sightings for _, sightings in counts) == SIGHTINGS
        signature = MatchingSettings.from_settings(settings).signature
        with engine.connect() as connection:
            for model in (Report, Sighting):
                stale = select(func.count()).where(model.matched_with != signature)
                assert connection.scalar(stale) == 0
            proposals = connection.scalar(select(func.count()).select_from(Match))
            events = connection.execute(
                select(MatchEvent.match_id, func.count()).group_by(MatchEvent.match_id)
            ).all()
        assert proposals and proposals >= SIGHTINGS
        assert len(events) == proposals and {n for _, n in events} == {1}

    def test_a_process_skips_the_batch_another_holds_then_finishes_it(
        self, committed_app: FastAPI, committed_callers: Callers, settings: Settings, engine: Engine
    ):
        _stale_everything(committed_app, committed_callers)
        signature = MatchingSettings.from_settings(settings).signature
        with engine.connect() as holder:
            # Another process's batch: its rows locked as `ridni rematch` locks a claim.
            held = holder.scalars(
                select(Sighting.id).order_by(Sighting.id).limit(5).with_for_update(key_share=True)
            ).all()
            run = _rematch_process(settings)

            def only_the_held_are_left() -> bool:
                with engine.connect() as connection:
                    left = connection.scalars(
                        select(Sighting.id).where(Sighting.matched_with != signature)
                    ).all()
                return sorted(left) == sorted(held)

            assert _eventually(only_the_held_are_left, seconds=120)
            time.sleep(1.5)  # more than the process's poll: it is waiting, not finished
            assert run.poll() is None
            holder.rollback()  # the other process died: its claim is released
        out, err = run.communicate(timeout=120)
        assert run.returncode == 0, err
        assert _summary_counts(out) == (SIGHTINGS // 3, SIGHTINGS)
        with engine.connect() as connection:
            left = connection.scalar(select(func.count()).where(Sighting.matched_with != signature))
            assert left == 0
            assert connection.scalar(text("SELECT count(*) FROM matches")) >= SIGHTINGS
