"""Likely duplicates, merging two records, and "not the same person"."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marac.accounts.models import Role
from marac.assessments.models import RiskAssessment
from marac.audit.models import AuditEvent
from marac.incidents.models import Incident, Perpetrator
from marac.people.models import DuplicateDismissal, Person, PersonMerge
from marac.referrals.models import Referral
from marac.repeats.merge import dismiss_pair, likely_duplicates, merge_people
from tests.factories import make_user
from tests.meeting_factories import make_action
from tests.referrals.helpers import (
    World,
    link,
    make_endorsed,
    make_incident,
    make_person,
    make_referral,
)

DOB = date(1990, 5, 1)


def _born(db: Session, name: str, dob: date | None = DOB, postcode: str = "AK1 2BX") -> Person:
    person = make_person(db, name, postcode)
    person.date_of_birth = dob
    db.commit()
    return person


@pytest.mark.parametrize(
    ("one", "two", "reason"),
    [
        (("Amira Haddad", DOB, "AK1 2BX"), ("Amira Hadad", DOB, "ZZ9 9ZZ"), "Similar name"),
        (("Amira Haddad", DOB, "AK1 2BX"), ("amira haddad", DOB, "ZZ9 9ZZ"), "Same name and"),
        (("Amira Haddad", None, "AK1 2BX"), ("AMIRA HADDAD", None, "ak12bx"), "Same name at"),
        (("Amira Haddad", DOB, "AK1 2BX"), ("Grace Okafor", DOB, "AK1 2BX"), None),
        (("Amira Haddad", DOB, "AK1 2BX"), ("Amira Hadad", date(1990, 5, 2), "AK1 2BX"), None),
        (("Amira Haddad", None, "AK1 2BX"), ("Amira Haddad", None, "AK9 9ZZ"), None),
    ],
)
def test_likely_duplicates(db: Session, one: tuple, two: tuple, reason: str | None) -> None:
    first, second = _born(db, *one), _born(db, *two)
    pairs = likely_duplicates(db)
    if reason is None:
        assert pairs == []
    else:
        [pair] = pairs
        assert {pair.first.id, pair.second.id} == {first.id, second.id}
        assert pair.reason.startswith(reason)
        dismiss_pair(db, second, first, user_id=make_user(db).id, reason="Twins")
        db.commit()
        assert likely_duplicates(db) == []
        assert db.get(DuplicateDismissal, (first.id, second.id)).reason == "Twins"


def test_merging_moves_everything_to_the_survivor(db: Session) -> None:
    world = World(db)
    survivor = _born(db, "Amira Haddad", postcode="")
    duplicate = _born(db, "Amira Hadad", dob=None, postcode="AK3 1AA")
    duplicate.phone = "07700 900000"
    incident = make_incident(db, world.referrer, duplicate, world.area)
    make_endorsed(db, world.referrer, incident)
    referral = make_referral(db, duplicate, world.area)
    link(db, referral, incident)
    action = make_action(db, referral, world.police)
    other = make_incident(db, world.referrer, world.person, world.area)
    db.add(Perpetrator(incident_id=other.id, known=True, name="x", person_id=duplicate.id))
    db.commit()
    version = referral.version
    duplicate_id, survivor_id = duplicate.id, survivor.id

    summary = merge_people(db, survivor, duplicate, "Confirmed with the victim")
    db.commit()
    assert (summary.incidents, summary.assessments, summary.referrals) == (1, 1, 1)
    assert summary.perpetrator_links == 1
    assert db.get(Person, duplicate_id) is None
    assert db.scalar(select(Incident.person_id).where(Incident.id == incident.id)) == survivor_id
    assert db.scalar(select(func.count()).where(RiskAssessment.person_id == survivor_id)) == 1
    moved = db.get(Referral, referral.id)
    assert moved.person_id == survivor_id and moved.version == version + 1
    assert db.scalar(select(Perpetrator.person_id).where(Perpetrator.incident_id == other.id)) == (
        survivor_id
    )
    assert action.referral_id == referral.id  # actions follow their referral
    kept = db.get(Person, survivor_id)
    assert kept.full_name == "Amira Haddad" and kept.date_of_birth == DOB
    assert kept.postcode == "AK3 1AA" and kept.phone == "07700 900000"  # blanks filled
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "people_merged"))
    assert "reason given" in event.summary and "Confirmed" not in event.summary
    kept_merge = db.scalar(select(PersonMerge))  # the reason is kept, outside the audit log
    assert (kept_merge.survivor_person_id, kept_merge.duplicate_person_id) == (
        survivor_id,
        duplicate_id,
    )
    assert kept_merge.reason == "Confirmed with the victim"
    with pytest.raises(ValueError):
        merge_people(db, kept, kept, "same")


def test_a_coordinator_merges_through_the_pages(db: Session, login) -> None:
    world = World(db)
    twin = _born(db, world.person.full_name + "e", dob=None)
    world.person.date_of_birth = None
    db.commit()
    # Both records are in the coordinator's area, so they may see both.
    make_incident(db, world.referrer, twin, world.area)
    client = login(world.coordinator)
    listing = client.get("/people/duplicates").get_data(as_text=True)
    assert "Likely duplicates" in listing
    first, second = sorted([world.person.id, twin.id])
    url = f"/people/merge/{first}/{second}"
    # Same postcode but not the same name, and no date of birth: not offered.
    assert url not in listing
    twin.date_of_birth = world.person.date_of_birth = DOB
    db.commit()
    listing = client.get("/people/duplicates").get_data(as_text=True)
    assert url in listing
    page = client.get(url).get_data(as_text=True)
    assert "Are these the same person?" in page

    missing = client.submit(url, {"survivor": str(first), "reason": ""})
    assert missing.status_code == 200
    assert "Enter why these records are the same person" in missing.get_data(as_text=True)
    assert db.get(Person, second) is not None

    done = client.submit(url, {"survivor": str(first), "reason": "Same person, checked"})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/people/{first}")
    db.expire_all()
    assert db.get(Person, second) is None
    assert url not in client.get("/people/duplicates").get_data(as_text=True)


def test_not_the_same_person_removes_the_pair(db: Session, login) -> None:
    world = World(db)
    world.person.date_of_birth = DOB
    twin = _born(db, world.person.full_name + "s")
    make_incident(db, world.referrer, twin, world.area)
    db.commit()
    client = login(world.coordinator)
    first, second = sorted([world.person.id, twin.id])
    response = client.submit(f"/people/not-duplicates/{second}/{first}", {"note": "Twins"})
    assert response.status_code == 302
    assert db.get(DuplicateDismissal, (first, second)) is not None
    assert f"/people/merge/{first}/{second}" not in client.get("/people/duplicates").get_data(
        as_text=True
    )
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "duplicate_dismissed"))


def test_merging_is_refused_to_others(db: Session, login) -> None:
    world = World(db)
    twin = _born(db, world.person.full_name)
    make_incident(db, world.referrer, twin, world.area)
    url = f"/people/merge/{world.person.id}/{twin.id}"
    assert login(world.referrer).get(url).status_code == 403
    assert login(world.referrer).get("/people/duplicates").status_code == 403
    assert login(make_user(db, Role.ADMIN)).get(url).status_code == 403
    # The other area's coordinator may not see these people.
    assert login(world.other_coordinator).get(url).status_code == 403
    assert login(world.coordinator).get(f"/people/merge/{twin.id}/{twin.id}").status_code == 404
    assert login(world.coordinator).get(f"/people/merge/{twin.id}/999999").status_code == 404
    assert db.get(Person, twin.id) is not None


def test_the_duplicates_list_takes_a_constant_number_of_queries(
    db: Session, login, count_queries
) -> None:
    world = World(db)
    client = login(world.coordinator)
    counts = []
    for size in (2, 20):
        for n in range(size):
            a = _born(db, f"Pair Person {size}-{n}", dob=date(1980, 1, 1 + n % 28))
            b = _born(db, f"Pair Persn {size}-{n}", dob=date(1980, 1, 1 + n % 28))
            for person in (a, b):
                make_incident(db, world.referrer, person, world.area)
        with count_queries() as q:
            assert client.get("/people/duplicates").status_code == 200
        counts.append(q.count)
    assert counts[0] == counts[1], counts
