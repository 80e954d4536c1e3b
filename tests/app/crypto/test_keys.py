"""Key rotation and status over a real database: every value stays readable, none stays behind."""

import logging
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from app.core.settings import Settings
from app.crypto.keyfile import KeyringError, create_key_file, key_file, write_keys
from app.crypto.keyring import Keyring
from app.crypto.maintenance import census, reseal, rotate, sealed_tables, verify
from app.main import create_app
from tests.app import payloads
from tests.app.payloads import CANARY
from tests.conftest import Callers, file_committed

SEALED_COLUMNS = {
    "reports": [
        "circumstances",
        "reporter_name",
        "reporter_relationship",
        "reporter_phone",
        "reporter_email",
    ],
    "sightings": ["notes", "source_contact", "source_details"],
    # The console's second factor, while enrolling and once enrolled.
    "enrolments": ["totp_secret"],
    "user_credentials": ["totp_secret"],
    # A photo's caption, and its data key (wrapped by the key file like every value here).
    "photos": ["caption", "data_key"],
}
VALUES_PER_PAIR = 5 + 3  # a canary report and a canary sighting
VALUES = 3 * 5 + 2 * 3  # three canary reports, two canary sightings


@pytest.mark.nodb
def test_the_sealed_columns_are_found_in_the_schema():
    """Maintenance finds them in Base.metadata (crypto imports no domain): every one, once the
    caller has imported the models, as the tests have; before that it refuses to do nothing."""
    found = {table.name: {column.name for column in columns} for table, columns in sealed_tables()}
    assert found == {table: set(columns) for table, columns in SEALED_COLUMNS.items()}
    bare = subprocess.run(
        [sys.executable, "-c", "from app.crypto.maintenance import sealed_tables; sealed_tables()"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bare.returncode == 1
    assert "no table with sealed columns is known" in bare.stderr


def stored_prefixes(engine: Engine) -> list[str]:
    prefixes = []
    with engine.connect() as connection:
        for table, columns in SEALED_COLUMNS.items():
            for row in connection.execute(text(f"SELECT {', '.join(columns)} FROM {table}")):  # noqa: S608
                prefixes += [value.split(":", 1)[0] for value in row if value is not None]
    return prefixes


def everything_reads(app: FastAPI, callers: Callers) -> None:
    with TestClient(app) as client:
        reports = client.get("/api/v1/reports", headers=callers.coordinator.headers).json()
        for item in reports["items"]:
            assert item["circumstances"] == CANARY["circumstances"]
            assert item["reporter"]["email"] == CANARY["reporter_email"]
        sightings = client.get("/api/v1/sightings", headers=callers.coordinator.headers).json()
        for item in sightings["items"]:
            single = client.get(
                f"/api/v1/sightings/{item['id']}", headers=callers.coordinator.headers
            ).json()
            assert single["notes"] == CANARY["notes"]
            assert single["source"]["contact"] == CANARY["source_contact"]
        assert (len(reports["items"]), len(sightings["items"])) == (3, 2)


class TestRotate:
    def test_every_value_moves_to_the_new_key_and_stays_readable(self, keyed: FastAPI):
        callers = file_committed(keyed, 3, 2)
        engine, keyring = keyed.state.engine, keyed.state.keyring
        updated = dict(engine.connect().execute(text("SELECT id, updated_at FROM reports")).all())

        rotation = rotate(engine, keyring, batch_size=2)

        assert (rotation.version, rotation.added, rotation.values) == (2, True, VALUES)
        assert rotation.unreadable == []
        assert rotation.left.by_version == {0: 0, 1: 0, 2: VALUES}
        assert stored_prefixes(engine) == ["v2"] * VALUES
        everything_reads(keyed, callers)
        with engine.connect() as connection:
            after = dict(connection.execute(text("SELECT id, updated_at FROM reports")).all())
        assert after == updated  # re-encrypting is not an edit of the record

    def test_a_service_started_before_the_rotation_keeps_reading_and_writing(
        self, keyed: FastAPI, settings: Settings
    ):
        callers = file_committed(keyed, 3, 2)
        running = create_app(settings.model_copy(update={"key_file": keyed.state.keyring.path}))
        rotate(keyed.state.engine, keyed.state.keyring)
        everything_reads(running, callers)
        with TestClient(running) as client:
            client.post(
                "/api/v1/reports",
                json={"child": {"given_name": "Оля"}, "circumstances": "x"},
                headers=callers.family.headers,
            )
        running.state.engine.dispose()
        assert set(stored_prefixes(keyed.state.engine)) == {"v2"}

    def test_an_interrupted_rotation_is_finished_by_the_next_run(self, keyed: FastAPI):
        callers = file_committed(keyed, 3, 2)
        engine, keyring = keyed.state.engine, keyed.state.keyring

        def stop(_rows: int) -> None:
            raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            rotate(engine, keyring, batch_size=1, done=stop)
        prefixes = stored_prefixes(engine)
        assert 0 < prefixes.count("v2") < VALUES  # one batch committed, the rest still v1

        resumed = rotate(engine, keyring, batch_size=1)

        assert (resumed.version, resumed.added) == (2, False)  # no third key for one rotation
        assert keyring.versions == (1, 2)
        assert stored_prefixes(engine) == ["v2"] * VALUES
        everything_reads(keyed, callers)
        again = rotate(engine, keyring)  # a finished rotation: running again rotates again
        assert (again.version, again.added, again.values) == (3, True, VALUES)

    def test_a_value_that_does_not_decrypt_is_reported_and_left_alone(self, keyed: FastAPI):
        file_committed(keyed, 3, 0)
        engine, keyring = keyed.state.engine, keyed.state.keyring
        with engine.begin() as connection:
            ids = connection.execute(text("SELECT id FROM reports ORDER BY id")).scalars().all()
            connection.execute(
                text(
                    "UPDATE reports SET reporter_phone = "
                    "(SELECT reporter_phone FROM reports WHERE id = :a) WHERE id = :b"
                ),
                {"a": ids[0], "b": ids[1]},
            )
        rotation = rotate(engine, keyring)
        assert [(e.table, e.record_id, e.column) for e in rotation.unreadable] == [
            ("reports", ids[1], "reporter_phone")
        ]
        assert rotation.left.by_version[1] == 1
        opened, failed = verify(engine, keyring)
        assert (opened, len(failed)) == (3 * 5 - 1, 1)


class TestKeyFileChangedWhileServing:
    """A running service adopts a changed key file only when the check made at start passes;
    otherwise it keeps the keys it had, and what it writes meanwhile stays readable."""

    def file_meanwhile(self, app: FastAPI, callers: Callers) -> None:
        with TestClient(app) as client:
            filed = [
                client.post(
                    "/api/v1/reports", json=payloads.canary_report(), headers=callers.family.headers
                ),
                client.post(
                    "/api/v1/sightings",
                    json=payloads.canary_sighting(),
                    headers=callers.field.headers,
                ),
            ]
        assert [response.status_code for response in filed] == [201, 201]

    def assert_refused_and_all_reads(
        self, app: FastAPI, callers: Callers, right: bytes, caplog: pytest.LogCaptureFixture
    ) -> None:
        path: Path = app.state.keyring.path
        path.write_bytes(right)  # the right file comes back
        opened, failed = verify(app.state.engine, Keyring(path))  # as `keys status --verify`
        assert (opened, failed) == (2 * VALUES_PER_PAIR, [])
        refusals = [
            r for r in caplog.records if r.name == "ridni.keys" and r.levelno == logging.ERROR
        ]
        assert len(refusals) == 1  # checked once, not at every value
        assert "changed and was not adopted" in refusals[0].getMessage()
        assert set(stored_prefixes(app.state.engine)) == {"v1"}

    def test_another_deployments_file_with_the_same_version_is_not_adopted(
        self, keyed: FastAPI, tmp_path: Path, caplog: pytest.LogCaptureFixture
    ):
        callers = file_committed(keyed, 1, 1)
        path: Path = keyed.state.keyring.path
        right = path.read_bytes()
        other = tmp_path / "other-deployment.keys"
        assert create_key_file(other)
        with caplog.at_level(logging.ERROR, logger="ridni.keys"):
            shutil.copyfile(other, path)  # copied over it, as an operator would
            self.file_meanwhile(keyed, callers)
        assert "other keys under v1" in caplog.text
        for secret in (right, other.read_bytes()):
            assert secret.split()[-1].decode() not in caplog.text
        self.assert_refused_and_all_reads(keyed, callers, right, caplog)

    def test_a_file_without_a_version_still_in_use_is_not_adopted(
        self, keyed: FastAPI, caplog: pytest.LogCaptureFixture
    ):
        """The database's own check: v1 still holds values, and the new file drops it."""
        callers = file_committed(keyed, 1, 1)
        path: Path = keyed.state.keyring.path
        right = path.read_bytes()
        with caplog.at_level(logging.ERROR, logger="ridni.keys"):
            write_keys(path, {2: os.urandom(32)}, replace=True)
            self.file_meanwhile(keyed, callers)
        assert "does not hold (v1" in caplog.text
        self.assert_refused_and_all_reads(keyed, callers, right, caplog)

    def test_a_worker_does_not_start_on_another_key_file(self, keyed: FastAPI, tmp_path: Path):
        pickled = pickle.dumps(keyed.state.keyring)
        other = tmp_path / "other-deployment.keys"
        assert create_key_file(other)
        shutil.copyfile(other, keyed.state.keyring.path)
        with pytest.raises(KeyringError, match="no longer holds the keys its parent holds"):
            pickle.loads(pickled)  # noqa: S301 - our own object


class TestCensusAndReseal:
    def test_census_counts_values_per_version(self, keyed: FastAPI):
        file_committed(keyed, 3, 2)
        engine, keyring = keyed.state.engine, keyed.state.keyring
        assert census(engine, keyring.versions).by_version == {0: 0, 1: VALUES}
        keyring.add_version()
        reseal(engine, keyring, keep=[2], batch_size=100)
        assert census(engine, keyring.versions).by_version == {0: 0, 1: 0, 2: VALUES}
        assert census(engine, [2]).unknown == 0


def test_the_default_key_file_sits_beside_a_sqlite_file(tmp_path: Path):
    settings = Settings(database_url=f"sqlite:///{tmp_path}/ridni.db")
    assert key_file(settings) == tmp_path / "ridni.db.keys"
    relative = Settings(database_url="sqlite:///./ridni.db")
    assert key_file(relative) == Path.cwd() / "ridni.db.keys"  # logged where it really is


def test_postgresql_needs_a_key_file_named():
    settings = Settings(database_url="postgresql+psycopg://ridni@db/ridni")
    with pytest.raises(KeyringError, match="RIDNI_KEY_FILE is not set"):
        key_file(settings)
    named = settings.model_copy(update={"key_file": Path("/run/secrets/ridni.keys")})
    assert key_file(named) == Path("/run/secrets/ridni.keys")


def test_a_keyring_reaches_worker_processes_as_its_path(keyed: FastAPI):
    keyring: Keyring = keyed.state.keyring
    pickled = pickle.dumps(keyring)
    copied = pickle.loads(pickled)  # noqa: S301 - our own object
    assert copied.path == keyring.path and copied.versions == keyring.versions
    assert keyring.path.read_text().split()[-1].encode() not in pickled


def test_a_database_in_memory_has_its_key_in_memory():
    app = create_app(Settings(database_url="sqlite://"))  # builds without touching the database
    app.state.engine.dispose()
    keyring: Keyring = app.state.keyring
    sealed = keyring.seal("Олена", table="reports", record_id="r1", column="reporter_name")
    assert keyring.open(sealed, table="reports", record_id="r1", column="reporter_name") == "Олена"
    assert key_file(Settings(database_url="sqlite:///:memory:")) is None
    with pytest.raises(KeyringError, match="nothing to rotate"):
        keyring.add_version()
    with pytest.raises(TypeError):
        pickle.dumps(keyring)
