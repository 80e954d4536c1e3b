"""The schema comes only from migrations: up from empty, no drift, and all the way down."""

from sqlalchemy import create_engine, inspect, text

from app.core import migrations
from app.models import Base


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
