"""Who may see a meeting, run it, and see the cases listed on its agenda.

Members of a panel's agencies learn about a case only when the chair publishes an
agenda that lists it, and lose sight of it when the panel closes it: need-to-know
(DESIGN §2, issue 4 item 10). Each rule has a plain form and, where lists need it,
a SQL twin, so a page and a list never disagree.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, select
from sqlalchemy.orm import Session

from marac.accounts.models import Role
from marac.meetings.models import AgendaItem, ItemStatus
from marac.panels.access import runs_panel, sits_on_panel
from marac.panels.models import AgendaStatus, Meeting, panel_agency
from marac.referrals.models import Referral, ReferralStatus

# An item still "on" the agenda for members: listed, or deferred to the next meeting.
VISIBLE_ITEM_STATUSES = (ItemStatus.LISTED.value, ItemStatus.DEFERRED.value)


def _published_listing(user: Any, referral_id: Any) -> ColumnElement[bool]:
    """EXISTS: the referral is on a published agenda of a panel the user's agency sits on."""
    return exists().where(
        AgendaItem.referral_id == referral_id,
        AgendaItem.status.in_(VISIBLE_ITEM_STATUSES),
        Meeting.id == AgendaItem.meeting_id,
        Meeting.agenda_status == AgendaStatus.PUBLISHED.value,
        panel_agency.c.panel_id == Meeting.panel_id,
        panel_agency.c.agency_id == user.agency_id,
    )


def member_viewable_referrals(user: Any) -> ColumnElement[bool]:
    """WHERE clause on Referral: the cases a panel member may see (none for other roles)."""
    if not user.has_role(Role.MEMBER):
        return false()
    return and_(
        Referral.status != ReferralStatus.CLOSED.value,
        _published_listing(user, Referral.id),
    )


def member_can_view_referral(session: Session, user: Any, referral_id: int) -> bool:
    """One query: is the case listed on a published agenda of the member's panels, and open?"""
    if not user.has_role(Role.MEMBER):
        return False
    found = session.scalar(
        select(Referral.id).where(Referral.id == referral_id, member_viewable_referrals(user))
    )
    return found is not None


def can_run_meeting(user: Any, meeting: Meeting) -> bool:
    """The coordinators of the panel's areas build the agenda and record the meeting."""
    return runs_panel(user, meeting.panel)


def can_see_meeting(user: Any, meeting: Meeting) -> bool:
    """Those who run the panel, and members whose agency sits on it."""
    return runs_panel(user, meeting.panel) or sits_on_panel(user, meeting.panel)
