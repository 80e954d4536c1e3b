"""Importing PFIF files as reports: the round trip with the export, duplicates, bad persons,
hostile XML, matching, the API and the command line. Runs on SQLite and on PostgreSQL."""

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.core.person import person_fields
from app.core.security import Principal, Role
from app.core.settings import Settings
from app.exports import service as exports
from app.exports.service import Export, ExportKind
from app.formats import pfif
from app.imports import service
from app.imports.models import Import, ImportedRecord
from app.imports.pfif import inspect_pfif, person_row, split_given_name
from app.main import create_app
from app.matches.engine import MatchingSettings
from app.matches.models import Match, MatchEvent, ReportKey, ReportTerm
from app.reports.models import EXTERNAL_ID_MAX, Report
from app.sightings.models import Sighting
from tests.app import payloads
from tests.app.cli.test_cli import Ridni
from tests.app.cli.test_cli import ridni as in_process_ridni
from tests.app.matching_queue import drain_queue
from tests.conftest import Callers, make_callers

MATCHING = MatchingSettings(proposal_threshold=0.5)
DOMAIN = "ridni.example"

CHILDREN: list[dict[str, Any]] = [
    {
        "given_name": "Микола",
        "patronymic": "Андрійович",
        "family_name": "Олійник",
        "other_names": ["Коля", "Николай"],
        "sex": "male",
        "date_of_birth": "2011-03-12",
        "home_settlement": "Мелітополь",
        "distinguishing_marks": "A birthmark on the left wrist.\nShy.",
    },
    {
        "full_name": "КОВАЛЕНКО Софія",
        "given_name": "Софія",
        "family_name": "Коваленко",
        "other_names": [],
        "sex": "female",
        "date_of_birth": "2014-06",
        "home_settlement": "Маріуполь",
    },
    {
        "given_name": "Артем",
        "other_names": ["Тьома"],
        "age_estimate": {"min": 9, "max": 11},
        "home_settlement": "Бахмут",
    },
    {"family_name": "Бондар", "age_estimate": {"min": 7, "max": 7}},
]


def persons(session: Session) -> list[str]:
    """Every report's child and home, comparable across databases and orders."""
    found = []
    for report in session.scalars(select(Report)):
        child = {**person_fields(report), "home_settlement": report.home_settlement}
        found.append(described(child))
    return sorted(found)


def described(child: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in child.items() if v}, ensure_ascii=False, sort_keys=True)


def file_reports(client: TestClient, callers: Callers) -> list[str]:
    ids = []
    for child in CHILDREN:
        body = {"child": child, "reporter": {"name": "Ганна", "phone": "+380 50 111 2233"}}
        response = client.post("/api/v1/reports", json=body, headers=callers.family.headers)
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    return ids


def export_pfif(app: FastAPI, path: Path, *, include_contacts: bool = False) -> Path:
    export = Export(ExportKind.pfif, include_contacts=include_contacts)
    text = "".join(exports.stream(app.state.session_factory, None, export, pfif_domain=DOMAIN))
    path.write_text(text, encoding="utf-8")
    return path


def empty_the_database(session: Session) -> None:
    """As a fresh database: no report, sighting or match (the users stay)."""
    for model in (ImportedRecord, Import, MatchEvent, Match, ReportKey, ReportTerm):
        session.execute(delete(model))
    session.execute(delete(Sighting))
    session.execute(delete(Report))
    session.commit()


def import_pfif(app: FastAPI, path: Path, owner: str, *, dry_run: bool = False) -> Any:
    found = inspect_pfif(path)
    return service.run(
        app.state.session_factory,
        path,
        found,
        owner=Principal(owner, Role.coordinator),
        import_id=None if dry_run else _start(app, owner, found),
        dry_run=dry_run,
        matching=MATCHING,
        pfif_domain=DOMAIN,
    ).tally


def _start(app: FastAPI, owner: str, found: Any) -> str:
    with app.state.session_factory() as session, session.begin():
        return service.start(session, Principal(owner, Role.coordinator), found, dry_run=False).id


def count(session: Session, model: Any) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


class TestRoundTrip:
    def test_export_then_import_into_an_empty_database_gives_the_same_persons(
        self, client: TestClient, callers: Callers, app: FastAPI, session: Session, tmp_path
    ):
        file_reports(client, callers)
        before = persons(session)
        assert before == sorted(described(child) for child in CHILDREN)
        exported = export_pfif(app, tmp_path / "ridni.xml")
        old_ids = {f"{DOMAIN}/report.{r}" for r in session.scalars(select(Report.id))}

        empty_the_database(session)
        tally = import_pfif(app, exported, callers.coordinator.user_id)

        assert (tally.read, tally.loaded, tally.skipped, tally.errors) == (4, 4, 0, [])
        assert persons(session) == before
        # Each report keeps the record id it had, and exports it again: a copy keeps its id.
        assert set(session.scalars(select(Report.external_id))) == old_ids
        with export_pfif(app, tmp_path / "again.xml").open("rb") as again:
            records = list(pfif.read_records(again))
        assert {r.fields["person_record_id"] for r in records} == old_ids
        assert not any("source_name" in r.fields for r in records)

    def test_the_reporter_comes_back_when_the_export_carried_it(
        self, client: TestClient, callers: Callers, app: FastAPI, session: Session, tmp_path
    ):
        file_reports(client, callers)
        exported = export_pfif(app, tmp_path / "ridni.xml", include_contacts=True)
        empty_the_database(session)
        import_pfif(app, exported, callers.coordinator.user_id)
        reporters = {(r.reporter_name, r.reporter_phone) for r in session.scalars(select(Report))}
        assert reporters == {("Ганна", "+380 50 111 2233")}

    def test_importing_the_same_file_twice_creates_nothing_new(
        self, client: TestClient, callers: Callers, app: FastAPI, session: Session, tmp_path
    ):
        file_reports(client, callers)
        exported = export_pfif(app, tmp_path / "ridni.xml")
        empty_the_database(session)
        import_pfif(app, exported, callers.coordinator.user_id)
        second = import_pfif(app, exported, callers.coordinator.user_id)
        assert (second.read, second.loaded, second.duplicates) == (4, 0, 4)
        assert count(session, Report) == 4

    def test_a_person_changed_at_its_source_is_still_the_same_person(
        self, client: TestClient, app: FastAPI, callers: Callers, session: Session, tmp_path
    ):
        record = {"person_record_id": "other.example/p.1", "source_date": "2024-01-01T00:00:00Z"}
        first = write(tmp_path / "a.xml", [record | {"full_name": "Олена Бондар"}])
        changed = write(tmp_path / "b.xml", [record | {"full_name": "Олена Бондар-Шевчук"}])
        assert import_pfif(app, first, callers.coordinator.user_id).loaded == 1
        assert import_pfif(app, changed, callers.coordinator.user_id).duplicates == 1
        assert count(session, Report) == 1

    def test_its_own_export_into_the_same_database_creates_nothing(
        self, client: TestClient, callers: Callers, app: FastAPI, session: Session, tmp_path
    ):
        file_reports(client, callers)
        tally = import_pfif(app, export_pfif(app, tmp_path / "ridni.xml"), callers.admin.user_id)
        assert (tally.loaded, tally.skipped) == (0, 4)
        assert {e.reason for e in tally.errors} == {
            "was exported by this Ridni, and its report is still here"
        }
        assert count(session, Report) == 4


def write(path: Path, persons: list[dict[str, str]], notes: Any = ()) -> Path:
    path.write_text("".join(pfif.write_document(persons, notes)), encoding="utf-8")
    return path


BAD_AND_GOOD = [
    {
        "person_record_id": "pf.example/1",
        "source_date": "2024-01-01T00:00:00Z",
        "full_name": "Олена Бондар",
        "given_name": "Олена",
        "family_name": "Бондар",
        "date_of_birth": "2012-05-02",
        "home_city": "Херсон",
    },
    {
        "person_record_id": "pf.example/2",
        "source_date": "2024-01-01T00:00:00Z",
        "full_name": "Іван Петренко",
        "date_of_birth": "1900",
    },
    {
        "person_record_id": "pf.example/3",
        "source_date": "2024-01-01T00:00:00Z",
        "full_name": "Дарина Руденко",
        "age": "30-40",
    },
    {"person_record_id": "pf.example/4", "source_date": "2024-01-01T00:00:00Z", "full_name": "123"},
]


class TestBadPersons:
    def test_bad_persons_are_reported_by_line_and_element_and_good_ones_load(
        self, client: TestClient, app: FastAPI, callers: Callers, session: Session, tmp_path
    ):
        path = write(tmp_path / "list.xml", BAD_AND_GOOD)
        lines = path.read_text(encoding="utf-8").splitlines()
        starts = [number for number, line in enumerate(lines, 1) if "<pfif:person>" in line]
        tally = import_pfif(app, path, callers.coordinator.user_id)
        assert (tally.read, tally.loaded, tally.skipped) == (4, 1, 3)
        where = {(e.line, e.field, e.column) for e in tally.errors}
        assert (starts[1], "date_of_birth", "date_of_birth") in where
        assert (starts[2], "age", "age") in where
        assert (starts[3], "full_name", "full_name") in where
        assert len(tally.errors) == len(set(tally.errors)) == 3  # each said once
        assert all("Петренко" not in e.reason and "1900" not in e.reason for e in tally.errors)
        [report] = session.scalars(select(Report))
        assert (report.given_name, report.family_name, report.full_name) == (
            "Олена",
            "Бондар",
            None,
        )
        assert report.home_settlement == "Херсон"

    def test_a_record_id_longer_than_its_column_is_a_row_error_and_the_rest_loads(
        self, client: TestClient, app: FastAPI, callers: Callers, session: Session, tmp_path
    ):
        long_id = "pf.example/" + "7" * 5_000
        good = {**BAD_AND_GOOD[0], "person_record_id": "pf.example/good"}
        path = write(tmp_path / "list.xml", [{**good, "person_record_id": long_id}, good])
        tally = import_pfif(app, path, callers.coordinator.user_id)
        assert (tally.read, tally.loaded, tally.skipped) == (2, 1, 1)
        [error] = tally.errors
        assert (error.column, error.reason) == (
            "person_record_id",
            f"a person_record_id must be at most {EXTERNAL_ID_MAX} characters",
        )
        assert list(session.scalars(select(Report.external_id))) == ["pf.example/good"]

    @pytest.mark.parametrize(
        "person",
        [
            {"date_of_birth": "2011-00-10"},
            {"date_of_birth": "2011-01-00"},
            {"date_of_birth": "２０１１-01-10"},
            {"given_name": "\u3164", "family_name": "\u3164", "full_name": "\u3164"},
            {"given_name": "\u115f\u1160", "family_name": "\u2800", "full_name": "\uffa0"},
        ],
        ids=["month 0", "day 0", "full-width digits", "hangul fillers", "other blanks"],
    )
    def test_impossible_dates_and_invisible_names_are_row_errors(
        self, client: TestClient, app: FastAPI, callers: Callers, session: Session, tmp_path, person
    ):
        path = write(tmp_path / "list.xml", [{**BAD_AND_GOOD[0], **person}])
        tally = import_pfif(app, path, callers.coordinator.user_id)
        assert (tally.read, tally.loaded, tally.skipped) == (1, 0, 1)
        assert count(session, Report) == 0

    def test_a_person_without_a_record_id_is_skipped(self, callers: Callers, tmp_path):
        record = pfif.Record("person", 7, {"full_name": "Олена"})
        row = person_row(record)
        assert row.body is None
        assert [(e.line, e.column) for e in row.errors] == [(7, "person_record_id")]

    def test_notes_are_counted_not_imported(
        self, client: TestClient, app: FastAPI, callers: Callers, session: Session, tmp_path
    ):
        note = {
            "note_record_id": "pf.example/n1",
            "person_record_id": "pf.example/1",
            "author_name": "x",
            "source_date": "2024-01-01T00:00:00Z",
            "text": "seen",
        }
        path = write(tmp_path / "list.xml", BAD_AND_GOOD[:1], [note])
        assert inspect_pfif(path).notes == 1
        assert import_pfif(app, path, callers.coordinator.user_id).read == 1


class TestMatching:
    def test_an_imported_person_is_matched_as_the_api_matches_and_its_notes_keep_its_id(
        self, client: TestClient, callers: Callers, app: FastAPI, session: Session, tmp_path
    ):
        sighting = client.post(
            "/api/v1/sightings", json=payloads.sighting(), headers=callers.field.headers
        ).json()
        drain_queue(client)
        person = {
            "person_record_id": "pf.example/7",
            "source_date": "2024-01-01T00:00:00Z",
            "full_name": "Микола Олійник",
            "given_name": "Микола",
            "family_name": "Олійник",
            "sex": "male",
            "date_of_birth": "2011-03-12",
            "home_city": "Мелітополь",
        }
        import_pfif(app, write(tmp_path / "one.xml", [person]), callers.coordinator.user_id)
        [match] = session.scalars(select(Match).where(Match.sighting_id == sighting["id"]))
        assert match.score >= 0.9

        decided = client.post(
            f"/api/v1/matches/{match.id}/decision",
            json={"decision": "confirm", "note": "Same child.", "version": match.version},
            headers=callers.coordinator.headers,
        )
        assert decided.status_code == 200
        with export_pfif(app, tmp_path / "out.xml").open("rb") as out:
            [person, note] = pfif.read_records(out)
        assert person.fields["person_record_id"] == "pf.example/7"
        assert note.fields["person_record_id"] == "pf.example/7"


class TestNames:
    @pytest.mark.parametrize(
        ("given", "split"),
        [
            ("Микола Андрійович", ("Микола", "Андрійович")),
            ("Софія Олександрівна", ("Софія", "Олександрівна")),
            ("Nikolai Andreevich", ("Nikolai", "Andreevich")),
            ("Mykola Andriiovych", ("Mykola", "Andriiovych")),
            ("Ілля Ілліч", ("Ілля", "Ілліч")),
            ("Марія Анна", ("Марія Анна", "")),
            ("Hans Heinrich", ("Hans Heinrich", "")),
            ("Микола", ("Микола", "")),
        ],
    )
    def test_a_last_word_shaped_like_a_patronymic_is_one(self, given: str, split: Any):
        assert split_given_name(given) == split

    def test_more_full_names_become_other_names(self):
        record = pfif.Record(
            "person",
            3,
            {
                "person_record_id": "pf.example/9",
                "full_name": "Ковальчук Анастасія\nKovalchuk Anastasiia",
                "alternate_names": "Настя\nKovalchuk Anastasiia",
                "sex": "other",
                "age": "12-14",
            },
        )
        child = person_row(record).body["child"]  # type: ignore[index]
        assert child["full_name"] == "Ковальчук Анастасія"
        assert child["other_names"] == ["Kovalchuk Anastasiia", "Настя"]
        assert "sex" not in child
        assert child["age_estimate"] == {"min": 12, "max": 14}


class TestHostileFiles:
    BOMB = (
        '<?xml version="1.0"?><!DOCTYPE pfif [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        f'<pfif:pfif xmlns:pfif="{pfif.NAMESPACE}"><pfif:person>'
        "<pfif:full_name>&b;</pfif:full_name></pfif:person></pfif:pfif>"
    ).encode()

    def test_the_api_refuses_a_document_type_with_a_clear_reason(
        self, client: TestClient, callers: Callers, session: Session
    ):
        answer = upload(client, callers.coordinator.headers, self.BOMB)
        assert answer.status_code == 422
        assert answer.headers["content-type"] == "application/problem+json"
        [error] = answer.json()["errors"]
        assert error["loc"] == ["body", "file"]
        assert "document type" in error["msg"]
        assert count(session, Import) == count(session, Report) == 0

    @pytest.mark.parametrize(
        "data",
        [b"Name;Age\nOlena;12\n", b"<pfif/>", b"<pfif:pfif xmlns:pfif='http://zesty.ca/pfif/1.4'>"],
        ids=["csv", "not-pfif", "cut-short"],
    )
    def test_a_file_that_is_not_pfif_is_refused_before_anything_loads(
        self, client: TestClient, callers: Callers, session: Session, data: bytes
    ):
        answer = upload(client, callers.coordinator.headers, data)
        assert answer.status_code == 422, answer.text
        assert count(session, Import) == 0


def upload(client: TestClient, headers: dict[str, str], data: bytes, **form: Any) -> Any:
    fields = {"kind": "pfif", **{k: str(v).lower() for k, v in form.items()}}
    return client.post(
        "/api/v1/imports",
        headers=headers,
        data=fields,
        files={"file": ("ridni.xml", data, "application/xml")},
    )


class TestApi:
    def test_accepted_then_polled_to_done(
        self, client: TestClient, callers: Callers, session: Session, tmp_path
    ):
        data = write(tmp_path / "list.xml", BAD_AND_GOOD).read_bytes()
        answer = upload(client, callers.coordinator.headers, data)
        assert answer.status_code == 202, answer.text
        accepted = answer.json()
        assert (accepted["format"], accepted["kind"]) == ("pfif", "reports")
        assert (accepted["encoding"], accepted["delimiter"]) == (None, None)
        done = client.get(answer.headers["location"], headers=callers.coordinator.headers).json()
        assert done["status"] == "done"
        assert done["counts"] == {"read": 4, "loaded": 1, "duplicates": 0, "skipped": 3}
        assert {e["column"] for e in done["errors"]} == {"date_of_birth", "age", "full_name"}
        assert "Петренко" not in str(done)
        assert count(session, Report) == 1

    def test_a_dry_run_writes_nothing(
        self, client: TestClient, callers: Callers, session, tmp_path
    ):
        data = write(tmp_path / "list.xml", BAD_AND_GOOD).read_bytes()
        answer = upload(client, callers.admin.headers, data, dry_run=True)
        done = client.get(answer.headers["location"], headers=callers.admin.headers).json()
        assert done["counts"]["loaded"] == 1
        assert count(session, Report) == 0

    def test_csv_options_are_refused_for_a_pfif_file(
        self, client: TestClient, callers: Callers, tmp_path
    ):
        data = write(tmp_path / "list.xml", BAD_AND_GOOD).read_bytes()
        answer = upload(client, callers.coordinator.headers, data, delimiter=";")
        assert answer.status_code == 422
        assert answer.json()["errors"][0]["loc"] == ["body", "delimiter"]

    @pytest.mark.parametrize("role", ["family", "field"])
    def test_only_coordinators_and_admins_import(self, client: TestClient, callers: Callers, role):
        answer = upload(client, getattr(callers, role).headers, b"<x/>")
        assert answer.status_code == 403


# `ridni ARGS` run in this process, the fixture of the other commands' tests.
ridni = in_process_ridni


class TestCommandLine:
    def test_import_pfif_prints_a_summary_and_the_bad_persons(self, ridni: Ridni, tmp_path):
        url = f"sqlite:///{tmp_path / 'cli.db'}"
        ridni("migrate", database_url=url)
        app = create_app(Settings(database_url=url))
        with app.state.session_factory() as session:
            coordinator = make_callers(session).coordinator.user_id
        app.state.engine.dispose()
        path = write(tmp_path / "list.xml", BAD_AND_GOOD)

        result = ridni("import", "pfif", str(path), "--as", coordinator, database_url=url)
        assert result.returncode == 0, result.stderr
        assert "PFIF, 4 persons (loaded as reports) and 0 notes" in result.stdout
        assert "4 rows read, 1 loaded, 0 already present, 3 skipped" in result.stdout
        assert "date_of_birth (date_of_birth):" in result.stdout
        again = ridni("import", "pfif", str(path), "--as", coordinator, database_url=url)
        assert "1 already present" in again.stdout

    def test_a_hostile_file_exits_non_zero_with_the_reason(self, ridni: Ridni, tmp_path):
        url = f"sqlite:///{tmp_path / 'cli.db'}"
        path = tmp_path / "bomb.xml"
        path.write_bytes(TestHostileFiles.BOMB)
        result = ridni("import", "pfif", str(path), "--dry-run", database_url=url)
        assert result.returncode == 1
        assert "declares a document type" in result.stderr
        assert "Traceback" not in result.stderr
