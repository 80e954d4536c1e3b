"""The console's review pages in process: queue, match, decisions, search, records, languages."""

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.console.labels import LABELS, verdict_words, weight_words
from tests.app import payloads
from tests.app.console.helpers import Reviewer, csrf_of, signed_in
from tests.app.matching_queue import drain_queue
from tests.conftest import Callers

NOBODY = "00000000-0000-4000-8000-000000000000"


def file_pair(client: TestClient, callers: Callers, **subject: str) -> tuple[str, str]:
    report = client.post("/api/v1/reports", json=payloads.report(), headers=callers.family.headers)
    sighting = client.post(
        "/api/v1/sightings", json=payloads.sighting(**subject), headers=callers.field.headers
    )
    assert report.status_code == sighting.status_code == 201
    drain_queue(client)
    return report.json()["id"], sighting.json()["id"]


def proposed(client: TestClient, callers: Callers) -> list[dict]:
    drain_queue(client)
    answer = client.get(
        "/api/v1/matches", params={"status": "proposed"}, headers=callers.coordinator.headers
    )
    items: list[dict] = answer.json()["items"]
    return items


def actions(session: Session, user_id: str) -> list[tuple[str, str | None]]:
    rows = session.scalars(
        select(AuditEvent).where(AuditEvent.user_id == user_id).order_by(AuditEvent.created_at)
    )
    return [(row.action, row.object_id) for row in rows]


def decide(console: TestClient, match_id: str, decision: str, version: int, note: str = ""):  # type: ignore[no-untyped-def]
    page = console.get(f"/console/matches/{match_id}")
    return console.post(
        f"/console/matches/{match_id}/decision",
        data={"csrf": csrf_of(page.text), "decision": decision, "version": version, "note": note},
        follow_redirects=False,
    )


class TestQueue:
    def test_rows_show_both_children_as_written_the_score_and_the_source(
        self, console: TestClient, callers: Callers
    ):
        _, _ = file_pair(console, callers)
        [match] = proposed(console, callers)
        page = console.get("/console/matches")
        assert page.status_code == 200
        assert f'href="/console/matches/{match["id"]}"' in page.text
        for written in (
            "Микола",
            "Олійник",
            "ОЛЕЙНИК Николай Андреевич",
            "Мелітополь",
            "Мелитополь",
        ):
            assert written in page.text
        assert f"{round(match['score'] * 100)}%" in page.text
        assert "document" in page.text and "born 2011-03-12" in page.text

    def test_filters_narrow_by_source_type_and_score(self, console: TestClient, callers: Callers):
        file_pair(console, callers)
        [match] = proposed(console, callers)
        link = f'/console/matches/{match["id"]}"'
        assert link in console.get("/console/matches?source_type=document").text
        assert link not in console.get("/console/matches?source_type=witness").text
        score = round(match["score"] * 100)
        assert link in console.get(f"/console/matches?min_score={score - 1}").text
        assert link not in console.get(f"/console/matches?max_score={score - 2}").text
        assert link not in console.get("/console/matches?status=confirmed").text
        assert link in console.get("/console/matches?status=").text

    def test_a_page_view_is_audited_per_record_shown(
        self, console: TestClient, callers: Callers, session: Session, olena: Reviewer
    ):
        report_id, sighting_id = file_pair(console, callers)
        [match] = proposed(console, callers)
        console.get("/console/matches")
        seen = actions(session, olena.user_id)
        assert ("match.list", match["id"]) in seen
        assert ("report.list", report_id) in seen and ("sighting.list", sighting_id) in seen

    def test_a_bad_filter_is_a_page_not_a_crash(self, console: TestClient):
        assert console.get("/console/matches?min_score=abc").status_code == 422
        out_of_range = console.get("/console/matches?min_score=200")
        assert out_of_range.status_code == 422
        assert "0–100" in out_of_range.text  # the page names what is out of range
        assert console.get("/console/matches?source_type=rumour").status_code == 422


class TestMatchPage:
    def test_both_records_side_by_side_with_the_engines_verdicts(
        self, console: TestClient, callers: Callers
    ):
        file_pair(console, callers)
        [match] = proposed(console, callers)
        page = console.get(f"/console/matches/{match['id']}")
        assert page.status_code == 200
        for item in match["explanation"]:
            assert item["detail"].replace("'", "&#39;") in page.text
        assert "Taken from a school trip to a camp in Crimea." in page.text
        assert 'value="confirm"' in page.text and 'value="reject"' in page.text
        assert 'value="reopen"' not in page.text
        assert 'for="note"' in page.text
        # The sighting gives one full name: its given name, family name and patronymic rows
        # point to it, where a dash would say the engine had nothing to compare.
        hint = LABELS["en"]["in_full_name"]
        assert page.text.count(hint) == 3
        # Each weight is said in words a reviewer reads, the number beside it.
        for item in match["explanation"]:
            assert f"{weight_words(item['weight'], 'en')}</span>" in page.text
            assert f"({item['weight']:+.1f})" in page.text

    def test_a_full_name_without_a_patronymic_leaves_the_patronymic_row_a_dash(
        self, console: TestClient, callers: Callers
    ):
        file_pair(console, callers, full_name="ОЛЕЙНИК Николай")
        [match] = proposed(console, callers)
        page = console.get(f"/console/matches/{match['id']}")
        assert page.text.count(LABELS["en"]["in_full_name"]) == 2  # given and family names

    def test_weights_in_words(self):
        assert weight_words(8.2, "en") == "strongly for"
        assert weight_words(2.0, "en") == "for"
        assert weight_words(1.9, "en") == "slightly for"
        assert weight_words(1.96, "en") == "for"  # shown as +2.0
        assert weight_words(5.96, "en") == "strongly for"  # shown as +6.0
        assert weight_words(0.04, "en") == "does not count"
        assert weight_words(-1.0, "en") == "slightly against"
        assert weight_words(-3.0, "en") == "against"
        assert weight_words(-6.5, "uk") == "сильно проти"

    def test_the_source_is_shown_only_on_request_and_the_request_is_audited(
        self, console: TestClient, callers: Callers, session: Session, olena: Reviewer
    ):
        _, sighting_id = file_pair(console, callers)
        [match] = proposed(console, callers)
        plain = console.get(f"/console/matches/{match['id']}")
        assert "Signal +000" not in plain.text and "Show source" in plain.text
        assert ("sighting.source", sighting_id) not in actions(session, olena.user_id)
        shown = console.get(f"/console/matches/{match['id']}?source=true")
        assert "Signal +000" in shown.text and "volunteer in Crimea" in shown.text
        assert ("sighting.source", sighting_id) in actions(session, olena.user_id)

    def test_someone_elses_or_no_match_is_the_same_404_page(self, console: TestClient):
        answer = console.get(f"/console/matches/{NOBODY}")
        assert answer.status_code == 404 and "There is no such record" in answer.text

    def test_confirming_opens_the_next_proposed_match_and_locates_the_report(
        self, console: TestClient, callers: Callers
    ):
        file_pair(console, callers)
        console.post(
            "/api/v1/sightings",
            json=payloads.sighting(full_name="ОЛЕЙНИК Николай"),
            headers=callers.field.headers,
        )
        first, second = proposed(console, callers)
        answer = decide(console, first["id"], "confirm", first["version"], note="Свідоцтво")
        assert answer.status_code == 303
        assert answer.headers["location"] == f"/console/matches/{second['id']}"
        report = console.get(f"/console/reports/{first['report_id']}")
        assert "child located" in report.text and "Олена Коваль" in report.text
        decided = console.get(f"/console/matches/{first['id']}")
        assert 'value="reopen"' in decided.text and "Свідоцтво" in decided.text

    def test_a_stale_decision_says_who_decided_what_and_changes_nothing(
        self, console: TestClient, callers: Callers, session: Session
    ):
        file_pair(console, callers)
        [match] = proposed(console, callers)
        first = console.post(
            f"/api/v1/matches/{match['id']}/decision",
            json={"decision": "reject", "version": match["version"]},
            headers=callers.coordinator.headers,
        )
        assert first.status_code == 200
        answer = decide(console, match["id"], "confirm", match["version"])
        assert answer.status_code == 409
        assert "Someone decided first: test coordinator" in answer.text
        assert "rejected" in answer.text
        after = console.get(
            f"/api/v1/matches/{match['id']}", headers=callers.coordinator.headers
        ).json()
        assert after["status"] == "rejected" and after["version"] == 2
        assert after["report"]["status"] == "open"

    def test_a_sighting_confirmed_for_another_report_is_refused_in_the_pages_words(
        self, console: TestClient, callers: Callers
    ):
        file_pair(console, callers)
        second_report = console.post(
            "/api/v1/reports", json=payloads.report(), headers=callers.family.headers
        )
        assert second_report.status_code == 201
        first, second = proposed(console, callers)
        assert first["sighting_id"] == second["sighting_id"]
        assert decide(console, first["id"], "confirm", first["version"]).status_code == 303
        answer = decide(console, second["id"], "confirm", second["version"])
        assert answer.status_code == 409
        assert LABELS["en"]["refused_confirmed_elsewhere"] in answer.text
        assert f'href="/console/matches/{first["id"]}"' in answer.text
        assert 'value="confirm"' in answer.text  # still proposed, still decidable

    def test_a_decision_without_the_forms_token_changes_nothing(
        self, console: TestClient, callers: Callers
    ):
        file_pair(console, callers)
        [match] = proposed(console, callers)
        answer = console.post(
            f"/console/matches/{match['id']}/decision",
            data={"csrf": "forged", "decision": "confirm", "version": match["version"]},
        )
        assert answer.status_code == 403
        assert proposed(console, callers)[0]["version"] == match["version"]


class TestSearch:
    @pytest.mark.parametrize("query", ["Олійник", "Олейник", "OLEINIK", "oliinyk mykola"])
    def test_names_find_each_other_across_scripts(
        self, console: TestClient, callers: Callers, query: str
    ):
        report_id, sighting_id = file_pair(console, callers)
        page = console.get("/console/search", params={"q": query})
        assert f"/console/reports/{report_id}" in page.text
        assert f"/console/sightings/{sighting_id}" in page.text

    def test_an_unrelated_name_finds_nothing(self, console: TestClient, callers: Callers):
        report_id, _ = file_pair(console, callers)
        page = console.get("/console/search", params={"q": "Шевченко"})
        assert f"/console/reports/{report_id}" not in page.text and "Nothing found" in page.text

    def test_an_id_finds_its_record(self, console: TestClient, callers: Callers):
        report_id, _ = file_pair(console, callers)
        page = console.get("/console/search", params={"q": report_id})
        assert f"/console/reports/{report_id}" in page.text


class TestRecords:
    def test_a_sighting_page_shows_its_candidates_and_matches_but_not_its_source(
        self, console: TestClient, callers: Callers
    ):
        report_id, sighting_id = file_pair(console, callers)
        [match] = proposed(console, callers)
        page = console.get(f"/console/sightings/{sighting_id}")
        assert page.status_code == 200
        assert f"/console/reports/{report_id}" in page.text
        assert f"/console/matches/{match['id']}" in page.text
        assert "Signal +000" not in page.text

    def test_each_match_of_a_record_names_the_other_child(
        self, console: TestClient, callers: Callers, session: Session, olena: Reviewer
    ):
        report_id, sighting_id = file_pair(console, callers)
        [match] = proposed(console, callers)
        for page, other in (
            (console.get(f"/console/reports/{report_id}"), "ОЛЕЙНИК Николай Андреевич"),
            (console.get(f"/console/sightings/{sighting_id}"), "Микола Олійник"),
        ):
            matches = page.text[page.text.index('id="matches-title"') :]
            link = matches[matches.index(f"/console/matches/{match['id']}") :]
            assert other in link[: link.index("</a>")]
        # The other child's record on the page is read as listed, like every row shown.
        assert ("sighting.list", sighting_id) in actions(session, olena.user_id)
        assert ("report.list", report_id) in actions(session, olena.user_id)


class TestLanguages:
    def test_ukrainian_by_default(self, client: TestClient, olena: Reviewer):
        signed_in(client, olena)
        page = client.get("/console/matches")
        assert '<html lang="uk">' in page.text and "Черга збігів" in page.text

    def test_english_by_accept_language(self, client: TestClient):
        page = client.get("/console/sign-in", headers={"Accept-Language": "en-GB,en;q=0.8"})
        assert '<html lang="en">' in page.text and "Sign in to the console" in page.text

    def test_the_choice_of_lang_is_kept_in_a_cookie(self, client: TestClient):
        client.base_url = "https://testserver"  # type: ignore[assignment]
        client.get("/console/sign-in?lang=en")
        assert "Sign in to the console" in client.get("/console/sign-in").text
        client.get("/console/sign-in?lang=uk")
        assert "Вхід до консолі" in client.get("/console/sign-in").text

    @pytest.mark.nodb
    def test_every_label_is_in_both_languages(self):
        assert LABELS["uk"].keys() == LABELS["en"].keys()
        assert all(value.strip() for table in LABELS.values() for value in table.values())


class TestPageSafety:
    def test_no_inline_script_or_style_and_a_strict_csp(
        self, console: TestClient, callers: Callers
    ):
        file_pair(console, callers)
        [match] = proposed(console, callers)
        for path in ("/console/matches", f"/console/matches/{match['id']}", "/console/search?q=x"):
            page = console.get(path)
            csp = page.headers["content-security-policy"]
            assert "script-src 'self'" in csp and "unsafe-inline" not in csp
            assert not re.search(r"<script(?![^>]*\bsrc=)", page.text)
            assert not re.search(r"<style|\sstyle=|\son[a-z]+=", page.text)
            assert page.headers["cache-control"] == "no-store"


def test_every_verdict_the_engine_can_give_has_ukrainian_words():
    from matching import _compare, _fields
    from matching._ladder import Ladder

    verdicts = {
        level.verdict
        for ladder in vars(_fields).values()
        if isinstance(ladder, Ladder)
        for level in ladder.levels
    }
    assert len(verdicts) > 20  # the ladders were really read
    # The verdicts the score itself gives when names change together (a new identity).
    renamed = _compare._renamed_too(_compare.FieldComparison("given_name", "different", "", -7))
    verdicts |= {_compare.NEW_IDENTITY.verdict, renamed.verdict}
    untranslated = {v for v in verdicts if verdict_words(v, "uk") == v}
    assert untranslated == set()


def test_server_timing_only_for_a_signed_in_reviewer(client: TestClient, olena: Reviewer):
    before = client.get("/console/sign-in")
    assert "server-timing" not in before.headers
    signed_in(client, olena)
    queue = client.get("/console/matches")
    timing = dict(part.strip().split(";dur=") for part in queue.headers["server-timing"].split(","))
    assert set(timing) == {"app", "cpu"} and float(timing["app"]) > 0


def test_the_script_and_style_are_kept_by_address_of_their_content(console: TestClient):
    page = console.get("/console/matches").text
    for asset in ("console.css", "console.js"):
        [address] = re.findall(rf'"(/console/static/{asset}\?v=[0-9a-f]{{12}})"', page)
        answer = console.get(address)
        assert answer.status_code == 200
        assert answer.headers["cache-control"] == "max-age=31536000, immutable"
    assert console.get("/console/matches").headers["cache-control"] == "no-store"
