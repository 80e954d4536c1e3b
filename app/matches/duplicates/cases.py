"""Cases: the reports of one child filed by several families, joined by confirmed duplicate
pairs. A case is its reports' shared `case_id`; a report alone has none. What a confirmed
sighting does to one report of a case (located), it does to all of them."""

from collections.abc import Iterable, Sequence

from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from app.core.models import new_id
from app.matches import proposals, repository, worker
from app.matches.duplicates import repository as duplicates
from app.matches.models import QueuedKind
from app.reports.models import Report, ReportStatus


def reports_of(session: Session, report: Report) -> list[Report]:
    """Every report of the report's case (itself alone when it has none)."""
    if report.case_id is None:
        return [report]
    return duplicates.case_of(session, report.case_id)


def join(session: Session, a: Report, b: Report) -> str:
    """Join the cases of two reports (a confirmed pair) into one; its id. A sighting confirmed
    for any report of the joined case locates them all, and is offered to none of the others."""
    case_id = a.case_id or b.case_id or new_id()
    members = {r.id: r for r in (*reports_of(session, a), *reports_of(session, b))}
    for report in members.values():
        _set_case(report, case_id)
    session.flush()
    if repository.confirmed_count_for_reports(session, members):
        set_statuses(members.values(), ReportStatus.located)
    proposals.withdraw_within_case(session, members)
    regroup(session, members)
    return case_id


def split(session: Session, case_id: str) -> None:
    """After a confirmed pair of the case was reopened: the reports still joined by confirmed
    pairs stay one case each (the largest keeps the id), a report left alone has none, and a
    group no confirmed sighting is left for is open again. The sightings confirmed for one of
    its reports, withheld from the others, are queued to be matched again."""
    members = {r.id: r for r in duplicates.case_of(session, case_id)}
    groups = _connected(members, duplicates.confirmed_among(session, members))
    groups.sort(key=lambda g: (-len(g), min(members[i].created_at for i in g)))
    for n, group in enumerate(groups):
        group_case = None if len(group) == 1 else case_id if n == 0 else new_id()
        for report_id in group:
            _set_case(members[report_id], group_case)
        reopen_if_unconfirmed(session, [members[i] for i in group])
    session.flush()
    withheld = repository.confirmed_sightings_of(session, members)
    if withheld:
        worker.enqueue(session, QueuedKind.sighting, withheld)
    regroup(session, members)


def regroup(session: Session, report_ids: Iterable[str]) -> None:
    """A case joined or split changes what the engine reads for its reports: the siblings the
    group's evidence reads (a sibling named on one report of a child is the child's,
    `groups.families`), a companion matching any of them (this child), and their namesakes
    (one child's reports are not each other's, `repository.same_child_terms`): they are
    queued to be matched again, their groups with them."""
    worker.enqueue(session, QueuedKind.report, sorted(report_ids))


def _connected(ids: Iterable[str], pairs: Iterable[object]) -> list[set[str]]:
    """The groups of `ids` that the confirmed `pairs` join (connected components)."""
    parent = {i: i for i in ids}

    def root(i: str) -> str:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for pair in pairs:
        parent[root(pair.report_id)] = root(pair.duplicate_of_id)  # type: ignore[attr-defined]
    groups: dict[str, set[str]] = {}
    for i in parent:
        groups.setdefault(root(i), set()).add(i)
    return list(groups.values())


def _set_case(report: Report, case_id: str | None) -> None:
    if report.case_id != case_id:
        report.case_id = case_id
        # Written back unchanged: a family never learns from its report's `updated_at` that
        # another family reported the child.
        flag_modified(report, "updated_at")


def reopen_if_unconfirmed(session: Session, case: Sequence[Report]) -> None:
    """The located reports of a case no confirmed sighting is left for are open again."""
    if repository.confirmed_count_for_reports(session, [r.id for r in case]) == 0:
        set_statuses([r for r in case if r.status == ReportStatus.located], ReportStatus.open)


def set_statuses(reports: Iterable[Report], status: ReportStatus) -> None:
    for report in reports:
        if report.status != status:
            report.status = status.value
            # Written back unchanged, so that the column's onupdate does not stamp the decision.
            flag_modified(report, "updated_at")
