"""The review console's speed: page render times at scale and a scripted keyboard review.

    python -m bench.service console [--database sqlite|postgresql|both] [--reports N]
                                    [--proposals M] [--gets K] [--decisions D]

Stores N synthetic reports with their candidate index, M sightings each drawn from one of those
reports (as a Russian document, list or witness would write the child), and one proposed match
per sighting with the engine's own score and explanation; and M proposed duplicate pairs of
stored reports, each scored by the engine as report against report. Then, against a running
`ridni serve` signed in as an enrolled coordinator, it times K sequential GETs of the queue's
first page (50 rows, both children), of a filtered page, of K different match pages, of the
duplicates queue's first page and of K different duplicate pages: the service's own wall
and CPU time (its Server-Timing header) and the client's over loopback, beside /healthz as a
baseline of what the machine gives any request at the time. Last, Chromium (Playwright,
/usr/bin/chromium) decides D matches by keyboard only, alternating `r` and `c`: the time from each
key press to the next match's page being loaded, the service's time over that step's requests,
and how many requests it made. Each database's tables are printed as soon as it is measured.
"""

import os
import random
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pyotp
from sqlalchemy import select

import matching
from app.core.migrations import upgrade
from app.core.security import Role
from app.matches import engine as match_engine
from app.matches.duplicates.models import Duplicate
from app.matches.models import Match, MatchStatus
from app.reports.models import Report
from app.sightings.schemas import SightingIn
from app.sightings.service import new_sighting
from app.users import credentials
from app.users.service import create_user
from bench.service import _analyze, _open, fresh_database, running_service, store_reports
from bench.synthetic import Population

CHROMIUM = Path("/usr/bin/chromium")
PASSWORD = "bench password of enough length"  # noqa: S105 - a throwaway bench user
SOURCES = ["document", "list", "witness", "media"]


def store_proposals(url: str, count: int, *, seed: int = 17) -> None:
    """`count` sightings, each of a stored report's child, and their proposed matches."""
    rng = random.Random(seed)
    engine, factory = _open(url)
    with factory() as session, session.begin():
        owner, _ = create_user(session, name="bench field", role=Role.field)
        owner_id = owner.id
        report_ids = list(session.scalars(select(Report.id)))
    chosen = rng.sample(report_ids, count)
    for start in range(0, count, 1000):
        with factory() as session, session.begin():
            reports = session.scalars(
                select(Report).where(Report.id.in_(chosen[start : start + 1000]))
            ).all()
            sightings = [new_sighting(owner_id, _seen(report, rng)) for report in reports]
            session.add_all(sightings)
            session.flush()
            for report, sighting in zip(reports, sightings, strict=True):
                compared = matching.compare(
                    match_engine.person_from_report(report),
                    match_engine.person_from_sighting(sighting),
                )
                session.add(
                    Match(
                        report_id=report.id,
                        sighting_id=sighting.id,
                        score=compared.score,
                        explanation=[f.as_dict() for f in compared.explanation],
                        status=MatchStatus.proposed.value,
                    )
                )
    # As store_reports does: the planner's statistics would otherwise still say that matches
    # and sightings are empty (they were analysed before these rows, and the test server runs
    # without autovacuum), and the filtered queue's plan is chosen for empty tables.
    _analyze(engine)
    engine.dispose()


def store_duplicates(url: str, count: int, *, seed: int = 19) -> None:
    """`count` proposed duplicate pairs with the engine's own score and explanation: reports
    sorted by name and paired with their neighbour, so that most pairs share a given name (as
    two relatives' reports of one child do) and their explanations are as long as real ones."""
    rng = random.Random(seed)
    engine, factory = _open(url)
    with factory() as session:
        ids = rng.sample(list(session.scalars(select(Report.id))), 2 * count)
    for start in range(0, 2 * count, 2000):
        with factory() as session, session.begin():
            reports = sorted(
                session.scalars(select(Report).where(Report.id.in_(ids[start : start + 2000]))),
                key=lambda r: (r.given_name or "", r.family_name or "", r.id),
            )
            for later, earlier in zip(reports[::2], reports[1::2], strict=False):
                compared = matching.compare_reports(
                    match_engine.person_from_report(later), match_engine.person_from_report(earlier)
                )
                session.add(
                    Duplicate(
                        report_id=later.id,
                        duplicate_of_id=earlier.id,
                        score=compared.score,
                        explanation=[f.as_dict() for f in compared.explanation],
                        status=MatchStatus.proposed.value,
                    )
                )
    _analyze(engine)
    engine.dispose()


def _seen(report: Report, rng: random.Random) -> SightingIn:
    birth = None
    if report.birth_year is not None:
        birth = "-".join(
            f"{part:02d}" if i else str(part)
            for i, part in enumerate((report.birth_year, report.birth_month, report.birth_day))
            if part is not None
        )
    subject: dict[str, Any] = {
        "full_name": f"{(report.family_name or '').upper()} {report.given_name or ''}".strip(),
        "sex": report.sex,
        "origin_settlement": report.home_settlement,
    }
    if birth:
        subject["date_of_birth"] = birth
    return SightingIn.model_validate(
        {"subject": subject, "source_type": rng.choice(SOURCES), "observed_on": "2024-05-01"}
    )


def enrol_coordinator(url: str) -> tuple[str, str]:
    engine, factory = _open(url)
    try:
        return enrol_as(factory, "bench", "Bench Coordinator")
    finally:
        engine.dispose()


def enrol_as(factory: Any, login: str, name: str) -> tuple[str, str]:
    """A coordinator with a login, enrolled as the invitation page would: (login, secret)."""
    with factory() as session, session.begin():
        user, _ = create_user(session, name=name, role=Role.coordinator, login=login)
        code = credentials.invite(session, user).rsplit("/", 1)[1]
        opened = credentials.open_enrolment(session, code)
        assert opened is not None
        enrolment, _ = opened
        secret = credentials.enrolment_secret(enrolment)
        credentials.enrol(
            session,
            enrolment,
            user,
            password=PASSWORD,
            repeat=PASSWORD,
            code=pyotp.TOTP(secret).now(),
        )
    return login, secret


def _signed_in(http: httpx.Client, login: str, secret: str) -> None:
    form = http.get("/console/sign-in").text
    csrf = form.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    answer = http.post(
        "/console/sign-in",
        data={"csrf": csrf, "login": login, "password": PASSWORD, "code": _fresh_code(secret)},
    )
    answer.raise_for_status()


_used_codes: set[str] = set()


def _fresh_code(secret: str) -> str:
    """A code not used before (a spent one is refused): wait for the next step if need be."""
    while (code := pyotp.TOTP(secret).now()) in _used_codes:
        time.sleep(1)
    _used_codes.add(code)
    return code


@dataclass
class Timings:
    """Milliseconds per request: at the client (loopback HTTP included), and the service's
    own wall and CPU time from its Server-Timing header (absent on /healthz)."""

    client: list[float] = field(default_factory=list)
    app: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    def add(self, client_ms: float, headers: httpx.Headers | dict[str, str]) -> None:
        self.client.append(client_ms)
        served = server_timing(headers.get("server-timing", ""))
        if served:
            self.app.append(served["app"])
            self.cpu.append(served["cpu"])


def server_timing(header: str) -> dict[str, float]:
    """`app;dur=12.3, cpu;dur=10.1` -> {"app": 12.3, "cpu": 10.1}."""
    found = {}
    for part in header.split(","):
        name, _, duration = part.strip().partition(";dur=")
        if duration:
            found[name] = float(duration)
    return found


def _timed(http: httpx.Client, paths: list[str]) -> Timings:
    for path in paths[:5]:  # warm the process
        http.get(path).raise_for_status()
    times = Timings()
    for path in paths[5:]:
        started = time.perf_counter()
        answer = http.get(path)
        answer.raise_for_status()
        times.add((time.perf_counter() - started) * 1000, answer.headers)
    return times


def _figures(times: list[float]) -> str:
    if not times:
        return "| |"
    ordered = sorted(times)
    p95 = ordered[int(0.95 * (len(ordered) - 1))]
    return f"{statistics.median(ordered):.1f} | {p95:.1f} |"


def _row(kind: str, label: str, times: Timings) -> str:
    return (
        f"| {kind} | {label} | {_figures(times.app)} {_figures(times.cpu)} "
        f"{_figures(times.client)} {len(times.client)} |"
    )


@dataclass
class KeyboardSteps:
    """Per decision: key press to the next match's page loaded, the service's own time over
    the step's requests (the decision's POST and the next page's GET), and how many requests
    the step made."""

    shown: list[float] = field(default_factory=list)
    served: list[float] = field(default_factory=list)
    requests: list[int] = field(default_factory=list)


def keyboard_review(base: str, login: str, secret: str, decisions: int) -> KeyboardSteps:
    """`decisions` matches decided by keyboard only in Chromium, alternating `r` and `c`."""
    from playwright.sync_api import Response as PageResponse
    from playwright.sync_api import sync_playwright

    steps = KeyboardSteps()
    answered: list[PageResponse] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        page = browser.new_page()
        page.on("response", lambda response: answered.append(response))
        page.goto(f"{base}/console/sign-in?lang=en")
        page.get_by_label("Login").fill(login)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_label("One-time code").fill(_fresh_code(secret))
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/console/matches")
        page.keyboard.press("j")
        page.keyboard.press("Enter")
        page.wait_for_url("**/console/matches/*")
        page.wait_for_load_state("load")
        for number in range(decisions):
            shown = page.url
            answered.clear()
            started = time.perf_counter()
            page.keyboard.press("c" if number % 2 else "r")
            page.wait_for_url(lambda url, shown=shown: url != shown, wait_until="load")
            steps.shown.append((time.perf_counter() - started) * 1000)
            timings = [server_timing(r.headers.get("server-timing", "")) for r in answered]
            steps.served.append(sum(t.get("app", 0.0) for t in timings))
            steps.requests.append(len(answered))
        browser.close()
    return steps


def console(kinds: list[str], reports: int, proposals: int, gets: int, decisions: int) -> None:
    print(
        f"Console pages with {reports:,} reports, {proposals:,} proposed matches and "
        f"{proposals:,} proposed duplicate pairs; "
        f"{gets} sequential GETs each over loopback"
    )
    # The console's queue and match pages never use the engine's prepared name forms; without
    # warming them the service starts in seconds, not minutes, on a loaded machine.
    os.environ["RIDNI_WARM_ENGINE"] = "false"
    for kind in kinds:
        rows = []
        reviews = []
        with fresh_database(kind) as url:
            upgrade(url)
            store_reports(url, reports, Population(seed=11))
            store_proposals(url, proposals)
            store_duplicates(url, proposals)
            login, secret = enrol_coordinator(url)
            engine, factory = _open(url)
            with factory() as session:
                match_ids = list(
                    session.scalars(select(Match.id).order_by(Match.score.desc()).limit(gets + 5))
                )
                pair_ids = list(
                    session.scalars(
                        select(Duplicate.id).order_by(Duplicate.score.desc()).limit(gets + 5)
                    )
                )
            engine.dispose()
            with running_service(url) as served:
                base = served.base
                with httpx.Client(base_url=base, timeout=60, follow_redirects=True) as http:
                    _signed_in(http, login, secret)
                    # What the machine gives any request at the moment: read the rows against it.
                    baseline = ["/healthz"] * (gets + 5)
                    rows.append(_row(kind, "GET /healthz (baseline)", _timed(http, baseline)))
                    queue = ["/console/matches"] * (gets + 5)
                    rows.append(_row(kind, "queue, first 50", _timed(http, queue)))
                    filtered = ["/console/matches?source_type=witness&min_score=50"] * (gets + 5)
                    rows.append(_row(kind, "queue, filtered", _timed(http, filtered)))
                    pages = [f"/console/matches/{i}" for i in match_ids]
                    rows.append(_row(kind, "match page", _timed(http, pages)))
                    duplicates = ["/console/duplicates"] * (gets + 5)
                    rows.append(_row(kind, "duplicates queue, first 50", _timed(http, duplicates)))
                    pair_pages = [f"/console/duplicates/{i}" for i in pair_ids]
                    rows.append(_row(kind, "duplicate page", _timed(http, pair_pages)))
                if CHROMIUM.exists():
                    steps = keyboard_review(base, login, secret, decisions)
                    reviews.append(
                        f"| {kind} | {len(steps.shown)} | {_figures(steps.shown)} "
                        f"{max(steps.shown):.0f} | {_figures(steps.served)} "
                        f"{statistics.median(steps.requests):.0f} |"
                    )
        print(
            "| database | page | server median ms | server p95 ms | server CPU median ms "
            "| server CPU p95 ms | client median ms | client p95 ms | requests |"
        )
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        print("\n".join(rows))
        print()
        if not reviews:
            print(f"Keyboard review: SKIPPED (no Chromium at {CHROMIUM})")
        else:
            print(
                "Keyboard review in Chromium: key press (c or r) to the next match's page loaded; "
                "the service's own time over the step's requests; requests per step"
            )
            print(
                "| database | decisions | median ms | p95 ms | max ms | service median ms "
                "| service p95 ms | requests |"
            )
            print("| --- | --- | --- | --- | --- | --- | --- | --- |")
            print("\n".join(reviews))
        # Each database's tables as soon as they are measured, with the load at that moment.
        print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}\n", flush=True)
