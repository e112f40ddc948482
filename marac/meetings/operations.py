"""Every write the meeting pages do: one function each, one transaction each.

Each operation checks the actor may do it (the coordinators running the panel change its
agenda; members of its agencies add research), makes the change, records the audit row
and, after publication, the amendment members see and the notice they get.
"""

from __future__ import annotations

# ---- agenda ------------------------------------------------------------------------------
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from marac.accounts.models import User
from marac.audit import record
from marac.db import utcnow
from marac.meetings import agenda as agenda_rules
from marac.meetings import notices, queries
from marac.meetings.models import AgendaAmendment, AgendaItem, CaseResearch, ItemKind, ItemStatus
from marac.meetings.queries import MEETING_STATUS_LABELS, is_published
from marac.operations import Conflict, Invalid, operation
from marac.panels.models import AgendaStatus, Meeting, MeetingStatus
from marac.referrals.models import Referral, ReferralStatus

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
def publish_agenda(db: Session, actor: User, meeting_id: int) -> int:
    """Publish to members of the panel's agencies; returns how many cases it lists.

    From now on members see the listed cases, and every change is an amendment.
    """
    meeting = queries.running_meeting(db, actor, meeting_id)
    _changeable(meeting)
    if is_published(meeting):
        raise Invalid({"agenda": "The agenda is already published."})
    listed = queries.listed_count(db, meeting)
    if not listed:
        raise Invalid({"agenda": "Build the agenda, or add a case, before publishing it."})
    meeting.agenda_status = AgendaStatus.PUBLISHED.value
    meeting.agenda_published_at = utcnow()
    meeting.agenda_published_by_id = actor.id
    record(
        db,
        "agenda_published",
        OBJECT,
        meeting.id,
        f"Agenda published with {listed} case(s)",
        user=actor,
    )
    notices.agenda_published(db, meeting)  # members of the panel's agencies
    _flush(db)
    return listed


def _listed_item(
    db: Session, actor: User, meeting_id: int, item_id: int
) -> tuple[Meeting, AgendaItem, Referral]:
    meeting = queries.running_meeting(db, actor, meeting_id)
    item, referral = queries.agenda_item(db, meeting, item_id)
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


@operation
def add_case_to_agenda(
    db: Session, actor: User, meeting_id: int, *, referral_id: int, reason: str = ""
) -> str:
    """List one of the panel's open cases (accepted or heard) at the end of the agenda."""
    meeting = queries.running_meeting(db, actor, meeting_id)
    _changeable(meeting)
    reason = _check_reason(reason, is_published(meeting), "Enter the reason for the change")
    referral = next((r for r, _ in queries.addable_cases(db, meeting) if r.id == referral_id), None)
    if referral is None:
        raise Invalid({"referral_id": "Select the case to add to the agenda"})
    items = queries.agenda_items(db, meeting)
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
        + (f" with {cases} case(s)" if cases else ""),
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
