"""The README's screenshots of the console, taken with headless Chromium on example records.

    python -m bench.screenshots [--out docs]

Files the walk-through's report and sighting, a few more like them, a second family's report of
the walk-through's child (a proposed duplicate) and two siblings' reports with two sightings of
them seen together, on a temporary SQLite database; signs in as an enrolled coordinator, and
writes the README's pictures of the pages (English labels, 1100 px wide): console-queue.png,
console-match.png, console-duplicates.png, console-duplicate.png, console-group.png and
console-search.png.
"""

import argparse
import tempfile
import threading
from pathlib import Path

import uvicorn
from fastapi.testclient import TestClient
from playwright.sync_api import sync_playwright

from app.core.migrations import upgrade
from app.core.security import Role
from app.core.settings import Settings
from app.main import create_app
from app.matches import worker
from app.users.service import create_user
from bench.console import CHROMIUM, PASSWORD, _fresh_code, enrol_as

REPORTS = [
    {
        "child": {
            "given_name": "Микола",
            "family_name": "Олійник",
            "other_names": ["Коля"],
            "sex": "male",
            "date_of_birth": "2011-03-12",
            "home_settlement": "Мелітополь",
        },
        "last_seen": {"date": "2022-10", "place": "Херсон"},
        "circumstances": "Taken from a school trip to a camp in Crimea.",
    },
    {
        "child": {
            "given_name": "Софія",
            "family_name": "Коваленко",
            "sex": "female",
            "date_of_birth": "2014-07",
            "home_settlement": "Ізюм",
        },
    },
    {
        "child": {
            "given_name": "Олександр",
            "family_name": "Ткаченко",
            "sex": "male",
            "date_of_birth": "2009-11-02",
            "home_settlement": "Маріуполь",
        },
    },
]
# The walk-through's child as a second family (an aunt abroad) writes him.
SECOND_FAMILY = {
    "child": {
        "given_name": "Mykola",
        "family_name": "Oliinyk",
        "patronymic": "Andriiovych",
        "sex": "male",
        "date_of_birth": "2011-03-12",
        "home_settlement": "Melitopol",
    },
    "reporter": {"name": "Iryna Oliinyk", "relationship": "aunt"},
}
# Two siblings; the brother's document, after adoption, has another family name and patronymic.
SIBLINGS = [
    {
        "given_name": "Олена",
        "family_name": "Мартинюк",
        "sex": "female",
        "date_of_birth": "2012-04-03",
        "home_settlement": "Ізюм",
    },
    {
        "given_name": "Назар",
        "family_name": "Мартинюк",
        "sex": "male",
        "date_of_birth": "2015-01-06",
        "home_settlement": "Ізюм",
    },
]
SEEN_TOGETHER = [
    {
        "full_name": "Мартынюк Елена Григорьевна",
        "sex": "female",
        "date_of_birth": "2012-04-03",
        "origin_settlement": "Изюм",
    },
    {
        "given_name": "Назар",
        "family_name": "Вовк",
        "patronymic": "Викторович",
        "sex": "male",
        "date_of_birth": "2015",
    },
]
SIGHTINGS = [
    {
        "subject": {
            "full_name": "ОЛЕЙНИК Николай Андреевич",
            "date_of_birth": "2011-03-12",
            "sex": "male",
            "origin_settlement": "Мелитополь",
        },
        "observed_on": "2024-05-01",
        "location": "Евпатория",
        "source_type": "document",
        "source": {"contact": "Signal: ...", "details": "volunteer in Crimea"},
    },
    {
        "subject": {
            "full_name": "Коваленко София",
            "sex": "female",
            "age_estimate": {"min": 9, "max": 11},
        },
        "observed_on": "2024-02-10",
        "source_type": "witness",
    },
    {
        "subject": {
            "full_name": "ТКАЧЕНКО Александр",
            "date_of_birth": "2009-11-02",
            "origin_settlement": "Мариуполь",
        },
        "observed_on": "2023-09-15",
        "source_type": "list",
    },
]


NAMES = [
    "console-queue.png",
    "console-match.png",
    "console-group.png",
    "console-duplicates.png",
    "console-duplicate.png",
    "console-search.png",
]


def _seen(subject: dict[str, object]) -> dict[str, object]:
    return {"subject": subject, "source_type": "document", "observed_on": "2024-05-01"}


def _post(client: TestClient, path: str, body: dict[str, object], token: str) -> str:
    answer = client.post(path, json=body, headers={"Authorization": f"Bearer {token}"})
    answer.raise_for_status()
    record_id: str = answer.json()["id"]
    return record_id


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.screenshots", description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("docs"))
    out = parser.parse_args().out
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/screens.db"
        upgrade(url)
        app = create_app(Settings(database_url=url, warm_engine=False))
        with app.state.session_factory() as session, session.begin():
            _, family = create_user(session, name="Hanna Oliinyk", role=Role.family)
            _, field = create_user(session, name="Volunteer 17", role=Role.field)
        with TestClient(app) as client:
            for body in REPORTS:
                _post(client, "/api/v1/reports", body, family)
            for body in SIGHTINGS:
                _post(client, "/api/v1/sightings", body, field)
            _post(client, "/api/v1/reports", SECOND_FAMILY, family)
            sister = _post(client, "/api/v1/reports", {"child": SIBLINGS[0]}, family)
            _post(client, "/api/v1/reports", {"child": SIBLINGS[1], "siblings": [sister]}, family)
            seen = _post(client, "/api/v1/sightings", _seen(SEEN_TOGETHER[0]), field)
            _post(
                client, "/api/v1/sightings", {**_seen(SEEN_TOGETHER[1]), "seen_with": [seen]}, field
            )
            # Matched now, before the pictures, whatever the service's own worker has done.
            worker.drain(app.state.session_factory, app.state.matching)
        login, secret = enrol_as(app.state.session_factory, "olena", "Olena Kovalenko")
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            thread.join(0.05)
        base = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=str(CHROMIUM))
                page = browser.new_page(viewport={"width": 1100, "height": 700})
                page.goto(f"{base}/console/sign-in?lang=en")
                page.get_by_label("Login").fill(login)
                page.get_by_label("Password").fill(PASSWORD)
                page.get_by_label("One-time code").fill(_fresh_code(secret))
                page.get_by_role("button", name="Sign in").click()
                page.wait_for_url("**/console/matches")
                page.screenshot(path=out / "console-queue.png", full_page=True)
                page.locator(".match-link", has_text="Микола").click()
                page.wait_for_url("**/console/matches/*")
                page.screenshot(path=out / "console-match.png", full_page=True)
                page.goto(f"{base}/console/matches")
                page.locator(".match-link", has_text="Вовк").click()
                page.wait_for_url("**/console/matches/*")
                page.locator("#group-title").scroll_into_view_if_needed()
                page.screenshot(path=out / "console-group.png")
                page.get_by_role("link", name="Duplicate reports").click()
                page.screenshot(path=out / "console-duplicates.png", full_page=True)
                page.locator(".match-link").first.click()
                page.wait_for_url("**/console/duplicates/*")
                page.screenshot(path=out / "console-duplicate.png", full_page=True)
                page.goto(f"{base}/console/search?q=OLEINIK")
                page.screenshot(path=out / "console-search.png", full_page=True)
                browser.close()
        finally:
            server.should_exit = True
            thread.join(10)
            app.state.engine.dispose()
    print(f"wrote {', '.join(str(out / n) for n in NAMES)}")


if __name__ == "__main__":
    main()
