"""What a process killed while importing leaves behind: no upload in clear on disk, and an
import that the next start marks failed, saying what it stored; a live import is left alone."""

import os
import socket
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.core.migrations import upgrade
from app.core.models import utcnow
from app.core.processes import this_process
from app.core.security import Role
from app.core.settings import Settings
from app.imports import service
from app.imports.models import Import
from app.main import create_app
from app.sightings.models import Sighting
from app.users.service import create_user
from tests.conftest import Callers, make_callers

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="memfd and /proc are Linux's")

CONTACT = "+380 67 000 11 22 канарка"
NOTE = "примітка-канарка"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _sightings_csv(rows: int) -> bytes:
    letters = "абвгдежзиклмнопрстуфхцчшщэюя"
    surnames = [f"Ко{a}{b}{c}енко" for a in letters for b in letters for c in letters][:rows]
    lines = [f"{name};Ольга;12.03.2011;Евпатория;{CONTACT};{NOTE}" for name in surnames]
    header = "Фамилия;Имя;Дата рождения;Место выявления;Контакт;Примечание\n"
    return (header + "\n".join(lines) + "\n").encode()


@pytest.mark.nodb
def test_a_server_killed_mid_import_leaves_no_plaintext_and_the_next_start_fails_it(
    tmp_path: Path,
):
    database_url = f"sqlite:///{tmp_path / 'crash.db'}"
    upgrade(database_url)
    settings = Settings(database_url=database_url)
    app = create_app(settings)
    with app.state.session_factory() as session, session.begin():
        _user, token = create_user(session, name="Олена Коваль", role=Role.coordinator)
    app.state.engine.dispose()
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    port = _free_port()
    server = subprocess.Popen(  # noqa: S603 - our own command, fixed arguments
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={"DATABASE_URL": database_url, "TMPDIR": str(temporary), "PATH": "/usr/bin:/bin"},
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60  # a bound on a hang, not a measure of speed
        while True:
            assert server.poll() is None and time.monotonic() < deadline, "the server did not start"
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        accepted = httpx.post(
            f"{base}/api/v1/imports",
            headers={"Authorization": f"Bearer {token}"},
            data={"kind": "sightings"},
            files={"file": ("list.csv", _sightings_csv(5000), "text/csv")},
            timeout=60,
        )
        assert accepted.status_code == 202, accepted.text
        app = create_app(settings)
        while _stored(app) < 500:  # the import is under way
            assert server.poll() is None and time.monotonic() < deadline + 120
            time.sleep(0.1)
        server.kill()
        server.wait()
        app.state.engine.dispose()
    finally:
        server.kill()

    for left in temporary.rglob("*"):  # nothing of the upload, in clear, on disk
        assert CONTACT.encode() not in left.read_bytes() and NOTE.encode() not in left.read_bytes()
    assert list(temporary.glob("ridni-import-*")) == []

    restarted = create_app(settings)
    with TestClient(restarted):
        stored = _stored(restarted)
        with restarted.state.session_factory() as session:
            record = session.scalars(select(Import)).one()
    restarted.state.engine.dispose()
    assert record.status == "failed"
    assert record.detail is not None and "process ended" in record.detail
    assert 0 < stored < 5000
    assert record.rows_loaded == stored


def _stored(app: FastAPI) -> int:
    with app.state.session_factory() as session:
        return session.scalar(select(func.count()).select_from(Sighting)) or 0


def test_upload_copies_left_by_earlier_versions_are_removed_on_start(
    app: FastAPI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    left = tmp_path / "ridni-import-k2x9"
    left.write_text(f"Фамилия;Контакт\nОлійник;{CONTACT}\n")
    other = tmp_path / "someone-elses"
    other.write_text("kept")
    with TestClient(app):
        assert not left.exists()
        assert other.exists()


class TestUnfinishedImportsOnStart:
    """On start, an import whose process ended is failed; another live one, here or on another
    instance sharing the database, is not."""

    def _import(self, session: Session, callers: Callers, runner: str, beat: timedelta) -> str:
        record = Import(
            kind="sightings",
            status="running",
            created_by=callers.coordinator.user_id,
            encoding="utf-8",
            delimiter=";",
            runner=runner,
            heartbeat_at=utcnow() - beat,
        )
        session.add(record)
        session.flush()
        return record.id

    def test_only_imports_whose_process_ended_are_failed(self, committed_app: FastAPI):
        host = socket.gethostname()
        with committed_app.state.session_factory() as session:
            callers = make_callers(session)
        with committed_app.state.session_factory() as session, session.begin():
            # A process that ended (its pid may be reused: the start time tells them apart).
            dead_here = self._import(session, callers, f"{host} {os.getpid()} 1", timedelta())
            live_here = self._import(session, callers, this_process(), timedelta(hours=1))
            live_there = self._import(session, callers, "elsewhere 7 123", timedelta(minutes=1))
            silent_there = self._import(session, callers, "elsewhere 8 456", timedelta(hours=1))

        assert service.fail_abandoned(committed_app.state.session_factory) == 2

        with committed_app.state.session_factory() as session:
            status = {
                row.id: row.status for row in session.execute(select(Import.id, Import.status))
            }
        assert status == {
            dead_here: "failed",
            live_here: "running",
            live_there: "running",
            silent_there: "failed",
        }
