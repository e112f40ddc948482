"""Every write to an action: agree one, record progress on it, and correct what was agreed.

Each operation checks the actor, applies the rules of `actions.rules`, writes the change
and its progress-log entry, the audit row and the notices in one transaction (see
`marac.operations`). Pages, the API and tests call these, so the rules live here.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from marac.accounts.models import Agency, Role, User
from marac.actions import notices
from marac.actions.access import can_edit_action, can_update_action, can_view_action
from marac.actions.models import Action, ActionStatus, ActionUpdate
from marac.actions.queries import edit_choices
from marac.actions.rules import (
    KIND_LABELS,
    RARA_LABELS,
    STATUS_LABELS,
    can_move,
    completed_at_after,
    due_date_problem,
)
from marac.audit import record
from marac.db import utcnow
from marac.formatting import format_date, plural, uk_today
from marac.operations import Conflict, Invalid, NotFound, allow, operation
from marac.panels.access import runs_panel
from marac.panels.models import Meeting
from marac.referrals.access import covers_area
from marac.referrals.models import Referral

OBJECT = "action"
DESCRIPTION_LIMIT = 5000
NOTE_LIMIT = 10000


def _referral(db: Session, referral_id: int) -> Referral:
    referral = db.get(Referral, referral_id)
    if referral is None:
        raise NotFound()
    return referral


def _action(db: Session, action_id: int) -> tuple[Action, Referral]:
    action = db.get(Action, action_id)
    if action is None:
        raise NotFound()
    return action, _referral(db, action.referral_id)


def _flush_or_conflict(db: Session) -> None:
    """Write now, so a save that lost the race to someone else's is a `Conflict`."""
    try:
        db.flush()
    except StaleDataError as stale:
        raise Conflict() from stale


def _check_fields(
    db: Session,
    *,
    description: str,
    kind: str,
    rara: str,
    agency_id: int | None,
    officer_id: int | None,
    due_date: date | None,
    today: date,
    unchanged_due: date | None = None,
    agency_ids: set[int] | None = None,
) -> None:
    """The rules of what was agreed; raises `Invalid` naming each broken field."""
    errors: dict[str, str] = {}
    if not description.strip():
        errors["description"] = "Enter the action"
    elif len(description) > DESCRIPTION_LIMIT:
        errors["description"] = f"The action must be {DESCRIPTION_LIMIT} characters or fewer"
    if kind not in KIND_LABELS:
        errors["kind"] = "Select the kind of action"
    if rara not in RARA_LABELS:
        errors["rara"] = "Select whether the action removes, avoids, reduces or accepts the risk"
    agency = db.get(Agency, agency_id) if agency_id else None
    if agency is None or (agency_ids is not None and agency.id not in agency_ids):
        errors["agency_id"] = "Select the agency that owns the action"
    if officer_id:
        officer = db.get(User, officer_id)
        if (
            officer is None
            or not officer.active
            or officer.has_role(Role.ADMIN)
            or officer.agency_id != agency_id
        ):
            errors["officer_id"] = "The named officer must work for the agency that owns the action"
    problem = due_date_problem(due_date, today, unchanged_due)
    if problem:
        errors["due_date"] = problem
    if errors:
        raise Invalid(errors)


@operation
def add_action(
    db: Session,
    actor: User,
    referral_id: int,
    *,
    meeting_id: int | None,
    description: str,
    kind: str,
    rara: str,
    agency_id: int,
    officer_id: int | None,
    due_date: date,
    agenda_item_id: int | None = None,
    today: date | None = None,
) -> Action:
    """Agree an action for a case: at a meeting by the coordinator running it, or outside
    one by a coordinator of the case's area. The owner(s) are told it is theirs."""
    referral = _referral(db, referral_id)
    meeting = db.get(Meeting, meeting_id) if meeting_id is not None else None
    if meeting_id is not None and meeting is None:
        raise NotFound()
    allow(runs_panel(actor, meeting.panel) if meeting else covers_area(actor, referral.area_id))
    _check_fields(
        db,
        description=description,
        kind=kind,
        rara=rara,
        agency_id=agency_id,
        officer_id=officer_id,
        due_date=due_date,
        today=today or uk_today(),
    )
    now = utcnow()
    action = Action(
        referral_id=referral.id,
        meeting_id=meeting.id if meeting else None,
        agenda_item_id=agenda_item_id,
        description=description,
        kind=kind,
        rara=rara,
        agency_id=agency_id,
        officer_id=officer_id or None,
        due_date=due_date,
        status=ActionStatus.OPEN.value,
        created_by_id=actor.id,
        created_at=now,
        updated_at=now,
    )
    db.add(action)
    db.flush()
    db.add(
        ActionUpdate(
            action_id=action.id,
            user_id=actor.id,
            created_at=now,
            status_to=action.status,
            note=(
                f"Agreed at the panel meeting on {format_date(meeting.meeting_date)}"
                if meeting
                else "Agreed outside a panel meeting"
            ),
        )
    )
    record(
        db,
        "action_added",
        OBJECT,
        action.id,
        f"{referral.reference}: action {action.id} added",
        user=actor,
    )
    notices.action_assigned(db, action, referral.reference)  # its owner(s)
    return action


@operation
def record_progress(
    db: Session,
    actor: User,
    action_id: int,
    *,
    version: int,
    status: str,
    note: str = "",
) -> Action:
    """A progress note and/or a status change; never over someone else's save."""
    action, referral = _action(db, action_id)
    allow(can_view_action(actor, action, referral.area_id))
    allow(can_update_action(actor, action, referral.area_id))
    if version != action.version:
        raise Conflict()
    before = action.status
    note = note.strip()
    if status != before and not can_move(before, status):
        raise Invalid({"status": "That status change is not allowed"})
    if status == before and not note:
        raise Invalid({"note": "Enter a progress note or change the status"})
    if len(note) > NOTE_LIMIT:
        raise Invalid({"note": f"The progress note must be {NOTE_LIMIT} characters or fewer"})
    now = utcnow()
    action.status = status
    action.completed_at = completed_at_after(status, action.completed_at, now)
    action.updated_at = now  # bumps the version even for a note alone
    moved = status != before
    db.add(
        ActionUpdate(
            action_id=action.id,
            user_id=actor.id,
            created_at=now,
            status_from=before if moved else None,
            status_to=status if moved else None,
            note=note,
        )
    )
    change = (
        f"status {STATUS_LABELS[before]} to {STATUS_LABELS[status]}"
        if moved
        else "progress note added"
    )
    record(db, "action_progress", OBJECT, action.id, f"{referral.reference}: {change}", user=actor)
    _flush_or_conflict(db)
    return action


@operation
def edit_action(
    db: Session,
    actor: User,
    action_id: int,
    *,
    version: int,
    description: str,
    kind: str,
    rara: str,
    agency_id: int,
    officer_id: int | None,
    due_date: date,
    today: date | None = None,
) -> list[str]:
    """The coordinator corrects what was agreed; the change goes in the progress log.

    Returns what changed (empty: nothing was, and nothing is written). A new owner hears
    of it.
    """
    action, referral = _action(db, action_id)
    allow(can_edit_action(actor, referral.area_id))
    if version != action.version:
        raise Conflict()
    agencies, _ = edit_choices(db, action)
    _check_fields(
        db,
        description=description,
        kind=kind,
        rara=rara,
        agency_id=agency_id,
        officer_id=officer_id,
        due_date=due_date,
        today=today or uk_today(),
        unchanged_due=action.due_date,
        agency_ids={a.id for a in agencies},
    )
    officer_id = officer_id or None
    changes = []
    if description != action.description:
        changes.append("action text")
    if kind != action.kind:
        changes.append(f"kind to {KIND_LABELS[kind]}")
    if rara != action.rara:
        changes.append(f"RARA to {RARA_LABELS[rara]}")
    if agency_id != action.agency_id:
        changes.append("owning agency")
    if officer_id != action.officer_id:
        officer = db.get(User, officer_id) if officer_id else None
        changes.append(f"named officer to {officer.name if officer else 'nobody'}")
    if due_date != action.due_date:
        changes.append(f"due date to {format_date(due_date)}")
    if not changes:
        return []
    reassigned = (officer_id, agency_id) != (action.officer_id, action.agency_id)
    now = utcnow()
    action.description = description
    action.kind = kind
    action.rara = rara
    action.agency_id = agency_id
    action.officer_id = officer_id
    action.due_date = due_date
    action.updated_at = now
    db.add(
        ActionUpdate(
            action_id=action.id,
            user_id=actor.id,
            created_at=now,
            note="Changed " + "; ".join(changes),
        )
    )
    record(
        db,
        "action_edited",
        OBJECT,
        action.id,
        f"{referral.reference}: {plural(len(changes), 'change')}",
        user=actor,
    )
    _flush_or_conflict(db)
    if reassigned:  # the new officer (or the new agency's members) hear of it
        notices.action_assigned(db, action, referral.reference)
    return changes
