"""The partner referral form, through real sign-in and real POSTs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.accounts.models import Role
from marac.audit.models import AuditEvent
from marac.db import utcnow
from marac.referrals.models import Referral, ReferralIncident, ReferralStatus
from tests.factories import make_agency, make_user
from tests.referrals.helpers import (
    World,
    make_endorsed,
    make_incident,
    make_person,
    make_referral,
)


@pytest.fixture
def world(db: Session) -> World:
    return World(db)


def valid(world: World, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "subject_type": "victim",
        "incident_ids": [str(world.incident.id)],
        "reasons": "Third incident this month; the family is afraid to leave the flat.",
        "victim_views": "Wants the abuse to stop and to stay in her home.",
        "consent": "given",
        "lawful_basis": "",
        "needs": "Interpreter: Polish",
        "support_status": "accepted",
        "support_service": "Victim Support",
    }
    data.update(changes)
    return data


def saved(db: Session) -> list[Referral]:
    db.expire_all()
    return list(db.scalars(select(Referral).order_by(Referral.id)))


def test_form_starts_from_the_incident(db: Session, world: World, login) -> None:
    html = login(world.referrer).get(f"/referrals/new?incident_id={world.incident.id}")
    page = html.get_data(as_text=True)
    assert html.status_code == 200
    assert world.person.full_name in page
    assert f'value="{world.incident.id}" checked' in page
    assert "Race or ethnicity" in page or "race" in page.lower()


def test_a_partner_referral_is_saved_and_audited(db: Session, world: World, login) -> None:
    client = login(world.referrer)
    other = make_incident(db, world.referrer, world.person, world.area)
    data = valid(world, incident_ids=[str(world.incident.id), str(other.id)])
    response = client.submit(f"/referrals/new?incident_id={world.incident.id}", data)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    [referral] = saved(db)
    assert response.headers["Location"].endswith(f"/referrals/{referral.id}")
    assert referral.reference == f"CM-{utcnow().year}-0001"
    assert referral.source == "partner" and referral.status == ReferralStatus.NEW
    assert referral.person_id == world.person.id and referral.subject_type == "victim"
    assert referral.area_id == world.area.id
    assert referral.referrer_id == world.referrer.id
    assert referral.referring_agency_id == world.police.id
    assert referral.consent == "given" and referral.lawful_basis == ""
    assert referral.support_status == "accepted" and referral.support_service == "Victim Support"
    assert referral.is_repeat is False
    assert referral.trigger_reasons == [f"Professional judgement: referred by {world.police.name}"]
    links = set(
        db.scalars(
            select(ReferralIncident.incident_id).where(ReferralIncident.referral_id == referral.id)
        )
    )
    assert links == {world.incident.id, other.id}
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "referral_created"))
    assert event is not None and event.object_id == str(referral.id)
    page = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert "Third incident this month" in page and "Victim Support" in page


@pytest.mark.parametrize(
    ("changes", "error", "kept"),
    [
        ({"reasons": ""}, "Enter why you are referring this case to the MARAC", "stay in her home"),
        (
            {"consent": "refused", "lawful_basis": ""},
            "Enter what the victim said when they refused",
            "Third incident this month",
        ),
        (
            {"consent": "not_sought", "lawful_basis": "  "},
            "Select the lawful basis for sharing without consent",
            "Third incident this month",
        ),
        (
            {"consent": "not_sought", "lawful_basis_code": "safeguarding"},
            "Enter why consent was not sought",
            "Third incident this month",
        ),
        (
            {"consent": "refused", "consent_reason": "Said no.", "lawful_basis_code": "other"},
            "Enter the other lawful basis for sharing",
            "Third incident this month",
        ),
        (
            {"subject_type": "location", "location": ""},
            "Enter the address or a description of the location",
            "Third incident this month",
        ),
        ({"subject_type": ""}, "Select who or what the referral is about", "stay in her home"),
        ({"incident_ids": []}, "Select the incidents the referral is about", "stay in her home"),
        ({"consent": ""}, "Select whether the victim consented to sharing", "stay in her home"),
        (
            {"support_service": ""},
            "Enter the support service the victim was referred to",
            "stay in her home",
        ),
        (
            {"subject_type": "location", "location": "Mill Road shops", "location_postcode": "X"},
            "Enter a real postcode, like AK1 2BX",
            "Mill Road shops",
        ),
    ],
)
def test_bad_input_is_refused_and_kept(
    db: Session, world: World, login, changes: dict[str, Any], error: str, kept: str
) -> None:
    client = login(world.referrer)
    response = client.submit(
        f"/referrals/new?incident_id={world.incident.id}", valid(world, **changes)
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "govuk-error-summary" in page and error in page
    assert kept in page
    assert saved(db) == []


def test_consent_refused_with_a_lawful_basis_is_accepted(db: Session, world: World, login) -> None:
    client = login(world.referrer)
    basis = "To prevent crime and protect the victim from serious harm."
    data = valid(
        world,
        consent="refused",
        consent_reason="Afraid the neighbours will find out she complained.",
        lawful_basis_code="other",
        lawful_basis=basis,
    )
    assert client.submit(f"/referrals/new?person_id={world.person.id}", data).status_code == 302
    [referral] = saved(db)
    assert referral.consent == "refused" and referral.lawful_basis == basis
    assert referral.lawful_basis_code == "other"
    assert referral.consent_reason == "Afraid the neighbours will find out she complained."


def test_partner_referral_records_the_safeguarding_basis(db: Session, world: World, login) -> None:
    """The partner form records the same coded basis the coordinator records at screening."""
    client = login(world.referrer)
    data = valid(
        world,
        consent="not_sought",
        consent_reason="Asking would alert the perpetrator, who lives with her.",
        lawful_basis_code="safeguarding",
        lawful_basis="ignored: only the other basis keeps its words",
    )
    assert client.submit(f"/referrals/new?person_id={world.person.id}", data).status_code == 302
    [referral] = saved(db)
    assert referral.lawful_basis_code == "safeguarding" and referral.lawful_basis == ""
    page = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert "Why consent was not sought" in page
    assert "paragraph 18: safeguarding of children and individuals at risk" in page


def test_a_location_referral_is_placed_by_its_postcode(db: Session, world: World, login) -> None:
    data = valid(
        world,
        subject_type="location",
        location="The parade of shops on Mill Road",
        location_postcode="zz9 1aa",
    )
    response = login(world.referrer).submit(f"/referrals/new?incident_id={world.incident.id}", data)
    assert response.status_code == 302
    [referral] = saved(db)
    assert referral.subject_type == "location" and referral.person_id is None
    assert referral.location_postcode == "ZZ9 1AA"
    assert referral.area_id == world.other_area.id


def test_a_partner_referral_within_the_window_is_a_repeat(db: Session, world: World, login) -> None:
    previous = make_referral(
        db,
        world.person,
        world.area,
        created_at=utcnow() - timedelta(days=200),
        status=ReferralStatus.CLOSED,
        reference="CM-2025-0003",
    )
    response = login(world.referrer).submit(
        f"/referrals/new?incident_id={world.incident.id}", valid(world)
    )
    assert response.status_code == 302
    referral = saved(db)[-1]
    assert referral.is_repeat and referral.previous_referral_id == previous.id
    assert referral.trigger_reasons[1].startswith("Repeat: previous MARAC referral CM-2025-0003")


def test_an_old_previous_referral_is_linked_but_not_a_repeat(
    db: Session, world: World, login
) -> None:
    previous = make_referral(
        db,
        world.person,
        world.area,
        created_at=utcnow() - timedelta(days=366),
        status=ReferralStatus.CLOSED,
    )
    login(world.referrer).submit(f"/referrals/new?incident_id={world.incident.id}", valid(world))
    referral = saved(db)[-1]
    assert referral.is_repeat is False and referral.previous_referral_id == previous.id


def test_an_incident_the_user_cannot_see_cannot_be_ticked(db: Session, world: World, login) -> None:
    stranger = make_user(db, Role.REFERRER, agency=make_agency(db))
    hidden = make_incident(db, stranger, world.person, world.area)
    data = valid(world, incident_ids=[str(world.incident.id), str(hidden.id)])
    response = login(world.referrer).submit(f"/referrals/new?incident_id={world.incident.id}", data)
    assert response.status_code == 200
    assert saved(db) == []


def test_without_a_person_or_incident_the_user_is_sent_to_record_one(
    db: Session, world: World, login
) -> None:
    page = login(world.referrer).get("/referrals/new").get_data(as_text=True)
    assert "Record the incident first" in page
    assert 'href="/incidents/new"' in page


@pytest.mark.parametrize("role", [Role.REFERRER, Role.MEMBER, Role.COORDINATOR])
def test_anyone_but_admin_may_refer(db: Session, world: World, login, role: Role) -> None:
    user = make_user(db, role, agency=make_agency(db))
    if role == Role.COORDINATOR:
        user.areas = [world.area]
        db.commit()
    person = make_person(db)
    incident = make_incident(db, user, person, world.area)
    response = login(user).get(f"/referrals/new?incident_id={incident.id}")
    assert response.status_code == 200


def test_admin_may_not_refer(db: Session, world: World, login) -> None:
    admin = make_user(db, Role.ADMIN)
    client = login(admin)
    assert client.get(f"/referrals/new?incident_id={world.incident.id}").status_code == 403
    assert client.get("/referrals/new").status_code == 403
    response = client.submit(f"/referrals/new?incident_id={world.incident.id}", valid(world))
    assert response.status_code == 403
    assert saved(db) == []


def test_someone_who_cannot_see_the_case_is_refused(db: Session, world: World, login) -> None:
    stranger = login(make_user(db, Role.REFERRER, agency=make_agency(db)))
    assert stranger.get(f"/referrals/new?incident_id={world.incident.id}").status_code == 403
    assert stranger.get(f"/referrals/new?person_id={world.person.id}").status_code == 403
    response = stranger.submit(f"/referrals/new?incident_id={world.incident.id}", valid(world))
    assert response.status_code == 403
    assert stranger.get("/referrals/new?incident_id=999999").status_code == 404


def test_the_endorsed_level_of_the_incidents_is_the_referrals_risk(
    db: Session, world: World, login
) -> None:
    make_endorsed(db, world.referrer, world.incident, "medium")
    login(world.referrer).submit(f"/referrals/new?incident_id={world.incident.id}", valid(world))
    [referral] = saved(db)
    assert referral.risk_level == "medium"
