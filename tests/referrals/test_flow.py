"""End to end through the real pages: endorsement refers the case with no other step."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.accounts.models import Role
from marac.assessments.models import RiskAssessment
from marac.referrals.models import Referral
from tests.assessments.helpers import make_assessment
from tests.factories import make_user
from tests.incidents.helpers import existing_person_data
from tests.referrals.helpers import World


def test_endorsed_high_risk_reaches_the_coordinators_queue(db: Session, login) -> None:
    world = World(db)
    supervisor = make_user(db, Role.REFERRER, agency=world.police, supervisor=True)
    assessment = make_assessment(db, world.referrer, world.incident, judgement="high")
    version = db.get(RiskAssessment, assessment.id).version  # type: ignore[union-attr]
    response = login(supervisor).submit(
        f"/assessments/{assessment.id}/endorse",
        {"final_level": "high", "reason": "", "version": version},
    )
    assert response.status_code == 302
    referral = db.scalar(select(Referral).where(Referral.assessment_id == assessment.id))
    assert referral is not None
    coordinator = login(world.coordinator)
    queue = coordinator.get("/referrals/screening").get_data(as_text=True)
    assert referral.reference in queue and world.person.full_name in queue
    assert referral.reference in coordinator.get("/referrals/high-risk").get_data(as_text=True)
    page = coordinator.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert "Endorsed risk level is high" in page and "Referred automatically" in page
    # The assessor sees it among their referrals; the other area's coordinator does not.
    assert referral.reference in login(world.referrer).get("/referrals").get_data(as_text=True)
    other = login(world.other_coordinator).get("/referrals/screening").get_data(as_text=True)
    assert referral.reference not in other


def test_the_third_recorded_incident_refers_the_case(db: Session, login) -> None:
    """Incidents recorded through the real form: the third in 12 months is escalation."""
    world = World(db)
    client = login(world.referrer)
    for _ in range(2):  # world.incident is the first
        response = client.submit(
            f"/incidents/new?person_id={world.person.id}", existing_person_data()
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    [referral] = db.scalars(select(Referral)).all()
    assert referral.source == "automatic_escalation"
    assert referral.trigger_reasons == ["Escalation: 3 incidents in the last 12 months"]
    assert referral.area_id == world.area.id
    queue = login(world.coordinator).get("/referrals/screening").get_data(as_text=True)
    assert referral.reference in queue
    # A fourth incident while the referral waits is added to it, not a second referral.
    client.submit(f"/incidents/new?person_id={world.person.id}", existing_person_data())
    db.expire_all()
    [same] = db.scalars(select(Referral)).all()
    assert same.id == referral.id
    assert same.trigger_reasons[-1] == "Escalation: 4 incidents in the last 12 months"
