"""`ridni rematch`: recompute every candidate key and proposal after the engine or the
threshold changed, in committed batches (so a stopped run resumes where it stopped), without
touching decided matches."""

from dataclasses import dataclass
from time import perf_counter

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tqdm import tqdm

from app.matches import engine, repository, service
from app.reports.models import Report
from app.sightings.models import Sighting


@dataclass(frozen=True)
class RematchSummary:
    reports: int
    sightings: int
    seconds: float

    def __str__(self) -> str:
        return (
            f"re-indexed {self.reports} reports and re-matched {self.sightings} sightings "
            f"in {self.seconds:.1f} s"
        )


def rematch(
    factory: sessionmaker[Session],
    *,
    threshold: float,
    batch_size: int = 500,
    progress: bool = True,
) -> RematchSummary:
    started = perf_counter()
    signature = engine.match_signature(threshold)
    with factory() as session:
        stale_reports = repository.count_stale(session, Report, signature)
        stale_sightings = repository.count_stale(session, Sighting, signature)
    with tqdm(total=stale_reports, desc="reports", unit="report", disable=not progress) as bar:
        # Every report first: a sighting must be scored against the whole new index.
        while ids := _next_batch(factory, Report, signature, batch_size):
            with factory() as session, session.begin():
                reports = list(repository.reports_by_id(session, ids).values())
                service.index_reports(session, reports, threshold=threshold)
            bar.update(len(ids))
    with factory() as session:
        shares = repository.all_term_shares(session)
    with tqdm(
        total=stale_sightings, desc="sightings", unit="sighting", disable=not progress
    ) as bar:
        while ids := _next_batch(factory, Sighting, signature, batch_size):
            with factory() as session, session.begin():
                sightings = list(session.scalars(select(Sighting).where(Sighting.id.in_(ids))))
                service.match_sightings(session, sightings, threshold=threshold, shares=shares)
            bar.update(len(ids))
    return RematchSummary(stale_reports, stale_sightings, perf_counter() - started)


def _next_batch(
    factory: sessionmaker[Session],
    model: type[Report] | type[Sighting],
    signature: str,
    size: int,
) -> list[str]:
    with factory() as session:
        return repository.stale_ids(session, model, signature, limit=size)
