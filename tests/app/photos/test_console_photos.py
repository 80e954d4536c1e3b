"""The match page shows the report's and the sighting's photos side by side; each image is
served through the console with the reviewer's session, and audited. In process, then in
Chromium (axe-core in both languages at 360 px, and the images really load under the CSP)."""

import io
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image
from playwright.sync_api import Browser
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.core.security import Role
from tests.app import payloads
from tests.app.console.helpers import PASSWORD, Reviewer, enrolled, signed_in
from tests.app.console.test_browser import file_matches, proposed, serious_violations
from tests.app.live import serve
from tests.app.matching_queue import drain_queue
from tests.app.photos import samples
from tests.app.photos.test_photos import upload
from tests.conftest import Callers


def add_photos(client: TestClient, callers: Callers, match: dict[str, str]) -> tuple[str, str]:
    report_photo = upload(
        client,
        callers.family,
        f"/api/v1/reports/{match['report_id']}/photos",
        samples.jpeg_with_gps(600, 800),
        caption="Шкільне фото, 2021",
    ).json()["id"]
    sighting_photo = upload(
        client,
        callers.field,
        f"/api/v1/sightings/{match['sighting_id']}/photos",
        samples.heic(),
    ).json()["id"]
    return report_photo, sighting_photo


class TestInProcess:
    def test_the_match_page_shows_both_sides_photos_and_serves_them_audited(
        self, client: TestClient, callers: Callers, session: Session
    ):
        file_matches_in(client, callers)
        [match] = proposed_in(client, callers)
        report_photo, sighting_photo = add_photos(client, callers, match)
        olena = enrolled(session, name="Олена Коваль", role=Role.coordinator, login="olena")
        signed_in(client, olena)
        page = client.get(f"/console/matches/{match['id']}?lang=en").text
        section = page[page.index('id="photos-title"') :]
        assert section.index(f"/console/photos/{report_photo}?size=thumbnail") < section.index(
            f"/console/photos/{sighting_photo}?size=thumbnail"
        )
        assert f'href="/console/photos/{report_photo}"' in section
        assert 'alt="Photo 1 of the report (opens the full size)"' in section
        assert "Шкільне фото, 2021" in section
        thumbnail = client.get(f"/console/photos/{sighting_photo}?size=thumbnail")
        assert thumbnail.status_code == 200
        assert thumbnail.headers["cache-control"] == "no-store"
        assert max(Image.open(io.BytesIO(thumbnail.content)).size) <= 320
        full = client.get(f"/console/photos/{report_photo}")
        assert Image.open(io.BytesIO(full.content)).size == (600, 800)
        rows = session.execute(
            select(AuditEvent.action, AuditEvent.object_id).where(
                AuditEvent.user_id == olena.user_id, AuditEvent.action.like("%photo%")
            )
        ).all()
        assert set(rows) == {
            ("report.photos", match["report_id"]),
            ("sighting.photos", match["sighting_id"]),
            ("photo.list", report_photo),
            ("photo.list", sighting_photo),
            ("photo.read", sighting_photo),
            ("photo.read", report_photo),
        }

    def test_without_a_session_a_sign_in_and_a_missing_photo_a_404_page(
        self, client: TestClient, callers: Callers, session: Session
    ):
        file_matches_in(client, callers)
        [match] = proposed_in(client, callers)
        report_photo, _ = add_photos(client, callers, match)
        answer = client.get(f"/console/photos/{report_photo}", follow_redirects=False)
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/console/sign-in")
        olena = enrolled(session, name="Олена Коваль", role=Role.coordinator, login="olena")
        signed_in(client, olena)
        missing = client.get("/console/photos/00000000-0000-4000-8000-000000000000")
        assert missing.status_code == 404
        assert missing.headers["content-type"].startswith("text/html")
        refused = session.scalars(
            select(AuditEvent.outcome).where(
                AuditEvent.user_id == olena.user_id, AuditEvent.action == "photo.read"
            )
        ).all()
        assert refused == ["not_found"]


def file_matches_in(client: TestClient, callers: Callers) -> None:
    client.post("/api/v1/reports", json=payloads.report(), headers=callers.family.headers)
    client.post(
        "/api/v1/sightings",
        json=payloads.sighting(full_name="ОЛЕЙНИК Николай Андреевич"),
        headers=callers.field.headers,
    )
    drain_queue(client)


def proposed_in(client: TestClient, callers: Callers) -> list[dict[str, str]]:
    answer = client.get(
        "/api/v1/matches", params={"status": "proposed"}, headers=callers.coordinator.headers
    )
    items: list[dict[str, str]] = answer.json()["items"]
    return items


@pytest.fixture
def server(committed_app: FastAPI) -> Iterator[str]:
    with serve(committed_app) as url:
        yield url


@pytest.mark.browser
def test_photos_side_by_side_in_a_browser_load_and_pass_axe_at_360_px(
    committed_app: FastAPI, committed_callers: Callers, server: str, chromium: Browser
):
    file_matches(committed_app, committed_callers, sightings=1)
    [match] = proposed(committed_app, committed_callers)
    with TestClient(committed_app) as client:
        add_photos(client, committed_callers, match)
    for lang in ("en", "uk"):
        with committed_app.state.session_factory() as session:
            who: Reviewer = enrolled(
                session, name="Олена Коваль", role=Role.coordinator, login=f"olena-{lang}"
            )
        context = chromium.new_context(viewport={"width": 360, "height": 740})
        try:
            page = context.new_page()
            violations: list[str] = []
            page.on(
                "console",
                lambda message, seen=violations: (
                    "Content Security Policy" in message.text and seen.append(message.text)
                ),
            )
            page.goto(f"{server}/console/sign-in?lang={lang}")
            page.locator("#login").fill(who.login)
            page.locator("#password").fill(PASSWORD)
            page.locator("#code").fill(who.code())
            page.locator("form.stack button").click()
            page.wait_for_url("**/console/matches")
            page.goto(f"{server}/console/matches/{match['id']}")
            images = page.locator(".photo-list img")
            assert images.count() == 2
            page.wait_for_load_state("networkidle")
            widths = images.evaluate_all("(all) => all.map((i) => i.complete && i.naturalWidth)")
            assert all(width and width > 0 for width in widths), widths
            assert serious_violations(page) == []
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 360
            assert violations == []
            images.first.click()
            page.wait_for_load_state("load")
            assert page.url.endswith("/console/photos/" + page.url.rsplit("/", 1)[1])
            assert page.evaluate("document.images[0].naturalWidth") == 600
        finally:
            context.close()
