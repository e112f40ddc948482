"""Reads of attachments, need-to-know inside: one record's list and many records' lists.

Every list is one query (attachments joined to their uploaders, the viewer's right to
each record checked in the same statement), whatever the number of records.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.accounts.models import User
from marac.actions.models import Action
from marac.attachments import access, rules
from marac.attachments.models import STATUS_LABELS, Attachment, AttachmentStatus
from marac.incidents.models import Incident
from marac.incidents.titles import title_for
from marac.operations import NotFound, allow
from marac.referrals.models import ReferralIncident
from marac.storage.filetypes import label


@dataclass(frozen=True)
class AttachmentLine:
    """One document as a list shows it."""

    id: int
    owner_kind: str
    owner_id: int
    filename: str
    description: str
    type_label: str
    size_text: str
    uploaded_by: str
    uploaded_at: datetime
    status: str
    incident_title: str = ""  # for a document on an incident: "Verbal abuse, 3 March 2026"

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def downloadable(self) -> bool:
        return self.status == AttachmentStatus.CLEAN.value


def _lines(db: Session, where: Any) -> list[AttachmentLine]:
    rows = db.execute(
        select(Attachment, User.name, Incident.incident_type, Incident.occurred_at)
        .join(User, User.id == Attachment.uploaded_by_id)
        .outerjoin(Incident, Incident.id == Attachment.incident_id)
        .where(where)
        .order_by(Attachment.uploaded_at.desc(), Attachment.id.desc())
    )
    lines = []
    for attachment, uploader, incident_type, occurred_at in rows:
        kind, owner_id = attachment.owner
        lines.append(
            AttachmentLine(
                id=attachment.id,
                owner_kind=kind,
                owner_id=owner_id,
                filename=attachment.filename,
                description=attachment.description,
                type_label=label(attachment.mime) or "Unknown type",
                size_text=rules.size_text(attachment.size),
                uploaded_by=uploader,
                uploaded_at=attachment.uploaded_at,
                status=attachment.status,
                incident_title=title_for(incident_type, occurred_at) if incident_type else "",
            )
        )
    return lines


def attachment_lines(
    db: Session,
    viewer: Any,
    *,
    incident_ids: Iterable[int] | Any = (),
    referral_ids: Iterable[int] | Any = (),
    action_ids: Iterable[int] | Any = (),
) -> list[AttachmentLine]:
    """The attachments on these records that the viewer may see, newest first (one query).

    Each argument may be ids or a subquery of ids (a case's incidents, a person's
    referrals); a record the viewer may not see contributes nothing.
    """

    def ids(value: Any) -> Any:
        return list(value) if isinstance(value, list | set | tuple) else value

    return _lines(
        db,
        access.viewable_attachments(
            viewer,
            incident_ids=ids(incident_ids),
            referral_ids=ids(referral_ids),
            action_ids=ids(action_ids),
        ),
    )


@dataclass(frozen=True)
class Panel:
    """The attachments block of a record's page: the list and whether to offer the form."""

    owner: access.Owner
    lines: list[AttachmentLine]
    can_add: bool


def record_panel(
    db: Session, viewer: Any, kind: str, record_id: int, *, listed: bool = True
) -> Panel | None:
    """What a record's page shows about its documents; None if the viewer may not see it.

    `listed=False` skips the list, for a page that lists more (the case page).
    """
    try:
        owner = access.load_owner(db, kind, record_id)
    except NotFound:
        return None
    if not access.can_view(db, viewer, owner):
        return None
    lines = _lines(db, getattr(Attachment, f"{kind}_id") == record_id) if listed else []
    return Panel(owner, lines, access.can_add(db, viewer, owner))


def upload_target(db: Session, viewer: Any, kind: str, record_id: int) -> access.Owner:
    """The record the upload page is for, if the viewer may add to it (`NotFound`/`Refused`)."""
    owner = access.load_owner(db, kind, record_id)
    allow(access.can_add(db, viewer, owner))
    return owner


def case_documents(db: Session, viewer: Any, referral_id: int) -> list[AttachmentLine]:
    """The documents of a case: on the referral, its incidents and its actions, each only
    if the viewer may see that record (the case page and the meeting record; one query)."""
    return attachment_lines(
        db,
        viewer,
        referral_ids=[referral_id],
        incident_ids=select(ReferralIncident.incident_id).where(
            ReferralIncident.referral_id == referral_id
        ),
        action_ids=select(Action.id).where(Action.referral_id == referral_id),
    )
