"""Export benchmark: ``python -m bench.exports [--database sqlite|postgresql|both] [--reports N]``.

Stores N synthetic reports, N sightings and N confirmed matches (one sighting per report), then
runs `ridni export pfif`, `ridni export matches --format csv` and `ridni export reports --status
located --format json` as the operator would, each in a process of its own, and prints the wall
time of the command and of the export in it (without start-up and migration check), the rate
and the peak memory of each process, at N/10 and at N: an export that streams has about the
same peak memory at both sizes.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert, select

from app.core.migrations import upgrade
from app.core.models import new_id, utcnow
from app.core.security import Role
from app.matches.models import Match
from app.reports.models import Report
from app.reports.schemas import ReportIn
from app.reports.service import new_report
from app.sightings.models import Sighting
from app.users.service import create_user
from bench.service import REPO, _env, _open, fresh_database, store_unmatched_sightings
from bench.synthetic import Population

EXPORTS = [
    ("pfif", ["pfif"], "xml"),
    ("matches (csv)", ["matches", "--format", "csv"], "csv"),
    ("reports (json)", ["reports", "--status", "located", "--format", "json"], "json"),
]


def store(url: str, count: int) -> None:
    """N reports (located), N sightings and a confirmed match between the i-th of each."""
    population = Population(seed=7)
    engine, factory = _open(url)
    with factory() as session, session.begin():
        owner, _ = create_user(session, name="bench family", role=Role.family)
        owner_id = owner.id
    for start in range(0, count, 1000):
        with factory() as session, session.begin():
            rows = [
                new_report(owner_id, ReportIn.model_validate(population.report()))
                for _ in range(min(1000, count - start))
            ]
            for row in rows:
                row.status = "located"
            session.add_all(rows)
    store_unmatched_sightings(url, count, population)
    with factory() as session, session.begin():
        reports = session.scalars(select(Report.id).order_by(Report.created_at)).all()
        sightings = session.scalars(select(Sighting.id).order_by(Sighting.created_at)).all()
        now = utcnow()
        pairs = [
            {
                "id": new_id(),
                "report_id": r,
                "sighting_id": s,
                "score": 0.97,
                "explanation": [],
                "status": "confirmed",
                "version": 2,
                "decided_at": now,
                "created_at": now,
                "updated_at": now,
            }
            for r, s in zip(reports, sightings, strict=True)
        ]
        for start in range(0, len(pairs), 5000):
            session.execute(insert(Match), pairs[start : start + 5000])
    engine.dispose()


# `ridni`, then the process's own peak resident memory. Linux carries the peak of the parent
# (this benchmark, which has just stored N records) over fork and exec into getrusage and
# wait4; VmHWM belongs to the new program alone.
_MEASURED = """
import sys
from app.cli import main
status = main(sys.argv[1:])
with open("/proc/self/status") as own:
    print(next(line for line in own if line.startswith("VmHWM:")), file=sys.stderr)
sys.exit(status)
"""


def run_export(url: str, arguments: list[str], out: Path) -> tuple[float, float, int]:
    """Seconds of the process, seconds of the export itself, peak memory (KiB) of the process."""
    started = time.perf_counter()
    result = subprocess.run(  # noqa: S603 - our own command
        [sys.executable, "-c", _MEASURED, "export", *arguments, "--out", str(out)],
        env=_env(url),
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"ridni export {arguments[0]} failed with status {result.returncode}")
    exported = re.search(r" in ([\d.]+) s$", result.stdout.strip())
    peak = re.search(r"VmHWM:\s+(\d+) kB", result.stderr)
    return (
        seconds,
        float(exported[1]) if exported else seconds,
        int(peak[1]) if peak else 0,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.exports", description=__doc__)
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--reports", type=int, default=100_000)
    args = parser.parse_args(argv)
    kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    print(f"ridni export, N reports + N sightings + N confirmed matches, {os.cpu_count()} cores")
    print("| database | export | N | command | export | rows/s | file | peak memory |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for kind in kinds:
        for count in (args.reports // 10, args.reports):
            with fresh_database(kind) as url, tempfile.TemporaryDirectory() as folder:
                upgrade(url)
                store(url, count)
                for label, arguments, suffix in EXPORTS:
                    out = Path(folder) / f"export.{suffix}"
                    command, export, peak_kib = run_export(url, arguments, out)
                    size = out.stat().st_size / 2**20
                    print(
                        f"| {kind} | {label} | {count:,} | {command:.1f} s | {export:.1f} s "
                        f"| {count / export:,.0f} | {size:.0f} MiB | {peak_kib / 1024:.0f} MiB |"
                    )


if __name__ == "__main__":
    main()
