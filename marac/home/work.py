"""What is waiting for the signed-in person, counted for the home page.

Each role sees only its own lines: a referrer their drafts, requests for more information
and actions; a supervisor the assessments to endorse; a coordinator the screening queue,
high-risk cases not yet heard and the next meetings; a panel member the next meetings and
the research their agency still owes. A handful of aggregate queries whatever the volume.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import url_for
from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import Session

from marac.accounts.models import Role
from marac.assessments.access import is_supervisor_for
from marac.assessments.models import AssessmentStatus, RiskAssessment
from marac.meetings.models import AgendaItem, CaseResearch, ItemStatus
from marac.notify.models import OutboxMessage
from marac.panels.access import runs_panel, visible_panels
from marac.panels.models import AgendaStatus, Meeting, MeetingStatus, Panel
from marac.referrals.access import SCREENABLE_STATUSES, coordinator_scope
from marac.referrals.models import Referral, ReferralStatus
from marac.referrals.triggers import UNHEARD_STATUSES

UPCOMING_SHOWN = 4


@dataclass(frozen=True)
class WorkLine:
    """One thing waiting: how many, where to deal with them, and how pressing."""

    label: str
    count: int
    href: str
    urgent_count: int = 0  # shown as a red tag, e.g. overdue actions
    urgent_label: str = ""


@dataclass(frozen=True)
class UpcomingMeeting:
    meeting: Meeting
    cases: int | None  # listed on the agenda; None while members may not know
    research_owed: int | None  # listed cases without the member's agency's research


@dataclass(frozen=True)
class Work:
    lines: list[WorkLine]
    meetings: list[UpcomingMeeting]


def _total(condition: ColumnElement[bool]) -> Any:
    """COUNT with a condition, portable to SQLite and PostgreSQL."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def work_for(session: Session, user: Any, today: date, actions: tuple[int, int]) -> Work:
    """Everything waiting for `user` on `today`, in at most five queries.

    `actions` is (outstanding, overdue) from `marac.actions.context.action_counts`,
    which the header has already asked for on every page.
    """
    if user.has_role(Role.ADMIN):
        return Work(_admin_lines(session), [])
    lines: list[WorkLine] = []
    lines.extend(_assessment_lines(session, user))
    lines.extend(_referral_lines(session, user))
    lines.extend(_action_lines(actions))
    meetings = (
        _upcoming(session, user, today)
        if user.has_role(Role.COORDINATOR) or user.has_role(Role.MEMBER)
        else []
    )
    return Work(lines, meetings)


def _assessment_lines(session: Session, user: Any) -> list[WorkLine]:
    supervisor = is_supervisor_for(user, user.agency_id)
    to_endorse = and_(
        RiskAssessment.agency_id == user.agency_id,
        RiskAssessment.status == AssessmentStatus.SUBMITTED.value,
        RiskAssessment.assessor_id != user.id,
    )
    drafts, waiting = session.execute(
        select(
            _total(
                and_(
                    RiskAssessment.assessor_id == user.id,
                    RiskAssessment.status == AssessmentStatus.DRAFT.value,
                )
            ),
            _total(to_endorse),
        ).where(
            # Only drafts and submitted ones: finished assessments pile up over the years.
            RiskAssessment.status.in_(
                (AssessmentStatus.DRAFT.value, AssessmentStatus.SUBMITTED.value)
            ),
            (RiskAssessment.assessor_id == user.id) | (RiskAssessment.agency_id == user.agency_id),
        )
    ).one()
    lines = []
    if drafts:
        lines.append(
            WorkLine("Your unfinished risk assessments", drafts, url_for("assessments.index"))
        )
    if supervisor:
        lines.append(
            WorkLine(
                "Assessments waiting for your endorsement",
                waiting,
                url_for("assessments.endorsement_queue"),
                urgent_count=waiting,
                urgent_label="to endorse",
            )
        )
    return lines


def _referral_lines(session: Session, user: Any) -> list[WorkLine]:
    asked = and_(Referral.referrer_id == user.id, Referral.status == ReferralStatus.MORE_INFO.value)
    columns = [_total(asked)]
    coordinator = user.has_role(Role.COORDINATOR)
    mine = coordinator_scope(user)
    if coordinator:
        columns.append(_total(and_(Referral.status.in_(SCREENABLE_STATUSES), mine)))
        columns.append(
            _total(and_(Referral.risk_level == "high", Referral.status.in_(UNHEARD_STATUSES), mine))
        )
    # Only open work is read: the coordinator's waiting referrals (on the area + status
    # index), never every referral the areas ever had.
    open_in_areas = and_(Referral.status.in_(UNHEARD_STATUSES), mine)
    relevant = or_(asked, open_in_areas) if coordinator else asked
    counts = session.execute(select(*columns).where(relevant)).one()
    lines = []
    if counts[0] or not coordinator:
        lines.append(
            WorkLine(
                "Your referrals with a request for more information",
                counts[0],
                url_for("referrals.index"),
                urgent_count=counts[0],
                urgent_label="to answer",
            )
        )
    if coordinator:
        lines.append(WorkLine("Referrals to screen", counts[1], url_for("referrals.screening")))
        lines.append(
            WorkLine(
                "High-risk cases not yet heard at a panel",
                counts[2],
                url_for("referrals.high_risk_waiting"),
            )
        )
    return lines


def _action_lines(actions: tuple[int, int]) -> list[WorkLine]:
    open_count, overdue_count = actions
    return [
        WorkLine(
            "Your open actions",
            open_count,
            url_for("actions.mine"),
            urgent_count=overdue_count,
            urgent_label="overdue",
        )
    ]


def _upcoming(session: Session, user: Any, today: date) -> list[UpcomingMeeting]:
    """The next scheduled meetings of the panels the user runs or sits on."""
    meetings = list(
        session.scalars(
            select(Meeting)
            .join(Panel, Panel.id == Meeting.panel_id)
            .where(
                visible_panels(user),
                Panel.active.is_(True),
                Meeting.status == MeetingStatus.SCHEDULED.value,
                Meeting.meeting_date >= today,
            )
            .order_by(Meeting.meeting_date, Meeting.start_time, Meeting.id)
            .limit(UPCOMING_SHOWN)
        )
    )
    if not meetings:
        return []
    researched = CaseResearch.id.is_not(None)
    rows = session.execute(
        select(AgendaItem.meeting_id, func.count(AgendaItem.id), _total(researched))
        .outerjoin(
            CaseResearch,
            and_(
                CaseResearch.meeting_id == AgendaItem.meeting_id,
                CaseResearch.referral_id == AgendaItem.referral_id,
                CaseResearch.agency_id == user.agency_id,
            ),
        )
        .where(
            AgendaItem.meeting_id.in_([m.id for m in meetings]),
            AgendaItem.status == ItemStatus.LISTED.value,
        )
        .group_by(AgendaItem.meeting_id)
    )
    counts = {meeting_id: (cases, done) for meeting_id, cases, done in rows}
    member = user.has_role(Role.MEMBER)
    result = []
    for meeting in meetings:
        cases, done = counts.get(meeting.id, (0, 0))
        published = meeting.agenda_status == AgendaStatus.PUBLISHED.value
        # Before publication the agenda is the chair's: members learn nothing of it.
        shown = cases if published or runs_panel(user, meeting.panel) else None
        owed = cases - done if member and published else None
        result.append(UpcomingMeeting(meeting, shown, owed))
    return result


def _admin_lines(session: Session) -> list[WorkLine]:
    """With the outbox backend every email stays unsent by design; failures matter."""
    failed = session.scalar(
        select(func.count(OutboxMessage.id)).where(
            OutboxMessage.sent_at.is_(None), OutboxMessage.error != ""
        )
    )
    return [
        WorkLine(
            "Emails that could not be sent",
            failed or 0,
            url_for("notify.outbox"),
            urgent_count=failed or 0,
            urgent_label="failed",
        )
    ]
