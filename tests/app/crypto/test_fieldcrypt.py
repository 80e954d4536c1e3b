"""Field-level encryption at rest: what the database holds, what callers see, what breaks loudly.

Canary values are filed through the API into every encrypted field; a raw dump of every table
(plain SQL, and on SQLite the database file's bytes) must hold none of them, while the API still
answers them, in plaintext, to those who may see them.
"""

import base64
import logging
import os
import secrets
import stat
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app.core.problems import Unreadable
from app.core.settings import Settings
from app.crypto.keyfile import KeyringError, create_key_file
from app.crypto.keyring import Keyring
from app.main import create_app
from app.models import Base
from app.reports.models import Report
from tests.app import payloads
from tests.app.payloads import CANARY, SEALED, canary_report, canary_sighting
from tests.conftest import Callers, file_committed


def dump(connection: Connection) -> str:
    """Every row of every table, through plain SQL, as one text."""
    rows = []
    for table in Base.metadata.sorted_tables:
        rows += [repr(tuple(row)) for row in connection.execute(text(f"SELECT * FROM {table}"))]  # noqa: S608
    return "\n".join(rows)


def file_canaries(
    client: TestClient, callers: Callers, canaries: dict[str, str] = CANARY
) -> tuple[str, str]:
    report, sighting = canary_report(), canary_sighting()
    report["circumstances"] = canaries["circumstances"]
    report["reporter"] = {
        "name": canaries["reporter_name"],
        "relationship": canaries["reporter_relationship"],
        "phone": canaries["reporter_phone"],
        "email": canaries["reporter_email"],
    }
    sighting["notes"] = canaries["notes"]
    sighting["source"] = {
        "contact": canaries["source_contact"],
        "details": canaries["source_details"],
    }
    filed = client.post("/api/v1/reports", json=report, headers=callers.family.headers)
    seen = client.post("/api/v1/sightings", json=sighting, headers=callers.field.headers)
    assert filed.status_code == seen.status_code == 201
    return filed.json()["id"], seen.json()["id"]


def fresh_canaries() -> dict[str, str]:
    """Canaries no other test has used: the file's free pages and write-ahead log keep what
    other tests wrote in plain columns (a match's note, a rolled-back row) for a while."""
    suffix = secrets.token_hex(6)
    return {field: f"{CANARY[field]} {suffix}" for field in SEALED}


class TestAtRest:
    def test_a_dump_of_every_table_holds_no_canary(
        self, client: TestClient, callers: Callers, connection: Connection
    ):
        canaries = fresh_canaries()
        file_canaries(client, callers, canaries)
        everything = dump(connection)
        assert CANARY["home_settlement"] in everything  # the dump is real: the child stays plain
        for canary in canaries.values():
            assert canary not in everything
        stored = connection.execute(text("SELECT reporter_phone, circumstances FROM reports")).one()
        assert all(value.startswith("v1:") for value in stored)

    def test_the_sqlite_file_holds_no_canary(
        self, committed_app: FastAPI, committed_callers: Callers, settings: Settings
    ):
        url = make_url(settings.database_url)
        if url.get_backend_name() != "sqlite":
            pytest.skip("the file's bytes are SQLite's; the PostgreSQL half checks the rows")
        canaries = fresh_canaries()
        with TestClient(committed_app) as client:
            file_canaries(client, committed_callers, canaries)
        committed_app.state.engine.dispose()  # everything written out and checkpointed
        database = Path(str(url.database))
        files = [database, *(database.with_name(database.name + s) for s in ("-wal", "-shm"))]
        raw = b"".join(f.read_bytes() for f in files if f.exists())
        assert CANARY["home_settlement"].encode() in raw
        for canary in canaries.values():
            assert canary.encode() not in raw

    def test_the_same_value_twice_is_stored_twice_differently(
        self, client: TestClient, callers: Callers, connection: Connection
    ):
        for _ in range(2):
            client.post("/api/v1/reports", json=canary_report(), headers=callers.family.headers)
        phones = connection.execute(text("SELECT reporter_phone FROM reports")).scalars().all()
        assert len(set(phones)) == 2  # a fresh nonce per value: equal plaintexts do not show


class TestWhoSeesThePlaintext:
    def test_coordinators_and_admins_read_every_field(self, client: TestClient, callers: Callers):
        report_id, sighting_id = file_canaries(client, callers)
        for reader in (callers.coordinator, callers.admin):
            report = client.get(f"/api/v1/reports/{report_id}", headers=reader.headers).json()
            assert report["circumstances"] == CANARY["circumstances"]
            assert report["reporter"] == {
                "name": CANARY["reporter_name"],
                "relationship": CANARY["reporter_relationship"],
                "phone": CANARY["reporter_phone"],
                "email": CANARY["reporter_email"],
            }
            sighting = client.get(f"/api/v1/sightings/{sighting_id}", headers=reader.headers)
            assert sighting.json()["notes"] == CANARY["notes"]
            assert sighting.json()["source"] == {
                "contact": CANARY["source_contact"],
                "details": CANARY["source_details"],
            }

    def test_the_source_stays_out_of_lists_and_away_from_field_contacts(
        self, client: TestClient, callers: Callers
    ):
        _, sighting_id = file_canaries(client, callers)
        own = client.get(f"/api/v1/sightings/{sighting_id}", headers=callers.field.headers)
        assert own.json()["notes"] == CANARY["notes"]
        assert own.json()["source"] == {"stored": True}
        listed = client.get("/api/v1/sightings", headers=callers.coordinator.headers)
        assert [item["source"] for item in listed.json()["items"]] == [None]

    def test_an_amended_report_is_sealed_again(
        self, client: TestClient, callers: Callers, connection: Connection
    ):
        report_id, _ = file_canaries(client, callers)
        before = connection.execute(text("SELECT reporter_phone FROM reports")).scalar_one()
        changed = client.patch(
            f"/api/v1/reports/{report_id}",
            json={"reporter": {"phone": "+380 44 canary-new-6H1"}, "child": {"sex": "male"}},
            headers=callers.family.headers,
        )
        assert changed.json()["reporter"]["phone"] == "+380 44 canary-new-6H1"
        after = connection.execute(text("SELECT reporter_phone, circumstances FROM reports")).one()
        assert after.reporter_phone != before and after.reporter_phone.startswith("v1:")
        assert "canary-new" not in dump(connection)
        again = client.get(f"/api/v1/reports/{report_id}", headers=callers.family.headers).json()
        assert again["circumstances"] == CANARY["circumstances"]  # untouched, still readable


class TestMovedCiphertext:
    def test_a_value_copied_to_another_record_is_a_clear_error(
        self,
        client: TestClient,
        callers: Callers,
        connection: Connection,
        caplog: pytest.LogCaptureFixture,
    ):
        source_id, _ = file_canaries(client, callers)
        target = client.post(
            "/api/v1/reports", json=payloads.report(), headers=callers.family.headers
        ).json()["id"]
        connection.execute(
            text(
                "UPDATE reports SET reporter_phone = "
                "(SELECT reporter_phone FROM reports WHERE id = :source) WHERE id = :target"
            ),
            {"source": source_id, "target": target},
        )
        with caplog.at_level(logging.ERROR, logger="ridni.keys"):
            answer = client.get(f"/api/v1/reports/{target}", headers=callers.coordinator.headers)
        assert answer.status_code == 500
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["title"] == "Record unreadable"
        assert target in answer.json()["detail"]
        stolen = connection.execute(
            text("SELECT reporter_phone FROM reports WHERE id = :id"), {"id": source_id}
        ).scalar_one()
        for leak in (CANARY["reporter_phone"], stolen, stolen[3:20]):
            assert leak not in answer.text
            assert leak not in caplog.text
        assert f"reports.reporter_phone of record {target}" in caplog.text
        # The service goes on: the list fails on the broken record, the intact one still reads.
        listed = client.get("/api/v1/reports", headers=callers.coordinator.headers)
        assert listed.status_code == 500
        intact = client.get(f"/api/v1/reports/{source_id}", headers=callers.coordinator.headers)
        assert intact.json()["reporter"]["phone"] == CANARY["reporter_phone"]

    def test_a_value_moved_to_another_column_does_not_decrypt(
        self, client: TestClient, callers: Callers, connection: Connection
    ):
        _, sighting_id = file_canaries(client, callers)
        connection.execute(text("UPDATE sightings SET notes = source_details"))
        answer = client.get(f"/api/v1/sightings/{sighting_id}", headers=callers.field.headers)
        assert answer.status_code == 500
        assert CANARY["source_details"] not in answer.text

    def test_an_altered_value_does_not_decrypt(self, keyring: Keyring):
        sealed = keyring.seal("Олена", table="reports", record_id="r1", column="reporter_name")
        raw = bytearray(base64.urlsafe_b64decode(sealed[3:] + "=="))
        raw[-1] ^= 1
        altered = "v1:" + base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")
        with pytest.raises(Unreadable) as caught:
            keyring.open(altered, table="reports", record_id="r1", column="reporter_name")
        assert "does not decrypt under key v1" in caught.value.reason


class TestKeyring:
    def test_associated_data_binds_table_record_and_column(self, keyring: Keyring):
        where = {"table": "reports", "record_id": "r1", "column": "reporter_phone"}
        sealed = keyring.seal("+380501234567", **where)
        assert sealed.startswith(f"v{keyring.current}:")
        assert keyring.open(sealed, **where) == "+380501234567"
        for other in ({"table": "sightings"}, {"record_id": "r2"}, {"column": "reporter_email"}):
            with pytest.raises(Unreadable) as caught:
                keyring.open(sealed, **{**where, **other})
            assert "does not decrypt" in caught.value.reason

    def test_a_version_the_file_lacks_is_named(self, keyring: Keyring):
        with pytest.raises(Unreadable) as caught:
            keyring.open("v9:" + "A" * 40, table="reports", record_id="r1", column="notes")
        assert "no key v9" in caught.value.reason

    def test_a_value_not_yet_sealed_is_never_served(self, keyring: Keyring):
        with pytest.raises(Unreadable) as caught:
            keyring.open("v0:written before encryption", table="t", record_id="r", column="c")
        assert "never sealed" in caught.value.reason

    def test_the_key_file_is_created_owner_only(self, tmp_path: Path):
        path = tmp_path / "new-folder" / "ridni.keys"
        assert create_key_file(path)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        assert Keyring(path).versions == (1,)
        assert not create_key_file(path)  # a second first start keeps the first key
        assert Keyring(path).versions == (1,)

    @pytest.mark.parametrize("mode", [0o640, 0o604, 0o644])
    def test_a_key_file_others_may_read_is_refused(self, tmp_path: Path, mode: int):
        path = tmp_path / "ridni.keys"
        create_key_file(path)
        path.chmod(mode)
        with pytest.raises(KeyringError, match="chmod 600"):
            Keyring(path)

    @pytest.mark.parametrize(
        ("content", "complaint"),
        [
            ("", "holds no key"),
            ("1 not-base64-at-all!\n", "line 1"),
            ("# comment\n1 " + "A" * 10 + "\n", "line 2"),
            (f"0 {'A' * 43}\n", "versions start at 1"),
            (f"1 {'A' * 43}\n1 {'B' * 43}\n", "version 1 appears twice"),
        ],
    )
    def test_a_malformed_key_file_is_refused_without_quoting_it(
        self, tmp_path: Path, content: str, complaint: str
    ):
        path = tmp_path / "ridni.keys"
        path.write_text(content)
        path.chmod(0o600)
        with pytest.raises(KeyringError, match=complaint) as caught:
            Keyring(path)
        assert "AAAAAAAAAA" not in str(caught.value) and "not-base64" not in str(caught.value)

    def test_a_new_version_seals_and_the_old_one_still_opens(self, tmp_path: Path):
        path = tmp_path / "ridni.keys"
        create_key_file(path)
        keyring = Keyring(path)
        old = keyring.seal("Київ", table="t", record_id="r", column="c")
        running = Keyring(path)  # another process, started before the rotation
        assert keyring.add_version() == 2
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        new = keyring.seal("Київ", table="t", record_id="r", column="c")
        assert new.startswith("v2:")
        # The other process re-reads the changed file: it opens v2 and seals under it at once.
        assert running.open(new, table="t", record_id="r", column="c") == "Київ"
        assert running.open(old, table="t", record_id="r", column="c") == "Київ"
        assert running.seal("x", table="t", record_id="r", column="c").startswith("v2:")

    def test_no_key_material_is_logged_when_the_file_is_made(
        self, settings: Settings, engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
    ):
        path = tmp_path / "first-start.keys"
        with caplog.at_level(logging.WARNING, logger="ridni.keys"):
            app = create_app(settings.model_copy(update={"key_file": path}))
        app.state.engine.dispose()
        assert f"created a new encryption key file at {path}" in caplog.text
        key = path.read_text().split()[-1]
        assert key not in caplog.text


class TestTheOrm:
    def test_what_is_read_again_is_plaintext_and_only_a_change_is_sealed_again(
        self, session: Session, callers: Callers
    ):
        report = Report(
            owner_id=callers.family.user_id,
            given_name="Іван",
            circumstances="у таборі",
            reporter_phone="+380 1",
        )
        session.add(report)
        session.commit()  # expires the object: the next read reloads it
        assert (report.reporter_phone, report.circumstances) == ("+380 1", "у таборі")
        session.refresh(report, ["reporter_phone"])
        assert report.reporter_phone == "+380 1"
        select_both = text("SELECT reporter_phone, circumstances FROM reports WHERE id = :id")
        before = session.execute(select_both, {"id": report.id}).one()

        report.reporter_phone = "+380 2"
        report.circumstances = "у таборі"  # the same value: not a change
        session.flush()

        after = session.execute(select_both, {"id": report.id}).one()
        assert after.reporter_phone != before.reporter_phone
        assert after.circumstances == before.circumstances
        session.expunge_all()
        again = session.get(Report, report.id)
        assert again is not None and again.reporter_phone == "+380 2"

    def test_a_session_without_a_keyring_refuses_to_store_sealed_columns(
        self, connection: Connection
    ):
        with Session(bind=connection, join_transaction_mode="create_savepoint") as session:
            session.add(Report(owner_id="x", given_name="Іван", reporter_phone="+380"))
            with pytest.raises(RuntimeError, match="no keyring"):
                session.flush()

    def test_a_session_without_a_keyring_refuses_to_load_them(
        self, session: Session, connection: Connection, callers: Callers
    ):
        session.add(Report(owner_id=callers.family.user_id, given_name="Іван", reporter_name="Ol"))
        session.flush()
        bare = Session(bind=connection, join_transaction_mode="create_savepoint")
        with bare, pytest.raises(RuntimeError, match="no keyring"):
            bare.scalars(select(Report)).all()


class TestStartingRefuses:
    def test_values_under_a_version_the_key_file_lacks(
        self, keyed: FastAPI, settings: Settings, tmp_path: Path
    ):
        file_committed(keyed, 1, 1)
        other = tmp_path / "other.keys"
        create_key_file(other)
        Keyring(other).add_version()
        lines = other.read_text().splitlines()
        other.write_text("\n".join(line for line in lines if not line.startswith("1 ")))
        with pytest.raises(KeyringError, match=r"under key versions that .* does not hold \(v1"):
            create_app(settings.model_copy(update={"key_file": other}))

    def test_a_missing_key_file_when_values_are_encrypted(
        self, keyed: FastAPI, settings: Settings, tmp_path: Path
    ):
        file_committed(keyed, 1, 0)
        missing = tmp_path / "missing.keys"
        with pytest.raises(KeyringError, match="no key file"):
            create_app(settings.model_copy(update={"key_file": missing}))
        assert not missing.exists()  # never a fresh key for a database that has values

    def test_the_key_file_of_another_database(
        self, keyed: FastAPI, settings: Settings, tmp_path: Path
    ):
        file_committed(keyed, 2, 1)
        stranger = tmp_path / "stranger.keys"
        create_key_file(stranger)
        with pytest.raises(KeyringError, match="does not decrypt the values stored under v1"):
            create_app(settings.model_copy(update={"key_file": stranger}))

    def test_a_key_file_others_may_read(self, keyed: FastAPI, settings: Settings):
        path = keyed.state.keyring.path
        os.chmod(path, 0o644)
        with pytest.raises(KeyringError, match="may be read by others"):
            create_app(settings.model_copy(update={"key_file": path}))


def test_a_key_file_that_cannot_be_written_is_a_clear_error(tmp_path: Path):
    not_a_folder = tmp_path / "a-file"
    not_a_folder.write_text("")
    with pytest.raises(KeyringError, match=r"cannot write the key file .*: File exists"):
        create_key_file(not_a_folder / "ridni.keys")
