"""Every write of the meeting pages: the check, the change, the audit row, the notices.

The agenda (the coordinators running the panel build, reorder, defer, add and publish;
members of its agencies add research) and the meeting record (attendance, each case's
record and decision, the review of earlier actions, completion). Pages and the API call
these with plain values; each is one transaction (`@operation`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from marac.accounts.models import Agency, User
from marac.actions.models import Action, ActionReview
from marac.actions.operations import add_action
from marac.actions.rules import KIND_LABELS, RARA_LABELS, due_date_problem
from marac.audit import record
from marac.db import utcnow
from marac.formatting import format_date, plural, uk_today
from marac.meetings import agenda as agenda_rules
from marac.meetings import agenda_publish, notices, queries
from marac.meetings.models import (
    AgencyAttendance,
    AgendaAmendment,
    AgendaItem,
    AttendanceStatus,
    Attendee,
    CaseInformation,
    CaseResearch,
    Decision,
    ItemKind,
    ItemStatus,
    MeetingAgency,
)
from marac.meetings.queries import (
    MEETING_STATUS_LABELS,
    CaseOnRecord,
    action_reviews,
    attendance_rows,
    case_information,
    case_on_record,
    earlier_outstanding,
    information_agencies,
    is_published,
    listed_items,
    meeting_attendee,
    panel_officers,
    record_agencies,
    recording_meeting,
    review_meetings,
)
from marac.meetings.record_lock import check_record_open
from marac.meetings.restricted import placeholder, withheld_referrals
from marac.operations import Conflict, Invalid, NotFound, allow, operation
from marac.panels.models import AgendaStatus, Meeting, MeetingStatus
from marac.referrals.models import OUTCOME_LABELS, Referral, ReferralStatus

OBJECT = "meeting"
REASON_MAX = 2000
RESEARCH_MAX = 10000
DIRECTIONS = {"up": "up", "down": "down"}
CONFLICT = (
    "Someone else changed this agenda at the same time. Nothing was saved: check the "
    "agenda below and make your change again."
)
RESEARCH_CONFLICT = (
    "Someone else in your agency saved research for this case while you were editing."
)
RESEARCH_CLOSED = "The meeting has been held or cancelled: research can no longer change."


def locked_message(meeting: Meeting) -> str | None:
    """Why this meeting's agenda cannot change, or None while it is scheduled."""
    if meeting.status == MeetingStatus.SCHEDULED.value:
        return None
    return (
        f"This meeting is {MEETING_STATUS_LABELS[meeting.status].lower()}: "
        "its agenda cannot change."
    )


def _changeable(meeting: Meeting) -> None:
    if (message := locked_message(meeting)) is not None:
        raise Invalid({"meeting": message})


def _check_reason(reason: str, required: bool, missing: str) -> str:
    reason = (reason or "").strip()
    if required and not reason:
        raise Invalid({"reason": missing})
    if len(reason) > REASON_MAX:
        raise Invalid({"reason": f"Reason must be {REASON_MAX} characters or fewer"})
    return reason


def _flush(db: Session, message: str = CONFLICT) -> None:
    """Write now, so a concurrent change is refused as a `Conflict`, never lost."""
    try:
        db.flush()
    except (StaleDataError, IntegrityError) as exc:
        raise Conflict(message) from exc


def _change(
    db: Session, actor: User, meeting: Meeting, action: str, summary: str, reason: str
) -> None:
    """Audit an agenda change and, after publication, record it as an amendment."""
    # The reason is case text: it stays on the amendment, never in the audit log.
    record(
        db,
        action,
        OBJECT,
        meeting.id,
        f"{summary} (reason given)" if reason else summary,
        user=actor,
    )
    if is_published(meeting):
        db.add(
            AgendaAmendment(meeting_id=meeting.id, user_id=actor.id, summary=summary, reason=reason)
        )
        notices.agenda_amended(db, meeting)  # members of the panel's agencies


@dataclass(frozen=True)
class Built:
    """What building did: how many cases it added, and whether it was the first build."""

    added: int
    first: bool


@operation
def build_agenda(db: Session, actor: User, meeting_id: int, *, reason: str = "") -> Built:
    """Build (or rebuild) the agenda, keeping the chair's work; after publication the
    additions are an amendment and need a reason."""
    meeting = queries.running_meeting(db, actor, meeting_id)
    _changeable(meeting)
    published = is_published(meeting)
    reason = _check_reason(reason, published, "Enter the reason for the change")
    first = meeting.agenda_status == AgendaStatus.NOT_BUILT.value
    with db.no_autoflush:  # changes are written at the end, where a conflict is caught
        added = agenda_rules.build_agenda(db, meeting, actor)
        if added and published:  # build_agenda audited the additions themselves
            refs = dict(
                db.execute(
                    select(Referral.id, Referral.reference).where(
                        Referral.id.in_([i.referral_id for i in added])
                    )
                ).all()
            )
            summary = "Added by rebuilding: " + ", ".join(refs[i.referral_id] for i in added)
            _change(db, actor, meeting, "agenda_rebuilt", summary, reason)
        elif not added:
            record(
                db, "agenda_rebuilt", OBJECT, meeting.id, "Agenda rebuilt: no new cases", user=actor
            )
    _flush(db)
    return Built(added=len(added), first=first)


@operation
def publish_agenda(
    db: Session,
    actor: User,
    meeting_id: int,
    *,
    lapsed_reason: str = "",
    today: date | None = None,
) -> int:
    """Publish to members of the panel's agencies; returns how many cases it lists.

    From now on members see the listed cases, and every change is an amendment. When an
    agency's information-sharing agreement has lapsed the chair must say why the panel
    still shares with it; the reason is kept on the meeting and the publication audited.
    """
    meeting = queries.running_meeting(db, actor, meeting_id)
    _changeable(meeting)
    if is_published(meeting):
        raise Invalid({"agenda": "The agenda is already published."})
    listed = queries.listed_count(db, meeting)
    if not listed:
        raise Invalid({"agenda": "Build the agenda, or add a case, before publishing it."})
    lapsed = agenda_publish.lapsed_agencies(meeting, today or uk_today())
    reason = (lapsed_reason or "").strip() if lapsed else ""
    if lapsed and not reason:
        raise Invalid({"lapsed_reason": agenda_publish.LAPSED_REASON_MISSING})
    if len(reason) > REASON_MAX:
        raise Invalid({"lapsed_reason": f"Reason must be {REASON_MAX} characters or fewer"})
    meeting.agenda_status = AgendaStatus.PUBLISHED.value
    meeting.agenda_published_at = utcnow()
    meeting.agenda_published_by_id = actor.id
    meeting.agenda_lapsed_reason = reason
    summary = f"Agenda published with {plural(listed, 'case')}"
    if lapsed:
        names = ", ".join(a.name for a in lapsed)
        summary += f"; agreement lapsed for {names} (reason given)"
    record(db, "agenda_published", OBJECT, meeting.id, summary, user=actor)
    notices.agenda_published(db, meeting)  # members of the panel's agencies
    _flush(db)
    return listed


def _listed_item(
    db: Session, actor: User, meeting_id: int, item_id: int
) -> tuple[Meeting, AgendaItem, Referral]:
    meeting = queries.running_meeting(db, actor, meeting_id)
    item, referral = queries.agenda_item(db, meeting, item_id, actor)
    _changeable(meeting)
    if item.status != ItemStatus.LISTED.value:
        raise Invalid({"item": f"{referral.reference} is not listed on the agenda."})
    return meeting, item, referral


@operation
def move_agenda_item(
    db: Session, actor: User, meeting_id: int, item_id: int, *, direction: str, reason: str = ""
) -> str:
    """Move a listed case one place up or down; returns what changed, for the chair."""
    if direction not in DIRECTIONS:
        raise Invalid({"direction": "Choose whether to move the case up or down."})
    meeting, item, referral = _listed_item(db, actor, meeting_id, item_id)
    reason = _check_reason(reason, is_published(meeting), "Enter the reason for the change")
    items = queries.agenda_items(db, meeting)
    listed = [i for i in items if i.status == ItemStatus.LISTED.value]
    at = listed.index(item)
    to = at - 1 if direction == "up" else at + 1
    if not 0 <= to < len(listed):
        where = "first" if to < 0 else "last"
        raise Invalid({"direction": f"{referral.reference} is already {where}."})
    listed[at], listed[to] = listed[to], listed[at]
    agenda_rules.renumber(listed + [i for i in items if i.status != ItemStatus.LISTED.value])
    summary = f"Moved {referral.reference} {DIRECTIONS[direction]} to position {to + 1}"
    _change(db, actor, meeting, "agenda_item_moved", summary, reason)
    _flush(db)
    return summary


def _take_off(
    db: Session, actor: User, meeting_id: int, item_id: int, reason: str, status: str
) -> str:
    deferring = status == ItemStatus.DEFERRED.value
    meeting, item, referral = _listed_item(db, actor, meeting_id, item_id)
    missing = (
        "Enter why the case is deferred to the next meeting"
        if deferring
        else "Enter why the case is removed from the agenda"
    )
    reason = _check_reason(reason, True, missing)
    items = queries.agenda_items(db, meeting)  # read before changing: conflicts surface at flush
    item.status = status
    item.status_reason = reason
    agenda_rules.renumber(items)
    summary = (
        f"Deferred {referral.reference} to the next meeting"
        if deferring
        else f"Removed {referral.reference} from the agenda"
    )
    action = "agenda_item_deferred" if deferring else "agenda_item_removed"
    _change(db, actor, meeting, action, summary, reason)
    _flush(db)
    return summary


@operation
def defer_agenda_item(
    db: Session, actor: User, meeting_id: int, item_id: int, *, reason: str
) -> str:
    """Defer a listed case to the panel's next meeting, with a reason."""
    return _take_off(db, actor, meeting_id, item_id, reason, ItemStatus.DEFERRED.value)


@operation
def remove_agenda_item(
    db: Session, actor: User, meeting_id: int, item_id: int, *, reason: str
) -> str:
    """Take a listed case off the agenda, with a reason."""
    return _take_off(db, actor, meeting_id, item_id, reason, ItemStatus.REMOVED.value)


def _person_listed_once(db: Session, items: list[AgendaItem], referral: Referral) -> None:
    """An agenda lists a person once: refuse a second referral of someone already listed."""
    if referral.person_id is None:
        return
    listed = [i.referral_id for i in items if i.status == ItemStatus.LISTED.value]
    if not listed:
        return
    same = db.scalar(
        select(Referral.reference).where(
            Referral.id.in_(listed),
            Referral.person_id == referral.person_id,
            Referral.id != referral.id,
        )
    )
    if same is not None:
        raise Invalid(
            {
                "referral_id": f"This person is already on the agenda as {same}: an agenda "
                "lists a person once, and their referrals are heard together"
            }
        )


@operation
def add_case_to_agenda(
    db: Session, actor: User, meeting_id: int, *, referral_id: int, reason: str = ""
) -> str:
    """List one of the panel's open cases (accepted or heard) at the end of the agenda."""
    meeting = queries.running_meeting(db, actor, meeting_id)
    _changeable(meeting)
    reason = _check_reason(reason, is_published(meeting), "Enter the reason for the change")
    referral = next(
        (r for r, _ in queries.addable_cases(db, meeting, actor) if r.id == referral_id), None
    )
    if referral is None:
        raise Invalid({"referral_id": "Select the case to add to the agenda"})
    items = queries.agenda_items(db, meeting)
    _person_listed_once(db, items, referral)
    item = next((i for i in items if i.referral_id == referral.id), None)
    if item is None:
        kind = (
            ItemKind.REVIEW.value
            if referral.status == ReferralStatus.HEARD
            else (ItemKind.REPEAT.value if referral.is_repeat else ItemKind.NEW.value)
        )
        item = AgendaItem(
            meeting_id=meeting.id,
            referral_id=referral.id,
            kind=kind,
            slot_minutes=agenda_rules.slot_length(meeting.panel.slot_minutes),
            risk_level_before=agenda_rules.latest_panel_risk(db, [referral.id]).get(
                referral.id, referral.risk_level
            ),
            position=len(items) + 1,
        )
        db.add(item)
        items.append(item)
    item.status = ItemStatus.LISTED.value
    item.status_reason = ""
    item.added_by_chair = True
    listed = [i for i in items if i.status == ItemStatus.LISTED.value and i is not item]
    agenda_rules.renumber(
        listed + [item] + [i for i in items if i.status != ItemStatus.LISTED.value]
    )
    if meeting.agenda_status == AgendaStatus.NOT_BUILT.value:
        meeting.agenda_status = AgendaStatus.DRAFT.value
    summary = f"Added {referral.reference} to the agenda"
    _change(db, actor, meeting, "agenda_item_added", summary, reason)
    _flush(db)
    return summary


@dataclass(frozen=True)
class Research:
    """What one agency says about a listed case (plain values from the form or the API)."""

    no_involvement: bool = False
    involvement: str = ""
    risks: str = ""
    can_offer: str = ""


def _check_research(research: Research) -> Research:
    involvement, risks, can_offer = (
        (research.involvement or "").strip(),
        (research.risks or "").strip(),
        (research.can_offer or "").strip(),
    )
    errors: dict[str, str] = {}
    if not research.no_involvement and not (involvement or risks or can_offer):
        errors["involvement"] = (
            "Enter your agency's involvement, or select that the case is not known to you"
        )
    if research.no_involvement and involvement:
        errors["involvement"] = (
            "Remove your agency's involvement, or unselect that the case is not known to you"
        )
    for name, text in (("involvement", involvement), ("risks", risks), ("can_offer", can_offer)):
        if len(text) > RESEARCH_MAX:
            errors.setdefault(name, f"Enter {RESEARCH_MAX} characters or fewer")
    if errors:
        raise Invalid(errors)
    return Research(research.no_involvement, involvement, risks, can_offer)


@operation
def save_case_research(
    db: Session,
    actor: User,
    meeting_id: int,
    referral_id: int,
    *,
    version: int | None,
    research: Research,
) -> CaseResearch:
    """Add or update the actor's agency's research on a listed case before the meeting.

    `version` is the version the actor loaded (None when there was none yet): a save over
    a colleague's newer research is a `Conflict`, never applied.
    """
    case = queries.research_case(db, actor, meeting_id, referral_id)
    meeting, referral = case.meeting, case.referral
    if meeting.status != MeetingStatus.SCHEDULED.value:
        raise Invalid({"meeting": RESEARCH_CLOSED})
    research = _check_research(research)
    saved = queries.own_research(db, actor, meeting.id, referral.id)
    if version != (saved.version if saved else None):
        raise Conflict(RESEARCH_CONFLICT)
    row = saved or CaseResearch(
        meeting_id=meeting.id, referral_id=referral.id, agency_id=actor.agency_id
    )
    row.no_involvement = research.no_involvement
    row.involvement = "" if research.no_involvement else research.involvement
    row.risks = research.risks
    row.can_offer = research.can_offer
    row.updated_by_id = actor.id
    row.updated_at = utcnow()
    if saved is None:
        db.add(row)
    agency_name = actor.agency.name
    record(
        db,
        "case_research_saved",
        "referral",
        referral.id,
        f"{agency_name} research for {referral.reference} at the meeting "
        f"of {meeting.meeting_date.isoformat()}"
        + (": not known to us" if row.no_involvement else ""),
        user=actor,
    )
    _flush(db, RESEARCH_CONFLICT)
    return row


# Reads that leave an audit row: who looked at which meeting or case, and when.


@operation
def note_meetings_listed(db: Session, actor: User) -> None:
    record(db, "meetings_listed", OBJECT, None, "Listed meetings", user=actor)


@operation
def note_meeting_viewed(db: Session, actor: User, page: queries.MeetingPage) -> None:
    meeting = page.meeting
    cases = len(page.listed) + len(page.others)  # a count of the cases shown
    record(
        db,
        "meeting_viewed",
        OBJECT,
        meeting.id,
        f"Viewed the meeting of {meeting.panel.name} on {meeting.meeting_date.isoformat()}"
        + (f" with {plural(cases, 'case')}" if cases else ""),
        user=actor,
    )


@operation
def note_take_off_opened(
    db: Session, actor: User, meeting_id: int, item_id: int, *, deferring: bool
) -> None:
    """The chair opened the page to defer or remove a listed case."""
    meeting, _item, referral = _listed_item(db, actor, meeting_id, item_id)
    if deferring:
        record(
            db,
            "agenda_defer_opened",
            OBJECT,
            meeting.id,
            f"Defer {referral.reference} to the next meeting",
            user=actor,
        )
    else:
        record(
            db,
            "agenda_remove_opened",
            OBJECT,
            meeting.id,
            f"Remove {referral.reference} from the agenda",
            user=actor,
        )


@operation
def note_add_case_opened(db: Session, actor: User, meeting_id: int) -> None:
    meeting = queries.running_meeting(db, actor, meeting_id)
    record(db, "agenda_add_opened", OBJECT, meeting.id, "Opened 'add a case'", user=actor)


@operation
def note_research_opened(db: Session, actor: User, meeting_id: int, referral_id: int) -> None:
    case = queries.research_case(db, actor, meeting_id, referral_id)
    record(
        db,
        "case_research_viewed",
        "referral",
        case.referral.id,
        f"Opened research for {case.referral.reference}",
        user=actor,
    )


# ---- end of agenda -----------------------------------------------------------------------


RECORD_OBJECT = "meeting"
ATTENDANCE_STATUS_NAMES: dict[str, str] = {
    AttendanceStatus.PRESENT: "Present",
    AttendanceStatus.APOLOGIES: "Apologies",
    AttendanceStatus.ABSENT: "Absent",
    AttendanceStatus.NOT_EXPECTED: "Not expected",
}
ACTIONS_LIMIT = 10  # actions agreed in one save of a case
RISK_LEVELS = ("low", "medium", "high")
NAME_LIMIT = 200
TEXT_LIMIT = 20000
REASON_LIMIT = 5000


def _flush_or_conflict(db: Session) -> None:
    """Write now, so a save racing another (a stale version) is refused as `Conflict`."""
    try:
        db.flush()
    except StaleDataError as exc:
        raise Conflict() from exc


def _open_record(db: Session, actor: User, meeting_id: int) -> Meeting:
    """The meeting, for its coordinator, if its record may change (`RecordLocked` once
    the minutes are issued, until a correction is started)."""
    meeting = recording_meeting(db, actor, meeting_id)
    check_record_open(meeting)
    return meeting


@operation
def record_attendance_viewed(db: Session, actor: User, meeting_id: int) -> Meeting:
    """The coordinator opened the attendance page: audited like every view of the record."""
    meeting = recording_meeting(db, actor, meeting_id)
    record(
        db, "meeting_attendance_viewed", RECORD_OBJECT, meeting.id, "Viewed attendance", user=actor
    )
    return meeting


@operation
def save_attendance(
    db: Session, actor: User, meeting_id: int, *, statuses: Mapping[int, str]
) -> Meeting:
    """Each of the meeting's agencies present, sent apologies, absent or not expected.

    An agency left unmarked (no status, or an empty one) is recorded as not expected, so
    the room need not mark a dozen agencies before saving; field names match the form's
    (`agency_<id>`).
    """
    meeting = _open_record(db, actor, meeting_id)
    agencies = record_agencies(db, meeting)
    chosen = {a.id: statuses.get(a.id) or AttendanceStatus.NOT_EXPECTED.value for a in agencies}
    problems = {
        f"agency_{a.id}": f"Select whether {a.name} was present"
        for a in agencies
        if chosen[a.id] not in ATTENDANCE_STATUS_NAMES
    }
    if problems:
        raise Invalid(problems)
    existing = {row.agency_id: row for row in attendance_rows(db, meeting.id)}
    summary = []
    for agency in agencies:
        status = chosen[agency.id]
        row = existing.get(agency.id)
        if row is None:
            db.add(AgencyAttendance(meeting_id=meeting.id, agency_id=agency.id, status=status))
        else:
            row.status = status
        summary.append(f"{agency.name}: {ATTENDANCE_STATUS_NAMES[status]}")
    record(
        db, "meeting_attendance_saved", RECORD_OBJECT, meeting.id, "; ".join(summary), user=actor
    )
    return meeting


@operation
def add_attendee(
    db: Session,
    actor: User,
    meeting_id: int,
    *,
    agency_id: int,
    name: str,
    job_title: str = "",
    acknowledged: bool = False,
) -> Attendee:
    """One named attendee of a member agency; their agency is then marked present."""
    meeting = _open_record(db, actor, meeting_id)
    agencies = {a.id: a for a in record_agencies(db, meeting)}
    name, job_title = name.strip(), job_title.strip()
    problems: dict[str, str] = {}
    if not name:
        problems["name"] = "Enter the attendee's name"
    elif len(name) > NAME_LIMIT:
        problems["name"] = f"Field cannot be longer than {NAME_LIMIT} characters."
    if len(job_title) > NAME_LIMIT:
        problems["job_title"] = f"Field cannot be longer than {NAME_LIMIT} characters."
    if agency_id not in agencies:
        problems["agency_id"] = "Select the attendee's agency"
    if problems:
        raise Invalid(problems)
    now = utcnow()
    attendee = Attendee(
        meeting_id=meeting.id,
        agency_id=agency_id,
        name=name,
        job_title=job_title,
        confidentiality_acknowledged=acknowledged,
        acknowledged_at=now if acknowledged else None,
    )
    db.add(attendee)
    presence = db.get(AgencyAttendance, (meeting.id, agency_id))
    if presence is None:
        db.add(
            AgencyAttendance(
                meeting_id=meeting.id, agency_id=agency_id, status=AttendanceStatus.PRESENT.value
            )
        )
    elif presence.status != AttendanceStatus.PRESENT.value:
        presence.status = AttendanceStatus.PRESENT.value
    agency_name = agencies[agency_id].name
    db.flush()
    record(
        db,
        "meeting_attendee_added",
        RECORD_OBJECT,
        meeting.id,
        f"Added attendee {attendee.id} ({agency_name})"
        + ("; confidentiality acknowledged" if acknowledged else ""),
        user=actor,
    )
    return attendee


@operation
def acknowledge_attendee(db: Session, actor: User, meeting_id: int, attendee_id: int) -> Attendee:
    """Record that an attendee accepted the confidentiality statement, and when (once)."""
    meeting = _open_record(db, actor, meeting_id)
    attendee = meeting_attendee(db, meeting, attendee_id)
    if not attendee.confidentiality_acknowledged:
        attendee.confidentiality_acknowledged = True
        attendee.acknowledged_at = utcnow()
        record(
            db,
            "meeting_attendee_acknowledged",
            RECORD_OBJECT,
            meeting.id,
            f"Attendee {attendee.id} acknowledged",
            user=actor,
        )
    return attendee


@operation
def remove_attendee(db: Session, actor: User, meeting_id: int, attendee_id: int) -> str:
    """Take a named attendee off the meeting; returns their name for the page."""
    meeting = _open_record(db, actor, meeting_id)
    attendee = meeting_attendee(db, meeting, attendee_id)
    name = attendee.name
    db.delete(attendee)
    record(
        db,
        "meeting_attendee_removed",
        RECORD_OBJECT,
        meeting.id,
        f"Removed attendee {attendee.id}",
        user=actor,
    )
    return name


@operation
def add_meeting_agency(db: Session, actor: User, meeting_id: int, *, agency_id: int) -> Agency:
    """Ask an agency that is not on the panel to this one meeting (once): it is then
    listed for attendance, may share information and own actions agreed here."""
    meeting = _open_record(db, actor, meeting_id)
    agency = db.get(Agency, agency_id) if agency_id else None
    if agency is None or not agency.active:
        raise Invalid({"agency_id": "Select the agency to add to this meeting"})
    if agency.id in {a.id for a in record_agencies(db, meeting)}:
        raise Invalid({"agency_id": f"{agency.name} is already listed for this meeting"})
    db.add(MeetingAgency(meeting_id=meeting.id, agency_id=agency.id, added_by_id=actor.id))
    record(
        db,
        "meeting_agency_added",
        RECORD_OBJECT,
        meeting.id,
        f"Added agency {agency.id} to the meeting",
        user=actor,
    )
    _flush_or_conflict(db)
    return agency


# ---- the case record --------------------------------------------------------------------


@dataclass(frozen=True)
class NewAction:
    """An action the panel agreed on a case, as typed (plain values)."""

    description: str
    kind: str
    rara: str
    agency_id: int
    officer_id: int | None
    due_date: date | None


@dataclass(frozen=True)
class CaseRecord:
    """What the panel recorded about one case."""

    information: Mapping[int, str]  # agency id -> what that agency shared
    risks_identified: str = ""
    risk_level_after: str | None = None
    decision: str | None = None
    review_meeting_id: int | None = None
    closure_reason: str = ""
    outcome: str | None = None
    victim_view_of_outcome: str = ""


@dataclass
class CaseRecorded:
    """The result of saving a case: the case as saved, and the action agreed, if any."""

    case: CaseOnRecord
    actions: list[Action]

    @property
    def action(self) -> Action | None:
        """The first action agreed (the record used to take one at a time)."""
        return self.actions[0] if self.actions else None


@operation
def record_case_viewed(db: Session, actor: User, meeting_id: int, item_id: int) -> CaseOnRecord:
    """Someone opened a case's record (coordinator or member): audited against the referral."""
    case = case_on_record(db, actor, meeting_id, item_id)
    record(
        db,
        "meeting_case_record_viewed",
        "referral",
        case.referral.id,
        f"Viewed the record of {case.referral.reference} at the meeting of "
        f"{format_date(case.meeting.meeting_date)}",
        user=actor,
    )
    return case


def _record_problems(
    db: Session, case: CaseOnRecord, values: CaseRecord, agency_ids: set[int]
) -> dict[str, str]:
    """Why the record cannot be saved, by form field name (empty when it can)."""
    problems: dict[str, str] = {}
    for agency_id, text in values.information.items():
        if agency_id not in agency_ids and text:
            problems[f"info_{agency_id}"] = "That agency did not attend the meeting"
        elif len(text or "") > TEXT_LIMIT:
            problems[f"info_{agency_id}"] = f"Field cannot be longer than {TEXT_LIMIT} characters."
    if len(values.risks_identified or "") > TEXT_LIMIT:
        problems["risks_identified"] = f"Field cannot be longer than {TEXT_LIMIT} characters."
    if values.risk_level_after and values.risk_level_after not in RISK_LEVELS:
        problems["risk_level_after"] = "Not a valid choice."
    if values.decision and values.decision not in {d.value for d in Decision}:
        problems["decision"] = "Not a valid choice."
    if values.decision == Decision.REVIEW.value:
        later = {m.id for m in review_meetings(db, case.meeting)}
        if not values.review_meeting_id:
            problems["review_meeting_id"] = (
                "Select the meeting at which the panel will review the case"
            )
        elif values.review_meeting_id not in later:
            problems["review_meeting_id"] = "Not a valid choice."
    if values.decision == Decision.CLOSE.value:
        if not values.closure_reason:
            problems["closure_reason"] = "Enter why the case is closed"
        if not values.outcome:
            problems["outcome"] = "Select the outcome: was the risk reduced, unchanged or increased"
        elif values.outcome not in OUTCOME_LABELS:
            problems["outcome"] = "Not a valid choice."
    for field, text in (
        ("closure_reason", values.closure_reason),
        ("victim_view_of_outcome", values.victim_view_of_outcome),
    ):
        if len(text or "") > REASON_LIMIT and field not in problems:
            problems[field] = f"Field cannot be longer than {REASON_LIMIT} characters."
    return problems


def _action_problems(
    db: Session, meeting: Meeting, action: NewAction, at: str = "action"
) -> dict[str, str]:
    """Why the new action cannot be agreed, by the record form's dotted field names
    (`at` is the action's place on the form: "actions.0", "actions.1", ...)."""
    problems: dict[str, str] = {}
    if not action.description.strip():
        problems[f"{at}.description"] = "Enter the action"
    elif len(action.description) > REASON_LIMIT:
        problems[f"{at}.description"] = f"Field cannot be longer than {REASON_LIMIT} characters."
    if action.kind not in KIND_LABELS:
        problems[f"{at}.kind"] = "Select the kind of action"
    if action.rara not in RARA_LABELS:
        problems[f"{at}.rara"] = (
            "Select whether the action removes, avoids, reduces or accepts the risk"
        )
    if action.agency_id not in {a.id for a in record_agencies(db, meeting)}:
        problems[f"{at}.agency_id"] = "Select the agency that owns the action"
    if action.officer_id:
        officers = {u.id: u.agency_id for u in panel_officers(db, meeting)}
        if officers.get(action.officer_id) != action.agency_id:
            problems[f"{at}.officer_id"] = (
                "The named officer must work for the agency that owns the action"
            )
    problem = due_date_problem(action.due_date, uk_today())
    if problem:
        problems[f"{at}.due_date"] = problem
    return problems


def _apply_decision(actor: User, values: CaseRecord, item: AgendaItem, referral: Referral) -> str:
    """Write the decision to the item and the referral's status; returns an audit note."""
    decision = values.decision or None
    was_closed_here = item.decision == Decision.CLOSE.value
    item.decision = decision
    if decision == Decision.REVIEW.value:
        item.review_meeting_id = values.review_meeting_id
        if was_closed_here and referral.status == ReferralStatus.CLOSED.value:
            referral.closed_at = None
            referral.closed_by_id = None
            referral.closure_reason = ""
            referral.outcome = ""
            referral.victim_view_of_outcome = ""
        referral.status = ReferralStatus.HEARD.value
        return "decision: review"
    if decision == Decision.CLOSE.value:
        item.review_meeting_id = None
        if referral.status != ReferralStatus.CLOSED.value or referral.closed_at is None:
            referral.closed_at = utcnow()
            referral.closed_by_id = actor.id
        referral.status = ReferralStatus.CLOSED.value
        referral.closure_reason = values.closure_reason or ""
        referral.outcome = values.outcome or ""
        referral.victim_view_of_outcome = values.victim_view_of_outcome or ""
        return f"decision: close ({OUTCOME_LABELS.get(referral.outcome, '')})"
    return "no decision yet"


def _agree_action(
    db: Session, actor: User, case: CaseOnRecord, new: NewAction, at: str = "action"
) -> Action:
    """The action agreed on the case: `actions.operations.add_action` in this transaction
    (its progress entry, audit row and owners' notice), with its field errors named as
    the record form names them."""
    try:
        return add_action(
            db,
            actor,
            case.referral.id,
            meeting_id=case.meeting.id,
            agenda_item_id=case.item.id,
            description=new.description.strip(),
            kind=new.kind,
            rara=new.rara,
            agency_id=new.agency_id,
            officer_id=new.officer_id or None,
            due_date=new.due_date,
        )
    except Invalid as error:
        raise Invalid(
            {f"{at}.{field}": problems for field, problems in error.errors.items()}
        ) from error


@operation
def record_case(
    db: Session,
    actor: User,
    meeting_id: int,
    item_id: int,
    *,
    version: int,
    values: CaseRecord,
    action: NewAction | None = None,
    actions: Sequence[NewAction] = (),
) -> CaseRecorded:
    """Save one case's record at the meeting and the actions agreed on it, all or nothing.

    Only the coordinator running the meeting may, and only while the record is open
    (`RecordLocked` once the minutes are issued). A stale `version` (someone else saved
    the case since it was loaded) raises `Conflict` and nothing is saved. `actions` are
    named "actions.<n>" in errors; the single `action` (older callers) "action".
    """
    case = case_on_record(db, actor, meeting_id, item_id)
    allow(case.editable)
    check_record_open(case.meeting)
    item, referral = case.item, case.referral
    agreed_here: list[tuple[str, NewAction]] = [(f"actions.{n}", a) for n, a in enumerate(actions)]
    if action is not None:
        agreed_here.insert(0, ("action", action))
    if len(agreed_here) > ACTIONS_LIMIT:
        raise Invalid({"actions": f"Add up to {ACTIONS_LIMIT} actions in one save"})
    infos = case_information(db, item.id)
    agencies = {a.id for a in information_agencies(db, case.meeting, infos)}
    problems = _record_problems(db, case, values, agencies)
    for at, new in agreed_here:
        problems.update(_action_problems(db, case.meeting, new, at))
    if problems:
        raise Invalid(problems)
    if version != item.version:
        raise Conflict()
    now = utcnow()
    for agency_id, text in values.information.items():
        info = infos.get(agency_id)
        if info is None:
            if text:
                db.add(
                    CaseInformation(agenda_item_id=item.id, agency_id=agency_id, information=text)
                )
        elif info.information != text:
            info.information = text or ""
    item.risks_identified = values.risks_identified or ""
    item.risk_level_after = values.risk_level_after or None
    decision_note = _apply_decision(actor, values, item, referral)
    item.discussed_at = item.discussed_at or now
    item.updated_at = now  # bumps the version: a concurrent save is then refused
    _flush_or_conflict(db)
    agreed = [_agree_action(db, actor, case, new, at) for at, new in agreed_here]
    owners = ", ".join(str(a.agency_id) for a in agreed)
    record(
        db,
        "meeting_case_recorded",
        "referral",
        referral.id,
        f"Recorded {referral.reference} at the meeting of "
        f"{format_date(case.meeting.meeting_date)}: {decision_note}"
        + (
            f"; action agreed for agency {owners}"
            if len(agreed) == 1
            else f"; {len(agreed)} actions agreed for agencies {owners}"
            if agreed
            else ""
        ),
        user=actor,
    )
    _flush_or_conflict(db)
    return CaseRecorded(case, agreed)


# ---- review of earlier actions ----------------------------------------------------------


@operation
def record_review_viewed(db: Session, actor: User, meeting_id: int) -> Meeting:
    """The coordinator opened the review of earlier actions."""
    meeting = recording_meeting(db, actor, meeting_id)
    record(
        db,
        "meeting_review_viewed",
        RECORD_OBJECT,
        meeting.id,
        "Viewed the review of earlier actions",
        user=actor,
    )
    return meeting


def reviewable_action(db: Session, meeting: Meeting, action_id: int) -> Action:
    """An outstanding action from the panel's earlier meetings (`NotFound` otherwise)."""
    action = next((a for a in earlier_outstanding(db, meeting) if a.id == action_id), None)
    if action is None:
        raise NotFound()
    return action


@operation
def mark_action_reviewed(
    db: Session, actor: User, meeting_id: int, action_id: int, *, note: str = ""
) -> Action:
    """Mark an earlier meeting's outstanding action reviewed at this meeting (once)."""
    meeting = _open_record(db, actor, meeting_id)
    action = reviewable_action(db, meeting, action_id)
    note = note.strip()
    if len(note) > 2000:
        raise Invalid({"note": "Field cannot be longer than 2000 characters."})
    if action.id not in action_reviews(db, meeting.id, [action.id]):
        db.add(
            ActionReview(
                action_id=action.id,
                meeting_id=meeting.id,
                reviewed_by_id=actor.id,
                reviewed_at=utcnow(),
                note=note,
            )
        )
        record(
            db,
            "action_reviewed",
            "action",
            action.id,
            f"Reviewed at the meeting of {format_date(meeting.meeting_date)}",
            user=actor,
        )
    return action


# ---- completing the record --------------------------------------------------------------


@operation
def record_checklist_viewed(db: Session, actor: User, meeting_id: int) -> Meeting:
    """The coordinator opened the checklist before completing the record."""
    meeting = recording_meeting(db, actor, meeting_id)
    record(
        db,
        "meeting_record_checked",
        RECORD_OBJECT,
        meeting.id,
        "Viewed the record checklist",
        user=actor,
    )
    return meeting


@operation
def complete_record(db: Session, actor: User, meeting_id: int) -> Meeting:
    """Mark the meeting held once it has happened and every listed case has a decision."""
    meeting = _open_record(db, actor, meeting_id)
    if meeting.meeting_date > uk_today():
        raise Invalid(
            {"submit": "The meeting has not happened yet: complete the record on the day"}
        )
    pending = [r for i, r in listed_items(db, meeting) if not i.decision]
    withheld = withheld_referrals(db, actor, pending)
    undecided = [placeholder(withheld[r.id]) if r.id in withheld else r.reference for r in pending]
    if undecided:
        raise Invalid(
            {
                "submit": "Record a decision for every case before completing the record: "
                + ", ".join(undecided)
            }
        )
    meeting.status = MeetingStatus.HELD.value
    meeting.record_completed_at = meeting.record_completed_at or utcnow()
    record(
        db,
        "meeting_record_completed",
        RECORD_OBJECT,
        meeting.id,
        "Record completed; meeting held",
        user=actor,
    )
    _flush_or_conflict(db)
    return meeting
