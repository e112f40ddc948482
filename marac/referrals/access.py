"""Who may see and screen a referral. Plain rules (no request needed), plus the SQL twin.

The referrer sees what they referred; the coordinators of the referral's area see and
screen it (every coordinator while the area is unknown, so nothing falls between
panels). Nobody else does: admins run the system and never see case data.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, false, or_

from marac.accounts.models import Role
from marac.referrals.models import Referral, ReferralStatus

SCREENABLE_STATUSES = (ReferralStatus.NEW.value, ReferralStatus.MORE_INFO.value)


def covers_area(user: Any, area_id: int | None) -> bool:
    """A coordinator covers an area they are assigned to, and every unknown area."""
    if not user.has_role(Role.COORDINATOR):
        return False
    return area_id is None or area_id in {a.id for a in user.areas}


def can_view_referral(user: Any, referral: Referral) -> bool:
    if user.has_role(Role.ADMIN):
        return False
    return referral.referrer_id == user.id or covers_area(user, referral.area_id)


def can_screen_referral(user: Any, referral: Referral) -> bool:
    return covers_area(user, referral.area_id)


def coordinator_scope(user: Any) -> ColumnElement[bool]:
    """`covers_area` as a WHERE clause on Referral, for the coordinator's lists."""
    if not user.has_role(Role.COORDINATOR):
        return false()
    area_ids = [a.id for a in user.areas]
    return or_(Referral.area_id.is_(None), Referral.area_id.in_(area_ids))
