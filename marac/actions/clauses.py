"""The SQL twins of the action rules: whose actions, overdue, and the owner's order.

Clauses only (no session), so access rules, the header count and `queries` share them.

Lists filter and sort in the database so each page runs a fixed number of queries.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, case, false, or_

from marac.accounts.models import Role
from marac.actions.models import OUTSTANDING_STATUSES, Action
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
