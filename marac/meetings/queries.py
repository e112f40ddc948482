"""Reads that the meeting pages (and the API) share: bounded, indexed, with the access checks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.accounts.models import Agency, Role, User
from marac.actions.models import OUTSTANDING_STATUSES, Action, ActionReview
from marac.incidents.labels import local_strand_names, strand_summary
from marac.incidents.models import Incident
from marac.meetings.access import can_run_meeting, can_see_meeting, member_can_view_referral
from marac.meetings.models import (
    AgencyAttendance,
    AgendaItem,
    AttendanceStatus,
    Attendee,
    CaseInformation,
    CaseResearch,
    ItemStatus,
)
from marac.operations import NotFound, allow
from marac.panels.models import AgendaStatus, Meeting, MeetingStatus
from marac.people.models import Person
from marac.referrals.models import Referral, ReferralIncident

# ---- meeting record ---------------------------------------------------------------------


@dataclass
class CaseOnRecord:
    """A listed case as its record page sees it: the meeting, the item, the agenda's order."""

    meeting: Meeting
    item: AgendaItem
    referral: Referral
    items: list[tuple[AgendaItem, Referral]]
    editable: bool


def recording_meeting(db: Session, viewer: Any, meeting_id: int) -> Meeting:
    """The meeting, for the coordinator running it: `Refused` for anyone else, and a
    cancelled meeting has no record (`NotFound`)."""
    meeting = db.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound()
    allow(can_run_meeting(viewer, meeting))
    if meeting.status == MeetingStatus.CANCELLED.value:
        raise NotFound()
    return meeting


def panel_agencies(meeting: Meeting) -> list[Agency]:
    """The panel's member agencies by name."""
    return sorted(meeting.panel.agencies, key=lambda a: a.name)


def by_id(db: Session, model: Any, ids: Any) -> dict[int, Any]:
    """Rows of `model` by id, in one query (none when no id is given)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {row.id: row for row in db.scalars(select(model).where(model.id.in_(wanted)))}


def listed_items(db: Session, meeting: Meeting) -> list[tuple[AgendaItem, Referral]]:
    """The cases listed on the agenda, in agenda order, with their referrals (one query)."""
    rows = db.execute(
        select(AgendaItem, Referral)
        .join(Referral, Referral.id == AgendaItem.referral_id)
        .where(AgendaItem.meeting_id == meeting.id, AgendaItem.status == ItemStatus.LISTED.value)
        .order_by(AgendaItem.position, AgendaItem.id)
    )
    return [(item, referral) for item, referral in rows]


def attendance_rows(db: Session, meeting_id: int) -> list[AgencyAttendance]:
    """Each agency's recorded attendance at the meeting."""
    return list(
        db.scalars(select(AgencyAttendance).where(AgencyAttendance.meeting_id == meeting_id))
    )


def attendees(db: Session, meeting_id: int) -> list[Attendee]:
    """The named attendees of the meeting."""
    return list(
        db.scalars(
            select(Attendee)
            .where(Attendee.meeting_id == meeting_id)
            .order_by(Attendee.agency_id, Attendee.name, Attendee.id)
        )
    )


def meeting_attendee(db: Session, meeting: Meeting, attendee_id: int) -> Attendee:
    """One attendee of this meeting (`NotFound` for another meeting's)."""
    attendee = db.get(Attendee, attendee_id)
    if attendee is None or attendee.meeting_id != meeting.id:
        raise NotFound()
    return attendee


def case_on_record(db: Session, viewer: Any, meeting_id: int, item_id: int) -> CaseOnRecord:
    """The listed item, checking the viewer: the coordinator running the meeting (may
    edit), or a member who may see the case on the published agenda (reads only)."""
    meeting = db.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound()
    item = db.get(AgendaItem, item_id)
    if item is None or item.meeting_id != meeting.id or item.status != ItemStatus.LISTED.value:
        raise NotFound()
    editable = can_run_meeting(viewer, meeting)
    if not editable:
        allow(
            can_see_meeting(viewer, meeting)
            and meeting.agenda_status == AgendaStatus.PUBLISHED.value
            and member_can_view_referral(db, viewer, item.referral_id)
        )
    if meeting.status == MeetingStatus.CANCELLED.value:
        raise NotFound()
    items = listed_items(db, meeting)
    referral = next(r for i, r in items if i.id == item.id)
    return CaseOnRecord(meeting, item, referral, items, editable)


def case_information(db: Session, item_id: int) -> dict[int, CaseInformation]:
    """What each agency shared about the case at the meeting, by agency id."""
    return {
        info.agency_id: info
        for info in db.scalars(
            select(CaseInformation).where(CaseInformation.agenda_item_id == item_id)
        )
    }


def information_agencies(
    db: Session, meeting: Meeting, infos: dict[int, CaseInformation]
) -> list[Agency]:
    """Agencies present (all the panel's until attendance is taken), plus any that shared."""
    agencies = panel_agencies(meeting)
    present = set(
        db.scalars(
            select(AgencyAttendance.agency_id).where(
                AgencyAttendance.meeting_id == meeting.id,
                AgencyAttendance.status == AttendanceStatus.PRESENT.value,
            )
        )
    )
    if not present:
        return agencies
    return [a for a in agencies if a.id in present or a.id in infos]


def review_meetings(db: Session, meeting: Meeting) -> list[Meeting]:
    """The panel's later scheduled meetings, soonest first: where a review can be set."""
    return list(
        db.scalars(
            select(Meeting)
            .where(
                Meeting.panel_id == meeting.panel_id,
                Meeting.status == MeetingStatus.SCHEDULED.value,
                Meeting.meeting_date > meeting.meeting_date,
            )
            .order_by(Meeting.meeting_date, Meeting.id)
        )
    )


def panel_officers(db: Session, meeting: Meeting) -> list[User]:
    """Active officers of the panel's agencies: who an action agreed here may name."""
    return list(
        db.scalars(
            select(User)
            .where(
                User.agency_id.in_([a.id for a in meeting.panel.agencies] or [0]),
                User.active,
                User.role != Role.ADMIN.value,
            )
            .order_by(User.name)
        )
    )


@dataclass
class CaseSummary:
    """What the record page shows about a case besides the form."""

    person: Person | None
    strands: list[str]
    research: list[CaseResearch]
    actions: list[Action]
    earlier_actions: list[Action]


def case_summary(db: Session, case: CaseOnRecord) -> CaseSummary:
    """The person, strands, agencies' research and the case's actions, for its record page."""
    meeting, item, referral = case.meeting, case.item, case.referral
    person = db.get(Person, referral.person_id) if referral.person_id else None
    incidents = list(
        db.scalars(
            select(Incident)
            .join(ReferralIncident, ReferralIncident.incident_id == Incident.id)
            .where(ReferralIncident.referral_id == referral.id)
        )
    )
    local_names = local_strand_names(db, incidents)
    strands = sorted({s for i in incidents for s in strand_summary(i, local_names)})
    research = list(
        db.scalars(
            select(CaseResearch).where(
                CaseResearch.meeting_id == meeting.id, CaseResearch.referral_id == referral.id
            )
        )
    )
    actions = list(
        db.scalars(select(Action).where(Action.agenda_item_id == item.id).order_by(Action.id))
    )
    earlier_actions = list(
        db.scalars(
            select(Action)
            .where(
                Action.referral_id == referral.id,
                Action.status.in_(OUTSTANDING_STATUSES),
                Action.meeting_id != meeting.id,
            )
            .order_by(Action.due_date, Action.id)
        )
    )
    return CaseSummary(person, strands, research, actions, earlier_actions)


def earlier_outstanding(db: Session, meeting: Meeting) -> list[Action]:
    """Outstanding actions agreed at the panel's earlier meetings, by case then due date."""
    earlier = select(Meeting.id).where(
        Meeting.panel_id == meeting.panel_id,
        Meeting.meeting_date < meeting.meeting_date,
    )
    return list(
        db.scalars(
            select(Action)
            .where(Action.meeting_id.in_(earlier), Action.status.in_(OUTSTANDING_STATUSES))
            .order_by(Action.referral_id, Action.due_date, Action.id)
        )
    )


def action_reviews(db: Session, meeting_id: int, action_ids: list[int]) -> dict[int, ActionReview]:
    """The reviews made at this meeting of the given actions, by action id."""
    if not action_ids:
        return {}
    return {
        r.action_id: r
        for r in db.scalars(
            select(ActionReview).where(
                ActionReview.meeting_id == meeting_id, ActionReview.action_id.in_(action_ids)
            )
        )
    }
