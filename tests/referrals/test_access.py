"""Who may see a referral and its lists: refusals as well as the happy path."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.accounts.models import Role
from marac.audit.models import AuditEvent
from marac.referrals.models import Referral, ReferralStatus
from tests.factories import make_agency, make_user
from tests.referrals.helpers import World, make_coordinator, make_referral


@pytest.fixture
def world(db: Session) -> World:
    return World(db)


@pytest.fixture
def referral(db: Session, world: World) -> Referral:
    return make_referral(db, world.person, world.area, referrer=world.referrer)


def test_the_referrer_sees_their_referral_and_it_is_audited(
    db: Session, world: World, referral: Referral, login
) -> None:
    response = login(world.referrer).get(f"/referrals/{referral.id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert referral.reference in page and world.person.full_name in page
    assert "Screen the referral" not in page
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "referral_viewed"))
    assert event is not None and event.object_id == str(referral.id)
    assert event.user_id == world.referrer.id


def test_the_areas_coordinator_sees_it(db: Session, world: World, referral, login) -> None:
    assert login(world.coordinator).get(f"/referrals/{referral.id}").status_code == 200


def test_any_coordinator_sees_a_referral_with_no_area(db: Session, world: World, login) -> None:
    unplaced = make_referral(db, world.person, None, referrer=world.referrer)
    assert login(world.other_coordinator).get(f"/referrals/{unplaced.id}").status_code == 200


def test_refusals(db: Session, world: World, referral: Referral, login) -> None:
    colleague = make_user(db, Role.REFERRER, agency=world.police)  # same agency, not theirs
    supervisor = make_user(db, Role.REFERRER, agency=world.police, supervisor=True)
    member = make_user(db, Role.MEMBER, agency=make_agency(db))
    admin = make_user(db, Role.ADMIN)
    for user in (colleague, supervisor, member, admin, world.other_coordinator):
        client = login(user)
        assert client.get(f"/referrals/{referral.id}").status_code == 403, user.role
    assert not db.scalars(select(AuditEvent).where(AuditEvent.action == "referral_viewed")).all()


def test_screening_actions_are_refused_to_others(
    db: Session, world: World, referral: Referral, login
) -> None:
    data = {
        "accept-version": "1",
        "accept-area_id": str(world.area.id),
        "decline-version": "1",
        "decline-reason": "criteria",
        "decline-details": "No",
        "more-version": "1",
        "more-request_text": "More?",
    }
    admin = make_user(db, Role.ADMIN)
    for user in (world.referrer, world.other_coordinator, admin):
        client = login(user)
        for action in ("accept", "decline", "more-information"):
            response = client.submit(f"/referrals/{referral.id}/{action}", data)
            assert response.status_code == 403, (user.role, action)
    db.expire_all()
    assert db.get(Referral, referral.id).status == ReferralStatus.NEW  # type: ignore[union-attr]


def test_coordinator_lists_are_for_coordinators_only(db: Session, world: World, login) -> None:
    member = make_user(db, Role.MEMBER, agency=make_agency(db))
    admin = make_user(db, Role.ADMIN)
    for user in (world.referrer, member, admin):
        client = login(user)
        assert client.get("/referrals/screening").status_code == 403
        assert client.get("/referrals/high-risk").status_code == 403


def test_your_referrals_lists_only_your_own(db: Session, world: World, login) -> None:
    mine = make_referral(db, world.person, world.area, referrer=world.referrer)
    declined = make_referral(
        db, world.person, world.area, referrer=world.referrer, status=ReferralStatus.DECLINED
    )
    colleague = make_user(db, Role.REFERRER, agency=world.police)
    theirs = make_referral(db, world.person, world.area, referrer=colleague)
    page = login(world.referrer).get("/referrals").get_data(as_text=True)
    assert mine.reference in page and declined.reference in page
    assert theirs.reference not in page
    assert "Waiting for screening" in page and "Declined" in page
    assert "Screen new referrals" not in page
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "referrals_listed"))


def test_coordinators_get_a_link_to_screening(db: Session, world: World, login) -> None:
    page = login(world.coordinator).get("/referrals").get_data(as_text=True)
    assert 'href="/referrals/screening"' in page


def test_a_coordinator_with_two_areas_screens_both(db: Session, world: World, login) -> None:
    both = make_coordinator(db, world.area, world.other_area)
    here = make_referral(db, world.person, world.area)
    there = make_referral(db, world.person, world.other_area)
    page = login(both).get("/referrals/screening").get_data(as_text=True)
    assert here.reference in page and there.reference in page
