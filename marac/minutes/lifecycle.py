"""Who may approve, issue and download the minutes, and the issue itself. No Flask here
(the document store is passed in).

Approval is the chair's: the user named as the panel's chair. A panel with no chair
recorded is approved by a coordinator running it (they chair in practice). Issuing and
corrections are the coordinator's (someone running the panel). Downloads follow
need-to-know: the full minutes go to members of the panel's agencies, an extract to the
users of its agency, and superseded versions only to the coordinators.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from marac.accounts.models import Role
from marac.db import utcnow
from marac.minutes.content import MinutesContent, gather_minutes
from marac.minutes.models import DocumentKind, IssuedDocument, Minutes, MinutesStatus
from marac.minutes.render import RenderedPdf, render_extract, render_full_minutes
from marac.panels.access import runs_panel, sits_on_panel
from marac.panels.models import AgendaStatus, Meeting, MeetingStatus

if TYPE_CHECKING:
    from marac.storage.backends import Store


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


@dataclass(frozen=True)
class StoredDocument:
    """One rendered document already in the store, waiting to be made visible."""

    kind: str
    agency_id: int | None
    key: str
    size: int
    sha256: str
    page_count: int


def check_issue(minutes: Minutes, reason: str = "") -> int:
    """The number the next version would carry, if issuing is allowed now."""
    if minutes.status == MinutesStatus.DRAFT.value:
        raise MinutesError("The chair must approve the minutes before they are issued")
    if minutes.status == MinutesStatus.ISSUED.value and not reason.strip():
        raise MinutesError("Enter the reason for the correction")
    return minutes.current_version + 1


def plan(content: MinutesContent) -> list[tuple[str, int | None]]:
    """The documents of one version: the full minutes, then one extract per agency."""
    return [(DocumentKind.FULL.value, None)] + [
        (DocumentKind.EXTRACT.value, agency_id) for agency_id in content.agencies_with_actions()
    ]


def document_key(meeting_id: int, batch: str, kind: str, agency_id: int | None) -> str:
    """Where a document of one issuing run lives: the same key on a rerun, which overwrites."""
    name = "full" if agency_id is None else f"extract-{agency_id}"
    return f"minutes/{meeting_id}/{batch}/{name}.pdf"


def render_document(
    content: MinutesContent, kind: str, agency_id: int | None, number: int, today: date
) -> RenderedPdf:
    if kind == DocumentKind.FULL.value:
        return render_full_minutes(content, number, today)
    assert agency_id is not None
    return render_extract(content, agency_id, number, today)


def store_document(
    store: Store, key: str, kind: str, agency_id: int | None, pdf: RenderedPdf
) -> StoredDocument:
    stored = store.put(key, pdf.pdf)
    return StoredDocument(kind, agency_id, stored.key, stored.size, stored.sha256, pdf.page_count)


def record_issue(
    session: Session,
    meeting: Meeting,
    user: Any,
    number: int,
    documents: list[StoredDocument],
    reason: str = "",
) -> list[IssuedDocument]:
    """Make version `number` visible: every document is already stored. Earlier versions
    are kept (marked superseded), never changed."""
    minutes = minutes_of(session, meeting)
    session.execute(
        update(IssuedDocument)
        .where(IssuedDocument.meeting_id == meeting.id, IssuedDocument.superseded.is_(False))
        .values(superseded=True)
    )
    now = utcnow()
    issued = [
        IssuedDocument(
            meeting_id=meeting.id,
            kind=d.kind,
            agency_id=d.agency_id,
            version_number=number,
            superseded=False,
            reason=reason.strip(),
            storage_key=d.key,
            pdf=None,
            sha256=d.sha256,
            size_bytes=d.size,
            page_count=d.page_count,
            issued_by_id=user.id,
            issued_at=now,
        )
        for d in documents
    ]
    session.add_all(issued)
    minutes.status = MinutesStatus.ISSUED.value
    minutes.current_version = number
    minutes.issued_by_id = user.id
    minutes.issued_at = now
    session.add(minutes)
    # The record is locked from now on; issuing a correction closes the correction.
    meeting.minutes_issued_at = now
    meeting.correction_open = False
    return issued


def issue(
    session: Session,
    meeting: Meeting,
    user: Any,
    today: date,
    store: Store,
    reason: str = "",
) -> list[IssuedDocument]:
    """Render, store and make visible the next version in one go (the demo data; the
    service issues through the `issue_minutes` job, which reports progress)."""
    number = check_issue(minutes_of(session, meeting), reason)
    content = gather_minutes(session, meeting)
    stored = [
        store_document(
            store,
            document_key(meeting.id, f"v{number}", kind, agency_id),
            kind,
            agency_id,
            render_document(content, kind, agency_id, number, today),
        )
        for kind, agency_id in plan(content)
    ]
    return record_issue(session, meeting, user, number, stored, reason)


def agenda_fingerprint(meeting: Meeting, lines: list[Any]) -> str:
    """What the agenda PDF is rendered from, hashed: an amendment (or a new venue, time or
    chair) changes it, so a stored copy is current exactly while it matches."""
    chair = meeting.panel.chair
    basis = (
        meeting.id,
        meeting.meeting_date.isoformat(),
        meeting.start_time.isoformat(),
        meeting.venue or "",
        meeting.panel.name,
        chair.name if chair else "",
        [repr(line) for line in lines],
    )
    return hashlib.sha256(repr(basis).encode()).hexdigest()


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
