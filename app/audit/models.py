"""The audit trail: one append-only row per record a request showed or changed, and per refusal.

Rows hold ids and labels only: who (user id and role), what (action, object type and id), how it
ended (outcome), the request id and the time. Never names, dates, contacts, tokens or bodies.
The database refuses UPDATE and DELETE on this table (a trigger, migration 0004), and the
service's PostgreSQL role may only INSERT and SELECT it (deploy/postgres-roles.sql).
"""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.models import ID, Base, new_id, utcnow


class Action(StrEnum):
    """What was done, as `<object type>.<verb>`; the object type is the part before the dot."""

    report_create = "report.create"
    report_read = "report.read"
    report_list = "report.list"  # one row per report on the page
    report_update = "report.update"
    report_candidates = "report.candidates"  # the report whose candidates were ranked
    report_candidate = "report.candidate"  # a report shown as a sighting's candidate
    sighting_create = "sighting.create"
    sighting_read = "sighting.read"
    sighting_list = "sighting.list"
    sighting_update = "sighting.update"
    sighting_candidates = "sighting.candidates"
    sighting_candidate = "sighting.candidate"
    match_read = "match.read"
    match_list = "match.list"
    match_history = "match.history"
    match_decide = "match.decide"
    # Proposed pairs of duplicate reports, as matches are read and decided.
    duplicate_read = "duplicate.read"
    duplicate_list = "duplicate.list"
    duplicate_history = "duplicate.history"
    duplicate_decide = "duplicate.decide"
    # One row per export, whoever asked (none: the operator's command), before anything is sent.
    export_pfif = "export.pfif"
    export_pfif_with_contacts = "export.pfif_with_contacts"
    export_matches = "export.matches"
    export_matches_with_contacts = "export.matches_with_contacts"
    export_reports = "export.reports"
    export_reports_with_contacts = "export.reports_with_contacts"
    # Admins managing users: who was shown, created, changed, or given or denied a token.
    user_list = "user.list"
    user_create = "user.create"
    user_read = "user.read"
    user_update = "user.update"
    user_issue_token = "user.issue_token"  # noqa: S105 - an action name, not a secret
    user_revoke_token = "user.revoke_token"  # noqa: S105 - an action name, not a secret
    audit_read = "audit.read"  # recorded when refused only
    # The console: a sighting's source shown on request, and signing in and out (a failed
    # sign-in is `unauthenticated`, with the user's id when the login exists).
    sighting_source = "sighting.source"
    user_enrol = "user.enrol"
    user_sign_in = "user.sign_in"
    user_sign_out = "user.sign_out"
    # Imports of files: the import started, shown or listed (the records it creates are
    # `report.create` and `sighting.create` rows of the user they are filed as).
    import_create = "import.create"
    import_read = "import.read"
    import_list = "import.list"
    # Photos: added to a record (a row for the record and one for the new photo), a record's
    # photos listed (the record, and a row per photo listed), an image served, a photo deleted.
    report_photo_add = "report.photo_add"
    sighting_photo_add = "sighting.photo_add"
    report_photos = "report.photos"
    sighting_photos = "sighting.photos"
    photo_create = "photo.create"
    photo_list = "photo.list"
    photo_read = "photo.read"
    photo_delete = "photo.delete"

    @property
    def object_type(self) -> str:
        return self.value.partition(".")[0]


class ObjectType(StrEnum):
    report = "report"
    sighting = "sighting"
    match = "match"
    duplicate = "duplicate"
    export = "export"
    user = "user"
    audit = "audit"
    import_ = "import"
    photo = "photo"


class Outcome(StrEnum):
    allowed = "allowed"
    replayed = "replayed"  # an Idempotency-Key retry answered with the record made before
    unauthenticated = "unauthenticated"  # 401: no token, or a bad one
    forbidden = "forbidden"  # 403: the role may not do this
    hidden = "hidden"  # 404: the record exists, but is not one the caller may see
    not_found = "not_found"  # 404: no such record


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        CheckConstraint(
            f"outcome IN ({', '.join(repr(o.value) for o in Outcome)})", name="outcome"
        ),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    request_id: Mapped[str | None] = mapped_column(String(32))
    # No foreign keys: the trail outlives whatever it points at, and a refused id may be unknown.
    user_id: Mapped[str | None] = mapped_column(ID, index=True)
    role: Mapped[str | None] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str] = mapped_column(String(20))
    object_id: Mapped[str | None] = mapped_column(ID, index=True)
    outcome: Mapped[str] = mapped_column(String(20))
