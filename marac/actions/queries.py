"""The SQL twins of the action rules: whose actions, overdue, and the owner's order.

Lists filter and sort in the database so each page runs a fixed number of queries.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, case, false, or_, select
from sqlalchemy.orm import Session

from marac.accounts.models import Agency, Role, User
from marac.actions.models import OUTSTANDING_STATUSES, Action
from marac.panels.models import Meeting
from marac.referrals.models import Referral


def outstanding() -> ColumnElement[bool]:
    return Action.status.in_(OUTSTANDING_STATUSES)


def overdue(today: date) -> ColumnElement[bool]:
    """`rules.is_overdue` as SQL."""
    return and_(outstanding(), Action.due_date < today)


def assigned_to(user: Any) -> ColumnElement[bool]:
    """Named to the user, or given to their agency with nobody named ("my actions")."""
    return or_(
        Action.officer_id == user.id,
        and_(Action.officer_id.is_(None), Action.agency_id == user.agency_id),
    )


def agency_scope(user: Any) -> ColumnElement[bool]:
    """What the agency view lists: a manager's agency; a coordinator's areas' cases.

    Needs Referral joined (for the coordinator's areas).
    """
    clauses: list[ColumnElement[bool]] = []
    if is_agency_manager(user):
        clauses.append(Action.agency_id == user.agency_id)
    if user.has_role(Role.COORDINATOR):
        area_ids = [a.id for a in user.areas]
        clauses.append(or_(Referral.area_id.is_(None), Referral.area_id.in_(area_ids)))
    return or_(*clauses) if clauses else false()


def is_agency_manager(user: Any) -> bool:
    """Supervisors and panel members see all their agency's actions."""
    return bool(user.has_role(Role.MEMBER) or (user.has_role(Role.REFERRER) and user.is_supervisor))


def owner_order(today: date) -> tuple[Any, ...]:
    """`rules.sort_key` as ORDER BY: overdue, outstanding, finished; then due date."""
    group = case(
        (overdue(today), 0),
        (outstanding(), 1),
        else_=2,
    )
    return (group, Action.due_date, Action.id)


def edit_choices(db: Session, action: Action) -> tuple[list[Agency], list[User]]:
    """Who may own the action once corrected: the panel's agencies (all active ones for an
    action agreed outside a meeting, and always its current agency) and their officers."""
    meeting = db.get(Meeting, action.meeting_id) if action.meeting_id else None
    if meeting is not None:
        agencies = sorted(meeting.panel.agencies, key=lambda a: a.name)
    else:
        agencies = list(db.scalars(select(Agency).where(Agency.active).order_by(Agency.name)))
    ids = [a.id for a in agencies] or [action.agency_id]
    if action.agency_id not in ids:
        extra = db.get(Agency, action.agency_id)
        if extra is not None:
            agencies.append(extra)
            ids.append(extra.id)
    officers = list(
        db.scalars(
            select(User)
            .where(User.agency_id.in_(ids), User.active, User.role != Role.ADMIN.value)
            .order_by(User.name)
        )
    )
    return agencies, officers
