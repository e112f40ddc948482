"""Issue 18: one person, one open case (merging), and the evidence behind a referral."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.accounts.models import Role
from marac.assessments.models import RiskMeasure
from marac.operations import Refused
from marac.referrals import operations
from marac.referrals.models import Referral, ReferralIncident, ReferralSource, ReferralStatus
from tests.factories import make_user
from tests.referrals.helpers import (
    World,
    link,
    make_endorsed,
    make_incident,
    make_person,
    make_referral,
)


@pytest.fixture
def world(db: Session) -> World:
    return World(db)


def _pair(db: Session, world: World) -> tuple[Referral, Referral]:
    """An accepted partner referral, and a new automatic one about the same person."""
    open_one = make_referral(
        db, world.person, world.area, referrer=world.referrer, status=ReferralStatus.ACCEPTED,
        trigger_reasons=["Professional judgement: referred by Police"], risk_level="medium",
    )  # fmt: skip
    link(db, open_one, world.incident)
    second = make_incident(db, world.referrer, world.person, world.area)
    new_one = make_referral(
        db, world.person, world.area, referrer=world.referrer, risk_level="high",
        source=ReferralSource.AUTOMATIC_ESCALATION,
        trigger_reasons=["Escalation: 3 incidents in 365 days"],
    )  # fmt: skip
    link(db, new_one, second)
    link(db, new_one, world.incident)
    return open_one, new_one


def _incidents(db: Session, referral: Referral) -> set[int]:
    return set(
        db.scalars(
            select(ReferralIncident.incident_id).where(ReferralIncident.referral_id == referral.id)
        )
    )


def test_merge_moves_reasons_and_incidents_and_closes_the_new_one(
    db: Session, world: World
) -> None:
    open_one, new_one = _pair(db, world)
    wanted = _incidents(db, open_one) | _incidents(db, new_one)
    into = operations.merge_referral(
        db, world.coordinator, new_one.id, version=new_one.version, into_id=open_one.id
    )
    db.expire_all()
    merged = db.get(Referral, new_one.id)
    assert into.id == open_one.id
    assert merged is not None and merged.status == ReferralStatus.MERGED
    assert merged.merged_into_id == open_one.id and merged.closed_at is not None
    target = db.get(Referral, open_one.id)
    assert target is not None and target.status == ReferralStatus.ACCEPTED
    assert f"Escalation: 3 incidents in 365 days (from {new_one.reference})" in (
        target.trigger_reasons
    )
    assert target.risk_level == "high"
    assert _incidents(db, target) == wanted


def test_merge_is_refused_to_others_and_for_another_persons_case(db: Session, world: World) -> None:
    open_one, new_one = _pair(db, world)
    admin = make_user(db, Role.ADMIN)
    for actor in (world.referrer, world.other_coordinator, admin):
        with pytest.raises(Refused):
            operations.merge_referral(
                db, actor, new_one.id, version=new_one.version, into_id=open_one.id
            )
    stranger = make_referral(
        db, make_person(db), world.area, status=ReferralStatus.ACCEPTED, referrer=world.referrer
    )
    with pytest.raises(operations.CannotMerge):
        operations.merge_referral(
            db, world.coordinator, new_one.id, version=new_one.version, into_id=stranger.id
        )
    db.expire_all()
    assert db.get(Referral, new_one.id).status == ReferralStatus.NEW  # type: ignore[union-attr]


def test_screening_offers_the_merge_and_the_merged_page_links_to_the_case(
    db: Session, world: World, login
) -> None:
    open_one, new_one = _pair(db, world)
    client = login(world.coordinator)
    page = client.get(f"/referrals/{new_one.id}").get_data(as_text=True)
    assert "other open referral</h3>" in page
    assert f"Merge into {open_one.reference}" in page
    response = client.submit(
        f"/referrals/{new_one.id}/merge",
        {"merge-version": str(new_one.version), "merge-into_id": str(open_one.id)},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/referrals/{open_one.id}")
    merged_page = client.get(f"/referrals/{new_one.id}").get_data(as_text=True)
    assert "This referral was merged into" in merged_page
    assert f'href="/referrals/{open_one.id}"' in merged_page
    assert "Screen the referral" not in merged_page


def test_the_referrer_is_not_offered_the_merge(db: Session, world: World, login) -> None:
    _open_one, new_one = _pair(db, world)
    page = login(world.referrer).get(f"/referrals/{new_one.id}").get_data(as_text=True)
    assert "Merge into" not in page


def test_repeat_rows_agree_with_the_repeat_flags(db: Session, world: World, login) -> None:
    """A referral stored as a repeat says Yes only when the flag beside it says so too."""
    lone = make_referral(db, world.person, world.area, referrer=world.referrer, is_repeat=True)
    page = login(world.coordinator).get(f"/referrals/{lone.id}").get_data(as_text=True)
    row = page.split("Repeat referral</dt>")[1].split("</dd>")[0]
    assert "No" in row and "Yes" not in row


# ---- the evidence ------------------------------------------------------------------------


def _automatic(db: Session, world: World) -> Referral:
    assessment = make_endorsed(db, world.referrer, world.incident)
    assessment.answers = {"incident_threat_to_kill": "yes"}
    assessment.judgement_rationale = "Targeted at home three nights running."
    assessment.endorsed_by_id = world.referrer.id
    db.add(
        RiskMeasure(assessment_id=assessment.id, description="Fit a doorbell camera", rara="reduce")
    )
    db.commit()
    referral = make_referral(
        db, world.person, world.area, referrer=world.referrer, risk_level="high",
        source=ReferralSource.AUTOMATIC_HIGH_RISK, assessment_id=assessment.id,
    )  # fmt: skip
    link(db, referral, world.incident)
    return referral


def test_an_automatic_referrals_page_shows_the_assessment_behind_it(
    db: Session, world: World, login
) -> None:
    referral = _automatic(db, world)
    page = login(world.coordinator).get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert "The risk assessment behind the referral" in page
    assert f'href="/assessments/{referral.assessment_id}"' in page
    assert "Critical answer" in page
    assert "Targeted at home three nights running." in page
    assert "Fit a doorbell camera" in page
    assert "endorsed by" in page


def test_a_panel_member_reads_the_case_but_not_the_assessment(
    db: Session, world: World, login
) -> None:
    """Need-to-know: someone who may not open the assessment sees only that it exists."""
    referral = _automatic(db, world)
    other_police = make_user(db, Role.REFERRER)
    referral.referrer_id = other_police.id  # they referred it, but did not assess it
    db.commit()
    page = login(other_police).get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert "The risk assessment behind the referral" in page
    assert "Fit a doorbell camera" not in page
    assert f'href="/assessments/{referral.assessment_id}"' not in page
