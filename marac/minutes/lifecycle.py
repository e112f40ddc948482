"""Who may approve, issue and download the minutes, and the issue itself. No Flask here.

Approval is the chair's: the user named as the panel's chair. A panel with no chair
recorded is approved by a coordinator running it (they chair in practice). Issuing and
corrections are the coordinator's (someone running the panel). Downloads follow
need-to-know: the full minutes go to members of the panel's agencies, an extract to the
users of its agency, and superseded versions only to the coordinators.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from marac.accounts.models import Role
from marac.db import utcnow
from marac.minutes.content import gather_minutes
from marac.minutes.models import DocumentKind, IssuedDocument, Minutes, MinutesStatus
from marac.minutes.render import render_extract, render_full_minutes
from marac.panels.access import runs_panel, sits_on_panel
from marac.panels.models import AgendaStatus, Meeting, MeetingStatus


class MinutesError(Exception):
    """A lifecycle step that is not allowed now; the message is shown to the user."""


def minutes_of(session: Session, meeting: Meeting) -> Minutes:
    """The meeting's minutes row (a draft, not yet added, when none exists)."""
    found = session.get(Minutes, meeting.id)
    return found or Minutes(meeting_id=meeting.id, status=MinutesStatus.DRAFT.value)


def can_approve(user: Any, meeting: Meeting) -> bool:
    chair_id = meeting.panel.chair_id
    if chair_id is not None:
        return bool(user.id == chair_id and user.has_role(Role.COORDINATOR))
    return runs_panel(user, meeting.panel)


def can_issue(user: Any, meeting: Meeting) -> bool:
    return runs_panel(user, meeting.panel)


def can_download(user: Any, meeting: Meeting, document: IssuedDocument) -> bool:
    """Coordinators every version; others only the current version they need."""
    if runs_panel(user, meeting.panel):
        return True
    if document.superseded or user.has_role(Role.ADMIN):
        return False
    if document.kind == DocumentKind.FULL.value:
        return sits_on_panel(user, meeting.panel)
    if document.kind == DocumentKind.EXTRACT.value:
        return document.agency_id == user.agency_id
    return False


def can_download_agenda(user: Any, meeting: Meeting) -> bool:
    if meeting.agenda_status != AgendaStatus.PUBLISHED.value:
        return False
    return runs_panel(user, meeting.panel) or sits_on_panel(user, meeting.panel)


def approve(session: Session, meeting: Meeting, user: Any) -> Minutes:
    """The chair approves the draft once the meeting record is complete."""
    minutes = minutes_of(session, meeting)
    if meeting.status != MeetingStatus.HELD.value:
        raise MinutesError("Complete the meeting record before the minutes are approved")
    if minutes.status != MinutesStatus.DRAFT.value:
        raise MinutesError("These minutes have already been approved")
    minutes.status = MinutesStatus.APPROVED.value
    minutes.approved_by_id = user.id
    minutes.approved_at = utcnow()
    session.add(minutes)
    return minutes


def issue(
    session: Session, meeting: Meeting, user: Any, today: date, reason: str = ""
) -> list[IssuedDocument]:
    """Render and store the full minutes and every agency's extract as the next version.

    The first issue needs the chair's approval; a later one is a correction and needs a
    reason. Earlier versions are kept (marked superseded), never changed.
    """
    minutes = minutes_of(session, meeting)
    correcting = minutes.status == MinutesStatus.ISSUED.value
    if minutes.status == MinutesStatus.DRAFT.value:
        raise MinutesError("The chair must approve the minutes before they are issued")
    if correcting and not reason.strip():
        raise MinutesError("Enter the reason for the correction")
    number = minutes.current_version + 1
    content = gather_minutes(session, meeting)
    rendered = [(DocumentKind.FULL, None, render_full_minutes(content, number, today))]
    for agency_id in content.agencies_with_actions():
        rendered.append(
            (DocumentKind.EXTRACT, agency_id, render_extract(content, agency_id, number, today))
        )
    session.execute(
        update(IssuedDocument)
        .where(IssuedDocument.meeting_id == meeting.id, IssuedDocument.superseded.is_(False))
        .values(superseded=True)
    )
    now = utcnow()
    documents = [
        IssuedDocument(
            meeting_id=meeting.id,
            kind=kind.value,
            agency_id=agency_id,
            version_number=number,
            superseded=False,
            reason=reason.strip(),
            pdf=pdf.pdf,
            sha256=pdf.sha256,
            size_bytes=len(pdf.pdf),
            page_count=pdf.page_count,
            issued_by_id=user.id,
            issued_at=now,
        )
        for kind, agency_id, pdf in rendered
    ]
    session.add_all(documents)
    minutes.status = MinutesStatus.ISSUED.value
    minutes.current_version = number
    minutes.issued_by_id = user.id
    minutes.issued_at = now
    session.add(minutes)
    return documents


def issued_documents(session: Session, meeting_id: int) -> list[IssuedDocument]:
    """Every issued version, newest first; the PDF bytes are not loaded for the list."""
    from sqlalchemy.orm import defer

    return list(
        session.scalars(
            select(IssuedDocument)
            .where(IssuedDocument.meeting_id == meeting_id)
            .options(defer(IssuedDocument.pdf))
            .order_by(
                IssuedDocument.version_number.desc(),
                IssuedDocument.kind.desc(),
                IssuedDocument.agency_id,
            )
        )
    )
