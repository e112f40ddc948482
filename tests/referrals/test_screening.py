"""Coordinator screening: accept, decline, ask for more, the referrer's reply, and locking."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.audit.models import AuditEvent
from marac.db import utcnow
from marac.referrals.models import Referral, ReferralStatus
from tests.factories import make_area
from tests.referrals.helpers import World, link, make_referral


@pytest.fixture
def world(db: Session) -> World:
    return World(db)


@pytest.fixture
def referral(db: Session, world: World) -> Referral:
    r = make_referral(db, world.person, world.area, referrer=world.referrer, risk_level="high")
    link(db, r, world.incident)
    return r


def fresh(db: Session, referral: Referral) -> Referral:
    db.expire_all()
    found = db.get(Referral, referral.id)
    assert found is not None
    return found


def actions(db: Session) -> list[str]:
    return list(db.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_the_coordinator_sees_the_screening_forms(
    db: Session, world: World, referral: Referral, login
) -> None:
    page = login(world.coordinator).get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert "Screen the referral" in page
    assert f'action="/referrals/{referral.id}/accept"' in page
    assert 'name="accept-version" type="hidden" value="1"' in page or 'value="1"' in page


def test_accept(db: Session, world: World, referral: Referral, login) -> None:
    client = login(world.coordinator)
    response = client.submit(
        f"/referrals/{referral.id}/accept",
        {"accept-version": "1", "accept-area_id": str(world.area.id)},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    saved = fresh(db, referral)
    assert saved.status == ReferralStatus.ACCEPTED
    assert saved.screened_by_id == world.coordinator.id and saved.screened_at is not None
    assert "referral_accepted" in actions(db)


def test_accept_into_another_area(db: Session, world: World, referral: Referral, login) -> None:
    response = login(world.coordinator).submit(
        f"/referrals/{referral.id}/accept",
        {"accept-version": "1", "accept-area_id": str(world.other_area.id)},
    )
    assert response.status_code == 302
    saved = fresh(db, referral)
    assert saved.area_id == world.other_area.id and saved.status == ReferralStatus.ACCEPTED
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "referral_accepted"))
    assert event is not None and "area changed" in event.summary


def test_accept_needs_an_area(db: Session, world: World, login) -> None:
    unplaced = make_referral(db, world.person, None, referrer=world.referrer)
    response = login(world.coordinator).submit(
        f"/referrals/{unplaced.id}/accept", {"accept-version": "1", "accept-area_id": "0"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Select the area whose panel should hear the case" in page
    assert fresh(db, unplaced).status == ReferralStatus.NEW


def test_decline_with_a_reason(db: Session, world: World, referral: Referral, login) -> None:
    client = login(world.coordinator)
    response = client.submit(
        f"/referrals/{referral.id}/decline",
        {
            "decline-version": "1",
            "decline-reason": "domestic_abuse_marac",
            "decline-details": "Heard at the DA MARAC on 2 March; actions are in place.",
        },
    )
    assert response.status_code == 302
    saved = fresh(db, referral)
    assert saved.status == ReferralStatus.DECLINED
    assert "Already heard at the domestic abuse MARAC" in saved.screening_note
    assert "referral_declined" in actions(db)
    page = login(world.referrer).get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert "Declined" in page and "actions are in place" in page


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"decline-details": "Something"}, "Select why you are declining the referral"),
        ({"decline-reason": "mappa"}, "Enter details of why the referral is declined"),
    ],
)
def test_decline_validation(
    db: Session, world: World, referral: Referral, login, data: dict[str, str], error: str
) -> None:
    response = login(world.coordinator).submit(
        f"/referrals/{referral.id}/decline", {"decline-version": "1", **data}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "govuk-error-summary" in page and error in page
    if "decline-details" in data:
        assert data["decline-details"] in page
    assert fresh(db, referral).status == ReferralStatus.NEW


def test_more_information_and_the_referrers_reply(
    db: Session, world: World, referral: Referral, login
) -> None:
    coordinator = login(world.coordinator)
    response = coordinator.submit(
        f"/referrals/{referral.id}/more-information",
        {"more-version": "1", "more-request_text": "Has the victim been offered a lock change?"},
    )
    assert response.status_code == 302
    saved = fresh(db, referral)
    assert saved.status == ReferralStatus.MORE_INFO
    assert saved.screening_note == "Has the victim been offered a lock change?"

    referrer = login(world.referrer)
    page = referrer.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert "Has the victim been offered a lock change?" in page
    assert f'action="/referrals/{referral.id}/reply"' in page
    empty = referrer.submit(
        f"/referrals/{referral.id}/reply",
        {"reply-version": str(saved.version), "reply-information": ""},
    )
    assert "Enter the information the coordinator asked for" in empty.get_data(as_text=True)
    response = referrer.submit(
        f"/referrals/{referral.id}/reply",
        {"reply-version": str(saved.version), "reply-information": "Yes, fitted on Monday."},
    )
    assert response.status_code == 302
    saved = fresh(db, referral)
    assert saved.status == ReferralStatus.NEW
    assert "Yes, fitted on Monday." in saved.reasons
    assert "Concerned about repeated abuse." in saved.reasons  # the original text is kept
    assert actions(db).count("referral_info_added") == 1
    history = coordinator.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert "More information requested" in history
    assert "More information added by the referrer" in history


def test_more_information_needs_text(db: Session, world: World, referral: Referral, login) -> None:
    response = login(world.coordinator).submit(
        f"/referrals/{referral.id}/more-information",
        {"more-version": "1", "more-request_text": ""},
    )
    assert "Enter what more information you need from the referrer" in response.get_data(
        as_text=True
    )
    assert fresh(db, referral).status == ReferralStatus.NEW


def test_only_the_referrer_may_reply(db: Session, world: World, login) -> None:
    waiting = make_referral(
        db, world.person, world.area, referrer=world.referrer, status=ReferralStatus.MORE_INFO
    )
    response = login(world.coordinator).submit(
        f"/referrals/{waiting.id}/reply", {"reply-version": "1", "reply-information": "x"}
    )
    assert response.status_code == 403


def test_a_stale_screening_decision_is_refused(
    db: Session, world: World, referral: Referral, login
) -> None:
    """Two coordinators open the referral; the second to act sees a conflict."""
    first, second = login(world.coordinator), login(world.coordinator)
    assert (
        first.submit(
            f"/referrals/{referral.id}/more-information",
            {"more-version": "1", "more-request_text": "Which school does the child attend?"},
        ).status_code
        == 302
    )
    response = second.submit(
        f"/referrals/{referral.id}/decline",
        {"decline-version": "1", "decline-reason": "criteria", "decline-details": "Low risk."},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Someone else changed this referral" in page
    assert "Low risk." in page  # what they typed is kept
    saved = fresh(db, referral)
    assert saved.status == ReferralStatus.MORE_INFO
    # Retrying with the version the page now carries works.
    response = second.submit(
        f"/referrals/{referral.id}/decline",
        {
            "decline-version": str(saved.version),
            "decline-reason": "criteria",
            "decline-details": "Low risk.",
        },
    )
    assert response.status_code == 302
    assert fresh(db, referral).status == ReferralStatus.DECLINED


def test_a_screened_referral_cannot_be_screened_again(db: Session, world: World, login) -> None:
    accepted = make_referral(
        db, world.person, world.area, referrer=world.referrer, status=ReferralStatus.ACCEPTED
    )
    client = login(world.coordinator)
    page = client.get(f"/referrals/{accepted.id}").get_data(as_text=True)
    assert "Screen the referral" not in page
    response = client.submit(
        f"/referrals/{accepted.id}/decline",
        {"decline-version": "1", "decline-reason": "criteria", "decline-details": "No."},
    )
    assert response.status_code == 302
    assert fresh(db, accepted).status == ReferralStatus.ACCEPTED


def test_screening_queue_order_and_scope(db: Session, world: World, login) -> None:
    now = utcnow()
    old_low = make_referral(db, world.person, world.area, created_at=now - timedelta(days=20))
    new_high = make_referral(
        db, world.person, world.area, created_at=now - timedelta(days=1), risk_level="high"
    )
    repeat = make_referral(
        db, world.person, world.area, created_at=now - timedelta(days=2), is_repeat=True
    )
    unplaced = make_referral(db, world.person, None, created_at=now - timedelta(days=30))
    waiting_info = make_referral(
        db,
        world.person,
        world.area,
        created_at=now - timedelta(days=40),
        status=ReferralStatus.MORE_INFO,
    )
    elsewhere = make_referral(db, world.person, world.other_area)
    accepted = make_referral(db, world.person, world.area, status=ReferralStatus.ACCEPTED)
    page = login(world.coordinator).get("/referrals/screening").get_data(as_text=True)
    order = [new_high, repeat, waiting_info, unplaced, old_low]
    positions = [page.index(r.reference) for r in order]
    assert positions == sorted(positions), positions
    assert elsewhere.reference not in page and accepted.reference not in page
    assert ">20<" in page  # days waiting
    assert "screening_queue_viewed" in actions(db)


def test_high_risk_not_yet_heard(db: Session, world: World, login) -> None:
    now = utcnow()
    oldest = make_referral(
        db,
        world.person,
        world.area,
        created_at=now - timedelta(days=50),
        risk_level="high",
        status=ReferralStatus.ACCEPTED,
    )
    newer = make_referral(
        db, world.person, world.area, created_at=now - timedelta(days=3), risk_level="high"
    )
    heard = make_referral(
        db, world.person, world.area, risk_level="high", status=ReferralStatus.HEARD
    )
    medium = make_referral(db, world.person, world.area, risk_level="medium")
    elsewhere = make_referral(db, world.person, world.other_area, risk_level="high")
    page = login(world.coordinator).get("/referrals/high-risk").get_data(as_text=True)
    assert page.index(oldest.reference) < page.index(newer.reference)
    assert ">50<" in page
    for hidden in (heard, medium, elsewhere):
        assert hidden.reference not in page
    assert "high_risk_list_viewed" in actions(db)


def test_the_area_select_lists_active_areas(db: Session, world: World, referral, login) -> None:
    closed = make_area(db, "Closed area", districts="QQ1", active=False)
    page = login(world.coordinator).get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert world.other_area.name in page and closed.name not in page
