"""What an action owner may know about the case behind an action, and the header count.

The minimum context (DESIGN.md §2, "action owner"): the case reference, the subject's
name and address, and the meeting that agreed the action. Nothing any agency shared.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import g
from flask_login import current_user
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from marac.accounts.models import Role
from marac.actions.clauses import assigned_to, outstanding
from marac.actions.models import Action, ActionUpdate
from marac.db import db_session
from marac.formatting import uk_today
from marac.panels.models import Meeting
from marac.people.models import Person
from marac.referrals.models import Referral, SubjectType


@dataclass(frozen=True)
class CaseContext:
    referral_id: int
    reference: str
    subject: str
    address: str
    area_id: int | None
    meeting_date: date | None


def _context_for(referral: Referral, person: Person | None, meeting: Meeting | None) -> CaseContext:
    if referral.subject_type == SubjectType.LOCATION.value:
        subject = "A location"
        address = " ".join(p for p in (referral.location, referral.location_postcode) if p)
    else:
        subject = person.full_name if person else "Not recorded"
        address = (
            ", ".join(p for p in (person.address.replace("\n", ", "), person.postcode) if p)
            if person
            else ""
        )
    return CaseContext(
        referral_id=referral.id,
        reference=referral.reference,
        subject=subject,
        address=address,
        area_id=referral.area_id,
        meeting_date=meeting.meeting_date if meeting else None,
    )


def case_contexts(session: Session, actions: Iterable[Action]) -> dict[int, CaseContext]:
    """Action id -> its case context, in three queries whatever the number of actions."""
    actions = list(actions)
    if not actions:
        return {}
    referrals = {
        r.id: r
        for r in session.scalars(
            select(Referral).where(Referral.id.in_({a.referral_id for a in actions}))
        )
    }
    person_ids = {r.person_id for r in referrals.values() if r.person_id is not None}
    people = (
        {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(person_ids)))}
        if person_ids
        else {}
    )
    meeting_ids = {a.meeting_id for a in actions if a.meeting_id is not None}
    meetings = (
        {m.id: m for m in session.scalars(select(Meeting).where(Meeting.id.in_(meeting_ids)))}
        if meeting_ids
        else {}
    )
    result: dict[int, CaseContext] = {}
    for a in actions:
        referral = referrals[a.referral_id]
        person = people.get(referral.person_id) if referral.person_id else None
        result[a.id] = _context_for(referral, person, meetings.get(a.meeting_id or 0))
    return result


def latest_progress(session: Session, action_ids: Iterable[int]) -> dict[int, ActionUpdate]:
    """Each action's latest progress log entry (action id -> entry), in one query."""
    ids = list(action_ids)
    if not ids:
        return {}
    latest = (
        select(func.max(ActionUpdate.id))
        .where(ActionUpdate.action_id.in_(ids))
        .group_by(ActionUpdate.action_id)
    )
    rows = session.scalars(select(ActionUpdate).where(ActionUpdate.id.in_(latest)))
    return {row.action_id: row for row in rows}


def action_counts(session: Session, user: Any, today: date) -> tuple[int, int]:
    """The user's own actions ("my actions"): (outstanding, overdue), in one query.

    Only outstanding rows are read (on the officer/agency + status indexes), so the cost
    follows the open work, not every action the user ever had.
    """
    outstanding_count, overdue_count = session.execute(
        select(
            func.count(Action.id),
            func.coalesce(func.sum(case((Action.due_date < today, 1), else_=0)), 0),
        ).where(assigned_to(user), outstanding())
    ).one()
    return int(outstanding_count), int(overdue_count)


def my_action_counts() -> tuple[int, int]:
    """`action_counts` for the signed-in user, queried once per request and shared by
    the header's overdue count and the home page."""
    if "my_action_counts" not in g:
        user = current_user
        if not getattr(user, "is_authenticated", False) or user.has_role(Role.ADMIN):
            g.my_action_counts = (0, 0)
        else:
            g.my_action_counts = action_counts(db_session(), user, uk_today())
    return g.my_action_counts


def overdue_actions_context() -> dict[str, Callable[[], int]]:
    """Template context: `my_overdue_actions()` for the header, queried only when used."""
    return {"my_overdue_actions": lambda: my_action_counts()[1]}
