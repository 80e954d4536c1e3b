from datetime import datetime

from pydantic import Field

from app.core.schemas import OutputModel, Score
from app.matches.models import MatchStatus
from app.matches.schemas import FieldExplanation
from app.reports.schemas import ReportOut


class DuplicateOut(OutputModel):
    id: str
    """The duplicate pair's id (a UUID)."""
    report_id: str
    """The report filed later of the two."""
    duplicate_of: str
    """The report filed first, which `report_id` may be a second report of."""
    score: Score
    """How likely the two reports describe the same child, from 0 to 1."""
    explanation: list[FieldExplanation]
    """Field by field, why the engine proposed the pair."""
    status: MatchStatus
    """proposed, confirmed (the reports are of one case), rejected, or withdrawn (its score
    fell below the threshold after an amendment)."""
    version: int
    """Increases with every decision; quote it when deciding."""
    case_id: str | None = Field(
        description="The case both reports are in once confirmed (null otherwise): the id the "
        "reports carry as `case_id`."
    )
    created_at: datetime
    """When the engine proposed the pair (RFC 3339, UTC)."""
    updated_at: datetime
    """When the pair last changed (RFC 3339, UTC)."""
    decided_by: str | None
    """The user who made the last decision; null until one decides."""
    decided_at: datetime | None
    """When the last decision was made; null until one decides."""
    note: str | None
    """The note of the last decision."""


class DuplicateDetail(DuplicateOut):
    """A pair with both reports side by side, so that one request is enough to decide."""

    report: ReportOut
    """The report filed later, as a coordinator reads it."""
    duplicate_of_report: ReportOut
    """The report filed first, as a coordinator reads it."""


class DuplicatePage(OutputModel):
    items: list[DuplicateOut]
    """Duplicate pairs, highest score first."""
    next_cursor: str | None
    """Pass as `cursor` for the next page; null on the last page."""


class DuplicateHistoryEntry(OutputModel):
    id: str
    """The history entry's id."""
    action: str = Field(description="proposed, withdrawn (by the engine), confirm, reject, reopen")
    from_status: MatchStatus | None
    """The status before; null for the proposal."""
    to_status: MatchStatus
    """The status after."""
    actor_id: str | None = Field(description="Who decided; null when the engine acted.")
    score: Score
    """The pair's score at the time."""
    note: str | None
    """The decision's note."""
    case_id: str | None
    """The case `report_id` was in after a decision: the joined case after a confirmation, its
    own case (or null, alone again) after a reopening split it; null for the engine's actions."""
    created_at: datetime
    """When (RFC 3339, UTC)."""


class DuplicateHistoryPage(OutputModel):
    items: list[DuplicateHistoryEntry]
    """Every proposal, withdrawal and decision, oldest first."""
