"""Importing CSV files of reports and sightings: the API's validation and creation path, matching,
per-row errors, dry runs, and files imported twice. Runs on SQLite and on PostgreSQL."""

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session, sessionmaker

from app.audit.models import AuditEvent
from app.core.security import Principal, Role
from app.crypto.keyring import Keyring
from app.crypto.orm import session_info
from app.imports import pipeline, repository, service
from app.imports.csvfile import inspect, parse_map
from app.imports.fields import Kind
from app.imports.models import Import, ImportedRecord
from app.imports.pipeline import SEALED_PARTS, BatchLoader, Job, ValidRow, validate
from app.imports.rows import SourceRow, Tally
from app.matches import repository as matches_repository
from app.matches.engine import MatchingSettings
from app.matches.models import Match, ReportKey, SightingKey
from app.reports.models import Report
from app.sightings.models import Sighting
from tests.app import payloads
from tests.app.matching_queue import drain_queue
from tests.conftest import Caller, Callers

MATCHING = MatchingSettings(proposal_threshold=0.5)


@pytest.fixture
def make(connection: Connection, keyring: Keyring) -> sessionmaker[Session]:
    """Sessions in the test's transaction, as the command line's (rolled back afterwards)."""
    return sessionmaker(
        bind=connection,
        join_transaction_mode="create_savepoint",
        expire_on_commit=False,
        info=session_info(keyring),
    )


def csv_file(tmp_path: Path, lines: list[str], *, encoding: str = "utf-8") -> Path:
    path = tmp_path / f"import-{len(list(tmp_path.iterdir()))}.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def run_import(
    make: sessionmaker[Session],
    path: Path,
    kind: str,
    owner: Caller,
    *,
    mapping: str = "",
    dry_run: bool = False,
    batch_size: int = 500,
) -> tuple[Tally, Import]:
    """What `ridni import` does."""
    layout = inspect(path, Kind(kind), mapping=parse_map(mapping, Kind(kind)))
    with make() as session, session.begin():
        record = service.start(
            session, Principal(owner.user_id, owner.role), layout, dry_run=dry_run
        )
    result = service.run(
        make,
        path,
        layout,
        owner=Principal(owner.user_id, owner.role),
        import_id=record.id,
        dry_run=dry_run,
        matching=MATCHING,
        batch_size=batch_size,
    )
    with make() as session:
        stored = session.get(Import, record.id)
        assert stored is not None
        session.expunge(stored)
    return result.tally, stored


def count(session: Session, model: Any) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


REPORTS_UK = [
    "Прізвище,Ім'я,По батькові,Інші імена,Дата народження,Стать,Населений пункт,"
    "Дата зникнення,Місце зникнення,Заявник,Ким доводиться,Телефон",
    "Олійник,Микола,Андрійович,Коля|Миколка,12.03.2011,ч,Мелітополь,07.10.2022,Херсон,"
    "Ганна Олійник,мати,+380500000001",
    "Ковальчук,Анастасія,Сергіївна,,2013-07,ж,Херсон,2022,,,,",
    "Петренко,Аліна,,,2011,ж,Куп'янськ,,,,,",
]


def test_a_good_utf8_file_of_reports_loads_with_ukrainian_headers(
    make: sessionmaker[Session], session: Session, callers: Callers, tmp_path: Path
):
    tally, record = run_import(make, csv_file(tmp_path, REPORTS_UK), "reports", callers.coordinator)

    assert (tally.read, tally.loaded, tally.duplicates, tally.skipped) == (3, 3, 0, 0)
    assert (record.status, record.rows_read, record.rows_loaded) == ("done", 3, 3)
    assert record.encoding == "utf-8" and record.delimiter == ","
    assert record.started_at is not None and record.finished_at is not None
    mykola = session.scalars(select(Report).where(Report.given_name == "Микола")).one()
    assert mykola.owner_id == callers.coordinator.user_id
    assert mykola.other_names == ["Коля", "Миколка"]
    assert (mykola.birth_year, mykola.birth_month, mykola.birth_day) == (2011, 3, 12)
    assert (mykola.last_seen_year, mykola.last_seen_month, mykola.last_seen_day) == (2022, 10, 7)
    assert mykola.reporter_relationship == "мати" and mykola.reporter_phone == "+380500000001"
    assert mykola.sex == "male"
    # Indexed for matching, as a report filed through the API is.
    assert count(session, ReportKey) > 0
    assert mykola.matched_with is not None
    assert count(session, ImportedRecord) == 3
    # In the audit trail: the import, and each report as created by the user it is filed as.
    rows = session.execute(
        select(AuditEvent.user_id, AuditEvent.action, AuditEvent.object_id).where(
            AuditEvent.user_id == callers.coordinator.user_id
        )
    ).all()
    reports = set(session.scalars(select(Report.id)))
    assert sorted(tuple(r) for r in rows) == sorted(
        [(callers.coordinator.user_id, "import.create", record.id)]
        + [(callers.coordinator.user_id, "report.create", rid) for rid in reports]
    )


SIGHTINGS_RU = [
    "№;Фамилия;Имя;Отчество;Дата рождения;Пол;Откуда;Регион;Примечание",
    "1;ОЛЕЙНИК;Николай;Андреевич;12.03.2011;м;Мелитополь;Республика Крым;в приемной семье",
    "2;Руденко;Дарья;Павловна;11.11.2012;ж;Херсон;Ростовская область;",
]


def test_a_cp1251_list_of_sightings_with_semicolons_and_russian_headers_is_matched(
    client: TestClient,
    make: sessionmaker[Session],
    session: Session,
    callers: Callers,
    tmp_path: Path,
):
    filed = client.post("/api/v1/reports", json=payloads.report(), headers=callers.family.headers)
    assert filed.status_code == 201
    drain_queue(client)
    path = csv_file(tmp_path, SIGHTINGS_RU, encoding="cp1251")

    tally, record = run_import(make, path, "sightings", callers.coordinator)

    assert (record.encoding, record.delimiter) == ("cp1251", ";")
    assert record.ignored_columns == ["№"]
    assert record.columns["Регион"] == "location"
    assert (tally.loaded, tally.skipped) == (2, 0)
    olejnik = session.scalars(select(Sighting).where(Sighting.family_name == "ОЛЕЙНИК")).one()
    assert (olejnik.source_type, olejnik.location) == ("list", "Республика Крым")
    assert count(session, SightingKey) > 0
    [match] = session.scalars(select(Match).where(Match.sighting_id == olejnik.id))
    assert match.report_id == filed.json()["id"]
    assert match.status == "proposed"


def test_a_mapping_names_columns_the_table_does_not_know(
    make: sessionmaker[Session], session: Session, callers: Callers, tmp_path: Path
):
    path = csv_file(tmp_path, ["Дитина;Рік;Звідки забрали", "Коля;2011;Мелітополь"])

    tally, record = run_import(
        make,
        path,
        "reports",
        callers.admin,
        mapping="Дитина=given_name, Рік=date_of_birth, Звідки забрали=home_settlement",
    )

    assert tally.loaded == 1
    assert record.columns == {
        "Дитина": "given_name",
        "Рік": "date_of_birth",
        "Звідки забрали": "home_settlement",
    }
    report = session.scalars(select(Report)).one()
    assert (report.given_name, report.birth_year, report.home_settlement) == (
        "Коля",
        2011,
        "Мелітополь",
    )


BAD_SIGHTINGS = [
    "Имя,Фамилия,Дата рождения,Возраст,Тип источника,Откуда",  # line 1
    "Николай,Олейник,2011-03-12,,документ,Мелитополь",  # 2: good
    ",,2011-03-12,,документ,Мелитополь",  # 3: no name
    "Виктория,Шевченко,31.02.2012,,документ,Бердянск",  # 4: no such date
    "Артем,Ткаченко,,40,свидетель,Изюм",  # 5: absurd age
    "Софья,Мельник,2015,,слухи,Каховка",  # 6: unknown source type
    "М" * 201 + ",Савченко,2009,,,Лисичанск",  # 7: a name too long
    "Дарья,Руденко,2012,,список",  # 8: a cell short
    "Кирилл,Лысенко,2099,,,Изюм",  # 9: born in the future
    "Алина,Петренко,17.06.2011,,,Купянск",  # 10: good
]


def test_bad_rows_are_reported_by_line_and_skipped_while_good_rows_load(
    make: sessionmaker[Session], session: Session, callers: Callers, tmp_path: Path
):
    tally, record = run_import(
        make,
        csv_file(tmp_path, BAD_SIGHTINGS),
        "sightings",
        callers.coordinator,
        batch_size=3,
    )

    assert (tally.read, tally.loaded, tally.skipped) == (9, 2, 7)
    where = [(e["line"], e["field"], e["column"]) for e in record.errors]
    assert where == [
        (3, None, None),
        (4, "date_of_birth", "Дата рождения"),
        (5, "age", "Возраст"),  # once, though both ends of the range are over 25
        (6, "source_type", "Тип источника"),
        (7, "given_name", "Имя"),
        (8, None, None),
        (9, "date_of_birth", "Дата рождения"),
    ]
    reasons = " ".join(e["reason"] for e in record.errors)
    for value in ("Шевченко", "31.02", "40", "слухи", "МММ", "Руденко", "2099"):
        assert value not in reasons
    assert record.rows_skipped == 7
    names = set(session.scalars(select(Sighting.family_name)))
    assert names == {"Олейник", "Петренко"}


def test_a_dry_run_checks_every_row_and_writes_nothing(
    make: sessionmaker[Session], session: Session, callers: Callers, tmp_path: Path
):
    tally, record = run_import(
        make,
        csv_file(tmp_path, BAD_SIGHTINGS),
        "sightings",
        callers.coordinator,
        dry_run=True,
    )

    assert (tally.read, tally.loaded, tally.skipped) == (9, 2, 7)
    assert record.dry_run and record.status == "done" and record.rows_loaded == 2
    for model in (Sighting, SightingKey, Match, ImportedRecord):
        assert count(session, model) == 0
    mine = select(AuditEvent.action).where(AuditEvent.user_id == callers.coordinator.user_id)
    assert session.scalars(mine).all() == ["import.create"]


def test_importing_the_same_file_again_creates_nothing(
    make: sessionmaker[Session], session: Session, callers: Callers, tmp_path: Path
):
    first, _ = run_import(make, csv_file(tmp_path, REPORTS_UK), "reports", callers.coordinator)
    # The same rows again, as another export would write them: other case, spacing, order of
    # columns, dates in ISO form, and one row twice.
    again = [
        "ім'я, ПРІЗВИЩЕ ,Дата народження,Інші імена,По батькові,Стать,Населений пункт,"
        "Дата зникнення,Місце зникнення,Заявник,Ким доводиться,Телефон",
        "МИКОЛА,Олійник,2011-03-12,Миколка; Коля,Андрійович,male,мелітополь,2022-10-07,Херсон,"
        "Ганна  Олійник,мати,+380500000001",
        "Анастасія,Ковальчук,07.2013,,Сергіївна,ж,Херсон,2022,,,,",
        "Анастасія,Ковальчук,07.2013,,Сергіївна,ж,Херсон,2022,,,,",
        "Аліна,Петренко,2011,,,ж,Куп'янськ,,,,,",
    ]
    second, record = run_import(make, csv_file(tmp_path, again), "reports", callers.admin)

    assert first.loaded == 3
    assert (second.read, second.loaded, second.duplicates) == (4, 0, 4)
    assert record.rows_duplicate == 4
    assert count(session, Report) == 3


def test_a_row_twice_in_one_file_is_loaded_once(
    make: sessionmaker[Session], session: Session, callers: Callers, tmp_path: Path
):
    lines = ["Имя,Фамилия", "Коля,Олейник", "Саша,Бондаренко", "коля , олейник"]
    tally, _ = run_import(
        make, csv_file(tmp_path, lines), "sightings", callers.coordinator, batch_size=1
    )
    assert (tally.loaded, tally.duplicates) == (2, 1)
    assert count(session, Sighting) == 2


def test_a_row_another_import_stored_meanwhile_is_a_duplicate_and_the_batch_still_loads(
    make: sessionmaker[Session],
    session: Session,
    callers: Callers,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
):
    run_import(make, csv_file(tmp_path, ["Имя", "Коля"]), "sightings", callers.coordinator)
    # As if the other import committed between this batch's look-up and its write.
    monkeypatch.setattr(repository, "present", lambda _session, _fingerprints: set())

    tally, _ = run_import(
        make,
        csv_file(tmp_path, ["Имя", "Саша", "Коля", "Маша"]),
        "sightings",
        callers.coordinator,
    )

    assert (tally.loaded, tally.duplicates) == (2, 1)
    assert count(session, Sighting) == 3
    # No half-written row: every sighting has its fingerprint.
    assert count(session, ImportedRecord) == 3


FILLER = [
    ("Іван", "Бондар"),
    ("Олена", "Ткачук"),
    ("Андрій", "Коваль"),
    ("Марія", "Шевчук"),
    ("Дмитро", "Мельник"),
    ("Софія", "Кравець"),
    ("Артем", "Лисенко"),
    ("Вікторія", "Гончар"),
    ("Максим", "Руденко"),
    ("Дарина", "Савчук"),
    ("Богдан", "Литвин"),
    ("Анна", "Мороз"),
    ("Денис", "Кушнір"),
    ("Юлія", "Ярош"),
    ("Назар", "Білоус"),
    ("Катерина", "Онищук"),
]


def _proposals(session: Session, sighting_id: str) -> list[tuple[str, float, Any]]:
    matches = session.scalars(select(Match).where(Match.sighting_id == sighting_id))
    return sorted((m.report_id, m.score, m.explanation) for m in matches)


def test_imported_sightings_get_the_proposals_the_api_gives(
    client: TestClient,
    make: sessionmaker[Session],
    session: Session,
    callers: Callers,
    tmp_path: Path,
):
    # Other children, so that these names are as rare among reports as they are in life (the
    # engine weighs a name by its share of reports).
    for given, family in FILLER:
        answer = client.post(
            "/api/v1/reports",
            json={"child": {"given_name": given, "family_name": family}},
            headers=callers.family2.headers,
        )
        assert answer.status_code == 201
    for child in (
        {},
        {"given_name": "Миколка", "date_of_birth": "2011"},
        {
            "given_name": "Аліна",
            "family_name": "Петренко",
            "other_names": [],
            "sex": "female",
            "date_of_birth": "2011-06-17",
            "home_settlement": "Куп'янськ",
        },
    ):
        answer = client.post(
            "/api/v1/reports", json=payloads.report(**child), headers=callers.family.headers
        )
        assert answer.status_code == 201
    subjects = [
        payloads.sighting(),
        payloads.sighting(
            full_name="Петренко Алина",
            date_of_birth=None,
            sex="female",
            age_estimate={"min": 12, "max": 14},
            origin_settlement="Купянск",
        ),
        {
            **payloads.sighting(full_name="Коля Олейник", date_of_birth=None),
            "source_type": "witness",
            "observed_on": None,
        },
    ]
    through_api = {}
    for body in subjects:
        body = {**body, "subject": {k: v for k, v in body["subject"].items() if v is not None}}
        body = {k: v for k, v in body.items() if v is not None}
        answer = client.post("/api/v1/sightings", json=body, headers=callers.field.headers)
        assert answer.status_code == 201
        through_api[body["subject"]["full_name"]] = answer.json()["id"]
    drain_queue(client)
    lines = [
        "ПІБ;Дата рождения;Пол;Возраст от;Возраст до;Откуда;Дата наблюдения;Где видели;"
        "Тип источника;Примечание;Источник;Контакт"
    ]
    for body in subjects:
        s = body["subject"]
        age = s.get("age_estimate") or {}
        lines.append(
            ";".join(
                [
                    s["full_name"],
                    s.get("date_of_birth") or "",
                    s["sex"],
                    str(age.get("min", "")),
                    str(age.get("max", "")),
                    s["origin_settlement"],
                    body.get("observed_on") or "",
                    body["location"],
                    body["source_type"],
                    body["notes"],
                    body["source"]["details"],
                    body["source"]["contact"],
                ]
            )
        )

    tally, _ = run_import(make, csv_file(tmp_path, lines), "sightings", callers.coordinator)

    assert tally.loaded == 3
    compared = 0
    for full_name, api_id in through_api.items():
        imported = session.scalars(
            select(Sighting).where(Sighting.full_name == full_name, Sighting.id != api_id)
        ).one()
        api_sighting = session.get(Sighting, api_id)
        assert api_sighting is not None
        assert (imported.source_contact, imported.source_details, imported.notes) == (
            api_sighting.source_contact,
            api_sighting.source_details,
            api_sighting.notes,
        )
        expected = _proposals(session, api_id)
        assert _proposals(session, imported.id) == expected
        compared += len(expected)
        # Below the threshold too: the same candidates with the same scores.
        ranked = [
            [
                (c["report_id"], c["score"])
                for c in client.get(
                    f"/api/v1/sightings/{sighting_id}/candidates",
                    headers=callers.coordinator.headers,
                ).json()["items"]
            ]
            for sighting_id in (api_id, imported.id)
        ]
        assert ranked[0] == ranked[1] and ranked[0]
    assert compared >= 2  # the comparison compared proposals, not only empty lists


def test_errors_beyond_the_cap_are_counted_not_kept(
    make: sessionmaker[Session], callers: Callers, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(pipeline, "MAX_ERRORS", 2)
    lines = ["Имя;Дата рождения", *(f"Коля;31.02.20{10 + i}" for i in range(5))]
    tally, record = run_import(
        make, csv_file(tmp_path, lines), "sightings", callers.coordinator, batch_size=2
    )
    assert tally.skipped == record.rows_skipped == 5
    assert [error["line"] for error in record.errors] == [2, 3]
    assert record.errors_truncated


def test_a_failure_marks_the_import_failed_without_its_message(
    make: sessionmaker[Session], callers: Callers, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    def broken(_self: object, _batch: object, _checked: object) -> Tally:
        raise RuntimeError("Олійник Микола")

    monkeypatch.setattr("app.imports.pipeline.BatchLoader.load", broken)
    with pytest.raises(RuntimeError):
        run_import(make, csv_file(tmp_path, ["Имя", "Коля"]), "sightings", callers.coordinator)
    with make() as session:
        record = session.scalars(select(Import)).one()
        assert record.status == "failed"
        assert record.detail is not None and "RuntimeError" in record.detail
        assert "Олійник" not in record.detail


@pytest.mark.parametrize(("kind", "model"), [(Kind.reports, Report), (Kind.sightings, Sighting)])
def test_fingerprints_leave_out_every_encrypted_part(kind: Kind, model: Any):
    sealed = {c.name for c in model.__table__.columns if c.info.get("sealed")}
    parts = {
        name.partition("_")[0] if name.startswith(("reporter_", "source_")) else name
        for name in sealed
    }
    assert parts == SEALED_PARTS[kind]


def test_rows_that_differ_only_in_encrypted_parts_are_one_row(
    make: sessionmaker[Session], session: Session, callers: Callers, tmp_path: Path
):
    lines = [
        "Ім'я,Прізвище,Телефон,Обставини",
        "Микола,Олійник,+380500000001,",
        "Микола,Олійник,+380500000002,Забрали з табору",
    ]
    tally, _ = run_import(make, csv_file(tmp_path, lines), "reports", callers.coordinator)
    assert (tally.loaded, tally.duplicates) == (1, 1)
    [report] = session.scalars(select(Report)).all()
    assert report.reporter_phone == "+380500000001"


OLENA = {
    "given_name": "Олена",
    "family_name": "Бондар",
    "other_names": [],
    "sex": "female",
    "date_of_birth": "2012-05-01",
    "home_settlement": "Херсон",
}


def _sightings_loader(
    make: sessionmaker[Session], session: Session, callers: Callers
) -> BatchLoader:
    record = Import(
        kind="sightings",
        created_by=callers.coordinator.user_id,
        encoding="utf-8",
        delimiter=",",
        columns={},
        ignored_columns=[],
    )
    session.add(record)
    session.commit()
    return BatchLoader(
        make,
        Job(
            Kind.sightings,
            Principal(callers.coordinator.user_id, Role.coordinator),
            record.id,
            MATCHING,
        ),
    )


def _sighting(line: int, **subject: str) -> list[ValidRow]:
    row = validate(Kind.sightings, SourceRow(line, {"subject": subject, "source_type": "list"}))
    assert isinstance(row, ValidRow)
    return [row]


def test_a_report_amended_during_an_import_of_sightings_is_read_afresh(
    client: TestClient,
    make: sessionmaker[Session],
    session: Session,
    callers: Callers,
):
    """The loader keeps the reports it has read from batch to batch, except amended ones."""
    report = client.post(
        "/api/v1/reports", json=payloads.report(**OLENA), headers=callers.family.headers
    ).json()
    drain_queue(client)
    loader = _sightings_loader(make, session, callers)
    loader.load(_sighting(2, full_name="Бондарь Елена", date_of_birth="2012-05-01"))
    # Another child after all: the family corrects the report while the import runs.
    amended = client.patch(
        f"/api/v1/reports/{report['id']}",
        json={
            "child": {
                "given_name": "Микола",
                "family_name": "Олійник",
                "sex": "male",
                "date_of_birth": "2011-03-12",
                "home_settlement": "Мелітополь",
            }
        },
        headers=callers.family.headers,
    )
    assert amended.status_code == 200
    drain_queue(client)
    loader.load(_sighting(3, full_name="ОЛЕЙНИК Николай Андреевич", date_of_birth="2011-03-12"))

    olejnik = session.scalars(select(Sighting).where(Sighting.full_name.like("ОЛЕЙНИК%"))).one()
    [match] = session.scalars(select(Match).where(Match.sighting_id == olejnik.id))
    assert match.report_id == report["id"]


def test_a_report_filed_just_before_an_import_is_read_once(
    client: TestClient,
    make: sessionmaker[Session],
    session: Session,
    callers: Callers,
    monkeypatch: pytest.MonkeyPatch,
):
    """Reports updated within the look-back for uncommitted amendments but not since they were
    read stay kept: a list imported right after reports were loaded does not re-read them all
    in every batch."""
    report = client.post(
        "/api/v1/reports", json=payloads.report(**OLENA), headers=callers.family.headers
    ).json()
    drain_queue(client)
    loader = _sightings_loader(make, session, callers)
    read: list[set[str]] = []

    def report_rows(session: Session, ids: Iterable[str]) -> list[Any]:
        read.append(set(ids))
        return stored_report_rows(session, ids)

    stored_report_rows = matches_repository.report_rows
    monkeypatch.setattr(matches_repository, "report_rows", report_rows)

    loader.load(_sighting(2, full_name="Бондарь Елена", date_of_birth="2012-05-01"))
    loader.load(_sighting(3, full_name="БОНДАРЬ Елена Ивановна", date_of_birth="2012-05-01"))

    assert [report["id"] in ids for ids in read] == [True, False]
    sightings = session.scalars(select(Sighting.id).where(Sighting.full_name.like("%Елена%")))
    proposed = session.scalars(select(Match.report_id).where(Match.sighting_id.in_(sightings)))
    assert list(proposed) == [report["id"], report["id"]]


def test_rows_with_the_same_group_are_siblings_or_seen_together(
    make: sessionmaker[Session], session: Session, callers: Callers, tmp_path: Path
):
    from app.reports.models import ReportSibling
    from app.sightings.models import SeenTogether

    reports = csv_file(
        tmp_path,
        [
            "family_name,given_name,date_of_birth,sex,group",
            "Мартинюк,Олена,2012-04-03,female,A",
            "Мартинюк,Назар,2015-01-06,male,A",
            "Мартинюк,Іван,2017-02-02,male,A",
            "Коваль,Петро,2010-01-01,male,",
        ],
    )
    tally, _ = run_import(make, reports, "reports", callers.coordinator, batch_size=2)
    assert tally.loaded == 4
    pairs = session.execute(select(ReportSibling.report_id, ReportSibling.sibling_id)).all()
    assert len(pairs) == 3  # every two of the group, across batches; the fourth row none
    sightings = csv_file(
        tmp_path,
        [
            "full_name,date_of_birth,sex,source_type,group",
            "Мартынюк Елена Григорьевна,2012-04-03,female,document,camp",
            "Вовк Назар Викторович,2015,male,document,camp",
        ],
    )
    run_import(make, sightings, "sightings", callers.coordinator)
    assert count(session, SeenTogether) == 1
    proposed = session.scalars(select(Match)).all()
    assert any(any(e["field"] == "group" for e in m.explanation) for m in proposed), (
        "the group's evidence reaches the imported sightings' proposals"
    )
