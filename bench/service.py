"""Service benchmark, measured through HTTP against a running `ridni serve` (a subprocess).

    python -m bench.service quality  [--database sqlite|postgresql]
    python -m bench.service latency  [--database sqlite|postgresql|both] [--reports N] [--posts M]
    python -m bench.service rematch  [--database sqlite|postgresql] [--reports N] [--sightings N]
    python -m bench.service reads    [--database sqlite|postgresql|both] [--reports N] [--gets M]
    python -m bench.service keys     [--database sqlite|postgresql] [--reports N] [--sightings N]
    python -m bench.service import   [--database ...|both] [--reports N] [--sightings M]
    python -m bench.service console  [--database ...|both] [--reports N] [--proposals M]
    python -m bench.service timing   [--database ...|both] [--reports N] [--pairs M]

`quality` files the dev world through the API (reports as a family, sightings as a field
contact; a world's siblings and seen_with named as each record is filed), reads each sighting's
candidates and the review queue back as a coordinator, and prints the metrics beside the
engine's own on the same world (as `ridni link` computes them, the group's evidence included).
`latency` stores N synthetic reports, then times M sighting POSTs (median, p95). `rematch`
stores N reports and N sightings without their index and times `ridni rematch` with its peak
memory. `reads` stores N reports, then times M
coordinator reads of a 200-report page and of one report, each of which writes audit rows (200
and 1). `keys` stores N reports and N sightings with every encrypted field filled, then times
`ridni keys rotate` and `ridni keys status --verify`. `import` stores N reports, then times
`ridni import sightings` of a CSV file of M synthetic sightings (Russian headers, semicolons,
dates as DD.MM.YYYY), matching included, with its peak memory. `console` times the review
console's pages and a keyboard review in Chromium (bench/console.py). `timing` stores N
reports and files M more through the API, then files M sightings of those children and M of
children nobody reported, interleaved, and compares the answer times of the two (medians, p95,
a Mann-Whitney U test): a difference would tell a field contact whether a child is sought.
Each prints a table.
"""

import argparse
import csv
import json
import math
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, create_engine, text, update
from sqlalchemy.engine import make_url

import matching
from app.core.database import make_engine
from app.core.migrations import upgrade
from app.core.security import Role
from app.core.settings import Settings
from app.crypto.keyfile import key_file
from app.crypto.maintenance import open_keyring
from app.crypto.orm import make_session_factory
from app.matches.engine import MatchingSettings, cached_reports
from app.matches.proposals import index_reports
from app.reports.models import Report
from app.reports.schemas import ReportIn
from app.reports.service import new_report
from app.sightings.schemas import SightingIn
from app.sightings.service import new_sighting
from app.users.service import create_user
from bench.metrics import matching_metrics
from bench.quality import DEFAULT_WORLD, bench_person, load_world
from bench.synthetic import Population

POSTGRES_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
# PostgreSQL has no default key file; each fresh bench database starts a fresh one here.
POSTGRES_KEY_FILE = Path(tempfile.gettempdir()) / f"ridni-bench-{os.getpid()}.keys"
REPO = Path(__file__).resolve().parents[1]


# --- databases and the running service -----------------------------------------------------
@contextmanager
def fresh_database(kind: str) -> Iterator[str]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/bench.db"
        return
    name = f"ridni_bench_{os.getpid()}"  # helpers and CI may share the server
    POSTGRES_KEY_FILE.unlink(missing_ok=True)
    server = create_engine(POSTGRES_SERVER, isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_SERVER).set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()
        POSTGRES_KEY_FILE.unlink(missing_ok=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _settings(url: str) -> Settings:
    if url.startswith("postgresql"):
        return Settings(database_url=url, key_file=POSTGRES_KEY_FILE)
    return Settings(database_url=url)


def _env(url: str) -> dict[str, str]:
    # The bench files thousands of records with one token each: no rate limit may count them.
    unlimited = "1000000/minute"
    return {
        **os.environ,
        "DATABASE_URL": url,
        "RIDNI_KEY_FILE": str(key_file(_settings(url))),
        "RIDNI_RATE_LIMIT_WRITES": unlimited,
        "RIDNI_RATE_LIMIT_REPORTS": unlimited,
    }


def _open(url: str) -> tuple[Engine, Any]:
    """The engine and a session factory, as the service opens them (keys included)."""
    engine = make_engine(url)
    return engine, make_session_factory(engine, open_keyring(engine, key_file(_settings(url))))


@dataclass
class Started:
    """A running `ridni serve`: where it answers and what its start cost."""

    base: str
    pid: int
    answered_after: float  # seconds from the process's start to its first /healthz 200
    cpu_to_answer: float  # the CPU seconds the process had spent by then (load-independent)
    log: Path  # its JSON log lines

    def warm_seconds(self, timeout: float = 600) -> float | None:
        """Waits for the engine's warm-up to end; the seconds it took, as the service logs it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.log.read_text().splitlines():
                if '"matching engine ready"' in line:
                    return float(json.loads(line)["seconds"])
            time.sleep(0.2)
        return None

    def rss_mib(self) -> tuple[float, float]:
        """The process's resident memory now, and its peak, in MiB."""
        status = Path(f"/proc/{self.pid}/status").read_text()
        now, peak = (int(re.search(rf"{k}:\s+(\d+)", status)[1]) for k in ("VmRSS", "VmHWM"))  # type: ignore[index]
        return now / 1024, peak / 1024


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time of a running process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def running_service(url: str, **env: str) -> Iterator[Started]:
    port = _free_port()
    with tempfile.NamedTemporaryFile(suffix=".log") as log:
        started = time.perf_counter()
        process = subprocess.Popen(  # noqa: S603 - our own command
            [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
            env={**_env(url), **env},
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(3000):
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            else:
                raise RuntimeError("the service did not start")
            answered = time.perf_counter() - started
            yield Started(base, process.pid, answered, _cpu_seconds(process.pid), Path(log.name))
        finally:
            process.terminate()
            process.wait(30)


def add_user(url: str, role: str) -> str:
    result = subprocess.run(  # noqa: S603 - our own command
        [
            sys.executable,
            "-m",
            "app.cli",
            "users",
            "add",
            "--name",
            f"bench {role}",
            "--role",
            role,
        ],
        env=_env(url),
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip().splitlines()[-1]


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- quality through the API ---------------------------------------------------------------
def _api_body(line: dict[str, Any], side: str) -> dict[str, Any]:
    """A bench line as the API takes it (the sighting's extra fields move up a level)."""
    if side == "report":
        return {"child": line["child"]}
    subject = dict(line["subject"])
    body = {"subject": subject, "source_type": subject.pop("source_type", "other")}
    for field in ("observed_on", "location"):
        if field in subject:
            body[field] = subject.pop(field)
    return body


def quality(kind: str, world: Path) -> None:
    reports, sightings, truth = load_world(world)
    with fresh_database(kind) as url:
        upgrade(url)
        family, field, coordinator = (add_user(url, r) for r in ("family", "field", "coordinator"))
        started = time.perf_counter()
        with running_service(url) as served, httpx.Client(base_url=served.base, timeout=60) as http:
            # A world's group relations (dev_groups: siblings, seen_with) are filed as a family
            # and a field contact would: each record names those of its group filed before it.
            report_id: dict[str, str] = {}
            for line in reports:
                body = _api_body(line, "report")
                if named := [report_id[k] for k in line.get("siblings", ()) if k in report_id]:
                    body["siblings"] = named
                answer = http.post("/api/v1/reports", json=body, headers=_auth(family))
                answer.raise_for_status()
                report_id[line["key"]] = answer.json()["id"]
            report_key = {rid: key for key, rid in report_id.items()}
            sighting_id: dict[str, str] = {}
            for line in sightings:
                body = _api_body(line, "sighting")
                if named := [sighting_id[k] for k in line.get("seen_with", ()) if k in sighting_id]:
                    body["seen_with"] = named
                answer = http.post("/api/v1/sightings", json=body, headers=_auth(field))
                answer.raise_for_status()
                sighting_id[line["key"]] = answer.json()["id"]
            loaded = time.perf_counter() - started
            ranked = {}
            for key, sid in sighting_id.items():
                items = http.get(
                    f"/api/v1/sightings/{sid}/candidates",
                    params={"limit": 10},
                    headers=_auth(coordinator),
                ).json()["items"]
                ranked[key] = [report_key[item["report_id"]] for item in items]
            sighting_key = {sid: key for key, sid in sighting_id.items()}
            proposals = []
            cursor = None
            while True:
                params = {
                    "status": "proposed",
                    "limit": 200,
                    **({"cursor": cursor} if cursor else {}),
                }
                page = http.get("/api/v1/matches", params=params, headers=_auth(coordinator)).json()
                proposals += [
                    (sighting_key[m["sighting_id"]], report_key[m["report_id"]])
                    for m in page["items"]
                ]
                if not (cursor := page["next_cursor"]):
                    break
    service = matching_metrics(ranked, proposals, truth)
    engine = _engine_figures(reports, sightings, truth)
    print(
        f"world {world}: {len(reports)} reports and {len(sightings)} sightings filed through "
        f"the API on {kind} in {loaded:.1f} s; {len(proposals)} proposals in the queue"
    )
    print("| figure | service (HTTP) | engine alone | difference |")
    print("| --- | --- | --- | --- |")
    for name, value in service.items():
        print(f"| {name} | {value:.3f} | {engine[name]:.3f} | {value - engine[name]:+.3f} |")


def _engine_figures(reports: list[Any], sightings: list[Any], truth: Any) -> dict[str, float]:
    """The engine's figures as `ridni link` computes them, the group's evidence included."""
    linker = matching.Linker()
    for line in reports:
        linker.add(line["key"], bench_person(line))
    results = matching.link_groups(
        linker,
        {line["key"]: bench_person(line) for line in sightings},
        seen_with={line["key"]: line["seen_with"] for line in sightings if line.get("seen_with")},
        siblings={line["key"]: line["siblings"] for line in reports if line.get("siblings")},
    )
    ranked, proposals = {}, []
    for line in sightings:
        candidates = results[line["key"]]
        ranked[line["key"]] = [str(c.key) for c in candidates]
        proposals += [
            (line["key"], str(c.key)) for c in candidates if c.score >= matching.DEFAULT_THRESHOLD
        ]
    return matching_metrics(ranked, proposals, truth)


# --- speed at scale --------------------------------------------------------------------------
CONTACTS = {
    "circumstances": "Забрали з інтернату під час евакуації; бачили в автобусі на Джанкой.",
    "reporter": {
        "name": "Ганна Олійник",
        "relationship": "бабуся",
        "phone": "+380501234567",
        "email": "hanna.oliinyk@example.org",
    },
}
SOURCE = {
    "notes": "У списку дітей, переданих до прийомної родини в Ростовській області.",
    "source": {"contact": "Signal +380 67 000 00 00", "details": "волонтерка, фото списку"},
}


def store_reports(url: str, count: int, population: Population, *, contacts: bool = False) -> None:
    """Store synthetic reports with their candidate index, in batches, without HTTP; with
    `contacts`, every encrypted field filled."""
    engine, factory = _open(url)
    with factory() as session, session.begin():
        owner, _ = create_user(session, name="bench family", role=Role.family)
        owner_id = owner.id
    for start in range(0, count, 1000):
        with factory() as session, session.begin():
            rows = [
                new_report(
                    owner_id,
                    ReportIn.model_validate(
                        {**population.report(), **(CONTACTS if contacts else {})}
                    ),
                )
                for _ in range(min(1000, count - start))
            ]
            session.add_all(rows)
            session.flush()
            index_reports(session, rows, settings=MatchingSettings(matching.DEFAULT_THRESHOLD))
    _analyze(engine)
    engine.dispose()


def _analyze(engine: Engine) -> None:
    """Refresh the planner's statistics after a bulk load, as autovacuum would soon after."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))


def store_unmatched_sightings(
    url: str, count: int, population: Population, *, sources: bool = False
) -> None:
    engine, factory = _open(url)
    with factory() as session, session.begin():
        owner, _ = create_user(session, name="bench field", role=Role.field)
        owner_id = owner.id
    for start in range(0, count, 1000):
        with factory() as session, session.begin():
            session.add_all(
                new_sighting(
                    owner_id,
                    SightingIn.model_validate(
                        {**population.sighting(), **(SOURCE if sources else {})}
                    ),
                )
                for _ in range(min(1000, count - start))
            )
    engine.dispose()


def latency(kinds: list[str], reports: int, posts: int) -> None:
    print(f"POST /api/v1/sightings with {reports:,} reports stored; {posts} sequential requests")
    print(
        "| database | median ms | p95 ms | max ms | proposals made | first answer after start "
        "| warm-up (beside serving) | RSS warm / at end / peak | load average before / after |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for kind in kinds:
        population = Population(seed=11)
        with fresh_database(kind) as url:
            upgrade(url)
            store_reports(url, reports, population)
            field, coordinator = add_user(url, "field"), add_user(url, "coordinator")
            load = os.getloadavg()[0]
            with (
                running_service(url) as served,
                httpx.Client(base_url=served.base, timeout=60) as http,
            ):
                warm = served.warm_seconds()
                warm_rss, _ = served.rss_mib()
                for _ in range(10):  # warm the process (imports, name tables, connections)
                    http.post(
                        "/api/v1/sightings", json=population.sighting(), headers=_auth(field)
                    ).raise_for_status()
                times = []
                for _ in range(posts):
                    body = population.sighting()
                    started = time.perf_counter()
                    http.post(
                        "/api/v1/sightings", json=body, headers=_auth(field)
                    ).raise_for_status()
                    times.append((time.perf_counter() - started) * 1000)
                queue = http.get(
                    "/api/v1/matches", params={"limit": 200}, headers=_auth(coordinator)
                ).json()["items"]
                end_rss, peak_rss = served.rss_mib()
        times.sort()
        p95 = times[int(0.95 * (len(times) - 1))]
        print(
            f"| {kind} | {statistics.median(times):.1f} | {p95:.1f} | {times[-1]:.1f} | "
            f"{len(queue)}{'+' if len(queue) == 200 else ''} | {served.answered_after:.1f} s "
            f"({served.cpu_to_answer:.1f} CPU s) | "
            f"{'?' if warm is None else f'{warm:.1f} s'} | "
            f"{warm_rss:.0f} / {end_rss:.0f} / {peak_rss:.0f} MiB | "
            f"{load:.1f} / {os.getloadavg()[0]:.1f} |"
        )
    print(
        "The warm-up prepares the newest reports, up to the engine's cache "
        f"({cached_reports():,} reports), in a thread beside the requests; "
        "the timed requests start after it."
    )


def _sighting_of(child: dict[str, Any]) -> dict[str, Any]:
    """A document naming the reported child exactly as the family did."""
    subject = {k: v for k, v in child.items() if k != "home_settlement"}
    subject["origin_settlement"] = child.get("home_settlement")
    return {"subject": subject, "source_type": "document"}


def mann_whitney_p(xs: list[float], ys: list[float]) -> float:
    """Two-sided p-value of the Mann-Whitney U test (normal approximation with the tie
    correction; fine for samples of a few hundred)."""
    pooled = sorted((value, side) for side, sample in enumerate((xs, ys)) for value in sample)
    ranks: list[float] = [0.0] * len(pooled)
    ties = 0.0
    start = 0
    while start < len(pooled):
        end = start
        while end + 1 < len(pooled) and pooled[end + 1][0] == pooled[start][0]:
            end += 1
        for i in range(start, end + 1):
            ranks[i] = (start + end) / 2 + 1
        ties += (end - start + 1) ** 3 - (end - start + 1)
        start = end + 1
    n1, n2 = len(xs), len(ys)
    u = sum(rank for rank, (_, side) in zip(ranks, pooled, strict=True) if side == 0)
    u -= n1 * (n1 + 1) / 2
    n = n1 + n2
    sigma = math.sqrt(n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1))))
    z = (abs(u - n1 * n2 / 2) - 0.5) / sigma if sigma else 0.0
    return math.erfc(max(z, 0.0) / math.sqrt(2))


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def timing(kinds: list[str], reports: int, pairs: int) -> None:
    print(
        f"POST /api/v1/sightings, {pairs} of reported children and {pairs} of others, "
        f"interleaved, with {reports:,} + {pairs} reports stored"
    )
    print(
        "| database | matching median ms | p95 | other median ms | p95 | Mann-Whitney p "
        "| proposals (matching / other) | proposal after, median / max ms | load before / after |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for kind in kinds:
        population = Population(seed=13)
        with fresh_database(kind) as url:
            upgrade(url)
            store_reports(url, reports, population)
            tokens = {role: add_user(url, role) for role in ("family", "field", "coordinator")}
            sought = [population.report()["child"] for _ in range(pairs)]
            load_before = _load()
            with (
                running_service(url) as served,
                httpx.Client(base_url=served.base, timeout=60) as http,
            ):
                timed, proposed, delays = _time_filings(http, tokens, sought, population)
            load_after = _load()
        figures = []
        for side in ("matching", "other"):
            times = sorted(timed[side])
            figures += [statistics.median(times), times[int(0.95 * (len(times) - 1))]]
        p = mann_whitney_p(timed["matching"], timed["other"])
        print(
            f"| {kind} | {figures[0]:.1f} | {figures[1]:.1f} | {figures[2]:.1f} | "
            f"{figures[3]:.1f} | {p:.3f} | {proposed['matching']} / {proposed['other']} | "
            f"{statistics.median(delays):.0f} / {max(delays):.0f} | {load_before} / {load_after} |"
        )


def _time_filings(
    http: httpx.Client, tokens: dict[str, str], sought: list[dict[str, Any]], population: Population
) -> tuple[dict[str, list[float]], dict[str, int], list[float]]:
    """The answer times of sightings of the `sought` children and of others, interleaved; how
    many of each were proposed; and how long after a filing its proposal appeared."""

    def post(body: dict[str, Any]) -> tuple[float, str]:
        started = time.perf_counter()
        answer = http.post("/api/v1/sightings", json=body, headers=_auth(tokens["field"]))
        elapsed = (time.perf_counter() - started) * 1000
        answer.raise_for_status()
        return elapsed, str(answer.json()["id"])

    def proposed_for(sighting_id: str) -> bool:
        path = f"/api/v1/sightings/{sighting_id}/candidates"
        items = http.get(path, headers=_auth(tokens["coordinator"])).json()["items"]
        return any(item["match_status"] == "proposed" for item in items)

    for child in sought:
        http.post(
            "/api/v1/reports", json={"child": child}, headers=_auth(tokens["family"])
        ).raise_for_status()
    for _ in range(20):  # warm the process (imports, name tables, connections)
        post(population.sighting())
    time.sleep(2)  # the worker has indexed the reports
    timed: dict[str, list[float]] = {"matching": [], "other": []}
    filed: dict[str, list[str]] = {"matching": [], "other": []}
    for child in sought:
        for side, body in (("matching", _sighting_of(child)), ("other", population.sighting())):
            elapsed, sighting_id = post(body)
            timed[side].append(elapsed)
            filed[side].append(sighting_id)
    while not proposed_for(filed["matching"][-1]):  # the worker has caught up
        time.sleep(0.1)
    delays = []
    for child in population.rng.sample(sought, min(20, len(sought))):
        started = time.perf_counter()
        _, sighting_id = post(_sighting_of(child))
        while not proposed_for(sighting_id):
            time.sleep(0.01)
        delays.append((time.perf_counter() - started) * 1000)
    proposed = {side: sum(map(proposed_for, ids)) for side, ids in filed.items()}
    return timed, proposed, delays


def reads(kinds: list[str], reports: int, gets: int) -> None:
    print(f"Coordinator reads with {reports:,} reports stored; {gets} sequential requests each")
    print("| database | request | median ms | p95 ms | audit rows per request |")
    print("| --- | --- | --- | --- | --- |")
    for kind in kinds:
        with fresh_database(kind) as url:
            upgrade(url)
            store_reports(url, reports, Population(seed=11))
            coordinator = _auth(add_user(url, "coordinator"))
            page = {"limit": 200}
            engine = make_engine(url)
            with (
                running_service(url) as served,
                httpx.Client(base_url=served.base, timeout=60) as http,
            ):
                items = http.get("/api/v1/reports", params=page, headers=coordinator).json()
                ids = [item["id"] for item in items["items"]]
                cases = {
                    "GET /api/v1/reports?limit=200": [("/api/v1/reports", page)] * (gets + 10),
                    "GET /api/v1/reports/{id}": [
                        (f"/api/v1/reports/{ids[i % len(ids)]}", {}) for i in range(gets + 10)
                    ],
                }
                for label, targets in cases.items():
                    for path, params in targets[:10]:  # warm the process
                        http.get(path, params=params, headers=coordinator).raise_for_status()
                    before = _audit_rows(engine)
                    times = []
                    for path, params in targets[10:]:
                        started = time.perf_counter()
                        http.get(path, params=params, headers=coordinator).raise_for_status()
                        times.append((time.perf_counter() - started) * 1000)
                    written = (_audit_rows(engine) - before) / gets
                    times.sort()
                    p95 = times[int(0.95 * (len(times) - 1))]
                    print(
                        f"| {kind} | {label} | {statistics.median(times):.1f} | {p95:.1f} | "
                        f"{written:g} |"
                    )
            engine.dispose()


def _audit_rows(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(text("SELECT count(*) FROM audit_events")) or 0)


def _forget_signatures(url: str) -> None:
    """As after a change of the engine: every report's index is stale too."""
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(update(Report).values(matched_with=None))
    engine.dispose()


def rematch(kind: str, reports: int, sightings: int) -> None:
    population = Population(seed=13)
    with fresh_database(kind) as url:
        upgrade(url)
        store_reports(url, reports, population)
        store_unmatched_sightings(url, sightings, population)
        _forget_signatures(url)
        load = os.getloadavg()[0]
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "rematch", "--batch-size", "500"],
            env=_env(url),
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        summary = process.stdout.read().decode().strip() if process.stdout else ""
    if status != 0:
        raise SystemExit(f"ridni rematch failed with status {status}")
    print(
        f"ridni rematch on {kind}, {reports:,} reports x {sightings:,} sightings, "
        f"{os.cpu_count()} cores"
    )
    print("| figure | value | target |")
    print("| --- | --- | --- |")
    print(f"| wall time | {seconds / 60:.1f} min | < 10 min |")
    # The command and its worker processes (reaped before it exits), as in `import_speed`.
    print(f"| CPU s, all processes | {usage.ru_utime + usage.ru_stime:.0f} | |")
    print(f"| load average before / after | {load:.1f} / {os.getloadavg()[0]:.1f} | |")
    summed = re.search(r"peak memory (\d+) MiB", summary)
    print(f"| peak memory, largest process | {usage.ru_maxrss / 1024:.0f} MiB | |")
    print(f"| peak memory, all processes | {summed[1] if summed else '?'} MiB | < 1024 MiB |")
    print(f"\n{summary}")


def keys(kind: str, reports: int, sightings: int) -> None:
    population = Population(seed=17)
    with fresh_database(kind) as url:
        upgrade(url)
        store_reports(url, reports, population, contacts=True)
        store_unmatched_sightings(url, sightings, population, sources=True)
        figures = []
        for command in (["rotate"], ["status", "--verify"]):
            started = time.perf_counter()
            process = subprocess.Popen(  # noqa: S603 - our own command
                [sys.executable, "-m", "app.cli", "keys", *command],
                env=_env(url),
                cwd=REPO,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
            _, status, usage = os.wait4(process.pid, 0)
            seconds = time.perf_counter() - started
            output = process.stdout.read().decode() if process.stdout else ""
            if status != 0:
                raise SystemExit(f"ridni keys {' '.join(command)} failed:\n{output}")
            figures.append((f"ridni keys {' '.join(command)}", seconds, usage.ru_maxrss / 1024))
    values = reports * 5 + sightings * 3
    print(
        f"key rotation on {kind}: {reports:,} reports x {sightings:,} sightings, "
        f"{values:,} encrypted values (every encrypted field filled)"
    )
    print("| command | wall time | values per second | peak memory |")
    print("| --- | --- | --- | --- |")
    for label, seconds, peak in figures:
        print(f"| {label} | {seconds:.1f} s | {values / seconds:,.0f} | {peak:.0f} MiB |")


def write_sightings_csv(path: Path, count: int, population: Population) -> None:
    """A list of sightings as a volunteer group would send it: Russian headers, semicolons."""
    columns = ["ФИО", "Имя", "Фамилия", "Пол", "Дата рождения", "Возраст от", "Возраст до",
               "Тип источника", "Дата наблюдения"]  # fmt: skip
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, delimiter=";")
        writer.writerow(columns)
        for _ in range(count):
            line = population.sighting()
            subject = line["subject"]
            age = subject.get("age_estimate") or {}
            writer.writerow(
                [
                    subject.get("full_name", ""),
                    subject.get("given_name", ""),
                    subject.get("family_name", ""),
                    {"male": "м", "female": "ж"}.get(subject.get("sex", ""), ""),
                    _dotted(subject.get("date_of_birth", "")),
                    age.get("min", ""),
                    age.get("max", ""),
                    line["source_type"],
                    _dotted(line["observed_on"]),
                ]
            )


def _dotted(iso: str) -> str:
    return ".".join(reversed(iso.split("-")))


def _coordinator_id(url: str) -> str:
    engine, factory = _open(url)
    with factory() as session, session.begin():
        user, _ = create_user(session, name="bench coordinator", role=Role.coordinator)
        user_id = user.id
    engine.dispose()
    return user_id


def _count_matches(url: str) -> int:
    engine = make_engine(url)
    with engine.connect() as connection:
        found = connection.scalar(text("SELECT count(*) FROM matches")) or 0
    engine.dispose()
    return int(found)


def import_speed(kinds: list[str], reports: int, sightings: int, workers: int) -> None:
    print(
        f"ridni import sightings: {sightings:,} rows, matching included, against {reports:,} "
        f"reports; {workers} worker processes on {os.cpu_count()} cores"
    )
    rows = []
    for kind in kinds:
        population = Population(seed=17)
        with fresh_database(kind) as url, tempfile.TemporaryDirectory() as folder:
            upgrade(url)
            store_reports(url, reports, population)
            coordinator = _coordinator_id(url)
            path = Path(folder) / "sightings.csv"
            write_sightings_csv(path, sightings, population)
            load = os.getloadavg()[0]
            started = time.perf_counter()
            process = subprocess.Popen(  # noqa: S603 - our own command
                [sys.executable, "-m", "app.cli", "import", "sightings", str(path),
                 "--as", coordinator, "--workers", str(workers)],
                env=_env(url), cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            out = process.stdout.read().decode() if process.stdout else ""
            _, status, usage = os.wait4(process.pid, 0)
            seconds = time.perf_counter() - started
            if status != 0:
                raise SystemExit(f"ridni import failed with status {status}:\n{out}")
            proposals = _count_matches(url)
        loaded = re.search(r"(\d+) loaded", out)
        summed = re.search(r"peak memory (\d+) MiB", out)
        # The command and its worker processes (reaped before it exits): what the import cost
        # whatever else the machine was doing.
        cpu = usage.ru_utime + usage.ru_stime
        rows.append(
            f"| {kind} | {sightings:,} | {loaded[1] if loaded else '?'} | {seconds:.0f} | "
            f"{sightings / seconds:.0f} | {cpu:.0f} | {cpu / workers:.0f} | "
            f"{usage.ru_maxrss / 1024:.0f} | {summed[1] if summed else '?'} | {proposals:,} | "
            f"{load:.1f} / {os.getloadavg()[0]:.1f} |"
        )
    print(
        "| database | rows | loaded | seconds | rows/s | CPU s, all processes | CPU s per worker "
        "| peak MiB, largest process | peak MiB, all processes | proposals "
        "| load average before / after |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    print("\n".join(rows))
    print(
        "target: under 600 s each (10 minutes) on 2 cores. On a shared machine the wall time "
        "grows with the load; CPU s per worker is about what it would be on cores of its own."
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.service",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    q = commands.add_parser("quality")
    q.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    q.add_argument("--world", type=Path, default=DEFAULT_WORLD)
    lat = commands.add_parser("latency")
    lat.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    lat.add_argument("--reports", type=int, default=100_000)
    lat.add_argument("--posts", type=int, default=300)
    rd = commands.add_parser("reads")
    rd.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    rd.add_argument("--reports", type=int, default=100_000)
    rd.add_argument("--gets", type=int, default=300)
    re_ = commands.add_parser("rematch")
    re_.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    re_.add_argument("--reports", type=int, default=100_000)
    re_.add_argument("--sightings", type=int, default=100_000)
    k = commands.add_parser("keys")
    k.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    k.add_argument("--reports", type=int, default=100_000)
    k.add_argument("--sightings", type=int, default=100_000)
    imp = commands.add_parser("import")
    imp.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    imp.add_argument("--reports", type=int, default=100_000)
    imp.add_argument("--sightings", type=int, default=100_000)
    imp.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    con = commands.add_parser("console")
    con.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    con.add_argument("--reports", type=int, default=100_000)
    con.add_argument("--proposals", type=int, default=10_000)
    con.add_argument("--gets", type=int, default=200)
    con.add_argument("--decisions", type=int, default=50)
    tim = commands.add_parser("timing")
    tim.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    tim.add_argument("--reports", type=int, default=10_000)
    tim.add_argument("--pairs", type=int, default=200)
    args = parser.parse_args(argv)
    if args.command == "console":
        from bench.console import console

        kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
        console(kinds, args.reports, args.proposals, args.gets, args.decisions)
    elif args.command == "timing":
        kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
        timing(kinds, args.reports, args.pairs)
    elif args.command == "quality":
        quality(args.database, args.world)
    elif args.command == "latency":
        kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
        latency(kinds, args.reports, args.posts)
    elif args.command == "reads":
        kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
        reads(kinds, args.reports, args.gets)
    elif args.command == "rematch":
        rematch(args.database, args.reports, args.sightings)
    elif args.command == "import":
        kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
        import_speed(kinds, args.reports, args.sightings, args.workers)
    else:
        keys(args.database, args.reports, args.sightings)


if __name__ == "__main__":
    main()
