"""The reads the minutes pages share: the page's documents and names, an agency's extract.

No Flask here, so the API and jobs read the minutes the same way. Need-to-know follows
`minutes.lifecycle` (who may download which document).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.accounts.models import Agency, User
from marac.audit import record
from marac.jobs.models import Job
from marac.jobs.queries import latest_for
from marac.minutes import lifecycle
from marac.minutes.access import can_open_minutes
from marac.minutes.models import DocumentKind, IssuedDocument, Minutes
from marac.operations import NotFound, allow, operation
from marac.panels.access import runs_panel
from marac.panels.models import Meeting, MeetingStatus

MINUTES_JOBS = ("issue_minutes", "agenda_pdf")  # the kinds minutes.jobs handles


def meeting_of(db: Session, meeting_id: int) -> Meeting:
    """A meeting whose minutes may exist (a cancelled meeting has none): `NotFound`."""
    meeting = db.get(Meeting, meeting_id)
    if meeting is None or meeting.status == MeetingStatus.CANCELLED.value:
        raise NotFound()
    return meeting


def current_extract_id(db: Session, meeting_id: int, agency_id: int) -> int | None:
    """The id of the agency's current extract of the meeting's issued minutes, if any."""
    return db.scalar(
        select(IssuedDocument.id)
        .where(
            IssuedDocument.meeting_id == meeting_id,
            IssuedDocument.kind == DocumentKind.EXTRACT.value,
            IssuedDocument.agency_id == agency_id,
            IssuedDocument.superseded.is_(False),
        )
        .order_by(IssuedDocument.version_number.desc())
        .limit(1)
    )


@dataclass
class MinutesPage:
    """What the minutes page shows: the minutes, the documents the viewer may download,
    and the names beside them."""

    meeting: Meeting
    minutes: Minutes
    documents: list[IssuedDocument]
    agency_names: dict[int, str]
    people: dict[int, str]
    job: Job | None = None  # the latest issuing job, for those running the panel


@operation
def minutes_page(db: Session, viewer: Any, meeting_id: int) -> MinutesPage:
    """The minutes page for someone who may open it (`Refused` otherwise); audited."""
    meeting = meeting_of(db, meeting_id)
    allow(can_open_minutes(db, viewer, meeting))
    minutes = lifecycle.minutes_of(db, meeting)
    documents = [
        d
        for d in lifecycle.issued_documents(db, meeting.id)
        if lifecycle.can_download(viewer, meeting, d)
    ]
    agency_ids = {d.agency_id for d in documents} - {None}
    names = (
        {a.id: a.name for a in db.scalars(select(Agency).where(Agency.id.in_(agency_ids)))}
        if agency_ids
        else {}
    )
    user_ids = {minutes.approved_by_id, minutes.issued_by_id} - {None}
    people = (
        {u.id: u.name for u in db.scalars(select(User).where(User.id.in_(user_ids)))}
        if user_ids
        else {}
    )
    record(
        db,
        "minutes_viewed",
        "minutes",
        meeting.id,
        f"Viewed the minutes page of meeting {meeting.id}",
        user=viewer,
    )
    job = (
        latest_for(db, "issue_minutes", "minutes", meeting.id)
        if runs_panel(viewer, meeting.panel)
        else None
    )
    return MinutesPage(meeting, minutes, documents, names, people, job)


def meeting_job(db: Session, viewer: Any, meeting_id: int, job_id: int) -> tuple[Meeting, Job]:
    """A minutes job of this meeting, for the coordinator who asked or one running the
    panel; anyone else (or a job of another meeting) gets `NotFound`."""
    meeting = meeting_of(db, meeting_id)
    job = db.get(Job, job_id)
    if (
        job is None
        or job.kind not in MINUTES_JOBS
        or job.object_id != meeting.id
        or not (job.requested_by_id == viewer.id or runs_panel(viewer, meeting.panel))
    ):
        raise NotFound()
    return meeting, job
