"""Who may see and screen a referral. Plain rules (no request needed), plus the SQL twin.

The referrer sees what they referred; the coordinators of the referral's area see and
screen it (every coordinator while the area is unknown, so nothing falls between
panels). Members of a panel's agencies see the cases listed on its published agendas
until closure (marac.meetings.access). Nobody else does: admins run the system and
never see case data, nor does information governance (NO_CASE_ROLES). A referral whose
person is restricted is hidden from everyone the restriction does not let through.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, and_, case, false, or_, select
from sqlalchemy.orm import Session, object_session

from marac.accounts.areas import covers_area
from marac.accounts.models import Role
from marac.meetings.access import member_can_view_referral, member_viewable_referrals
from marac.people.access import can_view_person
from marac.people.models import Person
from marac.people.restriction import is_hidden, no_case_content, shown_person
from marac.referrals.models import Referral, ReferralStatus

SCREENABLE_STATUSES = (ReferralStatus.NEW.value, ReferralStatus.MORE_INFO.value)


def can_view_referral(user: Any, referral: Referral, session: Session | None = None) -> bool:
    """The referrer, the area's coordinators and, given a session, the panel's members.

    Members see a case only while it is listed on a published agenda of a panel their
    agency sits on, until it is closed (marac.meetings.access); that needs a query,
    hence the optional session. A referral of a restricted person is shown only to
    those the restriction lets through (marac.people.restriction).
    """
    if no_case_content(user):
        return False
    if is_hidden(session or object_session(referral), user, referral.person_id):
        return False
    if referral.referrer_id == user.id or covers_area(user, referral.area_id):
        return True
    if session is not None and user.has_role(Role.MEMBER):
        return member_can_view_referral(session, user, referral.id)
    return False


def can_screen_referral(user: Any, referral: Referral) -> bool:
    if is_hidden(object_session(referral), user, referral.person_id):
        return False
    return covers_area(user, referral.area_id)


def coordinator_scope(user: Any) -> ColumnElement[bool]:
    """`covers_area` as a WHERE clause on Referral, for the coordinator's lists."""
    if not user.has_role(Role.COORDINATOR):
        return false()
    area_ids = [a.id for a in user.areas]
    return and_(
        or_(Referral.area_id.is_(None), Referral.area_id.in_(area_ids)),
        shown_person(user, Referral.person_id),
    )


def viewable_referrals(user: Any) -> ColumnElement[bool]:
    """`can_view_referral` (members included) as a WHERE clause on Referral, for lists."""
    if no_case_content(user):
        return false()
    return and_(
        or_(
            Referral.referrer_id == user.id,
            coordinator_scope(user),
            member_viewable_referrals(user),
        ),
        shown_person(user, Referral.person_id),
    )


def can_see_subject(session: Session, user: Any, referral: Referral, person: Person | None) -> bool:
    """The subject's recorded details (date of birth, address, needs from their record).

    The area's coordinators and the panel's members read the case, so they see them; a
    referrer sees them only if they may see the person. A referrer whose incident was
    linked by matching to someone they may not see is shown their referral, not the person.
    """
    if person is not None and is_hidden(session, user, person.id):
        return False
    if person is None or covers_area(user, referral.area_id):
        return True
    if user.has_role(Role.MEMBER) and member_can_view_referral(session, user, referral.id):
        return True
    return can_view_person(session, user, person)


REFERENCE = re.compile(r"\bCM-\d{4}-\d{4,}\b")
HIDDEN_REFERENCE = "(a referral you cannot open)"


def hidden_references(session: Session, user: Any, texts: Iterable[str]) -> set[str]:
    """References named in `texts` that belong to referrals the user may not open (one query)."""
    named = {ref for text in texts for ref in REFERENCE.findall(text)}
    if not named:
        return set()
    rows = session.execute(
        select(Referral.reference, case((viewable_referrals(user), 1), else_=0)).where(
            Referral.reference.in_(named)
        )
    )
    return {reference for reference, visible in rows if not visible}


def redact_references(text: str, hidden: set[str]) -> str:
    """`text` with each hidden reference, and the date that follows it, left out."""
    for reference in hidden:
        text = re.sub(
            re.escape(reference) + r"( on \d{1,2} [A-Z][a-z]+ \d{4})?", HIDDEN_REFERENCE, text
        )
    return text
