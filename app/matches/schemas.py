from datetime import datetime

from pydantic import ConfigDict, Field, StrictInt

from app.core.schemas import InputModel, OutputModel, Score
from app.core.text import TextField
from app.matches.models import Decision, MatchStatus
from app.reports.schemas import ReportOut
from app.sightings.schemas import SightingOut


class FieldExplanation(OutputModel):
    field: str
    """What was compared: given_name, family_name, date_of_birth, ..."""
    verdict: str = Field(
        description="exact, equivalent, transliteration, phonetic, close, different, missing, ..."
    )
    detail: str = Field(description="The forms compared, in words a coordinator reads.")
    weight: float = Field(description="Log-likelihood weight: positive for, negative against.")


class CandidateOut(OutputModel):
    report_id: str
    """The report ranked."""
    sighting_id: str
    """The sighting ranked."""
    score: Score
    """How likely the two describe the same child, from 0 to 1; comparable across requests."""
    explanation: list[FieldExplanation]
    """Field by field, why: the reasons behind the score."""
    match_id: str | None = Field(default=None, description="The match row, if one exists.")
    match_status: MatchStatus | None = None
    """The match row's status, if one exists."""


class CandidatePage(OutputModel):
    items: list[CandidateOut]
    """The best candidates, best first."""


class MatchOut(OutputModel):
    id: str
    """The match's id (a UUID)."""
    report_id: str
    """The report linked."""
    sighting_id: str
    """The sighting linked."""
    score: Score
    """How likely the two describe the same child, from 0 to 1, when it was last scored."""
    explanation: list[FieldExplanation]
    """Field by field, why the engine proposed the link."""
    status: MatchStatus
    """proposed, confirmed, rejected, or withdrawn (its score fell below the threshold)."""
    version: int
    """Increases with every decision; quote it when deciding."""
    created_at: datetime
    """When the engine proposed the match (RFC 3339, UTC)."""
    updated_at: datetime
    """When the match last changed (RFC 3339, UTC)."""
    decided_by: str | None
    """The user who made the last decision; null until one decides."""
    decided_at: datetime | None
    """When the last decision was made; null until one decides."""
    note: str | None
    """The note of the last decision."""


class MatchDetail(MatchOut):
    """A match with both records side by side, so that one request is enough to decide."""

    report: ReportOut
    """The report, as a coordinator reads it."""
    sighting: SightingOut
    """The sighting, with its source."""


class MatchPage(OutputModel):
    items: list[MatchOut]
    """Matches, highest score first."""
    next_cursor: str | None
    """Pass as `cursor` for the next page; null on the last page."""


class DecisionIn(InputModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"decision": "confirm", "note": "Same birth certificate number", "version": 1}
            ]
        }
    )

    decision: Decision
    """confirm (this sighting is this child), reject (it is not; never proposed again) or reopen
    (take the decision back)."""
    note: TextField | None = None
    """Why, in a few words (the evidence, not contacts); kept in the history."""
    version: StrictInt = Field(ge=1, description="The version of the match you decided on.")


class HistoryEntry(OutputModel):
    id: str
    """The history entry's id."""
    action: str = Field(description="proposed, withdrawn (by the engine), confirm, reject, reopen")
    from_status: MatchStatus | None
    """The status before; null for the proposal."""
    to_status: MatchStatus
    """The status after."""
    actor_id: str | None = Field(description="Who decided; null when the engine acted.")
    score: Score
    """The match's score at the time."""
    note: str | None
    """The decision's note."""
    created_at: datetime
    """When (RFC 3339, UTC)."""


class HistoryPage(OutputModel):
    items: list[HistoryEntry]
    """Every proposal, withdrawal and decision, oldest first."""
