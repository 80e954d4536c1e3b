"""Photo keys under rotation and verification, and `ridni photos check` finding and removing
orphans: with real commits, as in a deployment."""

import os
import time
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from app.core.migrations import upgrade
from app.core.settings import Settings
from app.crypto.keyring import stored_version
from app.crypto.maintenance import rotate, verify
from app.main import create_app
from app.photos.models import Photo
from app.photos.store import photo_dir
from tests.app.cli.test_cli import Ridni
from tests.app.photos import samples
from tests.app.photos.test_photos import file_report, upload
from tests.conftest import make_callers


def _migrated_app(database_url: str) -> FastAPI:
    upgrade(database_url)
    return create_app(Settings(database_url=database_url))


def _two_photos(app: FastAPI) -> tuple[list[str], dict[str, str]]:
    with app.state.session_factory() as session:
        callers = make_callers(session)
    with TestClient(app) as client:
        report_id = file_report(client, callers.family)
        ids = [
            upload(
                client, callers.family, f"/api/v1/reports/{report_id}/photos", samples.heic()
            ).json()["id"]
            for _ in range(2)
        ]
    return ids, callers.family.headers


def _wrapped(session: Session, photo_id: str) -> str:
    stored: str = session.execute(
        text("SELECT data_key FROM photos WHERE id = :id"), {"id": photo_id}
    ).scalar_one()
    return stored


def test_rotation_rewraps_photo_keys_and_verify_checks_them(keyed: FastAPI):
    ids, headers = _two_photos(keyed)
    with TestClient(keyed) as client:
        before = client.get(f"/api/v1/photos/{ids[0]}", headers=headers).content
    engine, keyring = keyed.state.engine, keyed.state.keyring
    with Session(engine) as session:
        old = _wrapped(session, ids[0])
    assert stored_version(old) == 1
    rotation = rotate(engine, keyring)
    assert rotation.version == 2 and not rotation.unreadable
    with Session(engine) as session:
        new = _wrapped(session, ids[0])
    assert stored_version(new) == 2 and new != old
    with TestClient(keyed) as client:
        assert client.get(f"/api/v1/photos/{ids[0]}", headers=headers).content == before
    opened, failed = verify(engine, keyring)
    assert not failed and opened >= 2
    # A key moved to another photo no longer opens: verify names that photo and its column.
    with Session(engine) as session, session.begin():
        session.execute(
            update(Photo)
            .where(Photo.id == ids[0])
            .values(data_key=_wrapped(session, ids[1]))
            .execution_options(synchronize_session=False)
        )
    _, failed = verify(engine, keyring)
    assert [(e.table, e.record_id, e.column) for e in failed] == [("photos", ids[0], "data_key")]


def test_photos_check_finds_and_removes_orphans_both_ways(ridni: Ridni, cli_database: str):
    app = _migrated_app(cli_database)
    ids, headers = _two_photos(app)
    directory = photo_dir(Settings(database_url=cli_database))
    assert directory is not None
    with app.state.session_factory() as session:
        lost = session.scalars(select(Photo).where(Photo.id == ids[0])).one()
    (directory / lost.image_file).unlink()
    crashed = directory / ".tmp-left-by-a-crash"
    crashed.write_bytes(os.urandom(64))
    stray = directory / "no-row-names-this"
    stray.write_bytes(os.urandom(64))
    long_ago = time.time() - 3600
    for path in (crashed, stray):
        os.utime(path, (long_ago, long_ago))
    fresh = directory / ".tmp-upload-in-flight"
    fresh.write_bytes(os.urandom(64))
    app.state.engine.dispose()

    listed = ridni("photos", "check", database_url=cli_database)
    assert listed.returncode == 1, listed.stderr
    assert f"photo without its files: {ids[0]}" in listed.stdout
    assert "file without a photo: .tmp-left-by-a-crash" in listed.stdout
    assert "file without a photo: no-row-names-this" in listed.stdout
    assert "in-flight" not in listed.stdout
    assert stray.exists()

    fixed = ridni("photos", "check", "--fix", database_url=cli_database)
    assert fixed.returncode == 0, fixed.stderr
    assert "removed 2 orphan files and 1 orphan photo" in fixed.stdout
    assert not stray.exists() and not crashed.exists() and fresh.exists()
    assert not (directory / lost.thumbnail_file).exists()
    again = ridni("photos", "check", database_url=cli_database)
    assert again.returncode == 0 and "no orphans" in again.stdout

    app = _migrated_app(cli_database)
    with TestClient(app) as client:
        assert client.get(f"/api/v1/photos/{ids[1]}", headers=headers).status_code == 200
        assert client.get(f"/api/v1/photos/{ids[0]}", headers=headers).status_code == 404
    app.state.engine.dispose()


def test_photos_check_refuses_to_fix_an_empty_store(
    ridni: Ridni, cli_database: str, tmp_path: Path
):
    app = _migrated_app(cli_database)
    _two_photos(app)
    app.state.engine.dispose()
    directory = photo_dir(Settings(database_url=cli_database))
    assert directory is not None
    for path in directory.iterdir():
        path.unlink()  # as if the volume were not mounted
    refused = ridni("photos", "check", "--fix", database_url=cli_database)
    assert refused.returncode == 1
    assert "is the photo store mounted" in refused.stderr
    listed = ridni("photos", "check", database_url=cli_database)
    assert listed.stdout.count("photo without its files") == 2


def test_keys_rotate_and_status_verify_through_the_command(ridni: Ridni, cli_database: str):
    app = _migrated_app(cli_database)
    ids, headers = _two_photos(app)
    app.state.engine.dispose()
    rotated = ridni("keys", "rotate", database_url=cli_database)
    assert rotated.returncode == 0, rotated.stderr
    status = ridni("keys", "status", "--verify", database_url=cli_database)
    assert status.returncode == 0, status.stdout
    app = _migrated_app(cli_database)
    with TestClient(app) as client:
        assert client.get(f"/api/v1/photos/{ids[1]}", headers=headers).status_code == 200
    with Session(app.state.engine) as session:
        assert stored_version(_wrapped(session, ids[1])) == 2
    app.state.engine.dispose()
