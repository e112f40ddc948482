"""Reads the meeting pages share with the API and jobs: bounded, and need-to-know checked.

Each function takes the viewer and raises `NotFound` or `Refused` itself, so no door can
read a meeting or a case its user may not see.
"""

from __future__ import annotations

# ---- agenda ------------------------------------------------------------------------------
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from marac.accounts.models import Agency, Role, User
from marac.meetings.access import can_run_meeting, can_see_meeting
from marac.meetings.agenda import AgendaRow, agenda_rows, research_responses
from marac.meetings.models import AgendaAmendment, AgendaItem, CaseResearch, ItemStatus
from marac.operations import NotFound, Refused, allow
from marac.panels.access import sits_on_panel, visible_panels
from marac.panels.models import AgendaStatus, Meeting, MeetingStatus, Panel
from marac.people.models import Person
from marac.referrals.models import Referral, ReferralStatus

RECENT_DAYS = 365
LIST_LIMIT = 25

MEETING_STATUS_LABELS: dict[str, str] = {
    MeetingStatus.SCHEDULED.value: "Scheduled",
    MeetingStatus.CANCELLED.value: "Cancelled",
    MeetingStatus.HELD.value: "Held",
}


def is_published(meeting: Meeting) -> bool:
    return meeting.agenda_status == AgendaStatus.PUBLISHED.value


def _meeting(db: Session, meeting_id: int) -> Meeting:
    meeting = db.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound()
    return meeting


def running_meeting(db: Session, viewer: Any, meeting_id: int) -> Meeting:
    """The meeting, if the viewer is a coordinator running its panel (`Refused` otherwise)."""
    meeting = _meeting(db, meeting_id)
    allow(can_run_meeting(viewer, meeting))
    return meeting


def agenda_item(db: Session, meeting: Meeting, item_id: int) -> tuple[AgendaItem, Referral]:
    """One item of this meeting's agenda, with its case (`NotFound` if it is not on it)."""
    item = db.get(AgendaItem, item_id)
    if item is None or item.meeting_id != meeting.id:
        raise NotFound()
    referral = db.get(Referral, item.referral_id)
    assert referral is not None
    return item, referral


def agenda_items(db: Session, meeting: Meeting) -> list[AgendaItem]:
    """Every item of the agenda in position order (one query)."""
    return list(
        db.scalars(
            select(AgendaItem)
            .where(AgendaItem.meeting_id == meeting.id)
            .order_by(AgendaItem.position, AgendaItem.id)
        )
    )


def listed_count(db: Session, meeting: Meeting) -> int:
    return (
        db.scalar(
            select(func.count())
            .select_from(AgendaItem)
            .where(
                AgendaItem.meeting_id == meeting.id, AgendaItem.status == ItemStatus.LISTED.value
            )
        )
        or 0
    )


def meetings_list(db: Session, viewer: Any, today: date) -> tuple[list[Row[Any]], list[Row[Any]]]:
    """Upcoming (soonest first) and recent (latest first) meetings of the viewer's panels,
    each with its count of listed cases; members see published agendas only (two queries)."""
    counts = (
        select(AgendaItem.meeting_id, func.count().label("cases"))
        .where(AgendaItem.status == ItemStatus.LISTED.value)
        .group_by(AgendaItem.meeting_id)
        .subquery()
    )
    conditions = [visible_panels(viewer)]
    if not viewer.has_role(Role.COORDINATOR):
        conditions.append(Meeting.agenda_status == AgendaStatus.PUBLISHED.value)
    base = (
        select(Meeting, func.coalesce(counts.c.cases, 0))
        .join(Panel, Panel.id == Meeting.panel_id)
        .outerjoin(counts, counts.c.meeting_id == Meeting.id)
        .where(*conditions)
    )
    upcoming = db.execute(
        base.where(Meeting.meeting_date >= today)
        .order_by(Meeting.meeting_date, Meeting.start_time, Meeting.id)
        .limit(LIST_LIMIT)
    ).all()
    recent = db.execute(
        base.where(
            Meeting.meeting_date < today,
            Meeting.meeting_date >= today - timedelta(days=RECENT_DAYS),
        )
        .order_by(Meeting.meeting_date.desc(), Meeting.id.desc())
        .limit(LIST_LIMIT)
    ).all()
    return list(upcoming), list(recent)


@dataclass
class MeetingPage:
    """What the meeting page shows the viewer, already cut to what they may see."""

    meeting: Meeting
    runs: bool
    published: bool
    listed: list[AgendaRow] = field(default_factory=list)
    others: list[AgendaRow] = field(default_factory=list)
    responded: dict[int, set[int]] = field(default_factory=dict)
    amendments: list[Row[Any]] = field(default_factory=list)
    agencies: list[Agency] = field(default_factory=list)


def meeting_page(db: Session, viewer: Any, meeting_id: int) -> MeetingPage:
    """The meeting and its agenda for the viewer, in a fixed number of queries.

    Members see nothing of the agenda before publication, and never the removed cases.
    """
    meeting = _meeting(db, meeting_id)
    allow(can_see_meeting(viewer, meeting))
    runs = can_run_meeting(viewer, meeting)
    published = is_published(meeting)
    rows = agenda_rows(db, meeting) if (runs or published) else []
    if not runs:
        rows = [r for r in rows if r.item.status != ItemStatus.REMOVED.value]
    panel_agencies = {a.id for a in meeting.panel.agencies}
    responded = {
        referral_id: agency_ids & panel_agencies
        for referral_id, agency_ids in (research_responses(db, meeting) if rows else {}).items()
    }
    amendments = (
        list(
            db.execute(
                select(AgendaAmendment, User.name)
                .outerjoin(User, User.id == AgendaAmendment.user_id)
                .where(AgendaAmendment.meeting_id == meeting.id)
                .order_by(AgendaAmendment.created_at, AgendaAmendment.id)
            ).all()
        )
        if published
        else []
    )
    return MeetingPage(
        meeting=meeting,
        runs=runs,
        published=published,
        listed=[r for r in rows if r.item.status == ItemStatus.LISTED.value],
        others=[r for r in rows if r.item.status != ItemStatus.LISTED.value],
        responded=responded,
        amendments=amendments,
        agencies=sorted(meeting.panel.agencies, key=lambda a: a.name),
    )


def addable_cases(db: Session, meeting: Meeting) -> list[tuple[Referral, Person | None]]:
    """The panel's open cases (accepted or heard) not listed on this agenda (one query)."""
    area_ids = [a.id for a in meeting.panel.areas]
    on_agenda = select(AgendaItem.referral_id).where(
        AgendaItem.meeting_id == meeting.id, AgendaItem.status == ItemStatus.LISTED.value
    )
    return [
        (referral, person)
        for referral, person in db.execute(
            select(Referral, Person)
            .outerjoin(Person, Person.id == Referral.person_id)
            .where(
                Referral.area_id.in_(area_ids),
                Referral.status.in_([ReferralStatus.ACCEPTED.value, ReferralStatus.HEARD.value]),
                Referral.id.notin_(on_agenda),
            )
            .order_by(Referral.created_at, Referral.id)
        )
    ]


@dataclass
class ResearchCase:
    """A listed case on a published agenda, as a member of one of the panel's agencies sees it."""

    meeting: Meeting
    item: AgendaItem
    referral: Referral
    person: Person | None


def research_case(db: Session, viewer: Any, meeting_id: int, referral_id: int) -> ResearchCase:
    """The case, if the viewer's agency sits on the panel and the agenda lists it, published
    and open (`Refused` otherwise)."""
    meeting = _meeting(db, meeting_id)
    allow(sits_on_panel(viewer, meeting.panel) and is_published(meeting))
    item = db.scalar(
        select(AgendaItem).where(
            AgendaItem.meeting_id == meeting.id,
            AgendaItem.referral_id == referral_id,
            AgendaItem.status == ItemStatus.LISTED.value,
        )
    )
    referral = db.get(Referral, referral_id)
    if item is None or referral is None or referral.status == ReferralStatus.CLOSED.value:
        raise Refused()
    person = db.get(Person, referral.person_id) if referral.person_id else None
    return ResearchCase(meeting, item, referral, person)


def own_research(
    db: Session, viewer: Any, meeting_id: int, referral_id: int
) -> CaseResearch | None:
    """The viewer's agency's research on the case for this meeting, if saved."""
    return db.scalar(
        select(CaseResearch).where(
            CaseResearch.meeting_id == meeting_id,
            CaseResearch.referral_id == referral_id,
            CaseResearch.agency_id == viewer.agency_id,
        )
    )


# ---- end of agenda -----------------------------------------------------------------------
