"""What goes into the minutes, an agency's extract and the agenda, gathered from the record.

Plain functions over a session (no Flask): the renderer, the views, the benchmark and the
demo all use them. Gathering takes a constant number of queries whatever the number of
cases and actions, so a 40-case meeting costs no more round trips than a 2-case one.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from marac.accounts.models import Agency, Area, User
from marac.actions.models import Action, ActionReview
from marac.actions.rules import STATUS_LABELS
from marac.formatting import clock
from marac.incidents.labels import local_strand_names, strand_summary
from marac.incidents.models import Incident
from marac.meetings.models import (
    AgencyAttendance,
    AgendaItem,
    AttendanceStatus,
    Attendee,
    CaseInformation,
    ItemStatus,
)
from marac.meetings.queries import record_agencies
from marac.meetings.record_forms import ATTENDANCE_LABELS, DECISION_LABELS, RISK_LABELS
from marac.meetings.restricted import WITHHELD, WITHHELD_ACTION, closed_item, placeholder
from marac.minutes.flagging import flags_for_referrals
from marac.panels.access import next_meeting
from marac.panels.models import Meeting
from marac.people.models import Person
from marac.people.restriction import hidden_restrictions
from marac.referrals.models import Referral, ReferralIncident, SubjectType

CONFIDENTIALITY_STATEMENT = (
    "These minutes are confidential. They were shared under the information-sharing "
    "agreement of the Community MARAC for the sole purpose of reducing the risk of harm to "
    "the people named. They must be stored securely, must not be copied or passed on "
    "outside the recipient's agency without the chair's agreement, and must be destroyed "
    "in line with the agency's retention policy."
)


def joined(items: list[str], empty: str) -> str:
    """A list as the PDFs print it ("a; b"), or `empty`: done here, not per row in Jinja."""
    return "; ".join(items) or empty


@dataclass
class ActionLine:
    reference: str  # the case reference the action belongs to
    description: str
    agency_id: int
    agency: str
    officer: str
    due_date: date
    status: str

    @property
    def officer_text(self) -> str:
        return self.officer or "Not named"


@dataclass
class AgencyInformation:
    agency: str
    information: str


@dataclass
class MinutesCase:
    position: int
    referral_id: int
    reference: str
    subject: str
    age: int | None
    area: str
    strands: list[str]
    risk_before: str
    risk_after: str
    flags: list[str]
    information: list[AgencyInformation]
    risks: str
    decision: str
    actions: list[ActionLine] = field(default_factory=list)
    withheld: str = ""  # "Restricted record R-<n>: heard as a closed item; ..." in its place

    @property
    def subject_line(self) -> str:
        """Who, their age and area, as the case summary prints them."""
        parts = [self.subject]
        if self.age is not None:
            parts.append(f"aged {self.age}")
        if self.area:
            parts.append(self.area)
        return ", ".join(parts)

    @property
    def strands_text(self) -> str:
        return joined(self.strands, "Not recorded")

    @property
    def flags_text(self) -> str:
        return joined(self.flags, "None")


@dataclass
class AttendanceLine:
    agency: str
    status: str
    people: list[str]

    @property
    def people_text(self) -> str:
        return joined(self.people, "\N{EN DASH}")


@dataclass
class MinutesContent:
    """Everything the full minutes print, in agenda order."""

    meeting: Meeting
    panel_name: str
    chair: str
    venue: str
    attendance: list[AttendanceLine]
    cases: list[MinutesCase]
    review: list[ActionLine]
    next_meeting_date: date | None
    agency_names: dict[int, str]

    def agencies_with_actions(self) -> list[int]:
        """Agencies holding actions agreed at this meeting, by name: one extract each."""
        ids = {a.agency_id for c in self.cases for a in c.actions}
        return sorted(ids, key=lambda i: self.agency_names.get(i, ""))


def _age(born: date | None, on: date) -> int | None:
    if born is None:
        return None
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _subject(referral: Referral, person: Person | None) -> str:
    if referral.subject_type == SubjectType.LOCATION.value:
        return f"Location: {referral.location}"
    name = person.full_name if person else "Not recorded"
    if referral.subject_type == SubjectType.PERPETRATOR.value:
        name += " (perpetrator-focused)"
    return name


def _closed_cases(
    session: Session, person_of: dict[int, int | None], withhold: bool
) -> dict[int, int]:
    """Referral id -> restriction id of the cases a shared document prints as closed items.

    The minutes and extracts go to every member agency, so a restricted case is withheld
    whoever issues or downloads them (one query).
    """
    if not withhold:
        return {}
    hidden = hidden_restrictions(session, None, person_of.values())
    return {rid: hidden[pid] for rid, pid in person_of.items() if pid in hidden}


def _withheld_case(item: AgendaItem, referral: Referral, restriction_id: int) -> MinutesCase:
    """A restricted case's place in the minutes: its number and the closed-item line only."""
    return MinutesCase(
        position=item.position,
        referral_id=referral.id,
        reference=placeholder(restriction_id),
        subject=WITHHELD,
        age=None,
        area="",
        strands=[],
        risk_before=WITHHELD,
        risk_after=WITHHELD,
        flags=[],
        information=[],
        risks="",
        decision=WITHHELD,
        withheld=closed_item(restriction_id),
    )


def gather_minutes(
    session: Session, meeting: Meeting, *, withhold_restricted: bool = True
) -> MinutesContent:
    """Read the meeting record into MinutesContent (a fixed number of queries).

    Restricted cases are closed items (`withhold_restricted`); only a subject access pack,
    gathering one person's own record, reads them in full.
    """
    rows = session.execute(
        select(AgendaItem, Referral, Person, Area.name)
        .join(Referral, Referral.id == AgendaItem.referral_id)
        .outerjoin(Person, Person.id == Referral.person_id)
        .outerjoin(Area, Area.id == Referral.area_id)
        .where(AgendaItem.meeting_id == meeting.id, AgendaItem.status == ItemStatus.LISTED.value)
        .order_by(AgendaItem.position, AgendaItem.id)
    ).all()
    referral_ids = [r.Referral.id for r in rows]
    item_ids = [r.AgendaItem.id for r in rows]

    incidents: dict[int, list[Incident]] = defaultdict(list)
    if referral_ids:
        for link, incident in session.execute(
            select(ReferralIncident, Incident)
            .join(Incident, Incident.id == ReferralIncident.incident_id)
            .where(ReferralIncident.referral_id.in_(referral_ids))
            .options(selectinload(Incident.strands))
        ):
            incidents[link.referral_id].append(incident)
    local_names = local_strand_names(session, [i for v in incidents.values() for i in v])
    flags = flags_for_referrals(session, referral_ids, meeting.meeting_date) if rows else {}

    infos: dict[int, list[tuple[int, str]]] = defaultdict(list)
    if item_ids:
        for info in session.scalars(
            select(CaseInformation).where(CaseInformation.agenda_item_id.in_(item_ids))
        ):
            if info.information.strip():
                infos[info.agenda_item_id].append((info.agency_id, info.information))

    earlier = select(Meeting.id).where(
        Meeting.panel_id == meeting.panel_id, Meeting.meeting_date < meeting.meeting_date
    )
    reviewed = select(ActionReview.action_id).where(ActionReview.meeting_id == meeting.id)
    action_rows = session.execute(
        select(Action, User.name)
        .outerjoin(User, User.id == Action.officer_id)
        .where(
            or_(
                Action.meeting_id == meeting.id,
                Action.id.in_(reviewed),
                Action.meeting_id.in_(earlier) & Action.referral_id.in_(referral_ids or [-1]),
            )
        )
        .order_by(Action.due_date, Action.id)
    ).all()

    agency_ids = {a.id for a in meeting.panel.agencies}
    agency_ids |= {a.Action.agency_id for a in action_rows}
    agency_ids |= {aid for v in infos.values() for aid, _ in v}
    names = {a.id: a.name for a in session.scalars(select(Agency).where(Agency.id.in_(agency_ids)))}
    references = {r.Referral.id: r.Referral.reference for r in rows}
    person_of = {r.Referral.id: r.Referral.person_id for r in rows}
    missing = {a.Action.referral_id for a in action_rows} - set(references)
    if missing:
        for referral_id, reference, person_id in session.execute(
            select(Referral.id, Referral.reference, Referral.person_id).where(
                Referral.id.in_(missing)
            )
        ):
            references[referral_id] = reference
            person_of[referral_id] = person_id
    closed = _closed_cases(session, person_of, withhold_restricted)

    def line(action: Action, officer: str | None) -> ActionLine:
        if action.referral_id in closed:  # the agency sees it holds an action, not on whom
            return ActionLine(
                reference=placeholder(closed[action.referral_id]),
                description=WITHHELD_ACTION,
                agency_id=action.agency_id,
                agency=names.get(action.agency_id, ""),
                officer=officer or "",
                due_date=action.due_date,
                status=STATUS_LABELS.get(action.status, action.status),
            )
        return ActionLine(
            reference=references.get(action.referral_id, ""),
            description=action.description,
            agency_id=action.agency_id,
            agency=names.get(action.agency_id, ""),
            officer=officer or "",
            due_date=action.due_date,
            status=STATUS_LABELS.get(action.status, action.status),
        )

    by_item: dict[int, list[ActionLine]] = defaultdict(list)
    review: list[ActionLine] = []
    for action, officer in action_rows:
        if action.meeting_id == meeting.id:
            by_item[action.agenda_item_id or 0].append(line(action, officer))
        else:
            review.append(line(action, officer))

    cases = []
    for item, referral, person, area in rows:
        if referral.id in closed:
            cases.append(_withheld_case(item, referral, closed[referral.id]))
            cases[-1].actions = by_item[item.id]
            continue
        strands = sorted(
            {s for i in incidents[referral.id] for s in strand_summary(i, local_names)}
        )
        cases.append(
            MinutesCase(
                position=item.position,
                referral_id=referral.id,
                reference=referral.reference,
                subject=_subject(referral, person),
                age=_age(person.date_of_birth if person else None, meeting.meeting_date),
                area=area or "",
                strands=strands,
                risk_before=RISK_LABELS.get(item.risk_level_before or "", "Not recorded"),
                risk_after=RISK_LABELS.get(item.risk_level_after or "", "Not recorded"),
                flags=[f.label for f in flags.get(referral.id, [])],
                information=sorted(
                    (AgencyInformation(names.get(aid, ""), text) for aid, text in infos[item.id]),
                    key=lambda i: i.agency,
                ),
                risks=item.risks_identified,
                decision=DECISION_LABELS.get(item.decision or "", "No decision recorded"),
                actions=by_item[item.id],
            )
        )

    attendance_status = dict(
        session.execute(
            select(AgencyAttendance.agency_id, AgencyAttendance.status).where(
                AgencyAttendance.meeting_id == meeting.id
            )
        ).all()
    )
    people: dict[int, list[str]] = defaultdict(list)
    for attendee in session.scalars(
        select(Attendee).where(Attendee.meeting_id == meeting.id).order_by(Attendee.name)
    ):
        people[attendee.agency_id].append(
            f"{attendee.name}, {attendee.job_title}" if attendee.job_title else attendee.name
        )
    attendance = [
        AttendanceLine(
            agency=a.name,
            status=ATTENDANCE_LABELS.get(
                attendance_status.get(a.id, AttendanceStatus.ABSENT.value), ""
            ),
            people=people[a.id],
        )
        for a in record_agencies(session, meeting)  # members and agencies asked to it
    ]
    following = next_meeting(session, meeting.panel_id, meeting.meeting_date + timedelta(days=1))
    chair = meeting.panel.chair
    return MinutesContent(
        meeting=meeting,
        panel_name=meeting.panel.name,
        chair=chair.name if chair else "Not recorded",
        venue=meeting.venue,
        attendance=attendance,
        cases=cases,
        review=review,
        next_meeting_date=following.meeting_date if following else None,
        agency_names=names,
    )


@dataclass
class ExtractCase:
    """The minimum an agency needs to act on a case: who, where, the risk, its actions."""

    reference: str
    subject: str
    area: str
    strands: list[str]
    risk_after: str
    flags: list[str]
    decision: str
    actions: list[ActionLine]
    withheld: str = ""  # the closed-item line of a restricted case

    @property
    def strands_text(self) -> str:
        return joined(self.strands, "Not recorded")

    @property
    def flags_text(self) -> str:
        return joined(self.flags, "None")


def extract_for(
    content: MinutesContent, agency_id: int
) -> tuple[list[ExtractCase], list[ActionLine]]:
    """Only the cases where the agency holds actions, and only its own actions.

    No other agency's information, no risk discussion text and no other agency's actions:
    those may carry what another partner shared under its own duty of confidence.
    """
    cases = [
        ExtractCase(
            reference=c.reference,
            subject=c.subject,
            area=c.area,
            strands=c.strands,
            risk_after=c.risk_after,
            flags=c.flags,
            decision=c.decision,
            actions=[a for a in c.actions if a.agency_id == agency_id],
            withheld=c.withheld,
        )
        for c in content.cases
        if any(a.agency_id == agency_id for a in c.actions)
    ]
    review = [a for a in content.review if a.agency_id == agency_id]
    return cases, review


@dataclass
class AgendaLine:
    position: int
    starts: str
    reference: str
    subject: str
    area: str
    kind: str
    risk: str
    flags: list[str]
    withheld: str = ""  # the closed-item line of a restricted case, printed in its slot

    @property
    def flags_text(self) -> str:
        return joined(self.flags, "None")


def gather_agenda(session: Session, meeting: Meeting) -> list[AgendaLine]:
    """The published agenda's listed cases in order, with running start times.

    The agenda PDF goes to every member agency: a restricted case keeps its slot and time
    and prints only "Restricted record R-<n>: heard as a closed item ...".
    """
    from marac.meetings.agenda import KIND_LABELS, start_times

    rows = session.execute(
        select(AgendaItem, Referral, Person, Area.name)
        .join(Referral, Referral.id == AgendaItem.referral_id)
        .outerjoin(Person, Person.id == Referral.person_id)
        .outerjoin(Area, Area.id == Referral.area_id)
        .where(AgendaItem.meeting_id == meeting.id, AgendaItem.status == ItemStatus.LISTED.value)
        .order_by(AgendaItem.position, AgendaItem.id)
    ).all()
    flags = (
        flags_for_referrals(session, [r.Referral.id for r in rows], meeting.meeting_date)
        if rows
        else {}
    )
    times = start_times(meeting.start_time, [r.AgendaItem.slot_minutes for r in rows])
    closed = _closed_cases(session, {r.Referral.id: r.Referral.person_id for r in rows}, True)
    return [
        AgendaLine(
            position=item.position,
            starts=clock(t),
            reference=placeholder(closed[referral.id]),
            subject=WITHHELD,
            area="",
            kind=WITHHELD,
            risk=WITHHELD,
            flags=[],
            withheld=closed_item(closed[referral.id]),
        )
        if referral.id in closed
        else AgendaLine(
            position=item.position,
            starts=clock(t),
            reference=referral.reference,
            subject=_subject(referral, person),
            area=area or "",
            kind=KIND_LABELS.get(item.kind, item.kind),
            risk=RISK_LABELS.get(item.risk_level_before or "", "Not recorded"),
            flags=[f.label for f in flags.get(referral.id, [])],
        )
        for (item, referral, person, area), t in zip(rows, times, strict=True)
    ]
