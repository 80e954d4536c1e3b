"""POST /api/v1/imports (an upload, loaded in the background) and polling the import."""

import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.core.settings import Settings
from app.imports.models import Import
from app.main import create_app
from app.reports.models import Report
from app.sightings.models import Sighting
from tests.conftest import Callers

REPORTS = (
    "Прізвище;Ім'я;Дата народження;Вік\n"
    "Олійник;Микола;12.03.2011;\n"
    "Ковальчук;Анастасія;31.02.2013;\n"  # line 3: no such date
    "Петренко;;;40\n"  # line 4: absurd age
    "Руденко;Дарина;2012;\n"
).encode("cp1251")


def upload(client: TestClient, headers: dict[str, str], data: bytes, **form: Any) -> Any:
    fields = {"kind": "reports", **form}
    fields = {k: str(v).lower() if isinstance(v, bool) else v for k, v in fields.items()}
    return client.post(
        "/api/v1/imports",
        headers=headers,
        data=fields,
        files={"file": ("list.csv", data, "text/csv")},
    )


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    return body


def _count(session: Session, model: Any) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


class TestUploadAndPoll:
    def test_accepted_then_polled_to_done_with_the_rows_errors(
        self, client: TestClient, callers: Callers, session: Session
    ):
        answer = upload(client, callers.coordinator.headers, REPORTS)

        assert answer.status_code == 202, answer.text
        accepted = answer.json()
        assert answer.headers["location"] == f"/api/v1/imports/{accepted['id']}"
        assert accepted["status"] == "queued"
        assert (accepted["encoding"], accepted["delimiter"]) == ("cp1251", ";")
        assert accepted["columns"]["Вік"] == "age"

        polled = client.get(answer.headers["location"], headers=callers.coordinator.headers)
        assert polled.status_code == 200
        done = polled.json()
        assert done["status"] == "done"
        assert done["counts"] == {"read": 4, "loaded": 2, "duplicates": 0, "skipped": 2}
        assert [(e["line"], e["field"], e["column"]) for e in done["errors"]] == [
            (3, "date_of_birth", "Дата народження"),
            (4, "age", "Вік"),
        ]
        assert "Ковальчук" not in polled.text and "31.02" not in polled.text
        assert done["created_by"] == callers.coordinator.user_id
        assert _count(session, Report) == 2

        listed = client.get("/api/v1/imports", headers=callers.admin.headers).json()
        assert [item["id"] for item in listed["items"]] == [accepted["id"]]
        assert "errors" not in listed["items"][0]

    def test_the_same_upload_again_creates_nothing(
        self, client: TestClient, callers: Callers, session: Session
    ):
        upload(client, callers.coordinator.headers, REPORTS)
        again = upload(client, callers.admin.headers, REPORTS)
        done = client.get(again.headers["location"], headers=callers.admin.headers).json()
        assert done["counts"]["duplicates"] == 2 and done["counts"]["loaded"] == 0
        assert _count(session, Report) == 2

    def test_a_dry_run_writes_no_records(
        self, client: TestClient, callers: Callers, session: Session
    ):
        answer = upload(client, callers.coordinator.headers, REPORTS, dry_run=True)
        done = client.get(answer.headers["location"], headers=callers.coordinator.headers)
        assert done.json()["dry_run"] is True
        assert done.json()["counts"]["loaded"] == 2
        assert _count(session, Report) == 0

    def test_sightings_with_a_mapping_and_a_source_type(
        self, client: TestClient, callers: Callers, session: Session
    ):
        data = "Дитина,Де знайшли\nКоля,Таганрог\n".encode()
        answer = upload(
            client,
            callers.admin.headers,
            data,
            kind="sightings",
            map="Дитина=given_name\nДе знайшли=location",
            source_type="witness",
        )
        assert answer.status_code == 202, answer.text
        sighting = session.scalars(select(Sighting)).one()
        assert (sighting.given_name, sighting.location, sighting.source_type) == (
            "Коля",
            "Таганрог",
            "witness",
        )
        assert sighting.owner_id == callers.admin.user_id

    def test_the_uploaded_copy_is_removed_once_loaded(
        self,
        client: TestClient,
        callers: Callers,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
    ):
        monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
        assert upload(client, callers.coordinator.headers, REPORTS).status_code == 202
        assert upload(client, callers.coordinator.headers, b"\x00\x01").status_code == 415
        assert list(tmp_path.iterdir()) == []

    def test_no_part_of_a_large_upload_reaches_the_disk(
        self,
        client: TestClient,
        callers: Callers,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
    ):
        # Larger than the form parser's 1 MiB in-memory spool: spooled as it was, the upload
        # went to an unnamed file in the temporary folder, sources' contacts and notes in clear.
        monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
        canary = "Signal +380-CANARY-UPLOAD"
        header = "ПІБ;Дата рождения;Тип источника;Примечание;Контакт\n"
        row = f"ОЛЕЙНИК Николай;12.03.2011;list;Видели в лагере;{canary}\n"
        data = (header + row * (2 * 1024 * 1024 // len(row.encode()))).encode()
        assert len(data) > 2 * 1024 * 1024
        on_disk: set[str] = set()  # files of the temporary folder this process held open
        watching = threading.Event()

        def watch() -> None:
            while watching.is_set():
                for fd in Path("/proc/self/fd").iterdir():
                    try:
                        target = os.readlink(fd)
                    except OSError:
                        continue  # closed meanwhile
                    if target.startswith(str(tmp_path)):
                        on_disk.add(target)
                time.sleep(0.001)

        watching.set()
        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            answer = upload(
                client, callers.coordinator.headers, data, kind="sightings", dry_run=True
            )
        finally:
            watching.clear()
            watcher.join()
        assert answer.status_code == 202, answer.text
        assert on_disk == set()
        assert list(tmp_path.iterdir()) == []

    def test_an_unknown_import_is_404(self, client: TestClient, callers: Callers):
        nobody = "00000000-0000-4000-8000-000000000000"
        answer = client.get(f"/api/v1/imports/{nobody}", headers=callers.coordinator.headers)
        _problem(answer, 404)


class TestFilesThatCannotBeImported:
    def test_a_spreadsheet_is_415(self, client: TestClient, callers: Callers):
        xlsx = b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00" + bytes(200)
        problem = _problem(upload(client, callers.coordinator.headers, xlsx), 415)
        assert "not CSV text" in problem["detail"]

    def test_a_file_in_another_encoding_than_said_is_415(
        self, client: TestClient, callers: Callers
    ):
        _problem(upload(client, callers.coordinator.headers, REPORTS, encoding="utf-8"), 415)

    def test_a_body_that_is_not_multipart_is_415(self, client: TestClient, callers: Callers):
        answer = client.post(
            "/api/v1/imports",
            headers={**callers.coordinator.headers, "Content-Type": "text/csv"},
            content=REPORTS,
        )
        _problem(answer, 415)

    @pytest.mark.parametrize("data", [b"", b"\n\n", "Колонка;Ще одна\n1;2\n".encode()])
    def test_no_usable_header_is_422(self, client: TestClient, callers: Callers, data: bytes):
        problem = _problem(upload(client, callers.coordinator.headers, data), 422)
        assert problem["errors"][0]["loc"] == ["body", "file"]

    def test_a_mapping_that_does_not_parse_is_422(self, client: TestClient, callers: Callers):
        answer = upload(client, callers.coordinator.headers, REPORTS, map="Вік=years_old")
        problem = _problem(answer, 422)
        assert problem["errors"][0]["loc"] == ["body", "map"]
        assert "years_old" not in answer.text

    def test_an_unknown_kind_is_422(self, client: TestClient, callers: Callers):
        _problem(upload(client, callers.coordinator.headers, REPORTS, kind="people"), 422)

    @pytest.mark.parametrize(
        "header",
        ["Ім'я;" + "Примітка" * 200_000, "Ім'я;" + "x" * (1 << 20), "Ім'я;\"Прізвище"],
        ids=["over 1 MiB", "over the cell limit", "a quote left open"],
    )
    def test_a_header_too_long_or_not_csv_is_422_and_stores_nothing(
        self, client: TestClient, callers: Callers, session: Session, header: str
    ):
        data = f"{header}\nМикола;Олійник\n".encode()
        problem = _problem(upload(client, callers.coordinator.headers, data), 422)
        assert problem["errors"][0]["loc"] == ["body", "file"]
        assert _count(session, Import) == 0

    def test_nothing_is_stored_for_a_refused_file(
        self, client: TestClient, callers: Callers, session: Session
    ):
        upload(client, callers.coordinator.headers, b"\x00")
        upload(client, callers.coordinator.headers, b"a;b\n1;2\n")
        assert client.get("/api/v1/imports", headers=callers.admin.headers).json()["items"] == []


class TestUploadSize:
    def test_a_file_larger_than_a_json_body_may_be_is_accepted(
        self, client: TestClient, callers: Callers, settings: Settings
    ):
        rows = "".join(f"Олійник;Микола;{1 + i % 28}.03.2011;\n" for i in range(3000))
        data = ("Прізвище;Ім'я;Дата народження;Вік\n" + rows).encode()
        assert len(data) > settings.max_body_bytes
        answer = upload(client, callers.coordinator.headers, data, dry_run=True)
        assert answer.status_code == 202, answer.text

    @pytest.fixture
    def small_limit(self, settings: Settings) -> Any:
        app = create_app(settings.model_copy(update={"max_upload_bytes": 1000}))
        with TestClient(app) as client:
            yield client
        app.state.engine.dispose()

    def test_an_upload_over_the_limit_is_413(self, small_limit: TestClient, callers: Callers):
        answer = upload(small_limit, callers.coordinator.headers, b"x" * 2000)
        problem = _problem(answer, 413)
        assert "1000 bytes" in problem["detail"]

    def test_an_upload_over_the_limit_without_content_length_is_413(
        self, small_limit: TestClient, callers: Callers
    ):
        def chunks() -> Any:
            yield b'--xyz\r\nContent-Disposition: form-data; name="kind"\r\n\r\nreports\r\n'
            for _ in range(10):
                yield b"y" * 500

        answer = small_limit.post(
            "/api/v1/imports",
            headers={
                **callers.coordinator.headers,
                "Content-Type": "multipart/form-data; boundary=xyz",
            },
            content=chunks(),
        )
        assert "content-length" not in answer.request.headers
        _problem(answer, 413)


def test_imports_are_in_the_audit_trail(client: TestClient, callers: Callers, session: Session):
    started = upload(client, callers.coordinator.headers, REPORTS)
    import_id = started.json()["id"]
    calls = [
        started,
        client.get(f"/api/v1/imports/{import_id}", headers=callers.admin.headers),
        client.get("/api/v1/imports", headers=callers.admin.headers),
        upload(client, callers.family.headers, REPORTS),
    ]
    assert [c.status_code for c in calls] == [202, 200, 200, 403]
    found = {}
    for call in calls:
        rows = session.execute(
            select(AuditEvent.user_id, AuditEvent.action, AuditEvent.object_id, AuditEvent.outcome)
            .where(AuditEvent.request_id == call.headers["X-Request-ID"])
            .order_by(AuditEvent.action, AuditEvent.object_id)
        ).all()
        found[call.request.method + " " + str(len(found))] = [tuple(row) for row in rows]
    reports = sorted(session.scalars(select(Report.id)))
    assert len(reports) == 2
    coordinator, admin = callers.coordinator.user_id, callers.admin.user_id
    assert found == {
        # The upload's request id is carried into the background load: its records are its.
        "POST 0": [
            (coordinator, "import.create", import_id, "allowed"),
            *[(coordinator, "report.create", rid, "allowed") for rid in reports],
        ],
        "GET 1": [(admin, "import.read", import_id, "allowed")],
        "GET 2": [(admin, "import.list", import_id, "allowed")],
        "POST 3": [(callers.family.user_id, "import.create", None, "forbidden")],
    }
