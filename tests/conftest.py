"""Fixtures shared by every test: a migrated database, a client, users of every role.

The database is SQLite unless RIDNI_TEST_DATABASE_URL names another (the test command runs the
suite once on SQLite and once on PostgreSQL). Each test runs inside a transaction that is rolled
back; tests of concurrency use `committed_app`, whose writes really commit.
"""

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from app.core.database import make_engine
from app.core.migrations import upgrade
from app.core.security import Role
from app.core.settings import Settings
from app.crypto.keyring import Keyring
from app.crypto.orm import session_info
from app.main import create_app
from app.models import Base
from app.users import credentials
from app.users.service import create_user
from tests.app import payloads
from tests.app.console.browser import chromium_fixture  # noqa: F401 - one Chromium per process
from tests.postgres import ensure_database

POSTGRES_URL_ENV = "RIDNI_TEST_DATABASE_URL"

# No matching worker in the apps and commands tests start: a test that expects proposals after
# a filing drains the queue itself (`tests.app.matching_queue.drain_queue`), so that when they
# appear is decided by the test. tests/app/matches/test_worker.py runs the worker.
os.environ["RIDNI_MATCHING_INTERVAL"] = "0"

# No per-example deadline (the first example also loads the name tables), and under CI the same
# examples every run, so that a red CI always means a change, never a new random draw.
hypothesis_settings.register_profile(
    "ridni", deadline=None, derandomize=os.environ.get("CI") == "true", print_blob=True
)
hypothesis_settings.load_profile("ridni")


# The smallest argon2id parameters argon2-cffi accepts: every enrolment and sign-in goes through
# the same code for about a thousandth of the standard hash's CPU (a quarter of a second each).
# tests/app/users/test_password_hashing.py proves the standard parameters.
CHEAP_PASSWORD_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashes() -> Iterator[None]:
    credentials.hash_passwords_with(CHEAP_PASSWORD_HASHER)
    yield
    credentials.hash_passwords_with(credentials.STANDARD_HASHER)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The suite's database, one per pytest-xdist worker (each has its own temporary folder; on
    PostgreSQL, worker gw0 of ridni_test uses ridni_test_gw0), so that workers never share rows."""
    # From the environment rather than xdist's `worker_id` fixture, which `-p no:xdist` removes.
    worker_id = os.environ.get("PYTEST_XDIST_WORKER", "master")
    url = os.environ.get(POSTGRES_URL_ENV)
    if not url:
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'ridni-test.db'}"
    if worker_id != "master":
        base = make_url(url)
        url = base.set(database=f"{base.database}_{worker_id}").render_as_string(
            hide_password=False
        )
    ensure_database(url)
    _drop_everything(url)
    return url


def _drop_everything(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture
def empty_database(database_url: str, tmp_path) -> Iterator[str]:
    """A database of the same kind as the suite's, with nothing in it."""
    if not database_url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    name = f"ridni_migrations_{uuid.uuid4().hex[:8]}"
    server = create_engine(
        make_url(database_url).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    with server.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(database_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        server.dispose()


@pytest.fixture(scope="session")
def is_postgres(database_url: str) -> bool:
    return database_url.startswith("postgresql")


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = open_test_database(database_url)
    yield engine
    engine.dispose()


def open_test_database(url: str) -> Engine:
    """The migrated database at `url`, through an engine whose connections hold a test's
    transaction (savepoints nest on SQLite too)."""
    upgrade(url)
    engine = make_engine(url)
    if engine.dialect.name == "sqlite":
        _let_sqlite_nest_savepoints(engine)
    return engine


def _let_sqlite_nest_savepoints(engine: Engine) -> None:
    # pysqlite defers BEGIN until the first write, so a rolled-back test could still commit
    # through a released savepoint; SQLAlchemy's documented recipe takes BEGIN over.
    @event.listens_for(engine, "connect")
    def _no_implicit_transactions(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(connection):  # type: ignore[no-untyped-def]
        connection.exec_driver_sql("BEGIN")


# Limits no test reaches, so that no test is throttled by the writes of the ones before it (and
# Schemathesis can send thousands of writes with one token);
# tests/app/core/test_rate_limits.py builds apps with real, small limits.
UNLIMITED = "1000000/minute"


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    # Made on the first start, like a real deployment's (PostgreSQL has no default place).
    key_file = tmp_path_factory.mktemp("keys") / "ridni-test.keys"
    return Settings(
        database_url=database_url,
        key_file=key_file,
        photo_dir=tmp_path_factory.mktemp("photos"),  # PostgreSQL has no default either
        rate_limit_writes=UNLIMITED,
        rate_limit_reports=UNLIMITED,
    )


@pytest.fixture(scope="session")
def app(settings: Settings, engine: Engine) -> FastAPI:
    return create_app(settings)


@pytest.fixture(scope="session")
def keyring(app: FastAPI) -> Keyring:
    keyring: Keyring = app.state.keyring
    return keyring


def _rolled_back_transaction(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as connection:
        transaction = connection.begin()
        yield connection
        transaction.rollback()


# The test's transaction, rolled back after it.
connection = pytest.fixture(name="connection")(_rolled_back_transaction)
# One that lasts a module (or a class), for records its tests share, made once rather than once
# a test: the module (or class) overrides `connection` with `savepoint(module_connection)`, so
# each test sees them as made and keeps none of its writes. A class ends before any test
# outside it runs, so tests that must find the database empty can sit in the same module.
module_connection = pytest.fixture(scope="module", name="module_connection")(
    _rolled_back_transaction
)
class_connection = pytest.fixture(scope="class", name="class_connection")(_rolled_back_transaction)


@contextmanager
def savepoint(connection: Connection) -> Iterator[Connection]:
    """`connection` inside a savepoint that is rolled back after: what was written before is
    seen, what is written inside is not kept."""
    nested = connection.begin_nested()
    try:
        yield connection
    finally:
        nested.rollback()


def session_in(connection: Connection, keyring: Keyring) -> Session:
    """A session inside the transaction of `connection`; its commits are savepoints of it."""
    return Session(
        bind=connection, join_transaction_mode="create_savepoint", info=session_info(keyring)
    )


@pytest.fixture
def session(connection: Connection, keyring: Keyring) -> Iterator[Session]:
    """A session inside the test's transaction, for arranging data and checking what was stored."""
    with session_in(connection, keyring) as session:
        yield session


@contextmanager
def client_in(app: FastAPI, connection: Connection) -> Iterator[TestClient]:
    """A client of `app` whose requests run inside the test's transaction."""
    real_factory = app.state.session_factory
    app.state.session_factory = sessionmaker(
        bind=connection,
        join_transaction_mode="create_savepoint",
        expire_on_commit=False,
        info=session_info(app.state.keyring),
    )
    try:
        with TestClient(app) as client:
            yield client
    finally:
        app.state.session_factory = real_factory


@pytest.fixture
def client(app: FastAPI, connection: Connection) -> Iterator[TestClient]:
    with client_in(app, connection) as client:
        yield client


@dataclass(frozen=True)
class Caller:
    user_id: str
    role: Role
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass(frozen=True)
class Callers:
    family: Caller
    family2: Caller
    field: Caller
    field2: Caller
    coordinator: Caller
    admin: Caller

    def of(self, role: Role) -> Caller:
        caller: Caller = getattr(self, role.value)
        return caller


def make_callers(session: Session) -> Callers:
    made = {}
    for label, role in [
        ("family", Role.family),
        ("family2", Role.family),
        ("field", Role.field),
        ("field2", Role.field),
        ("coordinator", Role.coordinator),
        ("admin", Role.admin),
    ]:
        user, token = create_user(session, name=f"test {label}", role=role)
        made[label] = Caller(user.id, role, token)
    session.commit()
    return Callers(**made)


@pytest.fixture
def callers(session: Session) -> Callers:
    return make_callers(session)


def _in_module_savepoint(module_connection: Connection) -> Iterator[Connection]:
    with savepoint(module_connection):
        yield module_connection


def _module_callers(module_connection: Connection, keyring: Keyring) -> Callers:
    with session_in(module_connection, keyring) as session:
        return make_callers(session)


def shared_by_module() -> tuple[Any, Any]:
    """`connection` and `callers` for a module whose records are made once and shared by its
    tests: `connection, callers = shared_by_module()` at its top. Each test runs in a savepoint
    of the module's transaction, so it finds the records as made and keeps none of its writes;
    the callers are made once in that transaction."""
    return (
        pytest.fixture(name="connection")(_in_module_savepoint),
        pytest.fixture(scope="module", name="callers")(_module_callers),
    )


# Append-only: the database refuses to delete these rows, in tests too. Tests that count them
# count the rows of their own requests or users.
APPEND_ONLY = {"audit_events"}


@pytest.fixture
def committed_app(settings: Settings, engine: Engine) -> Iterator[FastAPI]:
    """An app whose requests really commit; every table but the audit trail is emptied after."""
    app = create_app(settings)
    yield app
    app.state.engine.dispose()
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name not in APPEND_ONLY:
                connection.execute(table.delete())


@pytest.fixture
def committed_callers(committed_app: FastAPI) -> Callers:
    with committed_app.state.session_factory() as session:
        return make_callers(session)


@pytest.fixture
def keyed(settings: Settings, engine: Engine, tmp_path: Path) -> Iterator[FastAPI]:
    """An app with a key file of its own whose requests really commit; every table but the
    audit trail is emptied after."""
    app = create_app(settings.model_copy(update={"key_file": tmp_path / "own.keys"}))
    yield app
    app.state.engine.dispose()
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name not in APPEND_ONLY:
                connection.execute(table.delete())


def file_committed(app: FastAPI, reports: int, sightings: int) -> Callers:
    """Users of every role, and reports and sightings with a canary in every encrypted field."""
    with app.state.session_factory() as session:
        callers = make_callers(session)
    with TestClient(app) as client:
        for _ in range(reports):
            client.post(
                "/api/v1/reports", json=payloads.canary_report(), headers=callers.family.headers
            )
        for _ in range(sightings):
            client.post(
                "/api/v1/sightings", json=payloads.canary_sighting(), headers=callers.field.headers
            )
    return callers


# The files whose tests take longest start first, so that no worker is still in one of them
# when the other has run out (./run-tests hands out the rest with pytest-xdist's worksteal).
SLOWEST_FIRST = [
    "tests/app/test_schemathesis.py",
    "tests/app/console/test_browser.py",
    "tests/app/cli/test_cli.py",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.is_relative_to(REPO / "tests" / "matching"):
            item.add_marker(pytest.mark.nodb)
    starts = {REPO / path: rank for rank, path in enumerate(SLOWEST_FIRST)}
    items.sort(key=lambda item: starts.get(item.path, len(starts)))  # stable: else as collected


# Cases Schemathesis generated per operation, printed before pytest's closing line. Each test
# keeps its counts as user properties named with this prefix, which pytest-xdist's workers send
# back with their reports.
SCHEMATHESIS_CASES = "schemathesis cases: "


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    cases = {
        name.removeprefix(SCHEMATHESIS_CASES): count
        for reports in terminalreporter.stats.values()
        for report in reports
        if getattr(report, "when", None) == "teardown"
        for name, count in report.user_properties
        if name.startswith(SCHEMATHESIS_CASES)
    }
    if cases:
        terminalreporter.write_sep("-", "schemathesis: cases per operation")
        for label, count in sorted(cases.items()):
            terminalreporter.write_line(f"{count:6d}  {label}")


def pytest_report_header(config: pytest.Config) -> str:
    url = os.environ.get(POSTGRES_URL_ENV)
    return f"database: {'PostgreSQL ' + url if url else 'SQLite (temporary file)'}"


REPO = Path(__file__).resolve().parents[1]
