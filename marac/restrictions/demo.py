"""A restricted record in the demo borough, so the feature can be seen as each role sees it.

The person of the newest referral waiting for screening is restricted by the coordinator
(as a relative of a member of council staff would be), with the panel chair named. Other
users who would see the case (the referring officer, members) meet the placeholder and
can ask for access; one such request from the referring officer waits for the coordinator.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.accounts.models import User
from marac.demo_borough import DEMO_DOMAIN
from marac.people.restriction import PersonRestriction
from marac.referrals.access import coordinator_scope
from marac.referrals.models import Referral, ReferralStatus
from marac.restrictions.operations import request_access, restrict_person

REASON = (
    "A close relative of a member of council staff: the case is kept to the coordinator "
    "and the chair."
)
ASK = "I referred this case and need to see the coordinator's questions about it."


def _user(db: Session, local: str) -> User | None:
    return db.scalar(select(User).where(User.email == f"{local}@{DEMO_DOMAIN}"))


def load_restriction_demo(db: Session) -> str:
    """Restrict one waiting case's person once; later runs change nothing."""
    if db.scalar(select(PersonRestriction.id).limit(1)) is not None:
        return "Demo restricted records: already there."
    coordinator, chair = _user(db, "coordinator"), _user(db, "chair")
    if coordinator is None or chair is None:
        return "Demo restricted records: no coordinator to restrict with."
    referral = db.scalar(
        select(Referral)
        .where(
            Referral.status == ReferralStatus.NEW.value,
            Referral.person_id.is_not(None),
            Referral.referrer_id.is_not(None),
            coordinator_scope(coordinator),
        )
        .order_by(Referral.created_at.desc(), Referral.id.desc())
        .limit(1)
    )
    if referral is None or referral.person_id is None:
        return "Demo restricted records: no waiting referral to restrict."
    restrict_person(db, coordinator, referral.person_id, REASON, [chair.email])
    referrer = db.get(User, referral.referrer_id)
    asked = ""
    if referrer is not None and referrer.id not in (coordinator.id, chair.id):
        request_access(db, referrer, referral.person_id, ASK)
        asked = f"; {referrer.name} has asked for access"
    return f"Demo restricted records: the person of {referral.reference} is restricted{asked}."
