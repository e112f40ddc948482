"""Issue 18: the incident page shows its assessments and referrals, and offers only what is
still possible; a second assessment of one incident is refused by the operation."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marac.accounts.models import Role
from marac.assessments import operations as ops
from marac.assessments.models import RiskAssessment
from tests.factories import make_user
from tests.referrals.helpers import World, link, make_endorsed, make_referral

START = "Start a risk assessment"


@pytest.fixture
def world(db: Session) -> World:
    return World(db)


def _count(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(RiskAssessment)) or 0


def test_a_second_assessment_is_refused_while_one_is_under_way(db: Session, world: World) -> None:
    colleague = make_user(db, Role.REFERRER, agency=world.police, supervisor=True)
    draft = ops.start_assessment(db, world.referrer, world.incident.id)
    assert ops.start_assessment(db, world.referrer, world.incident.id).id == draft.id  # reopened
    with pytest.raises(ops.AlreadyAssessed) as caught:
        ops.start_assessment(db, colleague, world.incident.id)
    assert "is in progress" in caught.value.message
    assert _count(db) == 1


def test_someone_elses_draft_is_named_but_not_offered_again(
    db: Session, world: World, login
) -> None:
    ops.start_assessment(db, world.referrer, world.incident.id)
    supervisor = make_user(db, Role.REFERRER, agency=world.police, supervisor=True)
    page = login(supervisor).get(f"/incidents/{world.incident.id}").get_data(as_text=True)
    assert "already under way, by someone else" in page
    assert START not in page
    mine = login(world.referrer).get(f"/incidents/{world.incident.id}").get_data(as_text=True)
    assert "Continue your risk assessment" in mine and "in progress" in mine


def test_an_endorsed_assessment_blocks_another(db: Session, world: World, login) -> None:
    make_endorsed(db, world.referrer, world.incident)
    client = login(world.referrer)
    page = client.get(f"/incidents/{world.incident.id}").get_data(as_text=True)
    assert START not in page
    assert "endorsed as high risk" in page
    response = client.submit("/assessments/start", {"incident_id": str(world.incident.id)})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/incidents/{world.incident.id}")
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "has been endorsed, so another cannot be started" in shown
    assert _count(db) == 1


def test_the_page_offers_a_start_when_nothing_is_under_way(
    db: Session, world: World, login
) -> None:
    page = login(world.referrer).get(f"/incidents/{world.incident.id}").get_data(as_text=True)
    assert START in page
    assert "No risk assessment has been started for this incident." in page


def test_the_page_lists_the_referrals_the_viewer_may_open(db: Session, world: World, login) -> None:
    mine = make_referral(db, world.person, world.area, referrer=world.referrer)
    link(db, mine, world.incident)
    page = login(world.referrer).get(f"/incidents/{world.incident.id}").get_data(as_text=True)
    assert f'href="/referrals/{mine.id}"' in page and "waiting for screening" in page
    # A supervisor who may read the incident but not the referral is not told of it.
    supervisor = make_user(db, Role.REFERRER, agency=world.police, supervisor=True)
    seen = login(supervisor).get(f"/incidents/{world.incident.id}")
    assert seen.status_code == 200
    assert mine.reference not in seen.get_data(as_text=True)
