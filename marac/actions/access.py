"""Who may see and update an action. Plain rules over the action and its case.

Action owners (the named officer, or anyone in the owning agency when nobody is named)
and their agency's managers (supervisors and panel members) work on the action and see
only the minimum case context. The coordinators of the case's area see and edit it.
Admins see no case data.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import object_session

from marac.actions.clauses import is_agency_manager
from marac.actions.models import Action
from marac.people.restriction import is_hidden, no_case_content, waiving
from marac.referrals.access import covers_area
from marac.referrals.models import Referral


def owns_action(user: Any, action: Action) -> bool:
    """Named to the user, or to the user's agency with nobody named."""
    if action.officer_id is not None:
        return action.officer_id == user.id
    return action.agency_id == user.agency_id


def _restricted_from(user: Any, action: Action) -> bool:
    """The case's person is restricted from `user` (marac.people.restriction)."""
    session = object_session(action)
    if session is None:
        return False
    # A case page lists many actions of one case: ask once per case, not once per action.
    memo = session.info.setdefault("marac_actions_restricted", {})
    key = (getattr(user, "id", None), action.referral_id, waiving())
    if key not in memo:
        person_id = session.scalar(
            select(Referral.person_id).where(Referral.id == action.referral_id)
        )
        memo[key] = is_hidden(session, user, person_id)
    return memo[key]


def can_view_action(user: Any, action: Action, area_id: int | None) -> bool:
    """`area_id` is the case's area (the coordinators of that area run its panel)."""
    if no_case_content(user) or _restricted_from(user, action):
        return False
    if covers_area(user, area_id):
        return True
    if owns_action(user, action):
        return True
    return action.agency_id == user.agency_id and is_agency_manager(user)


def can_update_action(user: Any, action: Action, area_id: int | None) -> bool:
    """Everyone who may see an action may record progress on it."""
    return can_view_action(user, action, area_id)


def can_edit_action(user: Any, area_id: int | None) -> bool:
    """Only the coordinators of the case's area change what was agreed."""
    return covers_area(user, area_id)
