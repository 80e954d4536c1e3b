"""The matching worker: it proposes for filed and amended records after the filing answered.

Matching inside the request made the answer slower when a record matched, so that its time told
a field contact whether a child is sought. A filing now only queues its record (`enqueue`, in
the filing's transaction: a filing that fails queues nothing); `MatchingWorker`, a thread of
the service, drains the queue every `RIDNI_MATCHING_INTERVAL` seconds with the same proposal
code as before, so that proposals appear within about a second.

Several instances may drain one queue (on PostgreSQL a claim skips the rows another is
claiming). A row is claimed in a short transaction of its own and matched in the next, so that
a claim outlives a process that dies while matching: the claim names the process, and a
worker takes over the claims of a process of this host that has ended, or that another host's
process has held for longer than CLAIM_LIFETIME. Every claim counts as an attempt; a record
whose matching fails MAX_ATTEMPTS times keeps its row, marked failed, with the error's class
(`ridni rematch` matches it once the cause is fixed).
"""

import logging
import threading
from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from app.core.models import utcnow
from app.core.processes import has_ended, this_process
from app.matches import groups, proposals, repository
from app.matches.engine import MatchingSettings
from app.matches.models import MatchingQueueItem, QueuedKind

MAX_ATTEMPTS = 3
CLAIM_LIFETIME = timedelta(minutes=2)
BATCH = 20

log = logging.getLogger("ridni.matching")


def enqueue(session: Session, kind: QueuedKind, ids: list[str]) -> None:
    """Queue records for matching, in the caller's transaction, with their candidate keys
    written now (`proposals.index_filed`)."""
    session.add_all(MatchingQueueItem(kind=kind.value, record_id=i) for i in ids)
    session.flush()
    proposals.index_filed(session, kind, ids)


def drain(
    factory: sessionmaker[Session],
    settings: MatchingSettings,
    *,
    runner: str | None = None,
    stop: threading.Event | None = None,
) -> int:
    """Match every record waiting in the queue, oldest first, until none is left (or `stop` is
    set); how many were matched. `runner` names the process claiming (this one by default)."""
    runner = runner or this_process()
    take_over_abandoned(factory, runner)
    matched = 0
    while stop is None or not stop.is_set():
        with factory() as session, session.begin():
            claimed = repository.claim_queued(
                session, runner, limit=BATCH, max_attempts=MAX_ATTEMPTS
            )
            session.expunge_all()
        if not claimed:
            break
        for item in claimed:
            if stop is not None and stop.is_set():
                break  # the rest stay claimed by this process: its next drain, or a taker-over
            matched += _match_one(factory, settings, item)
    return matched


def take_over_abandoned(factory: sessionmaker[Session], runner: str) -> None:
    """Give back to the queue the rows claimed by a process that has ended, or by another
    host's process for longer than CLAIM_LIFETIME (this host cannot see its processes)."""
    with factory() as session, session.begin():
        for claimant, oldest in repository.claimants(session):
            if claimant == runner:
                continue
            ended = has_ended(claimant)
            if ended is None:
                ended = oldest < utcnow() - CLAIM_LIFETIME
            if ended:
                repository.release_claims(session, claimant, max_attempts=MAX_ATTEMPTS)
                log.warning("took over the matching queue rows of a process that ended")


def _match_one(
    factory: sessionmaker[Session], settings: MatchingSettings, item: MatchingQueueItem
) -> bool:
    try:
        with factory() as session, session.begin():
            _match(session, QueuedKind(item.kind), item.record_id, settings)
            repository.queued_done(session, item.id)
        return True
    except Exception as error:
        # The class only: a message may quote the record.
        with factory() as session, session.begin():
            failed = repository.queued_failed(
                session, item.id, type(error).__name__, max_attempts=MAX_ATTEMPTS
            )
        log.error(
            "matching a record failed",
            extra={
                "fields": {
                    "error": type(error).__name__,
                    "queue_id": item.id,
                    "attempts": item.attempts,
                    "gave_up": failed,
                }
            },
        )
        return False


def _match(session: Session, kind: QueuedKind, record_id: str, settings: MatchingSettings) -> None:
    """Index one record, refresh its proposals and score its group (siblings, children seen
    together) again; a record deleted meanwhile needs nothing."""
    if kind == QueuedKind.report:
        proposals.stored_report_changed(session, record_id, settings=settings)
        groups.rescore_groups(session, report_ids=[record_id], settings=settings)
    else:
        # Its group's sightings locked before its keys and matches are written (lock_group).
        groups.lock_group(session, sighting_ids=[record_id])
        proposals.match_sightings(
            session, repository.sighting_rows(session, [record_id]), settings=settings
        )
        groups.rescore_groups(session, sighting_ids=[record_id], settings=settings)


class MatchingWorker:
    """A thread that drains the matching queue every `interval` seconds until stopped."""

    def __init__(
        self, factory: sessionmaker[Session], settings: MatchingSettings, *, interval: float
    ) -> None:
        self._factory = factory
        self._settings = settings
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ridni-matching", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Finish the record being matched, then end the thread."""
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        runner = this_process()
        while not self._stop.is_set():
            try:
                drain(self._factory, self._settings, runner=runner, stop=self._stop)
            except Exception as error:
                # The database is away, say: the rows wait, and the next round tries again.
                log.error(
                    "could not drain the matching queue",
                    extra={"fields": {"error": type(error).__name__}},
                )
            self._stop.wait(self._interval)
