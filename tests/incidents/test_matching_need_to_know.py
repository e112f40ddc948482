"""Matching at intake never discloses, or opens, a person the user may not see (issue 13).

A charity referrer types a victim the police already recorded: nothing about that person
is offered, an exact match links silently, a similar one is queued for a coordinator, and
the referrer is shown their incident, never the person.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marac.accounts.models import AgencyType, Role
from marac.db import utcnow
from marac.incidents.models import Incident, Perpetrator
from marac.people.models import Person, PossibleMatch
from marac.referrals.models import Referral, ReferralStatus
from tests.factories import make_agency, make_area, make_user
from tests.incidents.helpers import incident_data, make_incident, make_person
from tests.referrals.helpers import make_coordinator, make_referral

DOB = ["13", "8", "2006"]
SECRETS = ("13 August 2006", "AK3 4DL", "4 Elm Court", "07700 900777", "Text first")
UNDISCLOSED = "The MARAC may already know a person with these details"


class Intake:
    """A police-recorded victim, a police officer, a charity referrer and a coordinator."""

    def __init__(self, db: Session) -> None:
        self.area = make_area(db, districts="AK1 AK2 AK3")
        self.officer = make_user(db, Role.REFERRER, agency=make_agency(db))
        self.charity = make_user(db, Role.REFERRER, agency=make_agency(db, type=AgencyType.CHARITY))
        self.coordinator = make_coordinator(db, self.area)
        self.known = make_person(
            db,
            "Jordan Reyes",
            self.officer,
            date_of_birth=date(2006, 8, 13),
            postcode="AK3 4DL",
            address="4 Elm Court",
            phone="07700 900777",
            safe_contact_notes="Text first, never call",
        )
        make_incident(db, self.officer, self.known, self.area)


def _typed(name: str = "Jordan Reyes", **changes: Any) -> dict[str, Any]:
    """What the charity types: the name and date of birth, their own other details."""
    return incident_data(
        **{
            "victim-full_name": name,
            "victim-date_of_birth": DOB,
            "victim-postcode": "AK1 2BX",
            "victim-address": "",
            "victim-phone": "",
            "victim-safe_contact_notes": "",
            **changes,
        }
    )


def _no_secrets(page: str) -> None:
    for secret in SECRETS:
        assert secret not in page, secret


def test_a_similar_person_the_user_may_not_see_is_never_offered(db: Session, login) -> None:
    world = Intake(db)
    client = login(world.charity)
    assert client.get(f"/people/{world.known.id}").status_code == 403

    response = client.submit("/incidents/new", _typed("Jordan Reyess"))
    # No "is this the same person" question: nothing to choose from, nothing disclosed.
    assert response.status_code == 302
    _no_secrets(response.get_data(as_text=True))
    incident = db.scalar(select(Incident).where(Incident.created_by_id == world.charity.id))
    assert incident.person_id != world.known.id  # a new record, not joined by a guess
    assert not incident.person_withheld
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert UNDISCLOSED in page and "Jordan Reyess" in page
    _no_secrets(page.replace("born 13 August 2006", ""))  # the date they typed themselves
    assert f"/people/{world.known.id}" not in page

    # The coordinator gets the pair to check, and confirms or rejects it.
    queued = db.scalar(select(PossibleMatch))
    assert {queued.person_a_id, queued.person_b_id} == {world.known.id, incident.person_id}
    listing = login(world.coordinator).get("/people/duplicates").get_data(as_text=True)
    assert "Possible match to check" in listing
    assert f"/people/merge/{world.known.id}/{incident.person_id}" in listing
    assert client.get(f"/people/{world.known.id}").status_code == 403


def test_an_exact_match_links_silently_and_opens_nothing(db: Session, login) -> None:
    world = Intake(db)
    earlier = make_referral(
        db,
        world.known,
        world.area,
        created_at=utcnow() - timedelta(days=60),
        status=ReferralStatus.CLOSED,
    )
    client = login(world.charity)
    response = client.submit("/incidents/new", _typed())
    assert response.status_code == 302
    incident = db.scalar(select(Incident).where(Incident.created_by_id == world.charity.id))
    assert response.headers["Location"].endswith(f"/incidents/{incident.id}")
    assert incident.person_id == world.known.id
    assert db.scalar(select(func.count()).select_from(Person)) == 1

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "already known (same name" not in page and UNDISCLOSED in page
    assert f"/people/{world.known.id}" not in page
    _no_secrets(page)
    # The link opened nothing: the person, their timeline and search stay closed.
    assert client.get(f"/people/{world.known.id}").status_code == 403
    assert client.get(f"/people/{world.known.id}/timeline").status_code == 403
    assert incident.person_withheld
    found = client.get("/people/search?name=Jordan+Reyes&dob=13&dob=8&dob=2006")
    assert f"/people/{world.known.id}" not in found.get_data(as_text=True)
    # The repeat referral this fires is the coordinator's, not the charity's to read.
    repeat = db.scalar(select(Referral).where(Referral.id != earlier.id))
    assert repeat is not None and repeat.is_repeat and repeat.referrer_id is None
    assert client.get(f"/referrals/{repeat.id}").status_code == 403
    assert repeat.reference not in client.get("/referrals").get_data(as_text=True)
    # The coordinator of the area still sees the person and the charity's incident.
    coordinator = login(world.coordinator)
    assert coordinator.get(f"/people/{world.known.id}").status_code == 200
    assert "Jordan Reyes" in coordinator.get(f"/incidents/{incident.id}").get_data(as_text=True)


def test_a_user_who_may_see_the_person_is_still_offered_them(db: Session, login) -> None:
    world = Intake(db)
    page = login(world.officer).submit("/incidents/new", _typed("Jordan Reyess"))
    assert page.status_code == 200
    assert "Jordan Reyes, born 13 August 2006, AK3 4DL" in page.get_data(as_text=True)
    assert db.scalar(select(PossibleMatch)) is None


def test_a_perpetrator_the_user_may_not_see_is_not_offered(db: Session, login) -> None:
    world = Intake(db)
    dean = make_person(db, "Dean Corr", world.officer, date_of_birth=date(1990, 4, 3))
    theirs = make_incident(db, world.officer, make_person(db, creator=world.officer), world.area)
    db.add(Perpetrator(incident_id=theirs.id, known=True, name="Dean Corr", person_id=dean.id))
    db.commit()
    client = login(world.charity)
    data = _typed("Grace Okafor")
    response = client.submit("/incidents/new", data)
    assert response.status_code == 302  # no "is perpetrator 2 one of these people" question
    assert "one of these people" not in response.get_data(as_text=True)
    mine = db.scalar(select(Perpetrator).where(Perpetrator.incident_id != theirs.id))
    assert mine.person_id is None  # a name alone links nobody


def test_a_merge_does_not_open_the_survivor_to_the_recorder(db: Session, login) -> None:
    world = Intake(db)
    client = login(world.charity)
    assert client.submit("/incidents/new", _typed("Jordan Reyess")).status_code == 302
    theirs = db.scalar(select(Incident).where(Incident.created_by_id == world.charity.id))
    own = theirs.person_id
    assert client.get(f"/people/{own}").status_code == 200
    merged = login(world.coordinator).submit(
        f"/people/merge/{world.known.id}/{own}",
        {"survivor": str(world.known.id), "reason": "Same person, checked with the police"},
    )
    assert merged.status_code == 302
    db.expire_all()
    assert db.get(Incident, theirs.id).person_id == world.known.id
    assert db.get(Incident, theirs.id).person_withheld
    assert db.scalar(select(PossibleMatch)) is None
    assert client.get(f"/people/{world.known.id}").status_code == 403
    assert client.get(f"/incidents/{theirs.id}").status_code == 200


def test_referring_a_silently_linked_victim_shows_nothing_of_their_record(
    db: Session, login
) -> None:
    """The charity may refer their incident, but the person's record and history stay closed."""
    world = Intake(db)
    earlier = make_referral(
        db,
        world.known,
        world.area,
        created_at=utcnow() - timedelta(days=60),
        status=ReferralStatus.CLOSED,
        reference="CM-2026-0417",
    )
    client = login(world.charity)
    assert client.submit("/incidents/new", _typed()).status_code == 302
    incident = db.scalar(select(Incident).where(Incident.created_by_id == world.charity.id))
    url = f"/referrals/new?incident_id={incident.id}"
    form = client.get(url).get_data(as_text=True)
    _no_secrets(form)  # no needs copied from the record (safe contact notes)
    assert "already has a referral waiting" not in form  # the automatic one is not hinted at
    response = client.submit(
        url,
        {
            "subject_type": "victim",
            "incident_ids": [str(incident.id)],
            "reasons": "Afraid to go out after dark.",
            "victim_views": "Wants it to stop.",
            "consent": "given",
            "lawful_basis": "",
            "needs": "",
            "support_status": "accepted",
            "support_service": "Victim Support",
        },
    )
    assert response.status_code == 302
    mine = db.scalar(select(Referral).where(Referral.referrer_id == world.charity.id))
    assert mine.is_repeat  # the panel still learns it is a repeat
    page = client.get(f"/referrals/{mine.id}").get_data(as_text=True)
    _no_secrets(page)
    assert "Repeat" in page and "(a referral you cannot open)" in page
    for other in db.scalars(select(Referral).where(Referral.id != mine.id)):
        assert other.reference not in page
    assert earlier.reference not in page
    # The area's coordinator reads everything.
    coordinator = login(world.coordinator).get(f"/referrals/{mine.id}").get_data(as_text=True)
    assert "4 Elm Court" in coordinator and "13 August 2006" in coordinator
