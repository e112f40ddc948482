"""Who hears about a referral: the area's coordinators, and the referrer asked for more."""

from __future__ import annotations

from sqlalchemy.orm import Session

from marac.accounts.models import User
from marac.notify.events import (
    MORE_INFO_REQUESTED,
    REFERRAL_CREATED,
    Notice,
    active,
    coordinators_for_area,
    deliver,
    quietly,
)
from marac.referrals.models import Referral


@quietly
def referral_created(session: Session, referral: Referral) -> list[User]:
    """A new referral (automatic or partner) waits for screening by its area's coordinators."""
    notice = Notice(
        REFERRAL_CREATED,
        f"New MARAC referral {referral.reference} to screen",
        f"Referral {referral.reference} is waiting for screening.",
        referral.reference,
        f"/referrals/{referral.id}",
    )
    return deliver(session, coordinators_for_area(session, referral.area_id), notice)


@quietly
def more_info_requested(session: Session, referral: Referral) -> list[User]:
    """The coordinator asked the referrer for more information."""
    referrer = session.get(User, referral.referrer_id) if referral.referrer_id else None
    notice = Notice(
        MORE_INFO_REQUESTED,
        f"More information needed for referral {referral.reference}",
        f"The MARAC coordinator needs more information about referral {referral.reference}.",
        referral.reference,
        f"/referrals/{referral.id}",
    )
    return deliver(session, active([referrer]) if referrer else [], notice)
