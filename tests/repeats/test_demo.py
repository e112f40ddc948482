"""The repeat-tracking demo stories show every flag, a linked case and a duplicate."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.accounts.models import Role
from marac.referrals.models import Referral
from marac.repeats.demo import load_repeat_demo
from marac.repeats.flags import (
    REPEAT_LOCATION,
    REPEAT_PERPETRATOR,
    REPEAT_REFERRAL,
    flags_for_referrals,
    linked_cases,
)
from marac.repeats.merge import likely_duplicates
from tests.factories import make_area, make_user


def test_the_demo_stories(db: Session) -> None:
    make_area(db, "Ashbrook North", districts="AK1 AK2 AK3")
    make_area(db, "Ashbrook Central", districts="AK4 AK5")
    make_user(db, Role.REFERRER, email="police.referrer@ashbrook.example")
    make_user(db, Role.COORDINATOR, email="coordinator@ashbrook.example")
    assert "three households" in load_repeat_demo(db)
    db.commit()
    assert "already present" in load_repeat_demo(db)

    referrals = list(db.scalars(select(Referral).order_by(Referral.id)))
    flags = flags_for_referrals(db, [r.id for r in referrals], date.today())
    codes = {r.id: {f.code for f in flags[r.id]} for r in referrals}
    estate = referrals[:3]
    assert all(REPEAT_PERPETRATOR in codes[r.id] for r in estate)
    assert len(linked_cases(db, estate[0].id)) >= 2
    location = referrals[3]
    assert REPEAT_LOCATION in codes[location.id]
    assert REPEAT_REFERRAL in codes[referrals[5].id]
    # The repeat victim's second referral points at the first, which was screened.
    assert referrals[5].previous_referral_id == referrals[4].id and referrals[5].is_repeat
    assert referrals[4].screened_at is not None
    names = {(p.first.full_name, p.second.full_name) for p in likely_duplicates(db)}
    assert ("Gracie Okonkwo", "Gracie Okonkow") in names
