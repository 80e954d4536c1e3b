"""The console in a real browser: enrolment, keyboard review, a stale decision from a second
browser, search across scripts, CSP and cookies, and axe-core on every page."""

import re
from collections.abc import Iterator
from typing import Any

import pyotp
import pytest
from axe_playwright_python.sync_playwright import Axe
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, BrowserContext, Page, expect

from app.core.security import Role
from app.users import credentials
from app.users.service import create_user
from tests.app import payloads
from tests.app.console.helpers import PASSWORD, Reviewer, enrolled
from tests.app.live import serve
from tests.app.matches.test_duplicates import SECOND_FAMILY
from tests.app.matching_queue import drain_queue
from tests.conftest import Callers

pytestmark = pytest.mark.browser

SERIOUS = {"serious", "critical"}


@pytest.fixture
def server(committed_app: FastAPI) -> Iterator[str]:
    with serve(committed_app) as url:
        yield url


@pytest.fixture
def context(chromium: Browser) -> Iterator[BrowserContext]:
    context = chromium.new_context(locale="en-GB")
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    page = context.new_page()
    page.csp_violations = []  # type: ignore[attr-defined]
    page.on(
        "console",
        lambda message: (
            "Content Security Policy" in message.text and page.csp_violations.append(message.text)
        ),  # type: ignore[attr-defined]
    )
    return page


def reviewer(app: FastAPI, login: str, name: str = "Олена Коваль") -> Reviewer:
    with app.state.session_factory() as session:
        return enrolled(session, name=name, role=Role.coordinator, login=login)


def file_matches(app: FastAPI, callers: Callers, sightings: int) -> None:
    with TestClient(app) as client:
        client.post("/api/v1/reports", json=payloads.report(), headers=callers.family.headers)
        for number in range(sightings):
            client.post(
                "/api/v1/sightings",
                json=payloads.sighting(
                    full_name=["ОЛЕЙНИК Николай Андреевич", "ОЛЕЙНИК Николай", "Олейник Коля"][
                        number % 3
                    ]
                ),
                headers=callers.field.headers,
            )
    drain_queue(app)


def proposed(app: FastAPI, callers: Callers, status: str = "proposed") -> list[dict[str, Any]]:
    with TestClient(app) as client:
        answer = client.get(
            "/api/v1/matches", params={"status": status}, headers=callers.coordinator.headers
        )
        items: list[dict[str, Any]] = answer.json()["items"]
        return items


def file_duplicates(app: FastAPI, callers: Callers, *children: dict[str, Any]) -> list[dict]:
    """Reports of the walk-through's child by the second family (each a proposed duplicate of
    the first family's report, filed by `file_matches`); the proposed pairs, best first."""
    with TestClient(app) as client:
        for child in children:
            client.post(
                "/api/v1/reports", json=payloads.report(**child), headers=callers.family2.headers
            )
    drain_queue(app)
    with TestClient(app) as client:
        answer = client.get(
            "/api/v1/duplicates", params={"status": "proposed"}, headers=callers.coordinator.headers
        )
        items: list[dict] = answer.json()["items"]
        return items


def sign_in(page: Page, server: str, who: Reviewer) -> None:
    page.goto(f"{server}/console/sign-in?lang=en")
    page.get_by_label("Login").fill(who.login)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("One-time code").fill(who.code())
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Match queue")).to_be_visible()


def serious_violations(page: Page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']}"
        for v in results.response["violations"]
        if v["impact"] in SERIOUS
    ]


class TestEnrolment:
    def test_a_new_coordinator_enrols_and_signs_in(
        self, committed_app: FastAPI, server: str, page: Page
    ):
        with committed_app.state.session_factory() as session, session.begin():
            user, _ = create_user(
                session, name="Тарас Шевчук", role=Role.coordinator, login="taras"
            )
            path = credentials.invite(session, user)
        page.goto(f"{server}{path}?lang=en")
        secret = page.get_by_label("Secret key").inner_text().strip()
        assert re.fullmatch(r"[A-Z2-7]{32}", secret)
        expect(page.locator(".qr svg")).to_be_visible()
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_label("Repeat password").fill(PASSWORD)
        page.get_by_label("One-time code").fill(pyotp.TOTP(secret).now())
        page.get_by_role("button", name="Enrol").click()
        expect(page.get_by_role("status")).to_have_text("You are enrolled. Sign in now.")
        sign_in(page, server, Reviewer(user.id, "taras", secret))
        assert page.csp_violations == []  # type: ignore[attr-defined]


class TestKeyboardReview:
    def test_a_queue_reviewed_by_keyboard_only(
        self, committed_app: FastAPI, committed_callers: Callers, server: str, page: Page
    ):
        file_matches(committed_app, committed_callers, sightings=3)
        first, second, third = proposed(committed_app, committed_callers)
        sign_in(page, server, reviewer(committed_app, "olena"))
        page.keyboard.press("j")
        expect(page.locator(".match-link").first).to_be_focused()
        page.keyboard.press("Enter")
        page.wait_for_url(f"**/console/matches/{first['id']}")
        page.keyboard.press("?")
        expect(page.get_by_role("dialog")).to_be_visible()
        page.keyboard.press("Escape")
        page.keyboard.press("r")
        page.wait_for_url(f"**/console/matches/{second['id']}")
        page.keyboard.press("n")
        expect(page.get_by_label("Note")).to_be_focused()
        page.keyboard.type("Свідоцтво про народження збігається")
        page.keyboard.press("Escape")
        page.keyboard.press("c")
        page.wait_for_url(f"**/console/matches/{third['id']}")
        page.keyboard.press("k")
        page.wait_for_url(f"**/console/matches/{third['id']}")  # nothing proposed before it
        page.keyboard.press("r")
        page.wait_for_url("**/console/matches?done=1")
        expect(page.get_by_role("status")).to_have_text("No proposed match is left.")
        assert [m["id"] for m in proposed(committed_app, committed_callers, "confirmed")] == [
            second["id"]
        ]
        assert len(proposed(committed_app, committed_callers, "rejected")) == 2

    def test_typing_a_note_does_not_decide(
        self, committed_app: FastAPI, committed_callers: Callers, server: str, page: Page
    ):
        file_matches(committed_app, committed_callers, sightings=1)
        [match] = proposed(committed_app, committed_callers)
        sign_in(page, server, reviewer(committed_app, "olena"))
        page.goto(f"{server}/console/matches/{match['id']}")
        page.get_by_label("Note").focus()
        page.keyboard.type("c r j k")
        assert proposed(committed_app, committed_callers)[0]["version"] == match["version"]


class TestDuplicatesByKeyboard:
    def test_a_queue_of_duplicate_reports_reviewed_by_keyboard_only(
        self, committed_app: FastAPI, committed_callers: Callers, server: str, page: Page
    ):
        file_matches(committed_app, committed_callers, sightings=0)
        pairs = file_duplicates(
            committed_app, committed_callers, SECOND_FAMILY, {"given_name": "Коля"}
        )
        assert len(pairs) == 3  # each report with each other
        sign_in(page, server, reviewer(committed_app, "olena"))
        page.get_by_role("link", name="Duplicate reports").focus()
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Possible duplicate reports")).to_be_visible()
        page.keyboard.press("j")
        expect(page.locator(".match-link").first).to_be_focused()
        page.keyboard.press("Enter")
        page.wait_for_url(f"**/console/duplicates/{pairs[0]['id']}")
        page.keyboard.press("?")
        expect(page.get_by_role("dialog")).to_contain_text("confirm: one child")
        page.keyboard.press("Escape")
        page.keyboard.press("r")
        page.wait_for_url(f"**/console/duplicates/{pairs[1]['id']}")
        page.keyboard.press("n")
        expect(page.get_by_label("Note")).to_be_focused()
        page.keyboard.type("Обидві заяви про Миколу")
        page.keyboard.press("Escape")
        page.keyboard.press("c")
        page.wait_for_url(f"**/console/duplicates/{pairs[2]['id']}")
        page.keyboard.press("k")  # the pairs before it are decided: it stays
        page.wait_for_url(f"**/console/duplicates/{pairs[2]['id']}")
        page.keyboard.press("r")
        page.wait_for_url("**/console/duplicates?done=1")
        expect(page.get_by_role("status")).to_have_text("No proposed duplicate is left.")
        with TestClient(committed_app) as client:
            decided = client.get(
                "/api/v1/duplicates", headers=committed_callers.coordinator.headers
            ).json()["items"]
        assert {d["id"]: d["status"] for d in decided} == {
            pairs[0]["id"]: "rejected",
            pairs[1]["id"]: "confirmed",
            pairs[2]["id"]: "rejected",
        }
        [confirmed] = [d for d in decided if d["status"] == "confirmed"]
        assert confirmed["note"] == "Обидві заяви про Миколу" and confirmed["case_id"]


class TestStaleDecision:
    def test_the_second_browser_is_told_who_decided_first_and_nothing_changes(
        self,
        committed_app: FastAPI,
        committed_callers: Callers,
        server: str,
        chromium: Browser,
        page: Page,
    ):
        file_matches(committed_app, committed_callers, sightings=1)
        [match] = proposed(committed_app, committed_callers)
        sign_in(page, server, reviewer(committed_app, "olena"))
        other_context = chromium.new_context(locale="en-GB")
        try:
            other = other_context.new_page()
            sign_in(other, server, reviewer(committed_app, "petro", name="Петро Іваненко"))
            page.goto(f"{server}/console/matches/{match['id']}")
            other.goto(f"{server}/console/matches/{match['id']}")
            other.get_by_role("button", name="Confirm").click()
            other.wait_for_url("**/console/matches?done=1")
            page.get_by_role("button", name="Reject").click()
            alert = page.get_by_role("alert")
            expect(alert).to_contain_text("Someone decided first: Петро Іваненко")
            expect(alert).to_contain_text("confirmed")
            expect(page.get_by_role("button", name="Reopen")).to_be_visible()
        finally:
            other_context.close()
        [confirmed] = proposed(committed_app, committed_callers, "confirmed")
        assert confirmed["version"] == 2


class TestSearch:
    @pytest.mark.parametrize("query", ["Олійник", "OLEINIK"])
    def test_a_name_finds_records_in_other_scripts(
        self,
        committed_app: FastAPI,
        committed_callers: Callers,
        server: str,
        page: Page,
        query: str,
    ):
        file_matches(committed_app, committed_callers, sightings=1)
        sign_in(page, server, reviewer(committed_app, "olena"))
        page.get_by_role("link", name="Search").click()
        page.get_by_label("Name or id").fill(query)
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Reports (1)")).to_be_visible()
        expect(page.get_by_role("link", name=re.compile("Микола Олійник"))).to_be_visible()
        expect(page.get_by_role("link", name=re.compile("ОЛЕЙНИК Николай"))).to_be_visible()


class TestSafety:
    def test_the_cookies_are_httponly_and_strict_and_the_csp_holds(
        self, committed_app: FastAPI, server: str, context: BrowserContext, page: Page
    ):
        sign_in(page, server, reviewer(committed_app, "olena"))
        cookies = {c["name"]: c for c in context.cookies()}
        for name in ("ridni_session", "ridni_csrf"):
            assert cookies[name]["httpOnly"] is True
            assert cookies[name]["sameSite"] == "Strict"
            assert cookies[name]["path"] == "/console"
        assert "ridni_session" not in page.evaluate("document.cookie")
        answer = page.goto(f"{server}/console/matches")
        assert answer is not None
        csp = answer.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "style-src 'self'" in csp
        assert page.csp_violations == []  # type: ignore[attr-defined]
        # An inline script injected into a console page does not run, and the browser says why.
        page.set_content("<title>console</title><script>document.title = 'ran'</script>")
        assert page.title() == "console"
        assert page.csp_violations  # type: ignore[attr-defined]


class TestAccessibility:
    def test_axe_finds_nothing_serious_on_any_page_at_360_px(
        self,
        committed_app: FastAPI,
        committed_callers: Callers,
        server: str,
        chromium: Browser,
    ):
        file_matches(committed_app, committed_callers, sightings=1)
        [pair] = file_duplicates(committed_app, committed_callers, SECOND_FAMILY)
        match = proposed(committed_app, committed_callers)[0]
        with committed_app.state.session_factory() as session, session.begin():
            user, _ = create_user(session, name="Ірина", role=Role.coordinator, login="iryna")
            enrol_path = credentials.invite(session, user)
        for lang in ("en", "uk"):
            # One of each per language: a one-time code, once used, is spent.
            who = reviewer(committed_app, f"olena-{lang}")
            with committed_app.state.session_factory() as session:
                family = enrolled(session, name="Ганна", role=Role.family, login=f"hanna-{lang}")
            context = chromium.new_context(viewport={"width": 360, "height": 740})
            try:
                page = context.new_page()
                checked: dict[str, list[str]] = {}

                def check(
                    label: str, page: Page = page, checked: dict[str, list[str]] = checked
                ) -> None:
                    checked[label] = serious_violations(page)
                    width = page.evaluate("document.documentElement.scrollWidth")
                    if width > 360:
                        checked[label].append(f"wider than 360 px ({width})")

                page.goto(f"{server}/console/sign-in?lang={lang}")
                check("sign-in")
                page.goto(f"{server}{enrol_path}")
                check("enrol")
                page.goto(f"{server}/console/enrol/not-a-code")
                check("invalid invitation")
                page.goto(f"{server}/console/sign-in")
                page.locator("#login").fill(family.login)
                page.locator("#password").fill(PASSWORD)
                page.locator("#code").fill(family.code())
                page.locator("form.stack button").click()
                check("not for this role")
                page.goto(f"{server}/console/sign-in")
                page.locator("#login").fill(who.login)
                page.locator("#password").fill(PASSWORD)
                page.locator("#code").fill(who.code())
                page.locator("form.stack button").click()
                page.wait_for_url("**/console/matches")
                check("queue")
                page.goto(f"{server}/console/matches/{match['id']}")
                check("match")
                page.goto(f"{server}/console/matches/{match['id']}?source=true")
                check("match with source")
                page.keyboard.press("?")
                check("keys")
                page.goto(f"{server}/console/search?q=OLEINIK")
                check("search")
                page.goto(f"{server}/console/duplicates")
                check("duplicates")
                page.goto(f"{server}/console/duplicates/{pair['id']}")
                check("duplicate")
                page.keyboard.press("?")
                check("duplicate keys")
                page.goto(f"{server}/console/reports/{match['report_id']}")
                check("report")
                page.goto(f"{server}/console/sightings/{match['sighting_id']}")
                check("sighting")
                page.goto(f"{server}/console/matches/00000000-0000-4000-8000-000000000000")
                check("not found")
                assert {label: found for label, found in checked.items() if found} == {}, lang
            finally:
                context.close()
