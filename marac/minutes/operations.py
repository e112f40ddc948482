"""Every write to a meeting's minutes: the chair approves, the coordinator issues and
corrects them. Each step checks the actor and the minutes' version, runs the lifecycle
(`minutes.lifecycle` holds the rules and the rendering), records the audit row and tells
the agencies, in one transaction. Downloads and previews are audited reads, so they are
operations too.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from marac.accounts.models import User
from marac.audit import record
from marac.formatting import uk_today
from marac.minutes import lifecycle, notices
from marac.minutes.content import gather_agenda, gather_minutes
from marac.minutes.models import DocumentKind, IssuedDocument, Minutes, MinutesStatus
from marac.minutes.queries import meeting_of
from marac.minutes.render import render_agenda, render_full_minutes
from marac.operations import Conflict, Invalid, NotFound, allow, operation
from marac.panels.access import runs_panel
from marac.panels.models import Meeting

OBJECT = "minutes"
LOOKED_AWAY = "Someone else changed these minutes while you were looking. Check and try again"
SAME_MOMENT = "Someone else changed these minutes at the same moment. Check and try again"
REASON_LIMIT = 2000


def _current(db: Session, meeting: Meeting, version: int) -> Minutes:
    """The minutes, if still at the version the actor saw (`Conflict` otherwise)."""
    minutes = lifecycle.minutes_of(db, meeting)
    if version != (minutes.version or 1):
        raise Conflict(LOOKED_AWAY)
    return minutes


def _flush_or_conflict(db: Session) -> None:
    try:
        db.flush()
    except StaleDataError as stale:
        raise Conflict(SAME_MOMENT) from stale


def _lifecycle_invalid(error: lifecycle.MinutesError, field: str = "minutes") -> Invalid:
    return Invalid({field: str(error)}, str(error))


def _issue_and_notify(
    db: Session, actor: User, meeting: Meeting, today: date, reason: str = ""
) -> list[IssuedDocument]:
    """Issue the next version, then tell the members and the action-owning agencies."""
    try:
        documents = lifecycle.issue(db, meeting, actor, today, reason)
    except lifecycle.MinutesError as error:
        raise _lifecycle_invalid(error, "reason" if reason else "minutes") from error
    page = f"/meetings/{meeting.id}/minutes"
    agencies = [d.agency_id for d in documents if d.agency_id is not None]
    notices.minutes_issued(
        db, meeting, agencies, full_link=page, extract_links=dict.fromkeys(agencies, page)
    )
    return documents


@operation
def approve_minutes(db: Session, actor: User, meeting_id: int, *, version: int) -> Minutes:
    """The chair (or, with no chair recorded, a coordinator running the panel) approves
    the draft once the meeting record is complete."""
    meeting = meeting_of(db, meeting_id)
    allow(lifecycle.can_approve(actor, meeting))
    _current(db, meeting, version)
    try:
        minutes = lifecycle.approve(db, meeting, actor)
    except lifecycle.MinutesError as error:
        raise _lifecycle_invalid(error) from error
    record(db, "minutes_approved", OBJECT, meeting.id, "Approved the minutes", user=actor)
    _flush_or_conflict(db)
    return minutes


@operation
def issue_minutes(
    db: Session, actor: User, meeting_id: int, *, version: int, today: date | None = None
) -> list[IssuedDocument]:
    """Issue version 1 of the approved minutes and every action-owning agency's extract.

    Minutes already issued are corrected (`correct_minutes`), never issued again.
    """
    meeting = meeting_of(db, meeting_id)
    allow(lifecycle.can_issue(actor, meeting))
    if lifecycle.minutes_of(db, meeting).status == MinutesStatus.ISSUED.value:
        message = "These minutes are already issued: issue a correction with a reason instead"
        raise Invalid({"minutes": message}, message)
    _current(db, meeting, version)
    documents = _issue_and_notify(db, actor, meeting, today or uk_today())
    record(
        db,
        "minutes_issued",
        OBJECT,
        meeting.id,
        "Issued version 1 of the minutes and extracts",
        user=actor,
    )
    _flush_or_conflict(db)
    return documents


@operation
def correct_minutes(
    db: Session,
    actor: User,
    meeting_id: int,
    *,
    version: int,
    reason: str,
    today: date | None = None,
) -> list[IssuedDocument]:
    """Issue a corrected version of issued minutes; the reason is shown with it."""
    meeting = meeting_of(db, meeting_id)
    allow(lifecycle.can_issue(actor, meeting))
    minutes = lifecycle.minutes_of(db, meeting)
    if minutes.status != MinutesStatus.ISSUED.value:
        raise NotFound()
    _current(db, meeting, version)
    reason = reason.strip()
    if not reason:
        raise Invalid({"reason": "Enter the reason for the correction"})
    if len(reason) > REASON_LIMIT:
        raise Invalid({"reason": f"The reason must be {REASON_LIMIT} characters or fewer"})
    number = minutes.current_version + 1
    documents = _issue_and_notify(db, actor, meeting, today or uk_today(), reason)
    record(
        db,
        "minutes_corrected",
        OBJECT,
        meeting.id,
        f"Issued correction version {number} (reason given)",
        user=actor,
    )
    _flush_or_conflict(db)
    return documents


@operation
def preview_minutes(db: Session, actor: User, meeting_id: int) -> bytes:
    """The draft as it would be issued today, for the coordinator to check (not stored)."""
    meeting = meeting_of(db, meeting_id)
    allow(runs_panel(actor, meeting.panel))
    pdf = render_full_minutes(gather_minutes(db, meeting), None, None)
    record(db, "minutes_previewed", OBJECT, meeting.id, "Previewed the draft minutes", user=actor)
    return pdf.pdf


@operation
def download_document(
    db: Session, actor: User, meeting_id: int, document_id: int
) -> IssuedDocument:
    """An issued PDF exactly as stored, for someone who may have it; audited."""
    meeting = meeting_of(db, meeting_id)
    document = db.get(IssuedDocument, document_id)
    if document is None or document.meeting_id != meeting.id:
        raise NotFound()
    allow(lifecycle.can_download(actor, meeting, document))
    kind = "minutes" if document.kind == DocumentKind.FULL.value else "extract"
    record(
        db,
        "minutes_downloaded",
        OBJECT,
        meeting.id,
        f"Downloaded {kind} version {document.version_number} (document {document.id}, "
        f"sha256 {document.sha256[:12]})",
        user=actor,
    )
    return document


@operation
def download_agenda(db: Session, actor: User, meeting_id: int) -> bytes:
    """The published agenda as a PDF, rendered as it stands (amendments included)."""
    meeting = meeting_of(db, meeting_id)
    allow(lifecycle.can_download_agenda(actor, meeting))
    pdf = render_agenda(meeting, gather_agenda(db, meeting))
    record(db, "agenda_downloaded", "meeting", meeting.id, "Downloaded the agenda PDF", user=actor)
    return pdf.pdf
