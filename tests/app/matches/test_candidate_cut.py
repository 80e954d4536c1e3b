"""A sighting whose keys reach more reports than the engine compares: only the best of its
first pass are read and compared, the ones the engine's own first pass would choose, and its
true match is among them."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

import matching
from app.core.settings import Settings
from app.matches import engine, proposals, repository, scoring
from app.matches.engine import MatchingSettings
from app.matches.models import MatchStatus, ReportCodes
from app.matches.scoring import KnownReports
from app.reports.models import Report
from app.sightings.models import Sighting
from tests.app import payloads
from tests.app.matches.test_matches import queue
from tests.app.matching_queue import drain_queue
from tests.conftest import Callers

OTHER_FAMILIES = ("Коваленко", "Бондаренко", "Ткаченко", "Кравченко", "Шевченко", "Мельник")


def report(owner_id: str, family_name: str, month: int, day: int) -> Report:
    return Report(
        owner_id=owner_id,
        given_name="Микола",
        family_name=family_name,
        sex="male",
        birth_year=2011,
        birth_month=month,
        birth_day=day,
    )


def test_a_sighting_reaching_more_than_the_cut_compares_the_best_and_proposes_its_match(
    settings: Settings, client: TestClient, callers: Callers, session: Session
):
    owner = callers.family.user_id
    # Every one is a Микола born in 2011: the sighting's given-name key reaches them all.
    # 30 were born on the sighting's day too (they share its date keys), 420 on other days.
    same_day = [report(owner, OTHER_FAMILIES[n % 6], 3, 12) for n in range(30)]
    other_days = [
        report(owner, OTHER_FAMILIES[n % 6], 1 + n % 12 if n % 12 != 2 else 5, 1 + n % 28)
        for n in range(420)
    ]
    child = payloads.report()["child"]
    true = Report(
        owner_id=owner,
        **{k: child[k] for k in ("given_name", "family_name", "sex", "home_settlement")},
        other_names=child["other_names"],
        birth_year=2011,
        birth_month=3,
        birth_day=12,
    )
    reports = [*other_days, true, *same_day]
    session.add_all(reports)
    session.flush()
    matching_settings = MatchingSettings.from_settings(settings)
    proposals.index_reports(session, reports, settings=matching_settings)
    session.commit()

    filed = client.post(
        "/api/v1/sightings", json=payloads.sighting(), headers=callers.field.headers
    )
    assert filed.status_code == 201
    sighting_id = filed.json()["id"]
    drain_queue(client)

    person = engine.person_from_sighting(session.get_one(Sighting, sighting_id))
    keys = matching.blocking_keys(person, remember=False)
    by_key = repository.report_ids_by_key(session, keys)
    assert len(set().union(*by_key.values())) == len(reports) > matching.CANDIDATES_MOST
    reached = scoring.reports_reached(
        session, {sighting_id: keys}, {sighting_id: person}, KnownReports()
    )[sighting_id]
    assert len(reached) == matching.CANDIDATES_MOST
    assert {true.id, *(r.id for r in same_day)} <= set(reached)

    proposed = [m["report_id"] for m in queue(client, callers) if m["sighting_id"] == sighting_id]
    assert true.id in proposed
    candidates = client.get(
        f"/api/v1/sightings/{sighting_id}/candidates", headers=callers.coordinator.headers
    )
    assert candidates.status_code == 200
    assert candidates.json()["items"][0]["report_id"] == true.id


# Families of several first letters (О: the sighting's own), places of the sighting's region.
FAMILIES = (*OTHER_FAMILIES, "Олійник", "Остапенко", "Оліфіренко", "Бойко", "Савченко")
PLACES = ("Мелітополь", "Маріуполь", "Бердянськ", "Херсон", None)


def crowd(owner_id: str, n: int) -> list[Report]:
    """``n`` boys named Микола born 2010 to 2012, of many families, days and places (each
    taken in its own step through its list, so that they combine in many ways)."""
    return [
        Report(
            owner_id=owner_id,
            given_name="Микола",
            family_name=FAMILIES[i % len(FAMILIES)],
            sex="male",
            birth_year=2010 + i % 3,
            birth_month=1 + i * 7 % 12,
            birth_day=None if i % 5 == 0 else 1 + i * 11 % 28,
            home_settlement=PLACES[i // 3 % len(PLACES)],
        )
        for i in range(n)
    ]


@pytest.mark.parametrize(
    "subject",
    [
        {},  # a document: full name, date and place
        {"full_name": None, "given_name": "Николай", "family_name": "О.",
         "date_of_birth": "2011-03", "origin_settlement": None},  # a listing
    ],
    ids=["document", "listing"],
)  # fmt: skip
def test_the_reports_compared_are_those_the_engines_first_pass_chooses(
    client: TestClient, callers: Callers, session: Session, settings: Settings, subject: dict
):
    reports = crowd(callers.family.user_id, 700)
    session.add_all(reports)
    session.flush()
    proposals.index_reports(session, reports, settings=MatchingSettings.from_settings(settings))
    session.commit()
    filed = client.post(
        "/api/v1/sightings", json=payloads.sighting(**subject), headers=callers.field.headers
    )
    assert filed.status_code == 201
    sighting_id = filed.json()["id"]
    person = engine.person_from_sighting(session.get_one(Sighting, sighting_id))
    keys = matching.blocking_keys(person, remember=False)

    reached = scoring.reports_reached(
        session, {sighting_id: keys}, {sighting_id: person}, KnownReports()
    )[sighting_id]

    # The engine holding every stored report (in the order of their ids, which breaks ties
    # as the service's index does) chooses the same, among more than it compares.
    linker = matching.Linker()
    for row in sorted(session.scalars(select(Report)), key=lambda r: r.id):
        linker.add(row.id, engine.person_from_report(row))
    by_key = repository.report_ids_by_key(session, keys)
    assert len(set().union(*by_key.values())) > matching.CANDIDATES_MOST
    assert len(reached) == matching.CANDIDATES_MOST
    assert set(reached) == linker.reachable(person, widen=False)
    # The keys alone would choose others: the stored codes are what made the difference.
    blocks = [sorted(by_key[k]) for k in sorted(by_key)]
    assert set(matching.first_pass(blocks, len(reports))) != set(reached)


def test_until_every_report_reached_has_its_codes_the_keys_alone_rank(
    client: TestClient, callers: Callers, session: Session, settings: Settings
):
    """Reports filed before migration 0018 have no codes until `ridni rematch`: ranked with the
    others' codes they would all fall behind, so a sighting reaching one is ranked as before."""
    reports = crowd(callers.family.user_id, 700)
    session.add_all(reports)
    session.flush()
    proposals.index_reports(session, reports, settings=MatchingSettings.from_settings(settings))
    session.execute(delete(ReportCodes).where(ReportCodes.report_id == reports[0].id))
    session.commit()
    filed = client.post(
        "/api/v1/sightings", json=payloads.sighting(), headers=callers.field.headers
    )
    sighting_id = filed.json()["id"]
    person = engine.person_from_sighting(session.get_one(Sighting, sighting_id))
    keys = matching.blocking_keys(person, remember=False)
    by_key = repository.report_ids_by_key(session, keys)
    assert reports[0].id in set().union(*by_key.values())

    reached = scoring.reports_reached(
        session, {sighting_id: keys}, {sighting_id: person}, KnownReports()
    )[sighting_id]
    blocks = [sorted(by_key[k]) for k in sorted(by_key)]
    assert list(reached) == matching.first_pass(blocks, len(reports))


def stored_codes(session: Session, report_id: str) -> matching.PassCodes | None:
    return repository.report_codes(session, [report_id]).get(report_id)


def test_filing_and_amending_a_report_store_its_codes(
    client: TestClient, callers: Callers, session: Session
):
    filed = client.post("/api/v1/reports", json=payloads.report(), headers=callers.family.headers)
    assert filed.status_code == 201
    report_id = filed.json()["id"]
    codes = stored_codes(session, report_id)
    assert codes is not None
    assert (codes.year, codes.month, codes.day, codes.place >= 0) == (2011, 3, 12, True)

    amended = client.patch(
        f"/api/v1/reports/{report_id}",
        json={"child": {"date_of_birth": "2012-07", "home_settlement": None}},
        headers=callers.family.headers,
    )
    assert amended.status_code == 200, amended.text
    session.expire_all()
    report = session.get_one(Report, report_id)
    assert stored_codes(session, report_id) == matching.first_pass_codes(
        engine.person_from_report(report)
    )
    assert stored_codes(session, report_id) == matching.PassCodes(
        year=2012, month=7, day=0, place=-1, initials=codes.initials
    )


def test_a_cut_never_drops_a_report_the_sighting_has_a_match_with(
    settings: Settings, client: TestClient, callers: Callers, session: Session
):
    owner = callers.family.user_id
    child = payloads.report()["child"]
    # 420 reports of the sighting's child as written (every key it has), and one of another
    # Микола born in 2011, which shares fewer keys than any of them: the first pass leaves it out.
    namesakes = [
        Report(
            owner_id=owner,
            **{k: child[k] for k in ("given_name", "family_name", "sex", "home_settlement")},
            birth_year=2011,
            birth_month=3,
            birth_day=12,
        )
        for _ in range(420)
    ]
    other = report(owner, "Шевченко", 7, 20)
    reports = [*namesakes, other]
    session.add_all(reports)
    session.flush()
    # Every pair that is compared at all reaches so low a threshold.
    everything = MatchingSettings(proposal_threshold=1e-9)
    proposals.index_reports(session, reports, settings=everything)
    session.commit()
    filed = client.post(
        "/api/v1/sightings", json=payloads.sighting(), headers=callers.field.headers
    )
    assert filed.status_code == 201
    sighting = session.get_one(Sighting, filed.json()["id"])
    person = {sighting.id: engine.person_from_sighting(sighting)}
    keys = {sighting.id: matching.blocking_keys(person[sighting.id])}
    assert (
        other.id not in scoring.reports_reached(session, keys, person, KnownReports())[sighting.id]
    )

    # The report's side compares every sighting its keys reach, and proposes this one.
    proposals.stored_report_changed(session, other.id, settings=everything)
    [match] = repository.for_report(session, other.id).values()
    assert match.sighting_id == sighting.id and match.status == MatchStatus.proposed

    # Scored again from the sighting's side (a rematch, an amendment): still compared, still
    # proposed, not withdrawn because the cut would have left it out.
    proposals.match_sightings(session, [sighting], settings=everything)
    session.refresh(match)
    assert match.status == MatchStatus.proposed
    reached = scoring.reports_reached(session, keys, person, KnownReports())
    assert other.id in reached[sighting.id]
