"""Who may open a meeting's minutes page. A plain rule over the stored documents.

The page names the meeting, its status and who approved and issued it, so it follows the
documents: the panel's coordinators and chair, the member agencies' representatives, and
otherwise only someone with a document of the meeting they may download (their agency's
current extract). Holding an action, or belonging to an agency, is not enough on its own.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from marac.minutes import lifecycle
from marac.panels.access import runs_panel, sits_on_panel
from marac.panels.models import Meeting


def can_open_minutes(session: Session, user: Any, meeting: Meeting) -> bool:
    if runs_panel(user, meeting.panel) or lifecycle.can_approve(user, meeting):
        return True
    if sits_on_panel(user, meeting.panel):
        return True
    documents = lifecycle.issued_documents(session, meeting.id)
    return any(lifecycle.can_download(user, meeting, d) for d in documents)
