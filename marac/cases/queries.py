"""The case page's read: the referral's own page plus what the panel did with it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from marac.accounts.models import User
from marac.actions.rules import STATUS_LABELS as ACTION_STATUS_LABELS
from marac.attachments.queries import case_documents
from marac.meetings.agenda import KIND_LABELS as AGENDA_KIND_LABELS
from marac.meetings.agenda import panel_research_for
from marac.meetings.hearings import panel_history
from marac.referrals.models import Referral
from marac.referrals.queries import referral_page


def case_page(
    db: Session, viewer: User, referral: Referral, now: datetime, today: date
) -> dict[str, Any]:
    """Everything the case page shows, each part trimmed to what the viewer may see.

    The caller has checked `referrals.queries.visible_referral`; the panel's research
    and hearings apply their own need-to-know (published agendas, the viewer's panels).
    """
    page = referral_page(db, viewer, referral, now)
    page.update(
        panel_research=panel_research_for(db, viewer, referral.id),
        panel_history=panel_history(db, viewer, referral, today),
        kind_labels=AGENDA_KIND_LABELS,
        action_status_labels=ACTION_STATUS_LABELS,
        case_documents=case_documents(db, viewer, referral.id),
    )
    return page
