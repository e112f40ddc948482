"""Past panel meetings for the demo borough: agendas, attendance, decisions and actions.

Runs after the demo cases and the panels' schedules exist. Each past meeting hears the
referrals its panel had accepted by then, keeps some open for review and closes others,
and agrees actions that are completed, still open or overdue by today. The next meeting
of each panel is left with its agenda built by the real builder but not yet published.
Seeded randomness keeps the demo the same on every run.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marac.accounts.models import Agency, User
from marac.actions.models import Action, ActionReview, ActionStatus, ActionUpdate
from marac.db import utcnow
from marac.formatting import UK
from marac.meetings.agenda import build_agenda
from marac.meetings.models import (
    AgencyAttendance,
    AgendaItem,
    AttendanceStatus,
    Attendee,
    CaseInformation,
    CaseResearch,
    Decision,
    ItemKind,
)
from marac.panels.access import next_meeting
from marac.panels.models import AgendaStatus, Meeting, MeetingStatus, Panel
from marac.referrals.models import Referral, ReferralStatus

# What each kind of agency typically agrees to do (kind, RARA tag, description).
ACTIONS_BY_AGENCY_TYPE: dict[str, list[tuple[str, str, str]]] = {
    "police": [
        ("enforcement_warning", "remove", "Visit the named perpetrator and give a warning"),
        ("victim_safety", "reduce", "Add a marker to the address for priority response"),
        ("information_sharing", "accept", "Share the crime report with the housing provider"),
    ],
    "housing": [
        ("enforcement_tenancy", "remove", "Tenancy enforcement visit to the perpetrator"),
        ("victim_safety", "reduce", "Fit a letterbox fire guard and a video doorbell"),
        ("enforcement_nosp", "remove", "Serve a notice of seeking possession"),
    ],
    "housing_association": [
        ("enforcement_tenancy", "remove", "Tenancy warning letter to the perpetrator"),
        ("victim_safety", "avoid", "Offer a management move to the victim"),
    ],
    "asb": [
        ("enforcement_abc", "remove", "Agree an acceptable behaviour contract"),
        ("enforcement_injunction", "remove", "Apply for a civil injunction"),
    ],
    "victim_support": [
        ("victim_safety", "reduce", "Offer emotional support and a safety plan"),
        ("victim_safety", "accept", "Keep weekly contact until the next meeting"),
    ],
    "charity": [("victim_safety", "reduce", "Offer advocacy and a peer support group")],
    "adult_social_care": [("safeguarding_referral", "reduce", "Complete a care act assessment")],
    "mental_health": [("safeguarding_referral", "reduce", "Review care plan with the GP")],
    "fire_rescue": [("victim_safety", "reduce", "Home fire safety visit")],
}

# Stand-ins for the agencies with no demo user: one person each, the same at every meeting.
STAND_IN_NAMES = [
    "Priya Shah",
    "Owen Price",
    "Niamh Doyle",
    "Kofi Mensah",
    "Beth Lyons",
    "Marek Nowak",
    "Sara Begum",
    "Ian Pollard",
    "Rosa Ferreira",
]

# What each agency found before the meeting (involvement, risks, what it can offer).
RESEARCH = [
    (
        "Two calls from the address in the last month; both logged as hate incidents.",
        "The perpetrator has a caution for criminal damage at the same address.",
        "A marker on the address and a named officer.",
    ),
    (
        "Secure tenant since 2019, rent account clear; the neighbour is also our tenant.",
        "Complaints about the neighbour from two other households on the block.",
        "A tenancy enforcement visit, and a management move if the victim wants it.",
    ),
    (
        "Open to us since the first incident; weekly contact by phone.",
        "Low mood and not sleeping; avoids the shops at the end of the road.",
        "Emotional support, a safety plan and help with a victim personal statement.",
    ),
    (
        "Known to the ASB team for noise complaints about the household opposite.",
        "",
        "An acceptable behaviour contract with the perpetrator's family.",
    ),
]

# Progress notes officers write as an action moves on, by kind of action.
PROGRESS_NOTES: dict[str, list[str]] = {
    "victim_safety": [
        "Spoke to the victim by phone; survey of the door booked for Thursday.",
        "Victim agreed the plan; contractor instructed.",
    ],
    "enforcement_warning": [
        "Tried the perpetrator's address twice; no answer, card left.",
        "Warning given in person and recorded on the crime report.",
    ],
    "enforcement_tenancy": [
        "Interview with the tenant arranged with the housing officer present.",
        "Tenancy warning letter drafted; legal team consulted.",
    ],
    "enforcement_nosp": ["Evidence pack sent to legal for the notice."],
    "enforcement_abc": ["Meeting with the family set for next week; youth worker to attend."],
    "enforcement_injunction": ["Statements gathered; application drafted for court."],
    "information_sharing": ["Crime report requested from the records team."],
    "safeguarding_referral": ["Referral accepted by the duty team; assessment booked."],
}
DONE_NOTES = [
    "Completed; the victim confirmed it is in place.",
    "Done and recorded on the case file.",
    "Completed at the visit; photos on file.",
]

INFORMATION = [
    "Known to us since the first incident; two further calls logged this month.",
    "Tenant in good standing; neighbour complaints logged about the named perpetrator.",
    "Support offered and accepted; the victim reports sleeping badly and avoiding the shops.",
    "No current involvement; checked our records and found nothing further.",
    "Safeguarding concern raised last year and closed; willing to reopen if needed.",
]

RISKS = [
    "Continuing targeting at the home address; the perpetrator lives two doors away.",
    "Victim isolated and reluctant to report; risk of escalation to violence.",
    "Online abuse spilling into the street; children in the household affected.",
]

OUTCOMES = ["risk_reduced", "risk_reduced", "risk_reduced", "risk_unchanged", "risk_increased"]


def _at(day: date, clock: time) -> datetime:
    """A UK wall-clock time as the aware UTC datetime the database stores."""
    return datetime.combine(day, clock, tzinfo=UK).astimezone(UTC)


def _listable(db: Session, panel: Panel, before: date) -> list[Referral]:
    area_ids = [a.id for a in panel.areas]
    cutoff = _at(before - timedelta(days=5), time(0, 0))
    listed = select(AgendaItem.referral_id)
    return list(
        db.scalars(
            select(Referral)
            .where(
                Referral.area_id.in_(area_ids),
                Referral.status.in_(
                    [
                        ReferralStatus.ACCEPTED.value,
                        ReferralStatus.HEARD.value,
                        ReferralStatus.CLOSED.value,
                    ]
                ),
                Referral.screened_at.is_not(None),
                Referral.screened_at < cutoff,
                Referral.id.not_in(listed),
            )
            .order_by(Referral.created_at)
        )
    )


REPRESENTATIVE_ROLES = ("member", "coordinator", "referrer")


def _representative(agency: Agency, staff: dict[int, list[User]]) -> str:
    """Who an agency sends: its panel member (or another of its case workers), else the
    agency's one stand-in, so nobody is listed under an agency they do not work for."""
    people = [u for u in staff.get(agency.id, []) if u.role in REPRESENTATIVE_ROLES]
    people.sort(key=lambda u: (REPRESENTATIVE_ROLES.index(u.role), u.id))
    if people:
        return people[0].name
    return STAND_IN_NAMES[agency.id % len(STAND_IN_NAMES)]


def _research(
    db: Session,
    rng: random.Random,
    meeting: Meeting,
    referral: Referral,
    agencies: list[Agency],
    users_by_agency: dict[int, list[User]],
) -> None:
    """Research the member agencies added in the week before the meeting (most, not all)."""
    when = _at(meeting.meeting_date - timedelta(days=rng.randint(1, 6)), time(15, 0))
    for agency in agencies:
        if rng.random() < 0.3:
            continue  # not every agency gets its research in
        people = users_by_agency.get(agency.id, [])
        if rng.random() < 0.25:
            involvement, risks, offer, none = "", "", "", True
        else:
            involvement, risks, offer = rng.choice(RESEARCH)
            none = False
        db.add(
            CaseResearch(
                meeting_id=meeting.id,
                referral_id=referral.id,
                agency_id=agency.id,
                involvement=involvement,
                risks=risks,
                can_offer=offer,
                no_involvement=none,
                updated_by_id=people[0].id if people else None,
                updated_at=when,
            )
        )


def _hold(
    db: Session,
    rng: random.Random,
    meeting: Meeting,
    panel: Panel,
    due_review: list[AgendaItem],
    users_by_agency: dict[int, list[User]],
    coordinator: User,
    today: date,
    staff: dict[int, list[User]],
    latest: bool = False,
) -> list[AgendaItem]:
    """Hear one meeting's cases; return the items kept open for review. At each panel's
    latest meeting the council's housing service attends and takes an action."""
    when = _at(meeting.meeting_date, meeting.start_time)
    agencies = panel.agencies
    present: list[Agency] = []
    for agency in agencies:
        status = rng.choices(
            [AttendanceStatus.PRESENT, AttendanceStatus.APOLOGIES, AttendanceStatus.ABSENT],
            [80, 15, 5],
        )[0]
        if latest and agency.type == "housing":
            status = AttendanceStatus.PRESENT
        db.add(AgencyAttendance(meeting_id=meeting.id, agency_id=agency.id, status=status.value))
        if status == AttendanceStatus.PRESENT:
            present.append(agency)
            db.add(
                Attendee(
                    meeting_id=meeting.id,
                    agency_id=agency.id,
                    name=_representative(agency, staff),
                    job_title="Panel representative",
                    confidentiality_acknowledged=True,
                    acknowledged_at=when,
                )
            )

    new_cases = _listable(db, panel, meeting.meeting_date)
    new_cases.sort(key=lambda r: (r.risk_level != "high", not r.is_repeat, r.created_at))
    items: list[tuple[AgendaItem, Referral]] = []
    for position, referral in enumerate(new_cases, start=1):
        kind = ItemKind.REPEAT if referral.is_repeat else ItemKind.NEW
        items.append((_item(meeting, referral, kind, position, panel), referral))
    start = len(items)
    for offset, earlier in enumerate(due_review, start=start + 1):
        referral = db.get(Referral, earlier.referral_id)
        if referral is not None:
            items.append((_item(meeting, referral, ItemKind.REVIEW, offset, panel), referral))
    for item, _ in items:
        db.add(item)
    db.flush()

    kept: list[AgendaItem] = []
    for item, referral in items:
        _research(db, rng, meeting, referral, list(agencies), users_by_agency)
        for agency in present[:4]:
            db.add(
                CaseInformation(
                    agenda_item_id=item.id,
                    agency_id=agency.id,
                    information=rng.choice(INFORMATION),
                )
            )
        item.risks_identified = rng.choice(RISKS)
        item.risk_level_after = rng.choice(["medium", "high", referral.risk_level or "medium"])
        item.discussed_at = when
        close = rng.random() < (0.75 if item.kind == ItemKind.REVIEW.value else 0.35)
        if close:
            item.decision = Decision.CLOSE.value
            referral.status = ReferralStatus.CLOSED.value
            referral.closed_at = when
            referral.closed_by_id = coordinator.id
            referral.closure_reason = "Actions complete and no further incidents reported."
            referral.outcome = rng.choice(OUTCOMES)
            referral.victim_view_of_outcome = rng.choice(
                ["Feels safer since the move.", "Relieved the neighbour has been warned.", ""]
            )
        else:
            item.decision = Decision.REVIEW.value
            referral.status = ReferralStatus.HEARD.value
            kept.append(item)
        _agree_actions(db, rng, meeting, item, referral, present, users_by_agency, today)
    if latest and items:
        _housing_action(db, rng, meeting, items, present, users_by_agency, today)
    for earlier in due_review:
        for action in db.scalars(
            select(Action).where(
                Action.referral_id == earlier.referral_id,
                Action.meeting_id == earlier.meeting_id,
            )
        ):
            db.add(
                ActionReview(
                    action_id=action.id,
                    meeting_id=meeting.id,
                    reviewed_by_id=coordinator.id,
                    reviewed_at=when,
                    note="Reviewed at the panel.",
                )
            )
    meeting.status = MeetingStatus.HELD.value
    meeting.agenda_status = AgendaStatus.PUBLISHED.value
    meeting.agenda_published_at = when - timedelta(days=7)
    meeting.agenda_published_by_id = coordinator.id
    meeting.record_completed_at = when + timedelta(hours=3)
    return kept


def _item(
    meeting: Meeting, referral: Referral, kind: ItemKind, position: int, panel: Panel
) -> AgendaItem:
    return AgendaItem(
        meeting_id=meeting.id,
        referral_id=referral.id,
        kind=kind.value,
        position=position,
        slot_minutes=panel.slot_minutes,
        risk_level_before=referral.risk_level,
    )


def _housing_action(
    db: Session,
    rng: random.Random,
    meeting: Meeting,
    items: list[tuple[AgendaItem, Referral]],
    present: list[Agency],
    users_by_agency: dict[int, list[User]],
    today: date,
) -> None:
    """The council's housing service holds an open action from the latest meeting."""
    housing = next((a for a in present if a.type == "housing"), None)
    if housing is None:
        return
    held = {
        item.id
        for item, _ in items
        if db.scalar(
            select(Action.id).where(
                Action.agenda_item_id == item.id, Action.agency_id == housing.id
            )
        )
    }
    if held:
        return
    item, referral = items[0]
    officers = users_by_agency.get(housing.id, [])
    when = _at(meeting.meeting_date, meeting.start_time)
    db.add(
        Action(
            referral_id=referral.id,
            meeting_id=meeting.id,
            agenda_item_id=item.id,
            description="Fit a letterbox fire guard and a video doorbell",
            kind="victim_safety",
            rara="reduce",
            agency_id=housing.id,
            officer_id=officers[0].id if officers else None,
            due_date=max(meeting.meeting_date + timedelta(days=28), today + timedelta(days=7)),
            created_at=when,
            updated_at=when,
        )
    )


def _agree_actions(
    db: Session,
    rng: random.Random,
    meeting: Meeting,
    item: AgendaItem,
    referral: Referral,
    present: list[Agency],
    users_by_agency: dict[int, list[User]],
    today: date,
) -> None:
    candidates = [a for a in present if a.type in ACTIONS_BY_AGENCY_TYPE]
    if not candidates:
        return
    when = _at(meeting.meeting_date, meeting.start_time)
    for agency in rng.sample(candidates, k=min(len(candidates), rng.randint(1, 3))):
        kind, rara, description = rng.choice(ACTIONS_BY_AGENCY_TYPE[agency.type])
        officers = users_by_agency.get(agency.id, [])
        due = meeting.meeting_date + timedelta(days=rng.choice([14, 28, 42]))
        action = Action(
            referral_id=referral.id,
            meeting_id=meeting.id,
            agenda_item_id=item.id,
            description=description,
            kind=kind,
            rara=rara,
            agency_id=agency.id,
            officer_id=rng.choice(officers).id if officers and rng.random() < 0.7 else None,
            due_date=due,
            created_at=when,
            updated_at=when,
        )
        db.add(action)
        db.flush()
        age = (today - due).days
        if age > 30 or (age > 0 and rng.random() < 0.6):
            final = rng.choices(
                [ActionStatus.COMPLETED, ActionStatus.NOT_ACHIEVED, ActionStatus.CANCELLED],
                [85, 10, 5],
            )[0]
            done = _at(due - timedelta(days=rng.randint(0, 10)), time(11, 0))
            notes = PROGRESS_NOTES.get(kind, ["Started."])
            started = when + timedelta(days=rng.randint(1, 5))
            _progress(
                db, action, ActionStatus.OPEN, ActionStatus.IN_PROGRESS, started, rng.choice(notes)
            )
            if final == ActionStatus.COMPLETED:
                note = rng.choice(DONE_NOTES)
            elif final == ActionStatus.NOT_ACHIEVED:
                note = "Not achieved: the victim moved away before it could be done."
            else:
                note = "Cancelled: overtaken by the management move."
            _progress(db, action, ActionStatus.IN_PROGRESS, final, max(done, started), note)
            action.status = final.value
            action.completed_at = done
        elif rng.random() < 0.5:
            _progress(
                db,
                action,
                ActionStatus.OPEN,
                ActionStatus.IN_PROGRESS,
                when + timedelta(days=rng.randint(2, 9)),
                rng.choice(PROGRESS_NOTES.get(kind, ["Contact made; visit booked."])),
            )
            action.status = ActionStatus.IN_PROGRESS.value
        # Otherwise still open: overdue when its due date has passed.


def _progress(
    db: Session,
    action: Action,
    before: ActionStatus,
    after: ActionStatus,
    when: datetime,
    note: str,
) -> None:
    db.add(
        ActionUpdate(
            action_id=action.id,
            user_id=action.officer_id,
            created_at=when,
            status_from=before.value,
            status_to=after.value,
            note=note,
        )
    )


def load_meeting_demo(db: Session) -> str:
    """Hold the demo panels' past meetings once; a second run leaves them alone."""
    if db.scalar(select(func.count(AgendaItem.id))):
        return "Demo meetings: already present."
    panels = list(db.scalars(select(Panel).order_by(Panel.id)))
    if not panels:
        return "Demo meetings: no panels to hold meetings for."
    rng = random.Random(46)
    today = utcnow().date()
    coordinator = db.scalar(select(User).where(User.email.like("coordinator@%")))
    if coordinator is None:
        return "Demo meetings: no coordinator."
    # Actions go to an agency's officers (referrers), as a housing officer works them;
    # an agency with no officer here gives them to its panel member.
    users_by_agency: dict[int, list[User]] = {}
    for role in ("referrer", "member"):
        for user in db.scalars(
            select(User).where(User.active.is_(True), User.role == role).order_by(User.id)
        ):
            if user.agency_id not in users_by_agency or role == "referrer":
                users_by_agency.setdefault(user.agency_id, []).append(user)

    staff: dict[int, list[User]] = {}
    for user in db.scalars(select(User).where(User.active.is_(True)).order_by(User.id)):
        staff.setdefault(user.agency_id, []).append(user)
    held = 0
    actions_before = db.scalar(select(func.count(Action.id))) or 0
    for panel in panels:
        meetings = db.scalars(
            select(Meeting)
            .where(
                Meeting.panel_id == panel.id,
                Meeting.status == MeetingStatus.SCHEDULED.value,
                Meeting.meeting_date < today,
            )
            .order_by(Meeting.meeting_date)
        )
        due_review: list[AgendaItem] = []
        past = list(meetings)
        for meeting in past:
            due_review = _hold(
                db,
                rng,
                meeting,
                panel,
                due_review,
                users_by_agency,
                coordinator,
                today,
                staff,
                latest=meeting is past[-1],
            )
            held += 1
        db.flush()
    # The case demo's stand-in "heard" for cases no meeting has heard yet: back to waiting.
    for referral in db.scalars(
        select(Referral).where(
            Referral.status.in_([ReferralStatus.HEARD.value, ReferralStatus.CLOSED.value]),
            Referral.id.not_in(select(AgendaItem.referral_id)),
        )
    ):
        referral.status = ReferralStatus.ACCEPTED.value
    db.flush()
    # Each panel's next meeting: agenda built by the real builder, left for the chair.
    built = 0
    for panel in panels:
        upcoming = next_meeting(db, panel.id, today)
        if upcoming is not None:
            built += len(build_agenda(db, upcoming, coordinator))
    db.flush()
    actions = (db.scalar(select(func.count(Action.id))) or 0) - actions_before
    return (
        f"Demo meetings: held {held} past meetings with {actions} actions; "
        f"built the next agendas ({built} cases, not yet published)."
    )
