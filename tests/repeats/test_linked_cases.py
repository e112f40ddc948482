"""Linked cases: referrals sharing a named perpetrator or a postcode."""

from __future__ import annotations

from sqlalchemy.orm import Session

from marac.incidents.models import Perpetrator
from marac.referrals.models import SubjectType
from marac.repeats.flags import linked_cases
from tests.referrals.helpers import World, link, make_incident, make_person, make_referral


def _case(db: Session, world: World, postcode: str, offender=None):  # type: ignore[no-untyped-def]
    victim = make_person(db)
    incident = make_incident(db, world.referrer, victim, world.area, postcode=postcode)
    if offender is not None:
        db.add(Perpetrator(incident_id=incident.id, known=True, name="D", person_id=offender.id))
        db.commit()
    referral = make_referral(db, victim, world.area)
    link(db, referral, incident)
    return referral


def test_cases_sharing_a_perpetrator_or_a_postcode_are_linked(db: Session, login) -> None:
    world = World(db)
    dean = make_person(db, "Dean Corr")
    first = _case(db, world, "AK1 1AA", dean)
    second = _case(db, world, "AK2 2BB", dean)
    neighbour = _case(db, world, "AK1 1AA")
    about_dean = make_referral(db, dean, world.area, subject_type=SubjectType.PERPETRATOR.value)
    place = make_referral(
        db,
        None,
        world.area,
        subject_type=SubjectType.LOCATION.value,
        location="Parade of shops",
        location_postcode="AK2 2BB",
    )
    unrelated = _case(db, world, "AK9 9ZZ")

    found = {c.referral_id: c.reason for c in linked_cases(db, first.id)}
    assert found == {
        second.id: "Same perpetrator: Dean Corr",
        neighbour.id: "Same postcode: AK1 1AA",
        about_dean.id: "Same perpetrator: Dean Corr",
    }
    found = {c.referral_id: c.reason for c in linked_cases(db, second.id)}
    assert found[place.id] == "Same postcode: AK2 2BB"
    assert found[first.id] == "Same perpetrator: Dean Corr"
    assert linked_cases(db, unrelated.id) == []
    assert linked_cases(db, 999999) == []

    page = login(world.coordinator).get(f"/referrals/{first.id}").get_data(as_text=True)
    assert "Linked cases" in page and second.reference in page and unrelated.reference not in page
