"""Reads shared by the meeting pages: the agenda and research, and the meeting record.

Each loader checks the viewer's right first (NotFound or Refused), so no door can skip it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from marac.accounts.models import Agency, Role, User
from marac.actions.models import OUTSTANDING_STATUSES, Action, ActionReview
from marac.assessments.instrument import get_instrument
from marac.assessments.models import RiskAssessment
from marac.assessments.scoring import suggested_level
from marac.incidents.labels import local_strand_names, strand_summary
from marac.incidents.models import Incident
from marac.meetings.access import can_run_meeting, can_see_meeting, member_can_view_referral
from marac.meetings.agenda import AgendaRow, agenda_rows, joined_referrals, research_responses
from marac.meetings.models import (
    AgencyAttendance,
    AgendaAmendment,
    AgendaItem,
    AttendanceStatus,
    Attendee,
    CaseInformation,
    CaseResearch,
    ItemStatus,
    MeetingAgency,
)
from marac.meetings.restricted import placeholder, redact, refuse_if_hidden, withheld_referrals
from marac.operations import NotFound, Refused, allow
from marac.panels.access import sits_on_panel, visible_panels
from marac.panels.models import AgendaStatus, Meeting, MeetingStatus, Panel
from marac.people.models import Person
from marac.people.restriction import shown_person
from marac.referrals.models import Referral, ReferralIncident, ReferralStatus

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


def agenda_item(
    db: Session, meeting: Meeting, item_id: int, viewer: Any | None = None
) -> tuple[AgendaItem, Referral]:
    """One item of this meeting's agenda, with its case (`NotFound` if it is not on it;
    `RestrictedRecord` when `viewer` is given and the case's person is hidden from them)."""
    item = db.get(AgendaItem, item_id)
    if item is None or item.meeting_id != meeting.id:
        raise NotFound()
    referral = db.get(Referral, item.referral_id)
    assert referral is not None
    if viewer is not None:
        refuse_if_hidden(db, viewer, referral)
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
    amendments: list[tuple[AmendmentLine, str | None]] = field(default_factory=list)
    agencies: list[Agency] = field(default_factory=list)
    joined: dict[int, list[Referral]] = field(default_factory=dict)  # see joined_referrals


@dataclass(frozen=True)
class AmendmentLine:
    """An amendment as the meeting page prints it: restricted cases named by placeholder."""

    created_at: Any
    summary: str
    reason: str


def mark_restricted(db: Session, viewer: Any, rows: list[AgendaRow]) -> dict[str, str]:
    """Mark the rows whose person is hidden from `viewer` (one query for the whole agenda)
    and forget their person; returns what to redact from free text (reference, name)."""
    withheld = withheld_referrals(db, viewer, (r.referral for r in rows))
    secrets: dict[str, str] = {}
    for row in rows:
        restriction_id = withheld.get(row.referral.id)
        if restriction_id is None:
            continue
        row.restricted = restriction_id
        secrets[row.referral.reference] = placeholder(restriction_id)
        if row.person is not None:
            secrets[row.person.full_name] = placeholder(restriction_id)
            row.person = None
    return secrets


def meeting_page(db: Session, viewer: Any, meeting_id: int) -> MeetingPage:
    """The meeting and its agenda for the viewer, in a fixed number of queries.

    Members see nothing of the agenda before publication, and never the removed cases.
    """
    meeting = _meeting(db, meeting_id)
    allow(can_see_meeting(viewer, meeting))
    runs = can_run_meeting(viewer, meeting)
    published = is_published(meeting)
    rows = agenda_rows(db, meeting) if (runs or published) else []
    secrets = mark_restricted(db, viewer, rows) if rows else {}  # removed ones too: amendments
    if not runs:
        rows = [r for r in rows if r.item.status != ItemStatus.REMOVED.value]
    panel_agencies = {a.id for a in meeting.panel.agencies}
    responded = {
        referral_id: agency_ids & panel_agencies
        for referral_id, agency_ids in (research_responses(db, meeting) if rows else {}).items()
    }
    amendments = (
        [
            (
                AmendmentLine(
                    amendment.created_at,
                    redact(amendment.summary, secrets),
                    redact(amendment.reason, secrets),
                ),
                by,
            )
            for amendment, by in db.execute(
                select(AgendaAmendment, User.name)
                .outerjoin(User, User.id == AgendaAmendment.user_id)
                .where(AgendaAmendment.meeting_id == meeting.id)
                .order_by(AgendaAmendment.created_at, AgendaAmendment.id)
            )
        ]
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
        joined=joined_referrals(db, meeting, rows) if rows else {},
    )


def addable_cases(
    db: Session, meeting: Meeting, viewer: Any | None = None
) -> list[tuple[Referral, Person | None]]:
    """The panel's open cases (accepted or heard) not listed on this agenda (one query).

    With a `viewer`, cases whose person is restricted from them are left out: they cannot
    choose what they may not see (a rebuild still lists a restricted case that is due).
    """
    shown = [shown_person(viewer, Referral.person_id)] if viewer is not None else []
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
                *shown,
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
    refuse_if_hidden(db, viewer, referral)
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


# ---- meeting record ----------------------------------------------------------------------


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


def record_agencies(db: Session, meeting: Meeting) -> list[Agency]:
    """The panel's member agencies and those added to this meeting, by name (one query)."""
    added = list(
        db.scalars(
            select(Agency)
            .join(MeetingAgency, MeetingAgency.agency_id == Agency.id)
            .where(MeetingAgency.meeting_id == meeting.id)
        )
    )
    members = {a.id: a for a in meeting.panel.agencies}
    members.update({a.id: a for a in added})
    return sorted(members.values(), key=lambda a: a.name)


def addable_agencies(db: Session, meeting: Meeting) -> list[Agency]:
    """Active agencies not yet listed for the meeting: who may be added to it."""
    listed = {a.id for a in record_agencies(db, meeting)}
    return [
        a
        for a in db.scalars(select(Agency).where(Agency.active).order_by(Agency.name))
        if a.id not in listed
    ]


def by_id(db: Session, model: Any, ids: Any) -> dict[int, Any]:
    """Rows of `model` by id, in one query (none when no id is given)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {row.id: row for row in db.scalars(select(model).where(model.id.in_(wanted)))}


def withheld_cases(db: Session, viewer: Any, referrals: Any) -> dict[int, str]:
    """Referral id -> "Restricted record R-<n>" for the cases hidden from `viewer` (one query)."""
    return {
        referral_id: placeholder(restriction_id)
        for referral_id, restriction_id in withheld_referrals(db, viewer, referrals).items()
    }


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
    refuse_if_hidden(db, viewer, referral)  # break-glass or being named lets them record it
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
    """Agencies marked present, plus any that already shared: only they get a box to
    fill in, so a twelve-agency panel with four in the room shows four."""
    agencies = record_agencies(db, meeting)
    present = set(
        db.scalars(
            select(AgencyAttendance.agency_id).where(
                AgencyAttendance.meeting_id == meeting.id,
                AgencyAttendance.status == AttendanceStatus.PRESENT.value,
            )
        )
    )
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


@dataclass(frozen=True)
class AssessmentSummary:
    """The referral's risk assessment in one line: the level, the score and who endorsed."""

    final_level: str | None
    suggested_level: str | None
    score: int | None
    endorsed_by: str
    endorsed_at: Any


@dataclass
class CaseSummary:
    """What the record page shows about a case besides the form."""

    person: Person | None
    strands: list[str]
    research: list[CaseResearch]
    actions: list[Action]
    earlier_actions: list[Action]
    incidents: list[Incident] = field(default_factory=list)
    assessment: AssessmentSummary | None = None


def assessment_summary(db: Session, referral: Referral) -> AssessmentSummary | None:
    """The level, score and endorser of the assessment that made the referral, if any."""
    if referral.assessment_id is None:
        return None
    assessment = db.get(RiskAssessment, referral.assessment_id)
    if assessment is None:
        return None
    try:
        score: int | None = suggested_level(
            get_instrument(assessment.instrument_version), assessment.answers or {}
        ).score
    except (KeyError, ValueError):
        score = None  # an instrument version this build no longer knows
    endorser = db.get(User, assessment.endorsed_by_id) if assessment.endorsed_by_id else None
    return AssessmentSummary(
        final_level=assessment.final_level,
        suggested_level=assessment.suggested_level,
        score=score,
        endorsed_by=endorser.name if endorser else (assessment.external_endorser_name or ""),
        endorsed_at=assessment.endorsed_at,
    )


def case_summary(db: Session, case: CaseOnRecord) -> CaseSummary:
    """The person, strands, agencies' research and the case's actions, for its record page."""
    meeting, item, referral = case.meeting, case.item, case.referral
    person = db.get(Person, referral.person_id) if referral.person_id else None
    incidents = list(
        db.scalars(
            select(Incident)
            .join(ReferralIncident, ReferralIncident.incident_id == Incident.id)
            .where(ReferralIncident.referral_id == referral.id)
            .order_by(Incident.occurred_at.desc(), Incident.id)
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
    return CaseSummary(
        person,
        strands,
        research,
        actions,
        earlier_actions,
        incidents=incidents,
        assessment=assessment_summary(db, referral),
    )


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
