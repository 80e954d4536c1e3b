"""The total of reports a crowded sighting's first pass and its name-term shares are weighed
by: counted while counting is cheap, reused for a while once the reports are many, so that a
million reports are not counted at every query."""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Connection, event, func, select
from sqlalchemy.orm import Session

import matching
from app.matches import repository
from app.matches.models import ReportTerm
from app.reports.models import Report
from tests.conftest import Callers


@contextmanager
def counts_of_reports(connection: Connection) -> Iterator[list[str]]:
    """The statements counting the reports table run on `connection` meanwhile."""
    seen: list[str] = []

    def note(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        normal = " ".join(statement.lower().split())
        if "count(*)" in normal and "from reports" in normal:
            seen.append(statement)

    event.listen(connection, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(connection, "before_cursor_execute", note)


def add_reports(session: Session, owner_id: str, n: int) -> None:
    session.add_all(Report(owner_id=owner_id, given_name="Микола") for _ in range(n))
    session.flush()


def stored(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Report)) or 0


def test_few_reports_are_counted_at_every_call(
    session: Session, connection: Connection, callers: Callers
):
    add_reports(session, callers.family.user_id, 3)
    with counts_of_reports(connection) as counted:
        before = repository.report_count(session)
        add_reports(session, callers.family.user_id, 1)
        after = repository.report_count(session)
    assert (before, after) == (3, 4) == (stored(session) - 1, stored(session))
    assert len(counted) == 2


def test_many_reports_are_counted_once_a_while(
    session: Session, connection: Connection, callers: Callers, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(repository, "COUNT_REUSED_FROM", 3)
    add_reports(session, callers.family.user_id, 3)
    first = stored(session)
    with counts_of_reports(connection) as counted:
        assert repository.report_count(session) == first
        add_reports(session, callers.family.user_id, 2)
        # Within the window: the total counted, no statement counting the table again.
        assert repository.report_count(session) == first
        shares = repository.term_shares(session, ["given:nothing-holds-this"])
    # No report holds the term; one report's share is of the total counted.
    assert shares == {matching.ONE_REPORT: 1 / first}
    assert len(counted) == 1

    monkeypatch.setattr(repository, "COUNT_REUSED_FOR", 0.0)  # the window has passed
    assert repository.report_count(session) == first + 2 == stored(session)


def test_a_reused_total_short_of_new_reports_gives_no_share_above_one(
    session: Session, callers: Callers, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(repository, "COUNT_REUSED_FROM", 1)
    add_reports(session, callers.family.user_id, 1)
    assert repository.report_count(session) == 1
    add_reports(session, callers.family.user_id, 2)  # filed since the total was counted
    session.add_all(ReportTerm(report_id=i, term="given:test") for i in report_ids(session))
    session.flush()
    shares = repository.term_shares(session, ["given:test"])
    assert shares == {"given:test": 1.0, matching.ONE_REPORT: 1.0}


def report_ids(session: Session) -> list[str]:
    return list(session.scalars(select(Report.id)))
