"""The schema comes only from migrations: up from empty, no drift, and all the way down."""

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, insert, inspect, text
from sqlalchemy.engine import make_url

from app.core import migrations
from app.core.models import new_id, utcnow
from app.core.security import Role
from app.core.settings import Settings
from app.main import create_app
from app.models import Base, Report, Sighting, User
from app.users.service import create_user
from tests.app.payloads import CANARY


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_check_downgrade_upgrade(empty_database: str):
    migrations.upgrade(empty_database)
    assert _tables(empty_database) == set(Base.metadata.tables)
    migrations.check(empty_database)  # raises when models and migrations disagree
    migrations.downgrade(empty_database)
    assert _tables(empty_database) == set()
    migrations.upgrade(empty_database)
    assert _tables(empty_database) == set(Base.metadata.tables)


def _guards(url: str) -> set[str]:
    """The triggers (and on PostgreSQL, trigger functions) in the database."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                query = (
                    "SELECT 'trigger ' || tgname FROM pg_trigger WHERE NOT tgisinternal "
                    "UNION ALL SELECT 'function ' || proname FROM pg_proc "
                    "WHERE prorettype = 'trigger'::regtype "
                    "AND pronamespace = 'public'::regnamespace"
                )
            else:
                query = "SELECT 'trigger ' || name FROM sqlite_master WHERE type = 'trigger'"
            return set(connection.scalars(text(query)))
    finally:
        engine.dispose()


def test_the_audit_guard_comes_and_goes_with_its_migration(empty_database: str):
    migrations.upgrade(empty_database)
    guards = _guards(empty_database)
    if empty_database.startswith("postgresql"):
        assert guards == {"trigger audit_events_append_only", "function audit_events_append_only"}
    else:
        assert guards == {"trigger audit_events_no_update", "trigger audit_events_no_delete"}
    migrations.downgrade(empty_database, "0003")
    assert _guards(empty_database) == set()
    migrations.upgrade(empty_database)
    assert _guards(empty_database) == guards


def test_values_stored_before_encryption_are_sealed_when_the_service_starts(
    empty_database: str, tmp_path: Path
):
    migrations.upgrade(empty_database, "0004")
    engine = create_engine(empty_database)
    with engine.begin() as connection:
        owner = connection.execute(
            insert(User.__table__).values(
                id=new_id(),
                name="Ганна",
                role="family",
                token_hash="0" * 64,
                token_issued_at=utcnow(),
            )
        ).inserted_primary_key[0]
        connection.execute(
            insert(Report.__table__).values(
                owner_id=owner,
                given_name="Микола",
                other_names=[],
                circumstances=CANARY["circumstances"],
                reporter_name=CANARY["reporter_name"],
                reporter_phone=CANARY["reporter_phone"],
            )
        )
        connection.execute(
            insert(Sighting.__table__).values(
                owner_id=owner,
                full_name="ОЛЕЙНИК Николай",
                other_names=[],
                source_type="document",
                notes=CANARY["notes"],
                source_contact=CANARY["source_contact"],
            )
        )
    # 0005 marks them as not sealed yet, and gives them back unchanged on the way down.
    migrations.upgrade(empty_database)
    assert set(_sealed_values(engine)) == {"v0:" + CANARY[c] for c in STORED}
    migrations.downgrade(empty_database, "0004")
    assert set(_sealed_values(engine)) == {CANARY[c] for c in STORED}
    migrations.upgrade(empty_database)

    app = create_app(Settings(database_url=empty_database, key_file=tmp_path / "ridni.keys"))

    assert {value[:3] for value in _sealed_values(engine)} == {"v1:"}
    with app.state.session_factory() as session, session.begin():
        _, token = create_user(session, name="coordinator", role=Role.coordinator)
    with TestClient(app) as client:
        report = client.get("/api/v1/reports", headers={"Authorization": f"Bearer {token}"})
    assert report.json()["items"][0]["reporter"]["phone"] == CANARY["reporter_phone"]
    app.state.engine.dispose()
    engine.dispose()
    url = make_url(empty_database)
    if url.get_backend_name() == "sqlite":  # the plaintext left no trace in free pages either
        database = Path(str(url.database))
        raw = b"".join(
            f.read_bytes()
            for f in (database, database.with_name(database.name + "-wal"))
            if f.exists()
        )
        assert "Микола".encode() in raw
        assert not [c for c in STORED if CANARY[c].encode() in raw]


STORED = ["circumstances", "reporter_name", "reporter_phone", "notes", "source_contact"]


def _sealed_values(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        report = connection.execute(
            text("SELECT circumstances, reporter_name, reporter_phone FROM reports")
        ).one()
        sighting = connection.execute(text("SELECT notes, source_contact FROM sightings")).one()
    return [*report, *sighting]
