from datetime import datetime

from pydantic import Field, StrictInt

from app.core.schemas import InputModel, OutputModel
from app.core.text import TextField
from app.matches.models import Decision, MatchStatus
from app.reports.schemas import ReportOut
from app.sightings.schemas import SightingOut


class FieldExplanation(OutputModel):
    field: str
    verdict: str = Field(
        description="exact, equivalent, transliteration, phonetic, close, different, missing, ..."
    )
    detail: str = Field(description="The forms compared, in words a coordinator reads.")
    weight: float = Field(description="Log-likelihood weight: positive for, negative against.")


class CandidateOut(OutputModel):
    report_id: str
    sighting_id: str
    score: float = Field(ge=0, le=1)
    explanation: list[FieldExplanation]
    match_id: str | None = Field(default=None, description="The match row, if one exists.")
    match_status: MatchStatus | None = None


class CandidatePage(OutputModel):
    items: list[CandidateOut]


class MatchOut(OutputModel):
    id: str
    report_id: str
    sighting_id: str
    score: float
    explanation: list[FieldExplanation]
    status: MatchStatus
    version: int
    created_at: datetime
    updated_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    note: str | None


class MatchDetail(MatchOut):
    """A match with both records side by side, so that one request is enough to decide."""

    report: ReportOut
    sighting: SightingOut


class MatchPage(OutputModel):
    items: list[MatchOut]
    next_cursor: str | None


class DecisionIn(InputModel):
    decision: Decision
    note: TextField | None = None
    version: StrictInt = Field(ge=1, description="The version of the match you decided on.")


class HistoryEntry(OutputModel):
    id: str
    action: str = Field(description="proposed, withdrawn (by the engine), confirm, reject, reopen")
    from_status: MatchStatus | None
    to_status: MatchStatus
    actor_id: str | None = Field(description="Who decided; null when the engine acted.")
    score: float
    note: str | None
    created_at: datetime


class HistoryPage(OutputModel):
    items: list[HistoryEntry]
