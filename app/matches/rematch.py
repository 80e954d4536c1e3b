"""`ridni rematch`: recompute every candidate key and proposal after the engine or the
threshold changed, in committed batches (so a stopped run resumes where it stopped), without
touching decided matches. With several workers, this process and the others it starts each
take the stale records whose id starts with their share of the hex digits; on PostgreSQL each
batch is claimed with row locks, so that `ridni rematch` may run on several machines at once."""

import multiprocessing
import os
import queue
import resource
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from tqdm import tqdm

from app.core.counting import counted
from app.core.database import make_engine
from app.core.processes import check_parent, die_with_parent
from app.crypto.keyring import Keyring
from app.crypto.maintenance import check_reloads
from app.crypto.orm import keyring_of, make_session_factory
from app.matches import proposals, repository
from app.matches.engine import MatchingSettings
from app.matches.repository import HEX_DIGITS
from app.matches.scoring import KnownReports
from app.reports.models import Report
from app.sightings.models import Sighting

# How long a process with nothing left to claim waits before it looks again, while other
# processes finish the batches they hold.
CLAIMED_ELSEWHERE_POLL = 1.0


@dataclass(frozen=True)
class RematchSummary:
    reports: int  # re-indexed by this process and its workers (others may have done the rest)
    sightings: int
    seconds: float
    peak_mib: float  # this process's peak plus the largest sum of other workers running at once

    def __str__(self) -> str:
        return (
            f"re-indexed {counted(self.reports, 'report')} and re-matched "
            f"{counted(self.sightings, 'sighting')} "
            f"in {self.seconds:.1f} s (peak memory {self.peak_mib:.0f} MiB)"
        )


def rematch(
    factory: sessionmaker[Session],
    *,
    settings: MatchingSettings,
    batch_size: int = 500,
    progress: bool = True,
    workers: int = 1,
    database_url: str | None = None,
) -> RematchSummary:
    """With `workers` > 1, sightings are scored in that many processes on `database_url`."""
    if workers > 1 and database_url is None:
        raise ValueError("parallel workers need the database URL")
    database_url = database_url or ""
    started = time.perf_counter()
    signature = settings.signature
    with factory() as session:
        stale_reports = repository.count_stale(session, Report, signature)
        stale_sightings = repository.count_stale(session, Sighting, signature)
    done = {"reports": 0, "sightings": 0}
    peaks = 0.0
    for kind, stale in (("reports", stale_reports), ("sightings", stale_sightings)):
        # Every report first: a sighting must be scored against the whole new index.
        shares = None
        if kind == "sightings":
            with factory() as session:
                shares = repository.all_term_shares(session)
        with tqdm(total=stale, desc=kind, unit=kind[:-1], disable=not progress) as bar:

            def count(batch: int, kind: str = kind) -> None:
                done[kind] += batch
                bar.update(batch)

            job = Round(kind, settings, batch_size, shares=shares)
            peaks = max(peaks, _run(factory, database_url, workers, count, job))
    own_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return RematchSummary(
        done["reports"], done["sightings"], time.perf_counter() - started, own_peak + peaks
    )


@dataclass(frozen=True)
class Round:
    """One pass over the stale records of one kind."""

    kind: str  # "reports" (re-index) or "sightings" (re-index and re-propose)
    settings: MatchingSettings
    batch_size: int
    shares: dict[str, float] | None

    def work(self, factory: sessionmaker[Session], digits: str, done: Any) -> None:
        """Claim and do batches until no record of this kind is stale: when the only stale ones
        left are claimed by other processes, wait for them (a sighting must not be scored before
        every report is re-indexed, and a batch whose process died is claimable again)."""
        model = Report if self.kind == "reports" else Sighting
        signature = self.settings.signature
        # Reports were all re-indexed in the round before: keep those read from batch to batch.
        reports_seen = KnownReports()
        while True:
            with factory() as session, session.begin():
                ids = repository.claim_stale(
                    session, model, signature, limit=self.batch_size, first_digits=digits
                )
                if ids and self.kind == "reports":
                    proposals.reindex_stored_reports(session, ids, settings=self.settings)
                elif ids:
                    reports_seen.drop_amended(session)  # the service may amend them meanwhile
                    proposals.match_sightings(
                        session,
                        repository.sighting_rows(session, ids),
                        settings=self.settings,
                        shares=self.shares,
                        known_reports=reports_seen,
                    )
                elif not repository.count_stale(session, model, signature, first_digits=digits):
                    return
            if ids:
                done(len(ids))
            else:
                time.sleep(CLAIMED_ELSEWHERE_POLL)


def _run(
    factory: sessionmaker[Session], database_url: str, workers: int, done: Any, job: Round
) -> float:
    """Do a round in `workers` processes, this one among them, each over its share of the
    records; the sum of the other processes' peak memory (0 when there are none)."""
    if workers == 1:
        job.work(factory, HEX_DIGITS, done)
        return 0.0
    context = multiprocessing.get_context("spawn")
    messages = context.Queue()
    with factory() as session:
        keyring = keyring_of(session)  # pickled as its key file's path, never as keys
    processes = [
        context.Process(
            target=_worker,
            args=(os.getpid(), database_url, keyring, job, HEX_DIGITS[i::workers], messages),
        )
        for i in range(1, workers)
    ]
    for process in processes:
        process.start()
    peaks = 0.0

    def take_messages(wait: float) -> None:
        nonlocal peaks
        try:
            while True:
                kind, value = messages.get(timeout=wait) if wait else messages.get_nowait()
                if kind == "done":
                    done(value)
                else:
                    peaks += value
        except queue.Empty:
            return

    def done_here(count: int) -> None:
        done(count)
        take_messages(0)

    job.work(factory, HEX_DIGITS[0::workers], done_here)
    while any(p.is_alive() for p in processes) or not messages.empty():
        take_messages(0.5)
    for process in processes:
        process.join()
        if process.exitcode != 0:
            raise RuntimeError(f"a rematch worker failed (exit code {process.exitcode})")
    return peaks


def _worker(
    parent: int, database_url: str, keyring: Keyring, job: Round, digits: str, messages: Any
) -> None:
    die_with_parent(parent)
    db = make_engine(database_url)
    check_reloads(db, keyring)

    def done(count: int) -> None:
        messages.put(("done", count))
        check_parent(parent)  # before the next batch

    job.work(make_session_factory(db, keyring), digits, done)
    db.dispose()
    messages.put(("peak", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))
