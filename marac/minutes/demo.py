"""Issued minutes for the demo borough: the latest held meeting of each panel.

Rendering is the slow part (about a second a document), so only the most recent past
meeting of each panel gets its minutes and extracts issued (into the document store).
A second run leaves them.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.accounts.models import User
from marac.db import clock_at, utcnow
from marac.formatting import UK
from marac.minutes.lifecycle import issue
from marac.minutes.models import Minutes, MinutesStatus
from marac.panels.models import Meeting, MeetingStatus, Panel
from marac.storage.backends import store


def load_minutes_demo(db: Session) -> str:
    """Approve and issue the minutes of each panel's latest held meeting (idempotent)."""
    today = utcnow().date()
    issued = documents = 0
    for panel in db.scalars(select(Panel).order_by(Panel.id)):
        meeting = db.scalar(
            select(Meeting)
            .where(
                Meeting.panel_id == panel.id,
                Meeting.status == MeetingStatus.HELD.value,
                Meeting.meeting_date < today,
            )
            .order_by(Meeting.meeting_date.desc())
            .limit(1)
        )
        if meeting is None or db.get(Minutes, meeting.id) is not None:
            continue
        chair = panel.chair or db.scalar(select(User).where(User.email.like("coordinator@%")))
        if chair is None:
            continue
        # Approved two days after the meeting, issued the day after (never in the future):
        # the page, the PDFs and the notices all give the same dates.
        issued_on = min(meeting.meeting_date + timedelta(days=3), today)
        approved_on = min(meeting.meeting_date + timedelta(days=2), issued_on)
        approved_at = datetime.combine(approved_on, time(16, 0), tzinfo=UK).astimezone(UTC)
        issued_at = datetime.combine(issued_on, time(9, 30), tzinfo=UK).astimezone(UTC)
        db.add(
            Minutes(
                meeting_id=meeting.id,
                status=MinutesStatus.APPROVED.value,
                approved_by_id=chair.id,
                approved_at=min(approved_at, utcnow()),
            )
        )
        db.flush()
        with clock_at(min(issued_at, utcnow())):
            documents += len(issue(db, meeting, chair, issued_on, store()))
        issued += 1
    db.flush()
    if not issued:
        return "Demo minutes: nothing new to issue."
    return f"Demo minutes: issued the minutes of {issued} meetings ({documents} PDFs)."
