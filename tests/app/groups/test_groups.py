"""Siblings and children seen together: the contract, who may name and see what, and the group's
evidence in proposals."""

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import matching
from app.audit.models import AuditEvent
from app.matches import groups
from app.matches.models import Match
from app.reports.models import Report, ReportSibling
from app.sightings.models import SeenTogether
from tests.app import payloads
from tests.app.matching_queue import drain_queue
from tests.conftest import Caller, Callers

OLENA = {
    "given_name": "Олена",
    "family_name": "Мартинюк",
    "sex": "female",
    "date_of_birth": "2012-04-03",
    "home_settlement": "Ізюм",
}
NAZAR = {
    "given_name": "Назар",
    "family_name": "Мартинюк",
    "sex": "male",
    "date_of_birth": "2015-01-06",
    "home_settlement": "Ізюм",
}
# Olena's document names her clearly; Nazar's, after adoption, has another family name and
# patronymic and only a birth year: alone it does not reach the threshold.
OLENA_SEEN = {
    "full_name": "Мартынюк Елена Григорьевна",
    "sex": "female",
    "date_of_birth": "2012-04-03",
    "origin_settlement": "Изюм",
}
IVAN = {
    "given_name": "Іван",
    "family_name": "Коваль",
    "sex": "male",
    "date_of_birth": "2014-02-11",
    "home_settlement": "Бахмут",
}
IVAN_SEEN = {
    "full_name": "Коваль Иван Петрович",
    "sex": "male",
    "date_of_birth": "2014-02-11",
}
NAZAR_SEEN = {
    "given_name": "Назар",
    "family_name": "Вовк",
    "patronymic": "Викторович",
    "sex": "male",
    "date_of_birth": "2015",
}


def file_report(client: TestClient, caller: Caller, child: dict, **extra: Any) -> Any:
    body = {"child": child, **extra}
    response = client.post("/api/v1/reports", json=body, headers=caller.headers)
    drain_queue(client)
    return response


def file_sighting(client: TestClient, caller: Caller, subject: dict, **extra: Any) -> Any:
    body = {"subject": subject, "source_type": "document", "observed_on": "2024-05-01", **extra}
    response = client.post("/api/v1/sightings", json=body, headers=caller.headers)
    drain_queue(client)
    return response


class TestSiblings:
    def test_a_family_names_its_own_reports_and_both_ends_show_it(
        self, client: TestClient, callers: Callers, session: Session
    ):
        olena = file_report(client, callers.family, OLENA).json()["id"]
        nazar = file_report(client, callers.family, NAZAR, siblings=[olena])
        assert nazar.status_code == 201, nazar.text
        assert nazar.json()["siblings"] == [olena]
        back = client.get(f"/api/v1/reports/{olena}", headers=callers.family.headers).json()
        assert back["siblings"] == [nazar.json()["id"]]  # symmetric
        assert session.scalar(select(func.count()).select_from(ReportSibling)) == 1

    def test_another_familys_report_is_422_like_a_missing_one(
        self, client: TestClient, callers: Callers, session: Session
    ):
        theirs = file_report(client, callers.family2, OLENA).json()["id"]
        reports_before = session.scalar(select(func.count()).select_from(Report))
        hidden = file_report(client, callers.family, NAZAR, siblings=[theirs])
        missing = file_report(
            client, callers.family, NAZAR, siblings=["00000000-0000-0000-0000-000000000000"]
        )
        assert hidden.status_code == missing.status_code == 422
        assert hidden.json()["errors"] == missing.json()["errors"]
        assert hidden.json()["errors"][0]["loc"] == ["body", "siblings", "0"]
        assert session.scalar(select(func.count()).select_from(Report)) == reports_before

    def test_duplicate_and_self_ids_are_422(self, client: TestClient, callers: Callers):
        olena = file_report(client, callers.family, OLENA).json()["id"]
        twice = file_report(client, callers.family, NAZAR, siblings=[olena, olena])
        assert twice.status_code == 422
        assert twice.json()["errors"][0]["type"] == "duplicate"
        itself = client.patch(
            f"/api/v1/reports/{olena}", json={"siblings": [olena]}, headers=callers.family.headers
        )
        assert itself.status_code == 422
        assert itself.json()["errors"][0]["type"] == "self"

    def test_a_coordinator_links_any_and_a_family_sees_only_its_own_end(
        self, client: TestClient, callers: Callers
    ):
        mine = file_report(client, callers.family, OLENA).json()["id"]
        theirs = file_report(client, callers.family2, NAZAR).json()["id"]
        linked = client.patch(
            f"/api/v1/reports/{mine}",
            json={"siblings": [theirs]},
            headers=callers.coordinator.headers,
        )
        assert linked.status_code == 200, linked.text
        assert linked.json()["siblings"] == [theirs]
        own = client.get(f"/api/v1/reports/{mine}", headers=callers.family.headers).json()
        assert own["siblings"] == []  # the other family's report is not shown
        # A family's patch replaces only the siblings it may see: the hidden one stays.
        client.patch(
            f"/api/v1/reports/{mine}", json={"siblings": []}, headers=callers.family.headers
        )
        seen = client.get(f"/api/v1/reports/{mine}", headers=callers.coordinator.headers).json()
        assert seen["siblings"] == [theirs]
        cleared = client.patch(
            f"/api/v1/reports/{mine}", json={"siblings": None}, headers=callers.coordinator.headers
        )
        assert cleared.json()["siblings"] == []


class TestSeenWith:
    def test_a_field_contact_names_its_own_sightings(
        self, client: TestClient, callers: Callers, session: Session
    ):
        first = file_sighting(client, callers.field, OLENA_SEEN).json()["id"]
        second = file_sighting(client, callers.field, NAZAR_SEEN, seen_with=[first])
        assert second.status_code == 201, second.text
        assert second.json()["seen_with"] == [first]
        back = client.get(f"/api/v1/sightings/{first}", headers=callers.coordinator.headers)
        assert back.json()["seen_with"] == [second.json()["id"]]
        assert session.scalar(select(func.count()).select_from(SeenTogether)) == 1

    def test_another_contacts_sighting_is_422(self, client: TestClient, callers: Callers):
        theirs = file_sighting(client, callers.field2, OLENA_SEEN).json()["id"]
        refused = file_sighting(client, callers.field, NAZAR_SEEN, seen_with=[theirs])
        assert refused.status_code == 422
        assert refused.json()["errors"][0]["msg"] == "not a record you may name"


class TestAmendingSeenWith:
    def patch(self, client: TestClient, caller: Caller, sighting: str, body: Any) -> Any:
        return client.patch(f"/api/v1/sightings/{sighting}", json=body, headers=caller.headers)

    def test_a_field_contact_names_and_clears_its_own_sightings(
        self, client: TestClient, callers: Callers, session: Session
    ):
        first = file_sighting(client, callers.field, OLENA_SEEN).json()["id"]
        second = file_sighting(client, callers.field, NAZAR_SEEN).json()["id"]
        named = self.patch(client, callers.field, second, {"seen_with": [first]})
        assert named.status_code == 200, named.text
        assert named.json()["seen_with"] == [first]
        assert named.json()["source"] is None  # the filer's answer, as on filing
        back = client.get(f"/api/v1/sightings/{first}", headers=callers.field.headers)
        assert back.json()["seen_with"] == [second]
        cleared = self.patch(client, callers.field, first, {"seen_with": []})
        assert cleared.json()["seen_with"] == []
        assert session.scalar(select(func.count()).select_from(SeenTogether)) == 0
        audited = session.scalars(
            select(AuditEvent.object_id).where(AuditEvent.action == "sighting.update")
        ).all()
        assert sorted(audited) == sorted([second, first])

    def test_another_contacts_sighting_is_422_like_a_missing_one_and_changes_nothing(
        self, client: TestClient, callers: Callers, session: Session
    ):
        mine = file_sighting(client, callers.field, NAZAR_SEEN).json()["id"]
        theirs = file_sighting(client, callers.field2, OLENA_SEEN).json()["id"]
        hidden = self.patch(client, callers.field, mine, {"seen_with": [theirs]})
        missing = self.patch(
            client, callers.field, mine, {"seen_with": ["00000000-0000-0000-0000-000000000000"]}
        )
        assert hidden.status_code == missing.status_code == 422
        assert hidden.json()["errors"] == missing.json()["errors"]
        assert hidden.json()["errors"][0]["loc"] == ["body", "seen_with", "0"]
        itself = self.patch(client, callers.field, mine, {"seen_with": [mine]})
        assert itself.status_code == 422
        assert itself.json()["errors"][0]["type"] == "self"
        assert session.scalar(select(func.count()).select_from(SeenTogether)) == 0

    def test_any_other_field_is_422_and_someone_elses_sighting_404(
        self, client: TestClient, callers: Callers
    ):
        mine = file_sighting(client, callers.field, NAZAR_SEEN).json()["id"]
        other = self.patch(client, callers.field, mine, {"location": "Евпатория"})
        assert other.status_code == 422
        assert other.headers["content-type"] == "application/problem+json"
        assert self.patch(client, callers.field2, mine, {"seen_with": []}).status_code == 404
        assert self.patch(client, callers.family, mine, {"seen_with": []}).status_code == 403

    def test_naming_a_companion_scores_the_group_and_clearing_it_takes_the_evidence_back(
        self, client: TestClient, callers: Callers, session: Session
    ):
        file_report(client, callers.coordinator, OLENA)
        olena = session.scalars(select(Report.id)).one()
        nazar = file_report(client, callers.coordinator, NAZAR, siblings=[olena]).json()["id"]
        seen_olena = file_sighting(client, callers.field, OLENA_SEEN).json()["id"]
        seen_nazar = file_sighting(client, callers.field, NAZAR_SEEN).json()["id"]

        def status() -> Any:
            session.expire_all()
            pair = Match.report_id == nazar, Match.sighting_id == seen_nazar
            return session.scalars(select(Match.status).where(*pair)).one_or_none()

        assert status() is None
        self.patch(client, callers.field, seen_nazar, {"seen_with": [seen_olena]})
        assert drain_queue(client) == 2  # both ends of the new pair
        assert status() == "proposed"
        self.patch(client, callers.coordinator, seen_olena, {"seen_with": None})
        drain_queue(client)
        assert status() == "withdrawn"


def the_match(session: Session, report_id: str, sighting_id: str) -> Match:
    return session.scalars(
        select(Match).where(Match.report_id == report_id, Match.sighting_id == sighting_id)
    ).one()


class TestGroupEvidence:
    def file_group(self, client: TestClient, callers: Callers) -> tuple[str, str, str, str]:
        olena = file_report(client, callers.coordinator, OLENA).json()["id"]
        nazar = file_report(client, callers.coordinator, NAZAR, siblings=[olena]).json()["id"]
        seen_olena = file_sighting(client, callers.field, OLENA_SEEN).json()["id"]
        seen_nazar = file_sighting(client, callers.field, NAZAR_SEEN, seen_with=[seen_olena])
        assert seen_nazar.status_code == 201, seen_nazar.text
        return olena, nazar, seen_olena, seen_nazar.json()["id"]

    def test_a_child_seen_with_a_sibling_is_proposed_and_the_explanation_says_why(
        self, client: TestClient, callers: Callers, session: Session
    ):
        _, nazar, _, seen_nazar = self.file_group(client, callers)
        match = the_match(session, nazar, seen_nazar)
        assert match.status == "proposed"
        group = [e for e in match.explanation if e["field"] == "group"]
        assert group and group[0]["verdict"] == "seen with a sibling"
        assert "Мартынюк Елена Григорьевна" in group[0]["detail"]

    def test_the_live_candidates_rank_with_the_groups_evidence_as_the_proposal_scores(
        self, client: TestClient, callers: Callers, session: Session
    ):
        _, nazar, _, seen_nazar = self.file_group(client, callers)
        match = the_match(session, nazar, seen_nazar)
        answer = client.get(
            f"/api/v1/sightings/{seen_nazar}/candidates", headers=callers.coordinator.headers
        )
        assert answer.status_code == 200, answer.text
        [best, *_] = answer.json()["items"]
        assert best["report_id"] == nazar
        assert best["score"] == round(match.score, 4) >= 0.5
        assert "group" in {e["field"] for e in best["explanation"]}

    def test_without_the_group_the_same_sighting_is_not_proposed(
        self, client: TestClient, callers: Callers, session: Session
    ):
        nazar = file_report(client, callers.coordinator, NAZAR).json()["id"]
        file_sighting(client, callers.field, NAZAR_SEEN)
        assert session.scalars(select(Match).where(Match.report_id == nazar)).all() == []

    def test_a_companion_of_another_family_counts_against_a_report_with_siblings(
        self, client: TestClient, callers: Callers, session: Session
    ):
        # Олена seen with Іван, whose own document places him surely with another family's
        # report: her report names a sibling (Назар) whom no one seen with her matches.
        olena = file_report(client, callers.coordinator, OLENA).json()["id"]
        file_report(client, callers.coordinator, NAZAR, siblings=[olena])
        file_report(client, callers.coordinator, IVAN)
        seen_ivan = file_sighting(client, callers.field, IVAN_SEEN).json()["id"]
        seen_olena = file_sighting(client, callers.field, OLENA_SEEN, seen_with=[seen_ivan])
        match = the_match(session, olena, seen_olena.json()["id"])
        [reason] = [e for e in match.explanation if e["verdict"] == "companion of another family"]
        assert reason["weight"] < 0
        assert reason["detail"].startswith("seen with Коваль Иван Петрович, who matches another")
        fields = matching.compare(
            matching.Person.from_api(OLENA),
            matching.Person.from_api(OLENA_SEEN, observed_on="2024-05-01"),
        )
        assert match.score < fields.score
        assert match.status == "proposed"  # her own document still names her

    def test_a_rejected_pair_stays_rejected_when_the_group_is_scored_again(
        self, client: TestClient, callers: Callers, session: Session
    ):
        olena, nazar, _, seen_nazar = self.file_group(client, callers)
        match = the_match(session, nazar, seen_nazar)
        body = {"decision": "reject", "note": "not him", "version": match.version}
        decided = client.post(
            f"/api/v1/matches/{match.id}/decision", json=body, headers=callers.coordinator.headers
        )
        assert decided.status_code == 200, decided.text
        # Amending a member scores the group again.
        client.patch(
            f"/api/v1/reports/{olena}",
            json={"child": {"patronymic": "Григорівна"}},
            headers=callers.coordinator.headers,
        )
        assert drain_queue(client) > 0
        session.expire_all()
        assert session.get(Match, match.id).status == "rejected"  # type: ignore[union-attr]
        pairs = session.scalars(
            select(Match).where(Match.report_id == nazar, Match.sighting_id == seen_nazar)
        ).all()
        assert len(pairs) == 1


# Three children of one family, renamed together after adoption (another family name, other
# patronymics, two given names changed): each one's own match is weak, and the evidence for one
# reaches it through the matches of the other two.
TKACHENKO = [
    {"given_name": "Володимир", "family_name": "Ткаченко", "patronymic": "Назарович",
     "sex": "male", "home_settlement": "Дніпро"},
    {"given_name": "Всеволод", "family_name": "Ткаченко", "patronymic": "Назарович",
     "sex": "male", "date_of_birth": "2010-02-11", "home_settlement": "Дніпро"},
    {"given_name": "Уляна", "family_name": "Ткаченко", "patronymic": "Назарівна",
     "sex": "female", "date_of_birth": "2015-08-23", "home_settlement": "Дніпро"},
]  # fmt: skip
BELOV_SEEN = [
    {"full_name": "Белов Владимир Тарасович", "sex": "male", "origin_settlement": "Днепр",
     "age_estimate": {"min": 16, "max": 18}},
    {"given_name": "Григорий", "family_name": "Белов", "patronymic": "Александрович",
     "sex": "male", "age_estimate": {"min": 13, "max": 15}},
    {"full_name": "Белова Кира Святославовна", "sex": "female", "date_of_birth": "2015-08-23"},
]  # fmt: skip


def test_a_group_of_three_is_scored_as_ridni_link_scores_it(client: TestClient, callers: Callers):
    reports, seen = _file_the_renamed_family(client, callers, chain=False)
    seen_with = {sid: [o for o in seen if o != sid] for sid in seen}
    assert _scored_as_ridni_link_scores(client, callers, reports, seen, seen_with) == 3


def test_a_chain_of_companions_is_scored_as_ridni_link_scores_it(
    client: TestClient, callers: Callers
):
    """The last child names only the second, the second only the first: the first's score
    still reads the last one's match, through the second's (the group's two rounds)."""
    reports, seen = _file_the_renamed_family(client, callers, chain=True)
    first, second, last = seen
    seen_with = {first: [second], second: [first, last], last: [second]}
    assert _scored_as_ridni_link_scores(client, callers, reports, seen, seen_with) >= 2


def _file_the_renamed_family(
    client: TestClient, callers: Callers, *, chain: bool
) -> tuple[list[str], list[str]]:
    """TKACHENKO's reports, siblings, and BELOV_SEEN's sightings, each seen with those filed
    before it (`chain`: with the one just before only); the ids of both."""
    reports: list[str] = []
    for child in TKACHENKO:
        filed = file_report(client, callers.coordinator, child, siblings=reports)
        reports.append(filed.json()["id"])
    seen: list[str] = []
    for subject in BELOV_SEEN:
        companions = seen[-1:] if chain else seen
        filed = file_sighting(client, callers.field, subject, seen_with=companions)
        seen.append(filed.json()["id"])
    return reports, seen


def test_a_filing_reads_its_group_as_far_as_the_evidence_reaches(
    client: TestClient, callers: Callers, session: Session
):
    """A chain of eight: a sighting's score reads three links (matching.GROUP_REACH), so a
    filing at one end scores the four nearest, read from seven."""
    seen: list[str] = []
    for _ in range(8):
        body = {**payloads.sighting(), "seen_with": seen[-1:]}
        answer = client.post("/api/v1/sightings", json=body, headers=callers.field.headers)
        seen.append(answer.json()["id"])
    area = groups.neighbourhood(session, {seen[0]}, 2 * matching.GROUP_REACH)
    assert area.distance == {sid: links for links, sid in enumerate(seen[:7])}
    assert area.scorable(within=matching.GROUP_REACH) == set(seen[:4])
    around_one = groups.neighbourhood(session, {seen[3]}, matching.GROUP_REACH)
    assert set(around_one.distance) == set(seen[:7]) and around_one.scorable(within=0) == {seen[3]}


def _scored_as_ridni_link_scores(
    client: TestClient,
    callers: Callers,
    reports: list[str],
    seen: list[str],
    seen_with: dict[str, list[str]],
) -> int:
    """Assert that each sighting's live candidates and its proposals score as `ridni link`
    scores the same records; how many of the sightings the group's evidence raised."""
    linker = matching.Linker()
    for rid, child in zip(reports, TKACHENKO, strict=True):
        linker.add(rid, matching.Person.from_api(child))
    people = {
        sid: matching.Person.from_api(subject, observed_on="2024-05-01")
        for sid, subject in zip(seen, BELOV_SEEN, strict=True)
    }
    linked = matching.link_groups(
        linker,
        people,
        seen_with=seen_with,
        siblings={rid: [o for o in reports if o != rid] for rid in reports},
    )
    queue = client.get(
        "/api/v1/matches", params={"limit": 200}, headers=callers.coordinator.headers
    ).json()["items"]
    raised = 0
    for sid in seen:
        answer = client.get(
            f"/api/v1/sightings/{sid}/candidates", headers=callers.coordinator.headers
        ).json()["items"]
        expected = [(str(c.key), round(c.score, 4)) for c in linked[sid]]
        assert [(c["report_id"], c["score"]) for c in answer] == expected
        proposed = {(m["report_id"], m["score"]) for m in queue if m["sighting_id"] == sid}
        assert proposed == {(rid, score) for rid, score in expected if score >= 0.5}
        raised += any(e["field"] == "group" for c in answer for e in c["explanation"])
    return raised


def test_payload_helpers_still_file(client: TestClient, callers: Callers):
    """The shared payloads carry no relation: filing them answers empty lists."""
    report = client.post("/api/v1/reports", json=payloads.report(), headers=callers.family.headers)
    assert report.json()["siblings"] == []


# Олена reported twice: by her mother, who filed Назар too and named them siblings, and who
# gives only her birth year; and by her grandmother, with her birth date. Both children were
# adopted into one family (another family name, the adoptive father's patronymic): by its
# fields Олена's document matches the grandmother's report well, the mother's barely.
OLENA_BY_MOTHER = {
    "given_name": "Олена",
    "family_name": "Мартинюк",
    "patronymic": "Григорівна",
    "sex": "female",
    "date_of_birth": "2012",
    "home_settlement": "Ізюм",
}
OLENA_BY_GRANDMOTHER = {**OLENA_BY_MOTHER, "date_of_birth": "2012-04-03"}
OLENA_ADOPTED = {
    "given_name": "Елена",
    "family_name": "Вовк",
    "patronymic": "Викторовна",
    "sex": "female",
    "date_of_birth": "2012-04-03",
}


def test_a_sibling_named_on_one_report_of_a_case_counts_for_its_other_reports(
    client: TestClient, callers: Callers
):
    """Назар's sighting is seen with Олена's. Until the coordinator confirms the two reports
    of Олена as one case, the group's evidence reads her match to the report the mother named
    Назар's sibling, a weak one; then the grandmother's report is his sibling's too, and it
    reads her match to that one. Reopening the pair splits the case and takes it back."""
    olena = file_report(client, callers.family, OLENA_BY_MOTHER).json()["id"]
    nazar = file_report(client, callers.family, NAZAR, siblings=[olena]).json()["id"]
    again = file_report(client, callers.family2, OLENA_BY_GRANDMOTHER).json()["id"]
    seen_olena = file_sighting(client, callers.field, OLENA_ADOPTED).json()["id"]
    seen_nazar = file_sighting(client, callers.field, NAZAR_SEEN, seen_with=[seen_olena])
    seen_nazar_id = seen_nazar.json()["id"]

    def candidate(sighting_id: str, report_id: str) -> dict:
        answer = client.get(
            f"/api/v1/sightings/{sighting_id}/candidates", headers=callers.coordinator.headers
        )
        assert answer.status_code == 200, answer.text
        [found] = [c for c in answer.json()["items"] if c["report_id"] == report_id]
        return found

    def sibling_seen() -> dict:
        nazars = candidate(seen_nazar_id, nazar)["explanation"]
        [found] = [e for e in nazars if e["verdict"] == "seen with a sibling"]
        return found

    to_grandmother = candidate(seen_olena, again)["score"]  # no group: no sibling named
    assert to_grandmother >= 0.5
    before = candidate(seen_nazar_id, nazar)
    weak = sibling_seen()
    assert not weak["detail"].endswith(f"scores {to_grandmother:.2f}")

    [pair] = client.get(
        "/api/v1/duplicates", params={"status": "proposed"}, headers=callers.coordinator.headers
    ).json()["items"]
    assert {pair["report_id"], pair["duplicate_of"]} == {olena, again}

    def decide(decision: str, version: int) -> dict:
        answer = client.post(
            f"/api/v1/duplicates/{pair['id']}/decision",
            json={"decision": decision, "note": "both families' papers", "version": version},
            headers=callers.coordinator.headers,
        )
        assert answer.status_code == 200, answer.text
        assert drain_queue(client) > 0  # the case's reports, their group with them
        decided: dict = answer.json()
        return decided

    confirmed = decide("confirm", pair["version"])
    joined = sibling_seen()
    assert joined["detail"].endswith(f"scores {to_grandmother:.2f}")
    assert joined["weight"] > weak["weight"] + 1
    assert candidate(seen_nazar_id, nazar)["score"] > before["score"]
    decide("reopen", confirmed["version"])
    assert candidate(seen_nazar_id, nazar) == before


def test_joining_a_case_scores_its_group_again_when_no_report_names_a_sibling(
    client: TestClient, callers: Callers
):
    """Олена reported twice, no sibling named; her adoptive document is seen with a witness's
    Олена. A companion matching either report of the case is this child, so confirming the
    two reports as one case changes what the witness's sighting scores with the group: its
    stored proposal is scored again, to what its live candidates show."""
    mother = file_report(client, callers.family, OLENA_BY_MOTHER).json()["id"]
    file_report(client, callers.family2, OLENA_BY_GRANDMOTHER)
    document = file_sighting(client, callers.field, OLENA_ADOPTED).json()["id"]
    witness_seen = {**OLENA_BY_MOTHER, "origin_settlement": OLENA_BY_MOTHER["home_settlement"]}
    del witness_seen["home_settlement"]
    witness = file_sighting(client, callers.field, witness_seen, seen_with=[document])
    witness_id = witness.json()["id"]

    def live() -> float:
        answer = client.get(
            f"/api/v1/sightings/{witness_id}/candidates", headers=callers.coordinator.headers
        )
        [found] = [c for c in answer.json()["items"] if c["report_id"] == mother]
        return float(found["score"])

    def stored() -> float:
        answer = client.get("/api/v1/matches", headers=callers.coordinator.headers)
        [found] = [
            m
            for m in answer.json()["items"]
            if (m["report_id"], m["sighting_id"]) == (mother, witness_id)
        ]
        return float(found["score"])

    before = live()
    assert stored() == before
    [pair] = client.get(
        "/api/v1/duplicates", params={"status": "proposed"}, headers=callers.coordinator.headers
    ).json()["items"]
    answer = client.post(
        f"/api/v1/duplicates/{pair['id']}/decision",
        json={"decision": "confirm", "note": "one child", "version": pair["version"]},
        headers=callers.coordinator.headers,
    )
    assert answer.status_code == 200, answer.text
    drain_queue(client)
    assert live() != before
    assert stored() == live()
