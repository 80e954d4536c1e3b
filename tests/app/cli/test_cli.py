"""The `ridni` command, run as a user would, against a real database file: in this process
(`main`) unless the point is the process itself."""

import json
import os
import re
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, delete, func, select, text, update
from sqlalchemy.orm import Session

from app.cli import main
from app.core.migrations import upgrade
from app.core.security import Role
from app.core.settings import Settings, get_settings
from app.imports.models import Import, ImportedRecord
from app.main import create_app
from app.matches.models import Match, MatchEvent
from app.reports.models import Report
from app.sightings.models import Sighting
from app.users.models import User
from app.users.service import create_user, hash_token
from tests.app import payloads
from tests.app.matching_queue import drain_queue
from tests.app.payloads import CANARY
from tests.conftest import file_committed, make_callers

# Every command here runs on a SQLite file of its own (`cli_database`), never on the suite's
# database, so the PostgreSQL pass would only run the same tests a second time.
pytestmark = pytest.mark.nodb


@pytest.fixture
def cli_database(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


def ridni_process(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    """`ridni ARGS` in an interpreter of its own, from a shell that sets only DATABASE_URL: for
    what only a process of its own shows (the imports it loads, what reaches its standard error
    through logging, a command that configures logging for the whole process)."""
    return subprocess.run(  # noqa: S603 - our own command, fixed arguments
        [sys.executable, "-m", "app.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"},
    )


@dataclass(frozen=True)
class Ran:
    """What a run of the command left: its exit status and what it printed."""

    returncode: int
    stdout: str
    stderr: str


class Ridni(Protocol):
    def __call__(self, *args: str, database_url: str) -> Ran: ...


@pytest.fixture
def ridni(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Ridni]:
    """`ridni ARGS` run in this process, configured only by DATABASE_URL, as from a shell that
    sets nothing else; its exit status is what the interpreter would make of it."""
    for name in list(os.environ):
        if name.startswith("RIDNI_"):
            monkeypatch.delenv(name)

    def run(*args: str, database_url: str) -> Ran:
        monkeypatch.setenv("DATABASE_URL", database_url)
        get_settings.cache_clear()
        capsys.readouterr()  # what the test printed before is not the command's
        try:
            status = main(list(args))
        except SystemExit as exit_:
            status = _exit_status(exit_.code)
        finally:
            get_settings.cache_clear()
        out, err = capsys.readouterr()
        return Ran(status, out, err)

    yield run
    get_settings.cache_clear()


def _exit_status(code: object) -> int:
    """As the interpreter ends on SystemExit: None is 0, a number is itself, and anything else
    is printed to standard error and is 1."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def test_users_add_prints_a_working_token_once_and_stores_its_hash(ridni: Ridni, cli_database: str):
    result = ridni(
        "users", "add", "--name", "Олена Коваль", "--role", "coordinator", database_url=cli_database
    )
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip().splitlines()[-1]
    assert token.startswith("rdn_") and len(token) > 40
    engine = create_engine(cli_database)
    with Session(engine) as session:
        user = session.scalars(select(User)).one()
        assert user.name == "Олена Коваль"
        assert user.role == "coordinator"
        assert user.token_hash == hash_token(token)
        assert token not in user.token_hash
    engine.dispose()


def _add(name: str, role: Role, database_url: str) -> tuple[str, str]:
    """A user made in-process (quicker than the command): its id and token."""
    upgrade(database_url)
    engine = create_engine(database_url)
    with Session(engine) as session, session.begin():
        user, token = create_user(session, name=name, role=role)
        user_id = user.id
    engine.dispose()
    return user_id, token


def _works(database_url: str, token: str) -> bool:
    app = create_app(Settings(database_url=database_url))
    with TestClient(app) as client:
        status = client.get(
            "/api/v1/reports", headers={"Authorization": f"Bearer {token}"}
        ).status_code
    app.state.engine.dispose()
    return status != 401


def test_users_revoke_by_id_then_token_by_unique_name(ridni: Ridni, cli_database: str):
    user_id, token = _add("Volunteer 17", Role.field, cli_database)
    assert _works(cli_database, token)

    revoked = ridni("users", "revoke", "--user", user_id, database_url=cli_database)
    assert revoked.returncode == 0, revoked.stderr
    assert user_id in revoked.stdout
    assert not _works(cli_database, token)

    issued = ridni("users", "token", "--user", "Volunteer 17", database_url=cli_database)
    assert issued.returncode == 0, issued.stderr
    new_token = issued.stdout.strip().splitlines()[-1]
    assert new_token.startswith("rdn_") and new_token != token
    assert _works(cli_database, new_token)


def test_users_token_refuses_an_ambiguous_name(ridni: Ridni, cli_database: str):
    _add("Олена", Role.family, cli_database)
    _add("Олена", Role.family, cli_database)
    result = ridni("users", "token", "--user", "Олена", database_url=cli_database)
    assert result.returncode == 1
    assert "2 users have that name" in result.stderr
    assert "rdn_" not in result.stdout


def test_users_list_shows_no_token_or_hash(ridni: Ridni, cli_database: str):
    coordinator, token = _add("Олена Коваль", Role.coordinator, cli_database)
    field, _ = _add("Volunteer 17", Role.field, cli_database)
    engine = create_engine(cli_database)
    with engine.begin() as connection:
        connection.execute(
            update(User).where(User.id == field).values(token_hash=None, token_issued_at=None)
        )
    engine.dispose()
    result = ridni("users", "list", database_url=cli_database)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert [line.split()[:3] for line in lines] == [
        [coordinator, "coordinator", "enabled"],
        [field, "field", "enabled"],
    ]
    assert "expires" in lines[0] and "Олена Коваль" in lines[0]
    assert "no token" in lines[1]
    assert token not in result.stdout and hash_token(token) not in result.stdout


def test_users_add_refuses_an_unknown_role(ridni: Ridni, cli_database: str):
    result = ridni("users", "add", "--name", "x", "--role", "superuser", database_url=cli_database)
    assert result.returncode == 2
    assert "invalid choice" in result.stderr


def test_users_add_with_a_login_then_invite_prints_a_working_enrolment_path(
    ridni: Ridni, cli_database: str
):
    added = ridni(
        "users",
        "add",
        "--name",
        "Олена",
        "--role",
        "coordinator",
        "--login",
        "Olena",
        database_url=cli_database,
    )
    assert added.returncode == 0, added.stderr
    invited = ridni("users", "invite", "--user", "olena", database_url=cli_database)
    assert invited.returncode == 0, invited.stderr
    path = invited.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"/console/enrol/[A-Za-z0-9_-]{32}", path)
    engine = create_engine(cli_database)
    with Session(engine) as session:
        user = session.scalars(select(User)).one()
        assert user.login == "olena"
        stored = session.execute(text("SELECT code_hash, expires_at FROM enrolments")).one()
        assert path.rsplit("/", 1)[1] not in stored.code_hash
    engine.dispose()
    app = create_app(Settings(database_url=cli_database, warm_engine=False))
    with TestClient(app) as client:
        assert client.get(path).status_code == 200
    app.state.engine.dispose()


def test_users_invite_refuses_a_user_without_a_login(ridni: Ridni, cli_database: str):
    user_id, _ = _add("Без логіна", Role.coordinator, cli_database)
    result = ridni("users", "invite", "--user", user_id, database_url=cli_database)
    assert result.returncode == 1 and "no login" in result.stderr


@pytest.mark.parametrize("login", ["a", "з пробілом", "олена"])
def test_users_add_refuses_a_login_that_is_not_one(ridni: Ridni, cli_database: str, login: str):
    result = ridni(
        "users",
        "add",
        "--name",
        "x",
        "--role",
        "coordinator",
        "--login",
        login,
        database_url=cli_database,
    )
    assert result.returncode == 2 and "--login" in result.stderr


def test_users_add_refuses_a_login_taken(ridni: Ridni, cli_database: str):
    first = ("users", "add", "--name", "x", "--role", "coordinator", "--login", "olena")
    assert ridni(*first, database_url=cli_database).returncode == 0
    again = ridni(*first[:-1], "OLENA", database_url=cli_database)
    assert again.returncode == 1 and "another user has this login" in again.stderr


def test_migrate_is_repeatable(ridni: Ridni, cli_database: str):
    for _ in range(2):
        result = ridni("migrate", database_url=cli_database)
        assert result.returncode == 0, result.stderr
        assert "up to date" in result.stdout


def test_rematch_on_an_empty_database(ridni: Ridni, cli_database: str):
    result = ridni("rematch", database_url=cli_database)
    assert result.returncode == 0, result.stderr
    assert "re-indexed 0 reports and re-matched 0 sightings" in result.stdout


def test_link_writes_ten_best_per_sighting(ridni: Ridni, cli_database: str, tmp_path):
    reports = tmp_path / "reports.jsonl"
    sightings = tmp_path / "sightings.jsonl"
    out = tmp_path / "out.jsonl"
    reports.write_text(
        json.dumps(
            {
                "key": "r1",
                "child": {
                    "given_name": "Микола",
                    "family_name": "Олійник",
                    "date_of_birth": "2011-03-12",
                },
            },
            ensure_ascii=False,
        )
        + "\n"
        + json.dumps({"key": "r2", "child": {"given_name": "Олена", "family_name": "Бондар"}})
        + "\n",
        encoding="utf-8",
    )
    sightings.write_text(
        json.dumps(
            {
                "key": "s1",
                "subject": {
                    "full_name": "ОЛЕЙНИК Николай Андреевич",
                    "date_of_birth": "2011-03-12",
                    "source_type": "document",
                },
            },
            ensure_ascii=False,
        )
        + "\n",
        encoding="utf-8",
    )
    result = ridni(
        "link",
        "--reports",
        str(reports),
        "--sightings",
        str(sightings),
        "--out",
        str(out),
        database_url=cli_database,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("linked 1 sighting against 2 reports: 1 proposed (")
    [line] = [json.loads(text) for text in out.read_text(encoding="utf-8").splitlines()]
    assert line["key"] == "s1"
    assert line["candidates"][0]["key"] == "r1"
    assert line["candidates"][0]["proposed"] is True
    assert line["candidates"][0]["explanation"]


def test_link_names_the_malformed_line(ridni: Ridni, cli_database: str, tmp_path):
    reports = tmp_path / "reports.jsonl"
    reports.write_text(
        '{"key": "r1", "child": {"given_name": "Микола"}}\n{"key": "r2", \n', encoding="utf-8"
    )
    sightings = tmp_path / "sightings.jsonl"
    sightings.write_text("", encoding="utf-8")
    result = ridni(
        "link",
        "--reports",
        str(reports),
        "--sightings",
        str(sightings),
        "--out",
        str(tmp_path / "out.jsonl"),
        database_url=cli_database,
    )
    assert result.returncode == 1
    assert "line 2" in result.stderr
    assert "Traceback" not in result.stderr


def test_duplicates_writes_one_line_per_proposed_pair(ridni: Ridni, cli_database: str, tmp_path):
    reports = tmp_path / "reports.jsonl"
    children = [
        {"given_name": "Микола", "family_name": "Олійник", "date_of_birth": "2011-03-12",
         "home_settlement": "Мелітополь"},
        {"given_name": "Олена", "family_name": "Бондар", "date_of_birth": "2012-01-05"},
        {"given_name": "Mykola", "family_name": "Oliinyk", "other_names": ["Kolia"],
         "date_of_birth": "2011-03-12", "home_settlement": "Melitopol"},
        {"given_name": "Тарас", "family_name": "Ковальчук"},
    ]  # fmt: skip
    reports.write_text(
        "".join(
            json.dumps({"key": f"r{i}", "child": child}, ensure_ascii=False) + "\n"
            for i, child in enumerate(children, 1)
        ),
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    args = ("duplicates", "--reports", str(reports), "--out", str(out))
    result = ridni(*args, database_url=cli_database)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "compared 4 reports: 1 duplicate pair proposed\n"
    [line] = [json.loads(text) for text in out.read_text(encoding="utf-8").splitlines()]
    assert set(line) == {"report", "duplicate_of", "score", "explanation"}
    assert (line["report"], line["duplicate_of"]) == ("r3", "r1")
    assert line["score"] >= 0.5
    assert {e["field"] for e in line["explanation"]} >= {"given_name", "date_of_birth"}
    refused = ridni(*args, "--threshold", "2", database_url=cli_database)
    assert refused.returncode == 2
    reports.write_text('{"key": "r1", "child": {}}\n', encoding="utf-8")
    malformed = ridni(*args, database_url=cli_database)
    assert malformed.returncode == 1
    assert "line 1" in malformed.stderr
    assert "Traceback" not in malformed.stderr


def test_the_installed_command_lists_every_command():
    # The console script that `pip install` made from pyproject's entry point.
    result = subprocess.run(  # noqa: S603 - our own command, fixed arguments
        [Path(sys.executable).with_name("ridni"), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Ridni: link missing-child reports with sightings." in result.stdout
    commands = ("serve", "migrate", "users", "keys", "rematch", "import", "link", "duplicates")
    for command in (*commands, "export"):
        assert f"    {command} " in result.stdout


# Run by a fresh interpreter, which then names the heavy modules it has loaded.
_LOADS = """
import sys
from app.cli import main
try:
    sys.exit(main(sys.argv[1:]))
finally:
    heavy = ("cryptography", "fastapi", "uvicorn", "pydantic")
    print("loaded:", *sorted(m for m in heavy if m in sys.modules))
"""


def test_link_and_the_parser_load_neither_the_web_framework_nor_encryption(
    cli_database: str, tmp_path
):
    (tmp_path / "none.jsonl").write_text("", encoding="utf-8")
    files = ["--reports", "none.jsonl", "--sightings", "none.jsonl", "--out", "out.jsonl"]
    # (A migration loads every table, and with them the encryption: not the parser's doing.
    # `migrate` reads the settings, which are Pydantic's; `link` loads no part of it.)
    for command, allowed in (
        (["link", *files], set()),
        (["migrate", "--help"], {"pydantic"}),
        (["--help"], set()),
    ):
        result = subprocess.run(  # noqa: S603 - our own command, fixed arguments
            [sys.executable, "-c", _LOADS, *command],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            cwd=tmp_path,
            env={"DATABASE_URL": cli_database, "PATH": "/usr/bin:/bin"},
        )
        assert result.returncode == 0, result.stderr
        loaded = result.stdout.splitlines()[-1].split()
        assert loaded[0] == "loaded:"
        assert set(loaded[1:]) <= allowed, command


def test_rematch_in_two_worker_processes(ridni: Ridni, cli_database: str):
    # Real commits on a file of its own: the workers are separate processes.
    ridni("migrate", database_url=cli_database)
    app = create_app(Settings(database_url=cli_database))
    with app.state.session_factory() as session:
        callers = make_callers(session)
    with TestClient(app) as client:
        for _ in range(3):
            client.post("/api/v1/reports", json=payloads.report(), headers=callers.family.headers)
            client.post(
                "/api/v1/sightings", json=payloads.sighting(), headers=callers.field.headers
            )
        drain_queue(client)
    app.state.engine.dispose()
    engine = create_engine(cli_database)
    with engine.begin() as connection:
        proposed = connection.scalar(select(func.count()).select_from(Match))
        connection.execute(delete(MatchEvent))
        connection.execute(delete(Match))
        connection.execute(update(Report).values(matched_with=None))
        connection.execute(update(Sighting).values(matched_with=None))

    result = ridni("rematch", "--workers", "2", "--batch-size", "1", database_url=cli_database)

    assert result.returncode == 0, result.stderr
    assert "re-indexed 3 reports and re-matched 3 sightings" in result.stdout
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(Match)) == proposed == 9
    engine.dispose()


@pytest.fixture
def located_child(ridni: Ridni, cli_database: str) -> dict[str, str]:
    """A file database with a report, a sighting of the same child and the match confirmed."""
    ridni("migrate", database_url=cli_database)
    app = create_app(Settings(database_url=cli_database))
    with app.state.session_factory() as session:
        callers = make_callers(session)
    with TestClient(app) as client:
        report = client.post(
            "/api/v1/reports", json=payloads.report(), headers=callers.family.headers
        ).json()
        sighting = client.post(
            "/api/v1/sightings", json=payloads.sighting(), headers=callers.field.headers
        ).json()
        drain_queue(client)
        queue = client.get("/api/v1/matches", headers=callers.coordinator.headers).json()
        [match] = queue["items"]
        decided = client.post(
            f"/api/v1/matches/{match['id']}/decision",
            json={"decision": "confirm", "note": "Same child.", "version": 1},
            headers=callers.coordinator.headers,
        )
        assert decided.status_code == 200
    app.state.engine.dispose()
    return {"report": report["id"], "sighting": sighting["id"], "match": match["id"]}


def test_export_pfif_writes_the_file_and_a_summary(
    ridni: Ridni, cli_database: str, located_child, tmp_path
):
    out = tmp_path / "ridni.xml"
    result = ridni("export", "pfif", "--out", str(out), database_url=cli_database)
    assert result.returncode == 0, result.stderr
    assert f"wrote 1 person and 1 note to {out}" in result.stdout
    text = out.read_text(encoding="utf-8")
    assert f"ridni.example/report.{located_child['report']}" in text
    assert f"ridni.example/sighting.{located_child['sighting']}" in text
    assert "+380501234567" not in text and "Signal" not in text
    assert not list(tmp_path.glob(".*partial"))


def test_export_matches_and_reports(ridni: Ridni, cli_database: str, located_child, tmp_path):
    matches = tmp_path / "matches.json"
    result = ridni(
        "export", "matches", "--format", "json", "--out", str(matches), database_url=cli_database
    )
    assert result.returncode == 0, result.stderr
    assert "wrote 1 row to" in result.stdout
    [row] = json.loads(matches.read_text(encoding="utf-8"))
    assert row["match_id"] == located_child["match"]
    assert "reporter_phone" not in row

    reports = tmp_path / "located.csv"
    arguments = ["--status", "located", "--format", "csv", "--include-contacts"]
    result = ridni(
        "export", "reports", *arguments, "--out", str(reports), database_url=cli_database
    )
    assert result.returncode == 0, result.stderr
    assert "wrote 1 row with reporters' contacts" in result.stdout
    text = reports.read_text(encoding="utf-8")
    assert located_child["report"] in text and "hanna@example.org" in text
    assert "Signal" not in text


def test_export_to_a_folder_that_does_not_exist_fails_and_leaves_nothing(
    ridni: Ridni, cli_database: str, tmp_path
):
    out = tmp_path / "missing" / "reports.csv"
    result = ridni("export", "reports", "--out", str(out), database_url=cli_database)
    assert result.returncode == 1
    assert f"cannot write {out}" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.parent.exists()


def test_the_first_command_makes_an_owner_only_key_file_and_says_where(cli_database: str):
    # A process of its own: the message reaches standard error through logging's last resort.
    result = ridni_process("keys", "status", database_url=cli_database)
    assert result.returncode == 0, result.stderr
    path = Path(cli_database.removeprefix("sqlite:///") + ".keys")
    assert f"created a new encryption key file at {path}" in result.stderr
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().split()[-1] not in result.stdout + result.stderr
    assert f"key file {path}: v1; new values are encrypted under v1" in result.stdout


def test_keys_rotate_then_status_verify(ridni: Ridni, cli_database: str):
    ridni("migrate", database_url=cli_database)
    app = create_app(Settings(database_url=cli_database))
    file_committed(app, 2, 1)
    app.state.engine.dispose()

    rotated = ridni("keys", "rotate", "--batch-size", "1", database_url=cli_database)

    assert rotated.returncode == 0, rotated.stderr
    assert "added key v2" in rotated.stdout
    assert "re-encrypted 13 values under v2" in rotated.stdout
    assert "every value is under v2: v1 can be removed from the key file" in rotated.stdout
    status = ridni("keys", "status", "--verify", database_url=cli_database)
    assert status.returncode == 0, status.stderr
    assert "v1: 0 values\nv2: 13 values\n" in status.stdout
    assert "no value is under v1 any more" in status.stdout
    assert "13 values decrypt, 0 do not" in status.stdout


def test_keys_status_verify_names_the_values_that_do_not_decrypt(ridni: Ridni, cli_database: str):
    ridni("migrate", database_url=cli_database)
    app = create_app(Settings(database_url=cli_database))
    file_committed(app, 2, 0)
    app.state.engine.dispose()
    engine = create_engine(cli_database)
    with engine.begin() as connection:
        first, second = connection.execute(select(Report.id, Report.reporter_email)).all()
        connection.execute(
            update(Report).where(Report.id == second.id).values(reporter_email=first[1])
        )
    engine.dispose()

    status = ridni("keys", "status", "--verify", database_url=cli_database)

    assert status.returncode == 1
    assert f"reports {second.id} reporter_email: does not decrypt under key v1" in status.stdout
    assert "9 values decrypt, 1 does not" in status.stdout
    assert CANARY["reporter_email"] not in status.stdout
    assert first[1] not in status.stdout + status.stderr


def test_a_key_file_others_may_read_stops_every_command(ridni: Ridni, cli_database: str):
    ridni("keys", "status", database_url=cli_database)
    path = Path(cli_database.removeprefix("sqlite:///") + ".keys")
    path.chmod(0o644)
    refusals: list[Ran | subprocess.CompletedProcess[str]] = [
        ridni(*command, database_url=cli_database)
        for command in (["keys", "status"], ["users", "add", "--name", "x", "--role", "admin"])
    ]
    # serve configures the whole process's logging first: a process of its own.
    refusals.append(ridni_process("serve", "--port", "0", database_url=cli_database))
    for result in refusals:  # serve refuses before serving
        assert result.returncode == 1
        assert f"error: {path} may be read by others (mode 644)" in result.stderr
        assert "Traceback" not in result.stderr


def test_an_export_meeting_a_value_that_does_not_decrypt_writes_nothing(
    ridni: Ridni, cli_database: str, tmp_path
):
    ridni("migrate", database_url=cli_database)
    app = create_app(Settings(database_url=cli_database))
    file_committed(app, 2, 0)
    app.state.engine.dispose()
    engine = create_engine(cli_database)
    with engine.begin() as connection:
        first, second = connection.execute(select(Report.id, Report.reporter_email)).all()
        connection.execute(
            update(Report).where(Report.id == second.id).values(reporter_email=first[1])
        )
    engine.dispose()
    out = tmp_path / "reports.csv"

    result = ridni(
        "export", "reports", "--include-contacts", "--out", str(out), database_url=cli_database
    )

    assert result.returncode == 1
    assert f"cannot decrypt reports.reporter_email of record {second.id}" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists() and not list(tmp_path.glob(".*partial"))
    plain = ridni("export", "reports", "--out", str(out), database_url=cli_database)
    assert plain.returncode == 0, plain.stderr  # without contacts nothing needs decrypting
    assert CANARY["reporter_email"] not in out.read_text(encoding="utf-8")


# --- ridni import ------------------------------------------------------------------------------
EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
SIGHTINGS_MAP = "Место выявления=location"


def _user(ridni: Ridni, database_url: str, role: str) -> str:
    result = ridni(
        "users", "add", "--name", f"test {role}", "--role", role, database_url=database_url
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()[3].rstrip(";")


def _count(database_url: str, model: Any) -> int:
    engine = create_engine(database_url)
    with engine.connect() as connection:
        found = connection.scalar(select(func.count()).select_from(model)) or 0
    engine.dispose()
    return found


def test_import_prints_a_summary_loads_the_good_rows_and_exits_0(ridni: Ridni, cli_database: str):
    coordinator = _user(ridni, cli_database, "coordinator")
    reports = ridni(
        "import",
        "reports",
        str(EXAMPLES / "reports.csv"),
        "--as",
        coordinator,
        database_url=cli_database,
    )
    assert reports.returncode == 0, reports.stderr
    assert "7 rows read, 5 loaded, 0 already present, 2 skipped" in reports.stdout

    result = ridni(
        "import",
        "sightings",
        str(EXAMPLES / "sightings-list.csv"),
        "--as",
        coordinator,
        "--map",
        SIGHTINGS_MAP,
        database_url=cli_database,
    )

    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "reading " in out and "utf-8, delimiter ';'" in out
    assert "Место выявления → location" in out
    assert "ignored columns (not known; see --map): №" in out
    assert "11 rows read, 7 loaded, 0 already present, 4 skipped" in out
    assert "line 5: date_of_birth (Дата рождения): is not a real date" in out
    assert "line 7: has 7 cells where the header has 9" in out
    assert "Шевченко" not in out and "31.02" not in out
    assert _count(cli_database, Sighting) == 7
    assert _count(cli_database, Match) == 5  # the sample's five children on both lists
    assert _count(cli_database, Import) == 2

    again = ridni(
        "import",
        "sightings",
        str(EXAMPLES / "sightings-list.csv"),
        "--as",
        coordinator,
        "--map",
        SIGHTINGS_MAP,
        database_url=cli_database,
    )
    assert "11 rows read, 0 loaded, 7 already present, 4 skipped" in again.stdout
    assert _count(cli_database, Sighting) == 7


def test_import_dry_run_needs_no_user_and_writes_nothing(
    ridni: Ridni, cli_database: str, tmp_path: Path
):
    path = tmp_path / "list.csv"
    path.write_bytes((EXAMPLES / "sightings-list.csv").read_text(encoding="utf-8")
                     .encode("cp1251"))  # fmt: skip
    mapping = tmp_path / "map.txt"
    mapping.write_text(f"# the partner's headers\n{SIGHTINGS_MAP}\n", encoding="utf-8")

    result = ridni(
        "import",
        "sightings",
        str(path),
        "--dry-run",
        "--map",
        f"@{mapping}",
        database_url=cli_database,
    )

    assert result.returncode == 0, result.stderr
    assert "cp1251, delimiter ';'" in result.stdout
    assert "dry run: 11 rows read, 7 would be loaded, 0 already present, 4 skipped" in (
        result.stdout
    )
    assert _count(cli_database, Sighting) == _count(cli_database, Import) == 0


def test_import_in_worker_processes(ridni: Ridni, cli_database: str, tmp_path: Path):
    coordinator = _user(ridni, cli_database, "coordinator")
    ridni(
        "import",
        "reports",
        str(EXAMPLES / "reports.csv"),
        "--as",
        coordinator,
        database_url=cli_database,
    )
    path = tmp_path / "list.csv"
    path.write_text((EXAMPLES / "sightings-list.csv").read_text(encoding="utf-8"), encoding="utf-8")

    result = ridni(
        "import",
        "sightings",
        str(path),
        "--as",
        coordinator,
        "--map",
        SIGHTINGS_MAP,
        "--workers",
        "2",
        "--batch-size",
        "2",
        database_url=cli_database,
    )

    assert result.returncode == 0, result.stderr
    assert "11 rows read, 7 loaded, 0 already present, 4 skipped" in result.stdout
    assert _count(cli_database, Sighting) == 7
    assert _count(cli_database, Match) == 5


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "No such file"),
        (b"PK\x03\x04\x00\x00binary", "not CSV text"),
        ("Колонка;Ще одна\n1;2\n".encode(), "no column of the header"),
        (b"", "no header row"),
    ],
)
def test_import_exits_1_when_nothing_can_be_read(
    ridni: Ridni, cli_database: str, tmp_path: Path, content: bytes | None, message: str
):
    path = tmp_path / "list.csv"
    if content is not None:
        path.write_bytes(content)
    result = ridni("import", "reports", str(path), "--dry-run", database_url=cli_database)
    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_import_exits_2_for_a_wrong_option(ridni: Ridni, cli_database: str):
    family = _user(ridni, cli_database, "family")
    path = str(EXAMPLES / "reports.csv")
    for args in (
        [],  # no --as
        ["--as", family],  # not a coordinator
        ["--dry-run", "--map", "Вік=years"],
        ["--dry-run", "--map", "@/nonexistent/map.txt"],
    ):
        result = ridni("import", "reports", path, *args, database_url=cli_database)
        assert result.returncode == 2, (args, result.stdout)
        assert "Traceback" not in result.stderr
    assert _count(cli_database, Report) == 0


def test_serve_writes_nothing_but_json_lines(cli_database: str, tmp_path: Path):
    """From the migrations and the key file to the engine's warm-up (beside the requests, once
    the server listens) and uvicorn's own lines."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = tmp_path / "stderr"
    with log.open("w") as stderr_file:
        server = subprocess.Popen(  # noqa: S603 - our own command, fixed arguments
            [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
            stdout=subprocess.PIPE,
            stderr=stderr_file,
            text=True,
            env={"DATABASE_URL": cli_database, "PATH": "/usr/bin:/bin"},
        )
    try:
        for _ in range(600):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).is_success:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail("the server did not come up")
        for _ in range(300):
            if "matching engine ready" in log.read_text():
                break
            time.sleep(0.1)
    finally:
        server.terminate()
        stdout, _ = server.communicate(timeout=30)
    stderr = log.read_text()
    assert stdout == ""
    lines = [json.loads(line) for line in stderr.splitlines()]
    ready = [line for line in lines if line["event"] == "matching engine ready"]
    assert ready == [
        {
            "time": ready[0]["time"],
            "level": "info",
            "logger": "ridni.engine",
            "event": "matching engine ready",
            "reports": 0,
            "seconds": ready[0]["seconds"],
        }
    ]


def _children(pid: int) -> list[int]:
    found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(child) for child in found]


def _ended(pid: int) -> bool:
    """Gone, or a zombie: dead, waiting to be reaped by whoever took it over."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state in ("Z", "X")


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc to find the worker processes")
def test_a_killed_import_takes_its_workers_with_it_and_its_record_counts_what_is_stored(
    cli_database: str, tmp_path: Path
):
    coordinator, _token = _add("Олена Коваль", Role.coordinator, cli_database)
    path = tmp_path / "long.csv"
    letters = "абвгдежзиклмнопрстуфхцчшщэюя"
    surnames = [f"Ко{a}{b}{c}енко" for a in letters for b in letters for c in letters[:4]][:3000]
    lines = [f"{surname};Ольга;12.03.2011;Евпатория" for surname in surnames]
    path.write_text("Фамилия;Имя;Дата рождения;Место выявления\n" + "\n".join(lines) + "\n")
    command = [sys.executable, "-m", "app.cli", "import", "sightings", str(path)]
    options = ["--as", coordinator, "--workers", "2", "--batch-size", "50"]
    process = subprocess.Popen(  # noqa: S603 - our own command, fixed arguments
        [*command, *options],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={"DATABASE_URL": cli_database, "PATH": "/usr/bin:/bin"},
    )
    engine = create_engine(cli_database)
    try:
        while _count(cli_database, ImportedRecord) < 100:  # two batches stored: workers at work
            assert process.poll() is None, "the import ended before it could be killed"
            time.sleep(0.1)
        workers = _children(process.pid)
        assert len(workers) >= 2
        process.kill()
        process.wait()
        deadline = time.monotonic() + 30  # a bound on a hang, not a measure of speed
        while not all(_ended(worker) for worker in workers):
            assert time.monotonic() < deadline, "workers outlived the import they worked for"
            time.sleep(0.1)
        with Session(engine) as session:
            record = session.scalars(select(Import)).one()
            stored = session.scalar(select(func.count()).select_from(Sighting))
        assert record.status == "running"  # nobody said otherwise: its process is gone
        assert 0 < stored < 3000
        assert record.rows_loaded == stored == _count(cli_database, ImportedRecord)
        assert record.rows_read == record.rows_loaded + record.rows_duplicate + record.rows_skipped
    finally:
        process.kill()
        engine.dispose()
