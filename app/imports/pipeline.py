"""The row pipeline of every import: rows already parsed from a file (CSV now; PFIF can feed
the same) are validated by the API's own schemas, fingerprinted, and filed through the API's
own creation path (`app.intake`: insert, audit, candidate keys, proposals), in batches.

A bad row is reported (line, field, column, reason; never a value) and skipped; it never stops
the import. Each batch is one transaction, and within it one savepoint, so a row is written
whole or not at all: the record, its fingerprint, its candidate keys and its proposals. A row
whose fingerprint is stored already (an earlier import loaded it, or it came earlier in this
file) counts as a duplicate and creates nothing.

Every record created is in the audit trail (`report.create`, `sighting.create`) as created by
the user it is filed as, in the same transaction.

With `workers` > 1, batches are loaded by that many processes (each with its own connection)
while this process reads and validates the file. Sightings are scored before their batch is
written, so that on SQLite, where writers take turns, the write lock is held only for writes.
A loader keeps the reports it has read, as the engine sees them, from one batch to the next (a
long list reaches most reports in every batch); a report amended meanwhile is read again.
"""

import hashlib
import json
import os
import resource
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from itertools import islice
from multiprocessing import get_context
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from app.core.database import begin_writing, make_engine
from app.core.models import utcnow
from app.core.processes import check_parent, die_with_parent
from app.core.security import Principal
from app.crypto.keyring import Keyring
from app.crypto.maintenance import check_reloads
from app.crypto.orm import keyring_of, make_session_factory
from app.imports import repository
from app.imports.fields import Kind, field_of
from app.imports.models import ImportedRecord
from app.imports.rows import RowError, SourceRow, Tally
from app.intake import service as intake
from app.matches import proposals
from app.matches import repository as matches_repository
from app.matches.engine import MatchingSettings
from app.matches.proposals import SightingScores
from app.matches.scoring import KnownReports
from app.reports.models import Report
from app.reports.schemas import ReportIn
from app.reports.service import new_report
from app.sightings.models import Sighting
from app.sightings.schemas import SightingIn
from app.sightings.service import new_sighting

MAX_ERRORS = 1000  # row errors kept on an import; the counts stay exact beyond

SCHEMAS: dict[Kind, type[ReportIn] | type[SightingIn]] = {
    Kind.reports: ReportIn,
    Kind.sightings: SightingIn,
}


@dataclass(frozen=True)
class ValidRow:
    line: int
    data: ReportIn | SightingIn
    fingerprint: str
    key: str | None = None  # the record's id in the registry it comes from
    group: str | None = None  # rows of one file with the same value are one group


@dataclass(frozen=True)
class Job:
    """What every batch of one import shares."""

    kind: Kind
    owner: Principal | None  # the user the records are filed as (none in a dry run)
    import_id: str | None  # the import's record, which counts every batch (None: no record)
    matching: MatchingSettings


def validate(kind: Kind, row: SourceRow) -> ValidRow | list[RowError]:
    """The row through the API's request schema, or why it does not pass."""
    if row.body is None:
        return list(row.errors)
    try:
        data = SCHEMAS[kind].model_validate(row.body)
    except ValidationError as error:
        found = []
        for problem in error.errors(include_input=False, include_url=False):
            name = field_of(kind, problem["loc"], row.sources)
            reason = problem["msg"].removeprefix("Value error, ")
            found.append(RowError(row.line, name, row.sources.get(name or ""), reason))
        # One cell can fail twice alike (an age of 30 is both a minimum and a maximum over 25).
        return list(dict.fromkeys(found))
    return ValidRow(row.line, data, fingerprint(kind, data, key=row.key), row.key, row.group)


# The parts of a row stored encrypted (reporters, sources, free text). A fingerprint leaves them
# out: an unkeyed hash over a phone number would let whoever holds the database test guesses at
# it, undoing the encryption. What remains is stored in the clear anyway.
SEALED_PARTS: dict[Kind, set[str]] = {
    Kind.reports: {"circumstances", "reporter"},
    Kind.sightings: {"notes", "source"},
}


def fingerprint(kind: Kind, data: ReportIn | SightingIn, *, key: str | None = None) -> str:
    """SHA-256 of the kind and the validated row without its encrypted parts, with case, Unicode
    form and spacing normalized and lists sorted: the same row typed again, or exported again,
    has the same. So do two rows that differ only in who reported or what the notes say.
    A record with a `key` (its id in the registry it comes from, exactly) is that key,
    whatever else changed."""
    if key is not None:
        canonical: list[Any] = [kind.value, {"key": key}]
    else:
        plain = data.model_dump(mode="json", exclude_none=True, exclude=SEALED_PARTS[kind])
        canonical = [kind.value, _normalized(plain)]
    text = json.dumps(canonical, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _normalized(value: Any) -> Any:
    if isinstance(value, str):
        return " ".join(unicodedata.normalize("NFC", value).casefold().split())
    if isinstance(value, dict):
        return {key: _normalized(item) for key, item in value.items()}
    if isinstance(value, list):
        return sorted(_normalized(item) for item in value)
    return value


class BatchLoader:
    """Loads batches of valid rows in one process, one transaction per batch."""

    def __init__(self, factory: sessionmaker[Session], job: Job) -> None:
        if job.owner is None:
            raise ValueError("records are filed as someone: the job needs its owner")
        self.factory = factory
        self.job = job
        self.owner = job.owner  # audited as the records' creator
        self._shares: dict[str, float] | None = None
        # Reports kept from batch to batch; those amended meanwhile are dropped and read again.
        self.reports = KnownReports()

    def load(self, batch: list[ValidRow], checked: Tally | None = None) -> Tally:
        """Rows loaded and rows found present. The import's record counts them, and the counts
        of the batch's reading (`checked`), in the same transaction as the rows: what it says
        is what is stored, whenever the import stops."""
        result = Tally()
        if not batch and (checked is None or not checked.read):
            return result
        with self.factory() as session, session.begin():
            if batch:
                self._load(session, batch, result)
            if self.job.import_id is not None:
                count(session, self.job.import_id, _sum(checked or Tally(), result))
        return result

    def _load(self, session: Session, batch: list[ValidRow], result: Tally) -> None:
        present = repository.present(session, [row.fingerprint for row in batch])
        fresh = [row for row in batch if row.fingerprint not in present]
        result.duplicates = len(batch) - len(fresh)
        if not fresh:
            return
        records = [self._record(row) for row in fresh]
        scores = self._score(session, records)
        begin_writing(session)  # the rows and the counts: one transaction on SQLite too
        try:
            with session.begin_nested():
                self._write(session, fresh, records, scores)
            result.loaded = len(fresh)
        except IntegrityError:
            # Another import stored some of these rows meanwhile: take them one by one.
            for row, record in zip(fresh, records, strict=True):
                try:
                    with session.begin_nested():
                        self._write(session, [row], [record], scores)
                    result.loaded += 1
                except IntegrityError:
                    result.duplicates += 1

    def _record(self, row: ValidRow) -> Report | Sighting:
        if isinstance(row.data, ReportIn):
            report = new_report(self.owner.user_id, row.data)
            report.external_id = row.key
            return report
        return new_sighting(self.owner.user_id, row.data)

    def _score(self, session: Session, records: list[Any]) -> SightingScores | None:
        """Sightings are scored before anything is written; reports are scored as the API
        scores them, one by one after each is stored (each new report changes the shares)."""
        if self.job.kind != Kind.sightings or not records:
            return None
        if self._shares is None:
            # New reports barely move the name shares during an import: read them once.
            self._shares = matches_repository.all_term_shares(session)
        return proposals.score_sightings(
            session,
            records,
            settings=self.job.matching,
            shares=self._shares,
            known_reports=self._known_reports(session),
        )

    def _known_reports(self, session: Session) -> KnownReports:
        self.reports.drop_amended(session)
        return self.reports

    def _write(
        self,
        session: Session,
        rows: list[ValidRow],
        records: list[Any],
        scores: SightingScores | None,
    ) -> None:
        if self.job.kind == Kind.sightings:
            intake.add_sightings(session, self.owner, records, self.job.matching, scores=scores)
        else:
            intake.add_reports(session, self.owner, records, self.job.matching)
        session.add_all(
            ImportedRecord(
                fingerprint=row.fingerprint,
                import_id=self.job.import_id,
                report_id=record.id if isinstance(record, Report) else None,
                sighting_id=record.id if isinstance(record, Sighting) else None,
            )
            for row, record in zip(rows, records, strict=True)
        )
        session.flush()


def count(session: Session, import_id: str, tally: Tally) -> None:
    """Add a batch's counts, and the first MAX_ERRORS row errors, to the import's record. The
    record is locked first: workers counting at once must not overwrite each other."""
    record = repository.by_id(session, import_id, for_update=True)
    if record is None:
        return
    record.heartbeat_at = utcnow()
    record.rows_read += tally.read
    record.rows_loaded += tally.loaded
    record.rows_duplicate += tally.duplicates
    record.rows_skipped += tally.skipped
    room = MAX_ERRORS - len(record.errors)
    if tally.errors:
        kept = [error.as_dict() for error in tally.errors[: max(room, 0)]]
        record.errors = sorted([*record.errors, *kept], key=lambda error: error["line"])
        record.errors_truncated = record.errors_truncated or len(tally.errors) > room
    session.flush()


def load_rows(
    rows: Iterable[SourceRow],
    job: Job,
    *,
    factory: sessionmaker[Session],
    dry_run: bool = False,
    batch_size: int = 500,
    workers: int = 1,
    database_url: str | None = None,
    on_batch: Callable[[Tally], object] = lambda _tally: None,
) -> "LoadResult":
    """Validate and load `rows`; `on_batch` hears each batch's counts as it is committed.

    A dry run validates and looks up fingerprints but writes nothing.
    """
    if workers > 1 and (database_url is None or dry_run):
        raise ValueError("worker processes need the database URL, and a dry run needs none")
    database_url = database_url or ""
    total = Tally()
    seen: set[str] = set()
    groups: dict[str, set[str]] = {}  # group value: the fingerprints of its rows
    peaks: dict[int, float] = {}

    def finished(checked: Tally, loaded: Tally) -> None:
        checked.add(loaded)
        total.add(checked)
        on_batch(checked)

    batches = (_check(job.kind, chunk, seen, groups) for chunk in _chunks(rows, batch_size))
    if dry_run:
        for checked, valid in batches:
            with factory() as session, session.begin():
                present = repository.present(session, [row.fingerprint for row in valid])
                found = Tally(loaded=len(valid) - len(present), duplicates=len(present))
                if job.import_id is not None:
                    count(session, job.import_id, _sum(checked, found))
            finished(checked, found)
    elif workers == 1:
        loader = BatchLoader(factory, job)
        for checked, valid in batches:
            finished(checked, loader.load(valid, checked))
    else:
        context = get_context("spawn")
        with factory() as session:
            keyring = keyring_of(session)  # pickled as its key file's path, never as keys
        with ProcessPoolExecutor(
            workers,
            mp_context=context,
            initializer=_start_worker,
            initargs=(os.getpid(), database_url, keyring, job),
        ) as pool:
            running: dict[Future[tuple[Tally, int, float]], Tally] = {}
            for checked, valid in batches:
                running[pool.submit(_load_in_worker, valid, checked)] = checked
                while len(running) >= 2 * workers:
                    _collect(running, peaks, finished, wait(running, return_when=FIRST_COMPLETED))
            while running:
                _collect(running, peaks, finished, wait(running, return_when=FIRST_COMPLETED))
    if groups and not dry_run:
        with factory() as session, session.begin():
            _relate_groups(session, job, groups)
    total.errors.sort(key=lambda error: error.line)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return LoadResult(total, own + sum(peaks.values()))


@dataclass(frozen=True)
class LoadResult:
    tally: Tally
    peak_mib: float  # this process's peak plus each worker's


def _relate_groups(session: Session, job: Job, groups: dict[str, set[str]]) -> None:
    """Relate the records of each group of the file (siblings, or seen together), once every
    batch is stored: a group may span batches. Rows that were skipped relate nothing."""
    ids = repository.records_of(session, [fp for fps in groups.values() for fp in fps])
    members = [sorted({ids[fp] for fp in fps if fp in ids}) for fps in groups.values()]
    intake.relate_group_members(
        session, job.kind == Kind.reports, [m for m in members if len(m) > 1], job.matching
    )


def _check(
    kind: Kind, chunk: list[SourceRow], seen: set[str], groups: dict[str, set[str]]
) -> tuple[Tally, list[ValidRow]]:
    """Validate a chunk: its counts so far, and the rows to load (not met before in the file);
    the fingerprints of the rows of each group are added to `groups`."""
    checked = Tally(read=len(chunk))
    valid = []
    for row in chunk:
        result = validate(kind, row)
        if isinstance(result, list):
            checked.skipped += 1
            checked.errors += result
        else:
            if result.group is not None:
                groups.setdefault(result.group, set()).add(result.fingerprint)
            if result.fingerprint in seen:
                checked.duplicates += 1
            else:
                seen.add(result.fingerprint)
                valid.append(result)
    return checked, valid


def _sum(*tallies: Tally) -> Tally:
    total = Tally()
    for tally in tallies:
        total.add(tally)
    return total


def _chunks(rows: Iterable[SourceRow], size: int) -> Iterator[list[SourceRow]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _collect(
    running: dict[Future[tuple[Tally, int, float]], Tally],
    peaks: dict[int, float],
    finished: Callable[[Tally, Tally], None],
    waited: Any,
) -> None:
    for future in waited.done:
        loaded, pid, peak = future.result()  # a worker's failure stops the import here
        peaks[pid] = max(peaks.get(pid, 0.0), peak)
        finished(running.pop(future), loaded)


_worker_loader: BatchLoader | None = None
_worker_parent = 0


def _start_worker(parent: int, database_url: str, keyring: Keyring, job: Job) -> None:
    global _worker_loader, _worker_parent
    die_with_parent(parent)
    _worker_parent = parent
    engine = make_engine(database_url)
    check_reloads(engine, keyring)
    _worker_loader = BatchLoader(make_session_factory(engine, keyring), job)


def _load_in_worker(batch: list[ValidRow], checked: Tally) -> tuple[Tally, int, float]:
    assert _worker_loader is not None, "the pool's initializer sets the loader"  # noqa: S101
    check_parent(_worker_parent)
    loaded = _worker_loader.load(batch, checked)
    return loaded, os.getpid(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
