"""The demo meetings: held past meetings with records and actions, the next agenda built."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marac.accounts.models import User
from marac.actions.models import OUTSTANDING_STATUSES, Action, ActionStatus
from marac.db import utcnow
from marac.demo import load_demo_data
from marac.meetings.models import AgencyAttendance, AgendaItem, Attendee, Decision
from marac.panels.models import AgendaStatus, Meeting, MeetingStatus
from marac.referrals.models import Referral, ReferralStatus


def test_demo_holds_past_meetings_and_builds_the_next_agendas(app: Flask, db: Session) -> None:
    with app.app_context():  # the minutes demo puts its PDFs in the app's store
        summary = load_demo_data(db)
    assert "Demo meetings: held" in summary
    today = utcnow().date()

    held = list(db.scalars(select(Meeting).where(Meeting.status == MeetingStatus.HELD.value)))
    assert held and all(m.meeting_date < today for m in held)
    assert all(m.agenda_status == AgendaStatus.PUBLISHED.value for m in held)
    assert db.scalar(select(func.count()).select_from(AgencyAttendance)) > 0
    assert db.scalar(select(func.count()).where(Attendee.confidentiality_acknowledged)) > 0

    decisions = set(db.scalars(select(AgendaItem.decision).distinct()))
    assert {Decision.REVIEW.value, Decision.CLOSE.value} <= decisions
    closed = db.scalars(select(Referral).where(Referral.status == ReferralStatus.CLOSED.value))
    assert all(r.outcome and r.closed_at for r in closed)

    statuses = set(db.scalars(select(Action.status).distinct()))
    assert ActionStatus.COMPLETED.value in statuses
    overdue = db.scalar(
        select(func.count(Action.id)).where(
            Action.status.in_(OUTSTANDING_STATUSES), Action.due_date < today
        )
    )
    assert overdue > 0
    # Actions go to an agency's officers where it has them (a housing officer works
    # housing's actions), to its panel member only where it has no officer.
    named = db.execute(
        select(User.role, User.agency_id).join(Action, Action.officer_id == User.id)
    ).all()
    with_officers = set(db.scalars(select(User.agency_id).where(User.role == "referrer")))
    assert named and all(role == "referrer" for role, agency in named if agency in with_officers)
    assert any(role == "member" for role, agency in named if agency not in with_officers)

    # Every panel's next meeting has a built agenda that is not yet published.
    upcoming = db.scalars(
        select(Meeting)
        .where(Meeting.meeting_date >= today, Meeting.status == MeetingStatus.SCHEDULED.value)
        .order_by(Meeting.meeting_date)
    )
    first_per_panel: dict[int, Meeting] = {}
    for meeting in upcoming:
        first_per_panel.setdefault(meeting.panel_id, meeting)
    assert len(first_per_panel) == 3
    assert all(m.agenda_status == AgendaStatus.DRAFT.value for m in first_per_panel.values())

    # A second run adds nothing.
    items = db.scalar(select(func.count(AgendaItem.id)))
    again = load_demo_data(db)
    assert "Demo meetings: already present." in again
    assert db.scalar(select(func.count(AgendaItem.id))) == items
