"""`ridni rematch`: everything re-indexed and re-proposed, decisions untouched, resumable."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, delete, func, select, update
from sqlalchemy.orm import Session, sessionmaker

import matching
from app.crypto.keyring import Keyring
from app.crypto.orm import session_info
from app.matches import engine, groups, repository
from app.matches.duplicates.models import Duplicate, DuplicateEvent
from app.matches.engine import MatchingSettings
from app.matches.models import Match, MatchEvent, ReportCodes, ReportKey, SightingKey
from app.matches.rematch import rematch
from app.reports.models import Report
from app.sightings.models import Sighting
from tests.app import payloads
from tests.app.groups.test_groups import TestGroupEvidence
from tests.app.matches.test_duplicates import SECOND_FAMILY, file_report
from tests.app.matching_queue import drain_queue
from tests.conftest import Callers

MATCHING = MatchingSettings(proposal_threshold=0.5)


def factory(connection: Connection, keyring: Keyring) -> sessionmaker[Session]:
    return sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", info=session_info(keyring)
    )


def file_records(client: TestClient, callers: Callers, count: int) -> None:
    for _ in range(count):
        client.post("/api/v1/reports", json=payloads.report(), headers=callers.family.headers)
        client.post("/api/v1/sightings", json=payloads.sighting(), headers=callers.field.headers)
    drain_queue(client)


def test_rebuilds_the_index_and_proposals_and_keeps_decisions(
    client: TestClient,
    callers: Callers,
    session: Session,
    connection: Connection,
    keyring: Keyring,
):
    file_records(client, callers, 2)
    rejected = session.scalars(select(Match).order_by(Match.id)).first()
    assert rejected is not None
    rejected.status = "rejected"
    # As if the engine had changed: the index and the undecided proposals are gone.
    session.execute(delete(ReportKey))
    session.execute(delete(SightingKey))
    undecided = select(Match.id).where(Match.status == "proposed")
    session.execute(delete(MatchEvent).where(MatchEvent.match_id.in_(undecided)))
    session.execute(delete(Match).where(Match.status == "proposed"))
    session.execute(update(Report).values(matched_with="old-engine"))
    session.execute(update(Sighting).values(matched_with="old-engine"))
    session.commit()

    summary = rematch(factory(connection, keyring), settings=MATCHING, progress=False)

    assert (summary.reports, summary.sightings) == (2, 2)
    assert session.scalar(select(func.count()).select_from(ReportKey)) > 0
    assert session.scalar(select(func.count()).select_from(SightingKey)) > 0
    statuses = sorted(session.scalars(select(Match.status)))
    assert statuses == ["proposed", "proposed", "proposed", "rejected"]
    session.refresh(rejected)
    assert rejected.status == "rejected"
    signature = MATCHING.signature
    assert set(session.scalars(select(Sighting.matched_with))) == {signature}


def test_resumes_with_what_is_left(
    client: TestClient,
    callers: Callers,
    session: Session,
    connection: Connection,
    keyring: Keyring,
):
    file_records(client, callers, 3)
    first_sighting = session.scalars(select(Sighting).order_by(Sighting.id)).first()
    assert first_sighting is not None
    first_sighting.matched_with = None  # a run stopped before reaching this one
    session.commit()

    summary = rematch(factory(connection, keyring), settings=MATCHING, batch_size=1, progress=False)

    assert (summary.reports, summary.sightings) == (0, 1)


def test_a_new_threshold_recomputes_everything(
    client: TestClient,
    callers: Callers,
    session: Session,
    connection: Connection,
    keyring: Keyring,
):
    file_records(client, callers, 2)
    summary = rematch(
        factory(connection, keyring),
        settings=MatchingSettings(proposal_threshold=0.99),
        progress=False,
    )
    assert (summary.reports, summary.sightings) == (2, 2)
    assert (
        rematch(
            factory(connection, keyring),
            settings=MatchingSettings(proposal_threshold=0.99),
            progress=False,
        ).sightings
        == 0
    )


def test_rewrites_only_changed_keys_and_leaves_records_as_they_were(
    client: TestClient,
    callers: Callers,
    session: Session,
    connection: Connection,
    keyring: Keyring,
):
    file_records(client, callers, 2)
    stale, kept = session.scalars(select(Report.id).order_by(Report.id)).all()
    # An engine whose keys changed for one report only.
    session.execute(delete(ReportKey).where(ReportKey.report_id == stale))
    session.add(ReportKey(report_id=stale, key="from-an-old-engine"))
    session.execute(update(Report).values(matched_with="old-engine"))
    session.execute(update(Sighting).values(matched_with="old-engine"))
    session.commit()
    updated_before = updated_at(session)
    kept_keys = keys_of(session, kept)

    rematch(factory(connection, keyring), settings=MATCHING, progress=False)

    report = session.get(Report, stale)
    assert report is not None
    assert keys_of(session, stale) == matching.blocking_keys(
        engine.person_from_report(report), indexed=True
    )
    assert keys_of(session, kept) == kept_keys
    assert updated_at(session) == updated_before
    assert set(session.scalars(select(Report.matched_with))) == {MATCHING.signature}


def test_a_report_indexed_before_its_codes_were_kept_gets_them(
    client: TestClient,
    callers: Callers,
    session: Session,
    connection: Connection,
    keyring: Keyring,
):
    file_records(client, callers, 1)
    report = session.scalars(select(Report)).one()
    keys = keys_of(session, report.id)
    # As a report indexed before migration 0018: its keys and terms, no codes.
    session.execute(delete(ReportCodes))
    session.execute(update(Report).values(matched_with="old-engine"))
    session.commit()

    rematch(factory(connection, keyring), settings=MATCHING, progress=False)

    codes = repository.report_codes(session, [report.id])
    assert codes == {report.id: matching.first_pass_codes(engine.person_from_report(report))}
    assert keys_of(session, report.id) == keys


def keys_of(session: Session, report_id: str) -> set[str]:
    return set(session.scalars(select(ReportKey.key).where(ReportKey.report_id == report_id)))


def updated_at(session: Session) -> dict[str, object]:
    reports = session.execute(select(Report.id, Report.updated_at))
    sightings = session.execute(select(Sighting.id, Sighting.updated_at))
    return {row.id: row.updated_at for result in (reports, sightings) for row in result}


def test_scores_groups_with_their_evidence_and_proposes_duplicates(
    client: TestClient,
    callers: Callers,
    session: Session,
    connection: Connection,
    keyring: Keyring,
):
    group = TestGroupEvidence().file_group(client, callers)
    _, nazar, _, seen_nazar = group
    file_report(client, callers.family)
    file_report(client, callers.family2, **SECOND_FAMILY)
    # As if the engine had changed: every proposal and duplicate pair is gone.
    session.execute(delete(MatchEvent))
    session.execute(delete(Match))
    session.execute(delete(DuplicateEvent))
    session.execute(delete(Duplicate))
    session.execute(update(Report).values(matched_with="old-engine"))
    session.execute(update(Sighting).values(matched_with="old-engine"))
    session.commit()

    summary = rematch(factory(connection, keyring), settings=MATCHING, batch_size=1, progress=False)

    assert (summary.reports, summary.sightings, summary.grouped, summary.compared) == (4, 2, 2, 4)
    match = session.scalars(
        select(Match).where(Match.report_id == nazar, Match.sighting_id == seen_nazar)
    ).one()
    assert [e["verdict"] for e in match.explanation if e["field"] == "group"] == [
        "seen with a sibling"
    ]
    assert len(session.scalars(select(Duplicate)).all()) == 1
    assert set(session.scalars(select(Report.matched_with))) == {MATCHING.signature}
    assert set(session.scalars(select(Sighting.matched_with))) == {MATCHING.signature}
    # Nothing is left: a second run does nothing.
    again = rematch(factory(connection, keyring), settings=MATCHING, progress=False)
    assert (again.reports, again.sightings, again.grouped, again.compared) == (0, 0, 0, 0)


def test_a_group_too_large_to_read_whole_is_still_finished(
    client: TestClient,
    callers: Callers,
    session: Session,
    connection: Connection,
    keyring: Keyring,
    monkeypatch: pytest.MonkeyPatch,
):
    """A chain of companions longer than a neighbourhood may hold: every sighting is still
    done and marked (such a sighting was once claimed again and again, never finished)."""
    monkeypatch.setattr(groups, "GROUP_MOST", 3)
    seen: list[str] = []
    for _ in range(6):
        body = {**payloads.sighting(), "seen_with": seen[-1:]}
        seen.append(
            client.post("/api/v1/sightings", json=body, headers=callers.field.headers).json()["id"]
        )
    drain_queue(client)
    session.execute(update(Sighting).values(matched_with="old-engine"))
    session.commit()

    summary = rematch(factory(connection, keyring), settings=MATCHING, batch_size=1, progress=False)

    assert summary.grouped == 6
    assert set(session.scalars(select(Sighting.matched_with))) == {MATCHING.signature}


def test_a_batch_holding_both_reports_of_a_pair_proposes_it_once_as_filing_did(
    client: TestClient, callers: Callers, session: Session, connection: Connection, keyring: Keyring
):
    file_report(client, callers.family)
    file_report(client, callers.family2, **SECOND_FAMILY)
    filed = session.scalars(select(Duplicate)).one()
    proposed = (filed.report_id, filed.duplicate_of_id, filed.score, filed.explanation)
    session.execute(delete(DuplicateEvent))
    session.execute(delete(Duplicate))
    session.execute(update(Report).values(matched_with="old-engine"))
    session.commit()

    # One batch reads the reports their keys reach and the name shares once for both.
    rematch(factory(connection, keyring), settings=MATCHING, batch_size=500, progress=False)

    pair = session.scalars(select(Duplicate)).one()
    assert (pair.report_id, pair.duplicate_of_id, pair.score, pair.explanation) == proposed
    assert [e.to_status for e in session.scalars(select(DuplicateEvent))] == ["proposed"]
