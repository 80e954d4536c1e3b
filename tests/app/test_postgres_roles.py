"""deploy/postgres-roles.sql, as an operator runs it: the service's role may do all the service
does, may add and read audit rows, and may not change or remove them, nor lift the guard."""

import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.audit.models import Action, AuditEvent
from app.core import migrations
from app.core.security import Role
from app.core.settings import Settings
from app.main import create_app
from app.users.service import create_user
from tests.app import payloads
from tests.app.matching_queue import drain_queue
from tests.conftest import REPO

SCRIPT = REPO / "deploy" / "postgres-roles.sql"


def _psql(url: URL, *args: str) -> None:
    libpq = url.set(drivername="postgresql").render_as_string(hide_password=False)
    subprocess.run(  # noqa: S603 - fixed arguments, a URL the test made
        ["psql", libpq, "-X", "-q", "-v", "ON_ERROR_STOP=1", *args],  # noqa: S607
        check=True,
        capture_output=True,
        text=True,
    )


@pytest.fixture
def role(is_postgres: bool, database_url: str) -> Iterator[str]:
    """A throwaway role name (roles are shared by the whole server); dropped at the end, after
    the database holding its privileges (set up first, so torn down last)."""
    if not is_postgres:
        pytest.skip("PostgreSQL roles")
    name = f"ridni_app_test_{uuid.uuid4().hex[:8]}"
    yield name
    server = create_engine(
        make_url(database_url).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    with server.connect() as connection:
        connection.execute(text(f'DROP ROLE IF EXISTS "{name}"'))
    server.dispose()


@pytest.fixture
def app_url(role: str, empty_database: str) -> URL:
    """A migrated throwaway database, and the URL of `role` as the script set it up."""
    owner = make_url(empty_database)
    migrations.upgrade(empty_database)
    password = uuid.uuid4().hex
    for _ in range(2):  # idempotent: operators run it again after upgrades
        _psql(owner, "-v", f"app_role={role}", "-f", str(SCRIPT))
    _psql(owner, "-c", f"ALTER ROLE {role} PASSWORD '{password}'")
    return owner.set(username=role, password=password)


def test_the_service_runs_as_its_role(app_url: URL, tmp_path: Path):
    """Migrations have nothing to do (so `ridni serve` starts), and the API works end to end,
    refusals and their audit rows included."""
    url = app_url.render_as_string(hide_password=False)
    migrations.upgrade(url)
    app = create_app(Settings(database_url=url, key_file=tmp_path / "ridni.keys"))
    with app.state.session_factory() as session, session.begin():
        _, family_token = create_user(session, name="family", role=Role.family)
        _, other_token = create_user(session, name="other family", role=Role.family)
        _, field_token = create_user(session, name="field", role=Role.field)
        _, coordinator_token = create_user(session, name="coordinator", role=Role.coordinator)

    def auth(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    with TestClient(app) as client:
        report = client.post("/api/v1/reports", json=payloads.report(), headers=auth(family_token))
        assert report.status_code == 201, report.text
        path = f"/api/v1/reports/{report.json()['id']}"
        assert client.get(path, headers=auth(other_token)).status_code == 404
        sighting = client.post(
            "/api/v1/sightings", json=payloads.sighting(), headers=auth(field_token)
        )
        assert sighting.status_code == 201, sighting.text
        drain_queue(app)  # the matching worker's claims and deletes, as the service's role
        [match] = client.get("/api/v1/matches", headers=auth(coordinator_token)).json()["items"]
        decided = client.post(
            f"/api/v1/matches/{match['id']}/decision",
            json={"decision": "confirm", "version": match["version"]},
            headers=auth(coordinator_token),
        )
        assert decided.status_code == 200, decided.text
        assert client.get(path, headers=auth(family_token)).json()["status"] == "located"
        assert client.get("/api/v1/audit", headers=auth(coordinator_token)).status_code == 200
    with app.state.session_factory() as session:
        outcomes = set(session.scalars(select(AuditEvent.outcome)))
    app.state.engine.dispose()
    assert outcomes == {"allowed", "hidden"}


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET outcome = 'allowed'",
        "DELETE FROM audit_events",
        "TRUNCATE audit_events",
        "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only",
        "DROP TRIGGER audit_events_append_only ON audit_events",
        "DROP TABLE audit_events",
        "UPDATE alembic_version SET version_num = '0001'",
        "CREATE TABLE scratch (id int)",
    ],
)
def test_the_role_may_not_change_the_trail_nor_lift_its_guard(app_url: URL, statement: str):
    engine = create_engine(app_url)
    try:
        with Session(engine) as session:
            audit.record(session, None, Action.report_read, [str(uuid.uuid4())])
            session.commit()  # INSERT is allowed
            before = session.scalar(select(func.count()).select_from(AuditEvent))  # so is SELECT
            assert before == 1
            with pytest.raises(ProgrammingError, match=r"permission denied|must be owner"):
                session.execute(text(statement))
            session.rollback()
            assert session.scalar(select(func.count()).select_from(AuditEvent)) == before
    finally:
        engine.dispose()
