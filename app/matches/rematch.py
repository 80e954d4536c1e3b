"""`ridni rematch`: recompute every candidate key and proposal after the engine or the
threshold changed, in committed batches (so a stopped run resumes where it stopped), without
touching decided matches. With several workers, this process and the others it starts each
take the stale records whose id starts with their share of the hex digits; on PostgreSQL each
batch is claimed with row locks, so that `ridni rematch` may run on several machines at once.

A run is four rounds, each over what the one before left: reports re-indexed, sightings
scored pair by pair, sightings seen with others scored again with their group's evidence, and
reports compared with reports for duplicates. A record's `matched_with` says which round it
has passed: a step's mark on the way, the signature once done."""

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
from app.matches import groups, proposals, repository
from app.matches.duplicates import proposals as duplicates
from app.matches.engine import MatchingSettings
from app.matches.repository import HEX_DIGITS
from app.matches.scoring import KnownReports
from app.reports.models import Report
from app.sightings import repository as sightings_repository
from app.sightings.models import Sighting

# How long a process with nothing left to claim waits before it looks again, while other
# processes finish the batches they hold.
CLAIMED_ELSEWHERE_POLL = 1.0

ROUNDS = ("reports", "sightings", "groups", "duplicates")


def step_mark(signature: str, round_name: str) -> str:
    """What a record is marked with once `round_name` is done and a later round is to come."""
    return f"{signature}:{round_name}"


@dataclass(frozen=True)
class RematchSummary:
    reports: int  # re-indexed by this process and its workers (others may have done the rest)
    sightings: int
    grouped: int  # sightings seen with others, scored again with their group's evidence
    compared: int  # reports compared with reports for duplicates
    seconds: float
    peak_mib: float  # this process's peak plus the largest sum of other workers running at once

    def __str__(self) -> str:
        return (
            f"re-indexed {counted(self.reports, 'report')} and re-matched "
            f"{counted(self.sightings, 'sighting')} "
            f"({self.grouped} with their group), "
            f"compared {counted(self.compared, 'report')} for duplicates "
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
    """With `workers` > 1, records are scored in that many processes on `database_url`."""
    if workers > 1 and database_url is None:
        raise ValueError("parallel workers need the database URL")
    database_url = database_url or ""
    started = time.perf_counter()
    done = dict.fromkeys(ROUNDS, 0)
    peaks = 0.0
    # Each round after the one before: a sighting must be scored against the whole new index,
    # a group once each of its pairs is.
    for kind in ROUNDS:
        with factory() as session:
            shares = repository.all_term_shares(session) if kind == "sightings" else None
            job = Round(kind, settings, batch_size, shares)
            stale = repository.count_stale(session, job.model, job.marked)
        if not stale:
            continue  # claimed batches count as stale too: none is left anywhere
        # A process starts for each batch at most: a small round needs no other.
        processes = min(workers, -(-stale // batch_size))
        with tqdm(total=stale, desc=kind, unit="record", disable=not progress) as bar:

            def count(batch: int, kind: str = kind) -> None:
                done[kind] += batch
                bar.update(batch)

            peaks = max(peaks, _run(factory, database_url, processes, count, job))
    own_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return RematchSummary(
        done["reports"],
        done["sightings"],
        done["groups"],
        done["duplicates"],
        time.perf_counter() - started,
        own_peak + peaks,
    )


@dataclass(frozen=True)
class Round:
    """One pass over the records one round of a rematch has left to do."""

    kind: str  # one of ROUNDS
    settings: MatchingSettings
    batch_size: int
    shares: dict[str, float] | None

    @property
    def model(self) -> type[Report] | type[Sighting]:
        return Report if self.kind in ("reports", "duplicates") else Sighting

    @property
    def marked(self) -> tuple[str, ...]:
        """The marks of the records this round has nothing left to do for."""
        signature = self.settings.signature
        if self.kind in ("reports", "sightings"):
            return (signature, step_mark(signature, self.kind))
        return (signature,)

    def work(self, factory: sessionmaker[Session], digits: str, done: Any) -> None:
        """Claim and do batches until no record is left to this round: when the only ones
        left are claimed by other processes, wait for them (a sighting must not be scored before
        every report is re-indexed, and a batch whose process died is claimable again)."""
        # Reports were all re-indexed in the round before: keep those read from batch to batch.
        reports_seen = KnownReports()
        while True:
            with factory() as session, session.begin():
                ids = repository.claim_stale(
                    session, self.model, self.marked, limit=self.batch_size, first_digits=digits
                )
                finished = self._do(session, ids, reports_seen) if ids else 0
                if not ids and not repository.count_stale(
                    session, self.model, self.marked, first_digits=digits
                ):
                    return
            if finished:
                done(finished)
            else:
                time.sleep(CLAIMED_ELSEWHERE_POLL)

    def _do(self, session: Session, ids: list[str], reports_seen: KnownReports) -> int:
        """Do one claimed batch; how many records it did."""
        signature = self.settings.signature
        if self.kind == "reports":
            mark = step_mark(signature, self.kind)
            proposals.reindex_stored_reports(session, ids, settings=self.settings, mark=mark)
        elif self.kind == "sightings":
            companions = sightings_repository.companion_ids(session, ids)
            alone = [i for i in ids if i not in companions]
            reports_seen.drop_amended(session)  # the service may amend them meanwhile
            proposals.match_sightings(
                session,
                repository.sighting_rows(session, alone),
                settings=self.settings,
                shares=self.shares,
                known_reports=reports_seen,
            )
            # Those seen with others are scored in the next round, with their group.
            grouped = [i for i in ids if i in companions]
            repository.mark_matched(session, Sighting, grouped, step_mark(signature, self.kind))
        elif self.kind == "groups":
            # Only the claimed sightings are written, each scored with everything within
            # reach of it read: no other process's rows are touched, and none waited for.
            groups.rescore_groups(
                session, sighting_ids=ids, settings=self.settings, only_touched=True
            )
            # Marked here too: one whose companions were taken away meanwhile has no group.
            repository.mark_matched(session, Sighting, ids, signature)
        else:
            reports_seen.drop_amended(session)
            duplicates.reports_changed(
                session, repository.report_rows(session, ids), known=reports_seen
            )
            repository.mark_matched(session, Report, ids, signature)
        return len(ids)


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
