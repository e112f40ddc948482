"""The minutes side's answers to lower capabilities' signals.

An action's page asks for documents about the action; the owning agency's users get
their agency's current extract of the minutes of the meeting that agreed it (how an
action owner who does not sit on the panel reaches the record of what was agreed).
Imported by `create_app`, so the receivers are always connected.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from marac.actions.models import Action
from marac.actions.signals import ActionDocument, documents_requested
from marac.minutes.queries import current_extract_id


@documents_requested.connect
def action_extract(action: Action, *, db: Session, viewer: Any, **_: Any) -> list[ActionDocument]:
    if not action.meeting_id or viewer.agency_id != action.agency_id:
        return []
    extract_id = current_extract_id(db, action.meeting_id, action.agency_id)
    if extract_id is None:
        return []
    return [
        ActionDocument(
            "Download your agency's extract of the minutes (PDF)",
            "minutes.download",
            {"meeting_id": action.meeting_id, "document_id": extract_id},
        )
    ]
