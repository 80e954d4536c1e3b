"""Exports: PFIF 1.4 for other registries, CSV and JSON for partner agencies.

Every record carries canary values in the fields that must never leave (a sighting's source
and notes, a report's circumstances, and, unless an admin asks, the reporter's contact), and
every export is searched for them.
"""

import csv
import io
import json
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from lxml import etree
from pydantic import ValidationError
from sqlalchemy import Engine, text

from app.core.settings import Settings
from app.exports import service
from app.exports.schemas import ExportFormat
from app.exports.service import Export, ExportKind
from app.formats.pfif import NAMESPACE
from tests.app import payloads
from tests.app.live import serve
from tests.app.matching_queue import drain_queue
from tests.conftest import Caller, Callers

SCHEMA = etree.RelaxNG(etree.parse(str(Path(__file__).parents[1] / "pfif-1.4.rng")))
P = f"{{{NAMESPACE}}}"

REPORTER = {
    "name": "Canary Reporter Ганна",
    "relationship": "canary-relationship",
    "phone": "+380 50 777 3311",
    "email": "canary.reporter@example.org",
}
SOURCE = {"contact": "Signal CANARY-SOURCE-CONTACT", "details": "CANARY-SOURCE-DETAILS"}
NOTES = "CANARY-SIGHTING-NOTES"
CIRCUMSTANCES = "CANARY-CIRCUMSTANCES"
NEVER = [SOURCE["contact"], SOURCE["details"], NOTES, CIRCUMSTANCES]
CONTACTS = [REPORTER["name"], REPORTER["relationship"], REPORTER["phone"], REPORTER["email"]]


def file_report(client: TestClient, caller: Caller, **child: Any) -> str:
    body = payloads.report(**child)
    body["reporter"] = REPORTER
    body["circumstances"] = CIRCUMSTANCES
    response = client.post("/api/v1/reports", json=body, headers=caller.headers)
    assert response.status_code == 201, response.text
    report_id: str = response.json()["id"]
    return report_id


def file_sighting(client: TestClient, caller: Caller, **subject: Any) -> str:
    body = payloads.sighting(**subject)
    body["source"] = SOURCE
    body["notes"] = NOTES
    response = client.post("/api/v1/sightings", json=body, headers=caller.headers)
    assert response.status_code == 201, response.text
    sighting_id: str = response.json()["id"]
    return sighting_id


def confirm(client: TestClient, callers: Callers, report_id: str, sighting_id: str) -> dict:
    drain_queue(client)
    queue = client.get(
        "/api/v1/matches", params={"status": "proposed"}, headers=callers.coordinator.headers
    ).json()["items"]
    [match] = [m for m in queue if (m["report_id"], m["sighting_id"]) == (report_id, sighting_id)]
    decided = client.post(
        f"/api/v1/matches/{match['id']}/decision",
        json={"decision": "confirm", "note": "Same certificate.", "version": match["version"]},
        headers=callers.coordinator.headers,
    )
    assert decided.status_code == 200, decided.text
    confirmed: dict = decided.json()
    return confirmed


@pytest.fixture
def world(client: TestClient, callers: Callers) -> dict[str, Any]:
    """A located child (report, sighting, confirmed match), an open report with a proposed but
    undecided sighting, and an open report nobody has seen."""
    located = file_report(client, callers.family, patronymic="Андрійович", age_estimate=None)
    seen = file_sighting(client, callers.field)
    match = confirm(client, callers, located, seen)
    proposed = file_report(
        client,
        callers.family2,
        given_name="Софія",
        family_name="Коваленко",
        other_names=[],
        sex="female",
        date_of_birth="2014-06",
        home_settlement="Маріуполь",
        distinguishing_marks="A scar over the left eyebrow.",
        institution="Маріупольський дитячий будинок",
    )
    unconfirmed = file_sighting(
        client,
        callers.field2,
        full_name="КОВАЛЕНКО София",
        date_of_birth="2014-06",
        sex="female",
        origin_settlement="Мариуполь",
    )
    unseen = file_report(
        client,
        callers.family2,
        given_name="Артем",
        family_name="Бондар",
        other_names=["Тьома"],
        date_of_birth=None,
        age_estimate={"min": 9, "max": 11},
        home_settlement="Бахмут",
    )
    return {
        "located": located,
        "seen": seen,
        "match": match,
        "proposed": proposed,
        "unconfirmed": unconfirmed,
        "unseen": unseen,
    }


def get(client: TestClient, caller: Caller, what: str, **params: Any) -> Any:
    return client.get(f"/api/v1/exports/{what}", params=params, headers=caller.headers)


def assert_nothing_private(text: str, *, contacts: bool = False) -> None:
    for canary in NEVER + ([] if contacts else CONTACTS):
        assert canary not in text


def pfif_document(text: str) -> Any:
    root = etree.fromstring(text.encode())
    assert SCHEMA.validate(root), SCHEMA.error_log
    return root


def fields(element: Any) -> dict[str, str]:
    return {child.tag.removeprefix(P): child.text for child in element}


class TestPfif:
    def test_reports_are_persons_and_confirmed_sightings_notes_valid_against_the_schema(
        self, client: TestClient, callers: Callers, world: dict[str, Any], settings: Settings
    ):
        response = get(client, callers.coordinator, "pfif")
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/pfif+xml"
        assert "attachment" in response.headers["content-disposition"]
        root = pfif_document(response.text)
        persons = {fields(p)["person_record_id"]: fields(p) for p in root.iter(f"{P}person")}
        domain = settings.pfif_domain
        located = persons[f"{domain}/report.{world['located']}"]
        assert located["full_name"] == "Микола Андрійович Олійник"
        assert located["given_name"] == "Микола Андрійович"
        assert located["family_name"] == "Олійник"
        assert located["alternate_names"] == "Коля"
        assert located["sex"] == "male"
        assert located["date_of_birth"] == "2011-03-12"
        assert located["home_city"] == "Мелітополь"
        assert located["source_name"] == "Ridni"
        for moment in ("entry_date", "source_date"):
            assert located[moment].endswith("Z") and len(located[moment]) == 20
        unseen = persons[f"{domain}/report.{world['unseen']}"]
        assert unseen["age"] == "9-11"
        assert "date_of_birth" not in unseen
        assert unseen["alternate_names"] == "Тьома"
        proposed = persons[f"{domain}/report.{world['proposed']}"]
        assert proposed["date_of_birth"] == "2014-06"
        assert proposed["description"] == (
            "A scar over the left eyebrow.\nInstitution: Маріупольський дитячий будинок"
        )

        [note] = [fields(n) for n in root.iter(f"{P}note")]
        assert note["note_record_id"] == f"{domain}/sighting.{world['seen']}"
        assert note["person_record_id"] == f"{domain}/report.{world['located']}"
        assert note["status"] == "believed_alive"
        assert note["last_known_location"] == "Евпатория"
        assert note["author_name"] == "Ridni"
        assert note["source_date"] == world["match"]["decided_at"][:19] + "Z"
        assert "2024-05-01" in note["text"] and "document" in note["text"]

    def test_nothing_private_by_default_not_even_for_an_admin(
        self, client: TestClient, callers: Callers, world: dict[str, Any]
    ):
        for caller in (callers.coordinator, callers.admin):
            response = get(client, caller, "pfif")
            assert_nothing_private(response.text)
            assert "author_email" not in response.text
            assert "author_phone" not in response.text

    def test_an_admin_asking_gets_the_reporters_contact_and_still_no_source(
        self, client: TestClient, callers: Callers, world: dict[str, Any], settings: Settings
    ):
        response = get(client, callers.admin, "pfif", include_contacts="true")
        assert response.status_code == 200
        root = pfif_document(response.text)
        located = next(
            fields(p)
            for p in root.iter(f"{P}person")
            if fields(p)["person_record_id"].endswith(world["located"])
        )
        assert located["author_name"] == REPORTER["name"]
        assert located["author_email"] == REPORTER["email"]
        assert located["author_phone"] == REPORTER["phone"]
        assert_nothing_private(response.text, contacts=True)

    def test_a_coordinator_asking_for_contacts_is_refused(
        self, client: TestClient, callers: Callers, world: dict[str, Any]
    ):
        response = get(client, callers.coordinator, "pfif", include_contacts="true")
        assert response.status_code == 403
        assert response.headers["content-type"] == "application/problem+json"
        assert_nothing_private(response.text)

    def test_a_contact_pfif_cannot_carry_is_left_out_and_the_document_stays_valid(
        self, client: TestClient, callers: Callers
    ):
        body = payloads.report()
        body["reporter"] = {"name": "Ганна", "phone": "Signal: @hanna", "email": "not an email"}
        assert client.post("/api/v1/reports", json=body, headers=callers.family.headers).is_success
        response = get(client, callers.admin, "pfif", include_contacts="true")
        [person] = pfif_document(response.text).iter(f"{P}person")
        assert fields(person)["author_name"] == "Ганна"
        assert {"author_phone", "author_email"}.isdisjoint(fields(person))

    def test_the_record_ids_use_the_configured_domain(
        self, client: TestClient, callers: Callers, world: dict[str, Any], app: FastAPI
    ):
        text = "".join(
            service.stream(
                app.state.session_factory,
                None,
                Export(ExportKind.pfif),
                pfif_domain="tracing.example.org",
            )
        )
        root = pfif_document(text)
        ids = [fields(p)["person_record_id"] for p in root.iter(f"{P}person")]
        assert ids and all(i.startswith("tracing.example.org/report.") for i in ids)

    def test_the_domain_setting_must_be_a_domain(self):
        with pytest.raises(ValidationError):
            Settings(pfif_domain="Not a domain/at all")

    def test_an_empty_database_is_a_valid_empty_document(
        self, client: TestClient, callers: Callers
    ):
        root = pfif_document(get(client, callers.coordinator, "pfif").text)
        assert len(root) == 0


class TestMatches:
    @pytest.mark.parametrize("format", ["csv", "json"])
    def test_confirmed_matches_only_with_what_partners_need(
        self, client: TestClient, callers: Callers, world: dict[str, Any], format: str
    ):
        response = get(client, callers.coordinator, "matches", format=format)
        assert response.status_code == 200
        assert_nothing_private(response.text)
        [row] = rows(response.text, format)
        assert row["match_id"] == world["match"]["id"]
        assert row["report_id"] == world["located"]
        assert row["sighting_id"] == world["seen"]
        assert float(row["score"]) == pytest.approx(world["match"]["score"])
        assert row["decided_at"].endswith("Z")
        assert row["child_given_name"] == "Микола"
        assert row["child_patronymic"] == "Андрійович"
        assert row["child_date_of_birth"] == "2011-03-12"
        assert row["child_home_settlement"] == "Мелітополь"
        assert row["sighting_origin_settlement"] == "Мелитополь"
        assert row["sighting_observed_on"] == "2024-05-01"
        assert row["sighting_location"] == "Евпатория"
        assert row["sighting_source_type"] == "document"
        assert not any(key.startswith(("reporter", "source")) for key in row)
        assert "sighting_source" not in row

    @pytest.mark.parametrize("format", ["csv", "json"])
    def test_an_admin_asking_gets_the_reporters_contact_never_the_source(
        self, client: TestClient, callers: Callers, world: dict[str, Any], format: str
    ):
        response = get(client, callers.admin, "matches", format=format, include_contacts=True)
        assert response.status_code == 200
        [row] = rows(response.text, format)
        assert row["reporter_name"] == REPORTER["name"]
        assert row["reporter_relationship"] == REPORTER["relationship"]
        assert row["reporter_email"] == REPORTER["email"]
        # In CSV a leading "+" is quoted with an apostrophe, so no spreadsheet runs it.
        assert row["reporter_phone"] in (REPORTER["phone"], "'" + REPORTER["phone"])
        assert_nothing_private(response.text, contacts=True)

    def test_a_coordinator_asking_for_contacts_is_refused(
        self, client: TestClient, callers: Callers, world: dict[str, Any]
    ):
        response = get(client, callers.coordinator, "matches", include_contacts=True)
        assert response.status_code == 403
        assert_nothing_private(response.text)

    def test_an_unknown_format_is_422(self, client: TestClient, callers: Callers):
        response = get(client, callers.coordinator, "matches", format="xlsx")
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"


class TestReports:
    @pytest.mark.parametrize("format", ["csv", "json"])
    def test_open_reports_by_default(
        self, client: TestClient, callers: Callers, world: dict[str, Any], format: str
    ):
        response = get(client, callers.coordinator, "reports", format=format)
        assert response.status_code == 200
        assert_nothing_private(response.text)
        found = {row["report_id"]: row for row in rows(response.text, format)}
        assert set(found) == {world["proposed"], world["unseen"]}
        unseen = found[world["unseen"]]
        assert unseen["status"] == "open"
        assert unseen["family_name"] == "Бондар"
        assert str(unseen["age_min"]) == "9" and str(unseen["age_max"]) == "11"
        assert unseen["last_seen_date"] == "2022-10-07"
        assert unseen["last_seen_place"] == "Херсон"
        assert "circumstances" not in unseen
        assert not any(key.startswith("reporter") for key in unseen)

    def test_by_status(self, client: TestClient, callers: Callers, world: dict[str, Any]):
        response = get(client, callers.coordinator, "reports", status="located", format="json")
        assert [row["report_id"] for row in response.json()] == [world["located"]]
        assert response.headers["content-disposition"].endswith('ridni-reports-located.json"')

    def test_an_admin_asking_gets_the_reporters_contact(
        self, client: TestClient, callers: Callers, world: dict[str, Any]
    ):
        response = get(client, callers.admin, "reports", format="json", include_contacts=True)
        assert {row["reporter_email"] for row in response.json()} == {REPORTER["email"]}
        assert_nothing_private(response.text, contacts=True)

    def test_a_coordinator_asking_for_contacts_is_refused(
        self, client: TestClient, callers: Callers
    ):
        response = get(client, callers.coordinator, "reports", include_contacts=True)
        assert response.status_code == 403

    # The ASCII formula starts, their full-width and small forms, and the minus sign.
    @pytest.mark.parametrize("start", list("=+-@＝＋－＠﹦﹢﹣﹫−"))
    def test_csv_cells_a_spreadsheet_would_run_are_quoted(
        self, client: TestClient, callers: Callers, start: str
    ):
        body = payloads.report(
            given_name=f"{start}HYPERLINK(x)", other_names=[f"{start}Коля", "Микола"]
        )
        assert client.post("/api/v1/reports", json=body, headers=callers.family.headers).is_success
        [row] = rows(get(client, callers.coordinator, "reports").text, "csv")
        assert row["given_name"] == f"'{start}HYPERLINK(x)"
        assert row["other_names"] == f"'{start}Коля; Микола"
        assert row["family_name"] == body["child"]["family_name"]


class TestStreaming:
    """The file is written as the rows are read: the first piece leaves before the last row is
    read, so an export of any size holds one batch."""

    @pytest.mark.parametrize(
        ("export", "counted"),
        [
            (Export(ExportKind.reports, format=ExportFormat.csv, status="open"), "rows"),
            (Export(ExportKind.reports, format=ExportFormat.json, status="open"), "rows"),
            (Export(ExportKind.pfif), "persons"),
        ],
        ids=["csv", "json", "pfif"],
    )
    def test_the_first_piece_leaves_before_the_last_row_is_read(
        self, client: TestClient, callers: Callers, app: FastAPI, export: Export, counted: str
    ):
        for number in range(7):
            file_report(client, callers.family, given_name=f"Дитина {'і' * (number + 1)}")
        counts: Counter[str] = Counter()
        pieces = service.stream(
            app.state.session_factory,
            None,
            export,
            pfif_domain="ridni.example",
            batch_size=2,
            counts=counts,
        )
        read_when_sent = []
        for piece in pieces:
            if piece.strip():
                read_when_sent.append(counts[counted])
        assert counts[counted] == 7
        assert read_when_sent[0] < 7
        assert max(b - a for a, b in pairwise(read_when_sent)) <= 2

    def test_the_api_streams_in_pieces(self, client: TestClient, callers: Callers, app: FastAPI):
        for number in range(3):
            file_report(client, callers.family, given_name=f"Дитина {'і' * (number + 1)}")
        with client.stream(
            "GET",
            "/api/v1/exports/reports",
            params={"format": "json"},
            headers=callers.coordinator.headers,
        ) as response:
            assert response.status_code == 200
            assert "content-length" not in response.headers
            body = "".join(response.iter_text())
        assert len(json.loads(body)) == 3


def rows(text: str, format: str) -> list[dict[str, Any]]:
    if format == "json":
        parsed: list[dict[str, Any]] = json.loads(text)
        return parsed
    return list(csv.DictReader(io.StringIO(text)))


class TestAnUnreadableValue:
    """A reporter's contact that no longer decrypts (altered in the database)."""

    def test_an_export_with_contacts_fails_before_the_first_byte_and_leaves_nothing_open(
        self, committed_app: FastAPI, committed_callers: Callers, engine: Engine
    ):
        callers = committed_callers
        with TestClient(committed_app) as setup:
            intact = file_report(setup, callers.family)
            broken = file_report(setup, callers.family2, given_name="Олена")
        with engine.begin() as connection:
            good = connection.execute(
                text("SELECT reporter_phone FROM reports WHERE id = :id"), {"id": broken}
            ).scalar_one()
            connection.execute(
                text("UPDATE reports SET reporter_phone = :moved WHERE id = :id"),
                {
                    "moved": connection.execute(
                        text("SELECT reporter_phone FROM reports WHERE id = :id"), {"id": intact}
                    ).scalar_one(),
                    "id": broken,
                },
            )
        with serve(committed_app) as base, httpx.Client(base_url=base, timeout=60) as http:
            params = {"include_contacts": "true"}
            with ThreadPoolExecutor(2) as pool:
                exports = list(
                    pool.map(
                        lambda _: http.get(
                            "/api/v1/exports/pfif", params=params, headers=callers.admin.headers
                        ),
                        range(2),
                    )
                )
            for export in exports:
                assert export.status_code == 500
                assert export.headers["content-type"] == "application/problem+json"
                assert export.json()["title"] == "Record unreadable"
            with engine.begin() as connection:
                connection.execute(
                    text("UPDATE reports SET reporter_phone = :good WHERE id = :id"),
                    {"good": good, "id": broken},
                )
            after = http.get("/api/v1/exports/pfif", params=params, headers=callers.admin.headers)
            filed = http.post(
                "/api/v1/reports", json=payloads.report(), headers=callers.family.headers
            )
        assert after.status_code == 200
        assert REPORTER["phone"] in after.text
        assert filed.status_code == 201


@pytest.fixture
def one_case(client: TestClient, callers: Callers, world: dict[str, Any]) -> dict[str, Any]:
    """`world`, with a second family's report of the located child confirmed as its duplicate."""
    second = file_report(
        client,
        callers.family2,
        given_name="Mykola",
        family_name="Oliinyk",
        other_names=["Kolia"],
        home_settlement="Melitopol",
    )
    drain_queue(client)
    [pair] = client.get(
        "/api/v1/duplicates", params={"status": "proposed"}, headers=callers.coordinator.headers
    ).json()["items"]
    assert (pair["report_id"], pair["duplicate_of"]) == (second, world["located"])
    decided = client.post(
        f"/api/v1/duplicates/{pair['id']}/decision",
        json={"decision": "confirm", "version": pair["version"]},
        headers=callers.coordinator.headers,
    )
    assert decided.status_code == 200, decided.text
    return {**world, "second": second, "pair": decided.json()}


class TestCases:
    def test_pfif_links_the_two_reports_of_one_child_as_persons(
        self, client: TestClient, callers: Callers, one_case: dict[str, Any], settings: Settings
    ):
        root = pfif_document(get(client, callers.coordinator, "pfif").text)
        domain = settings.pfif_domain
        located = f"{domain}/report.{one_case['located']}"
        second = f"{domain}/report.{one_case['second']}"
        links = {
            (n["person_record_id"], n["linked_person_record_id"]): n
            for n in (fields(note) for note in root.iter(f"{P}note"))
            if "linked_person_record_id" in n
        }
        assert set(links) == {(located, second), (second, located)}
        for note in links.values():
            assert note["author_name"] == "Ridni"
            assert note["source_date"] == one_case["pair"]["decided_at"][:19] + "Z"
            assert "same child" in note["text"]
        assert_nothing_private(get(client, callers.coordinator, "pfif").text)

    @pytest.mark.parametrize("format", ["csv", "json"])
    def test_partner_exports_carry_the_case(
        self, client: TestClient, callers: Callers, one_case: dict[str, Any], format: str
    ):
        case_id = one_case["pair"]["case_id"]
        # The second family's report is located too: the case's child was found.
        located = get(client, callers.coordinator, "reports", format=format, status="located")
        reports = {row["report_id"]: row for row in rows(located.text, format)}
        assert reports[one_case["located"]]["case_id"] == case_id
        assert reports[one_case["second"]]["case_id"] == case_id
        [alone] = [
            row
            for row in rows(get(client, callers.coordinator, "reports", format=format).text, format)
            if row["report_id"] == one_case["unseen"]
        ]
        assert alone["case_id"] in (None, "")
        [match] = rows(get(client, callers.coordinator, "matches", format=format).text, format)
        assert match["case_id"] == case_id
