"""A case's history at the panel, for its referral page: each meeting that listed it, what
the panel decided, and the actions it agreed, with their progress.

Only the panel's own people see it: the coordinators running a meeting's panel, and
members of its agencies once the agenda is published. A referrer sees the referral's
status, not the panel's discussion (DESIGN.md §2). Three queries whatever the history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.accounts.models import Agency
from marac.actions.access import can_view_action
from marac.actions.models import Action
from marac.actions.rules import in_owner_order, is_overdue
from marac.meetings.models import AgendaItem, Decision, ItemStatus
from marac.panels.access import runs_panel, sits_on_panel
from marac.panels.models import AgendaStatus, Meeting, MeetingStatus
from marac.referrals.models import Referral


@dataclass(frozen=True)
class Hearing:
    """One meeting's listing of the case and, once held, what was decided."""

    meeting: Meeting
    item: AgendaItem
    review_date: date | None  # the meeting a "review" decision set

    @property
    def outcome(self) -> str:
        """What happened, in the panel's words, for the history table."""
        item = self.item
        if item.status == ItemStatus.DEFERRED.value:
            return f"Deferred to the next meeting: {item.status_reason}"
        if item.status == ItemStatus.REMOVED.value:
            return f"Taken off the agenda: {item.status_reason}"
        if item.decision == Decision.CLOSE.value:
            return "Closed"
        if item.decision == Decision.REVIEW.value:
            return "Kept open for review"
        if self.meeting.status == MeetingStatus.SCHEDULED.value:
            return "To be heard"
        return "No decision recorded"


@dataclass(frozen=True)
class CaseAction:
    action: Action
    agency: str
    overdue: bool
    can_open: bool


@dataclass(frozen=True)
class PanelHistory:
    hearings: list[Hearing]
    actions: list[CaseAction]

    @property
    def agreed_risk(self) -> tuple[str, date] | None:
        """The risk level the panel last agreed after discussion, and when."""
        for hearing in reversed(self.hearings):
            if hearing.item.risk_level_after:
                return hearing.item.risk_level_after, hearing.meeting.meeting_date
        return None


def _may_see(user: Any, meeting: Meeting) -> bool:
    if runs_panel(user, meeting.panel):
        return True
    published = meeting.agenda_status == AgendaStatus.PUBLISHED.value
    return published and sits_on_panel(user, meeting.panel)


def panel_history(
    session: Session, user: Any, referral: Referral, today: date
) -> PanelHistory | None:
    """The case's hearings and actions as `user` may see them, or None if they may not."""
    rows = session.execute(
        select(AgendaItem, Meeting)
        .join(Meeting, Meeting.id == AgendaItem.meeting_id)
        .where(
            AgendaItem.referral_id == referral.id,
            Meeting.status != MeetingStatus.CANCELLED.value,
        )
        .order_by(Meeting.meeting_date, Meeting.id)
    ).all()
    visible = [(item, meeting) for item, meeting in rows if _may_see(user, meeting)]
    if not visible:
        return None
    review_ids = {i.review_meeting_id for i, _ in visible if i.review_meeting_id}
    review_dates: dict[int, date] = {}
    if review_ids:
        found = session.execute(
            select(Meeting.id, Meeting.meeting_date).where(Meeting.id.in_(review_ids))
        )
        review_dates = {meeting_id: day for meeting_id, day in found}
    hearings = [
        Hearing(meeting, item, review_dates.get(item.review_meeting_id or 0))
        for item, meeting in visible
    ]
    action_rows = session.execute(
        select(Action, Agency.name)
        .join(Agency, Agency.id == Action.agency_id)
        .where(Action.referral_id == referral.id)
    ).all()
    names = {action.id: name for action, name in action_rows}
    actions = [
        CaseAction(
            action,
            names[action.id],
            is_overdue(action.status, action.due_date, today),
            can_view_action(user, action, referral.area_id),
        )
        for action in in_owner_order((a for a, _ in action_rows), today)
    ]
    return PanelHistory(hearings, actions)
