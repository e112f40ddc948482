"""Referral pages name only the linked and previous referrals the viewer may open (issue 13)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from marac.accounts.models import Role
from marac.db import utcnow
from marac.referrals.models import ReferralStatus
from tests.factories import make_user
from tests.referrals.helpers import World, link, make_incident, make_person, make_referral


def test_a_previous_referral_the_viewer_may_not_open_is_not_named(db: Session, login) -> None:
    world = World(db)
    someone_else = make_user(db, Role.REFERRER)
    earlier = make_referral(
        db,
        world.person,
        world.other_area,
        referrer=someone_else,
        status=ReferralStatus.CLOSED,
        created_at=utcnow() - timedelta(days=90),
        reference="CM-1999-0042",
    )
    mine = make_referral(
        db, world.person, world.area, referrer=world.referrer, previous_referral_id=earlier.id
    )
    mine.is_repeat = True
    db.commit()
    page = login(world.referrer).get(f"/referrals/{mine.id}").get_data(as_text=True)
    assert "Repeat referral" in page and "CM-1999-0042" not in page
    assert f"/referrals/{earlier.id}" not in page
    # The other area's coordinator may open the earlier one, so sees it named there.
    world.other_coordinator.areas = [world.area, world.other_area]
    db.commit()
    page = login(world.other_coordinator).get(f"/referrals/{mine.id}").get_data(as_text=True)
    assert f"/referrals/{earlier.id}" in page and "CM-1999-0042" in page


def test_linked_cases_list_only_what_the_viewer_may_open(db: Session, login) -> None:
    world = World(db)
    someone_else = make_user(db, Role.REFERRER)

    def case(area, referrer, reference):  # type: ignore[no-untyped-def]
        victim = make_person(db)
        incident = make_incident(db, world.referrer, victim, area, postcode="AK1 1AA")
        referral = make_referral(db, victim, area, referrer=referrer, reference=reference)
        link(db, referral, incident)
        return referral

    mine = case(world.area, world.referrer, "CM-2026-0001")
    same_area = case(world.area, someone_else, "CM-2026-0002")
    elsewhere = case(world.other_area, someone_else, "CM-2026-0003")

    page = login(world.referrer).get(f"/referrals/{mine.id}").get_data(as_text=True)
    assert "Linked cases" in page
    assert same_area.reference not in page and elsewhere.reference not in page
    assert "No other referral that you can open shares" in page  # no hint that others exist

    page = login(world.coordinator).get(f"/referrals/{mine.id}").get_data(as_text=True)
    assert same_area.reference in page  # the area's coordinator may open it
    assert elsewhere.reference not in page  # another area's case stays out of sight
