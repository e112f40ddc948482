"""Who may see and screen a referral. Plain rules (no request needed), plus the SQL twin.

The referrer sees what they referred; the coordinators of the referral's area see and
screen it (every coordinator while the area is unknown, so nothing falls between
panels). Members of a panel's agencies see the cases listed on its published agendas
until closure (marac.meetings.access). Nobody else does: admins run the system and
never see case data.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, false, or_
from sqlalchemy.orm import Session

from marac.accounts.models import Role
from marac.meetings.access import member_can_view_referral, member_viewable_referrals
from marac.referrals.models import Referral, ReferralStatus

SCREENABLE_STATUSES = (ReferralStatus.NEW.value, ReferralStatus.MORE_INFO.value)


def covers_area(user: Any, area_id: int | None) -> bool:
    """A coordinator covers an area they are assigned to, and every unknown area."""
    if not user.has_role(Role.COORDINATOR):
        return False
    return area_id is None or area_id in {a.id for a in user.areas}


def can_view_referral(user: Any, referral: Referral, session: Session | None = None) -> bool:
    """The referrer, the area's coordinators and, given a session, the panel's members.

    Members see a case only while it is listed on a published agenda of a panel their
    agency sits on, until it is closed (marac.meetings.access); that needs a query,
    hence the optional session.
    """
    if user.has_role(Role.ADMIN):
        return False
    if referral.referrer_id == user.id or covers_area(user, referral.area_id):
        return True
    if session is not None and user.has_role(Role.MEMBER):
        return member_can_view_referral(session, user, referral.id)
    return False


def can_screen_referral(user: Any, referral: Referral) -> bool:
    return covers_area(user, referral.area_id)


def coordinator_scope(user: Any) -> ColumnElement[bool]:
    """`covers_area` as a WHERE clause on Referral, for the coordinator's lists."""
    if not user.has_role(Role.COORDINATOR):
        return false()
    area_ids = [a.id for a in user.areas]
    return or_(Referral.area_id.is_(None), Referral.area_id.in_(area_ids))


def viewable_referrals(user: Any) -> ColumnElement[bool]:
    """`can_view_referral` (members included) as a WHERE clause on Referral, for lists."""
    if user.has_role(Role.ADMIN):
        return false()
    return or_(
        Referral.referrer_id == user.id,
        coordinator_scope(user),
        member_viewable_referrals(user),
    )
