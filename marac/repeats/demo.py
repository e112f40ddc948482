"""Repeat tracking in the demo borough: a perpetrator targeting three households on one
estate, a hotspot postcode, a repeat victim referred in two areas, and a near-duplicate
person for the coordinator to merge. Clearly fictional; added once (a `DEMO_EXTENSIONS`
entry, run after the demo areas, agencies and users exist).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.accounts.models import Area, User
from marac.audit import record
from marac.db import clock_at, utcnow
from marac.incidents.models import Incident, IncidentStrand, Perpetrator
from marac.people.models import Person
from marac.referrals.models import (
    Referral,
    ReferralIncident,
    ReferralSource,
    ReferralStatus,
    SubjectType,
)
from marac.referrals.triggers import save_with_reference

MARKER = "Kyle Brannigan"  # the estate's perpetrator: present means the demo is loaded

ESTATE = "Larkfield Estate"
HOUSEHOLDS = [
    ("Yusuf Demir", date(1979, 6, 2), "3 Larkfield Court", "AK2 7LF"),
    ("Bronwen Pryce", date(1961, 11, 19), "18 Larkfield Court", "AK2 7LF"),
    ("Tendai Moyo", date(1992, 3, 8), "41 Larkfield Walk", "AK2 7LG"),
]
HOTSPOT = ("Parade of shops, Market Cross", "AK4 1HS")


def _person(db: Session, name: str, dob: date | None, address: str, postcode: str) -> Person:
    person = Person(date_of_birth=dob, address=address, created_at=utcnow())
    person.set_identity(name, postcode)
    db.add(person)
    db.flush()
    return person


def _incident(
    db: Session,
    victim: Person,
    area: Area,
    officer: User,
    when: datetime,
    place: str,
    postcode: str,
    what: str,
    perpetrator: Person | None = None,
) -> Incident:
    incident = Incident(
        person_id=victim.id,
        area_id=area.id,
        occurred_at=when,
        place=place,
        postcode=postcode,
        incident_type="harassment",
        recorded_as="crime",
        reported_via="police",
        perceived_by="victim",
        description=what,
        agency_id=officer.agency_id,
        created_by_id=officer.id,
        created_at=when,
    )
    incident.strands.append(IncidentStrand(code="race"))
    incident.perpetrators.append(
        Perpetrator(
            known=perpetrator is not None,
            name=perpetrator.full_name if perpetrator else "",
            person_id=perpetrator.id if perpetrator else None,
            relationship_to_victim="neighbour" if perpetrator else "stranger",
            age_band="25_44" if perpetrator else "unknown",
        )
    )
    db.add(incident)
    db.flush()
    return incident


def _refer(
    db: Session,
    area: Area,
    officer: User,
    when: datetime,
    incidents: list[Incident],
    reasons: str,
    person: Person | None = None,
    **kw: object,
) -> Referral:
    referral = Referral(
        subject_type=kw.pop("subject_type", SubjectType.VICTIM.value),
        person_id=person.id if person else None,
        area_id=area.id,
        source=ReferralSource.PARTNER.value,
        referrer_id=officer.id,
        referring_agency_id=officer.agency_id,
        reasons=reasons,
        created_at=when,
        updated_at=when,
        **kw,
    )
    save_with_reference(db, referral, when)
    for incident in incidents:
        db.add(ReferralIncident(referral_id=referral.id, incident_id=incident.id))
    with clock_at(when):
        record(
            db,
            "referral_created",
            "referral",
            referral.id,
            f"{referral.reference}: partner referral about {len(incidents)} "
            f"{'incident' if len(incidents) == 1 else 'incidents'}; area {area.name}"
            + ("; repeat" if referral.is_repeat else ""),
            user=officer,
        )
    return referral


def _accept(db: Session, referral: Referral, coordinator: User, when: datetime) -> None:
    """Screened and accepted by the area's coordinator, with the history saying so."""
    referral.status = ReferralStatus.ACCEPTED.value
    referral.screened_by_id = coordinator.id
    referral.screened_at = when
    with clock_at(when):
        record(
            db,
            "referral_accepted",
            "referral",
            referral.id,
            f"Accepted {referral.reference} for the panel",
            user=coordinator,
        )


def load_repeat_demo(db: Session) -> str:
    """Add the repeat-tracking stories once; a second run leaves them alone."""
    if db.scalar(select(Person.id).where(Person.normalised_name == MARKER.lower())):
        return "Repeat tracking demo: already present."
    areas = {a.name: a for a in db.scalars(select(Area))}
    users = {u.email.split("@")[0]: u for u in db.scalars(select(User))}
    north, central = areas.get("Ashbrook North"), areas.get("Ashbrook Central")
    officer = users.get("police.referrer")
    coordinator = users.get("coordinator")
    if north is None or central is None or officer is None or coordinator is None:
        return "Repeat tracking demo: skipped (the demo borough is missing)."
    now = utcnow()

    # One perpetrator, three households on one estate: repeat perpetrator, linked cases.
    kyle = _person(db, MARKER, date(1988, 9, 14), "Larkfield Walk", "AK2 7LG")
    for n, (name, dob, address, postcode) in enumerate(HOUSEHOLDS):
        victim = _person(db, name, dob, address, postcode)
        when = now - timedelta(days=8 + 9 * n)
        incident = _incident(
            db,
            victim,
            north,
            officer,
            when,
            f"{address}, {ESTATE}",
            postcode,
            "Racist abuse shouted at the door by a neighbour; eggs thrown at the window.",
            kyle,
        )
        referral = _refer(
            db,
            north,
            officer,
            when + timedelta(days=1),
            [incident],
            f"Household {3 - n} of three on the {ESTATE} targeted by the same neighbour.",
            victim,
        )
        if n:  # the earlier two were screened within days; the newest waits
            _accept(db, referral, coordinator, when + timedelta(days=3))

    # A hotspot: four incidents against different people outside one parade of shops.
    place, postcode = HOTSPOT
    hotspot = []
    for n, name in enumerate(["Ines Carvalho", "Wojciech Zielinski", "Halima Yusuf", "Dev Anand"]):
        victim = _person(db, name, date(1970 + 7 * n, 1 + n, 10 + n), "Market Cross", postcode)
        hotspot.append(
            _incident(
                db,
                victim,
                central,
                officer,
                now - timedelta(days=15 + 25 * n),
                place,
                postcode,
                "Abuse from a group gathering outside the shops.",
            )
        )
    _refer(
        db,
        central,
        officer,
        now - timedelta(days=5),
        hotspot[:1],
        "Repeated incidents at the same parade of shops.",
        subject_type=SubjectType.LOCATION.value,
        location=place,
        location_postcode=postcode,
    )

    # A repeat victim first referred in another area, then again within 12 months.
    mirela = _person(db, "Mirela Dobre", date(1984, 4, 23), "9 Copper Lane", "AK7 2CL")
    first = _incident(
        db,
        mirela,
        north,
        officer,
        now - timedelta(days=300),
        "Bus station",
        "AK1 1BS",
        "Spat at and told to go home.",
    )
    earlier = _refer(
        db, north, officer, now - timedelta(days=298), [first], "Frightened to go out.", mirela
    )
    _accept(db, earlier, coordinator, now - timedelta(days=296))
    again = _incident(
        db,
        mirela,
        central,
        officer,
        now - timedelta(days=7),
        "Riverside path",
        "AK5 3RP",
        "Followed and threatened on the way home.",
    )
    _refer(
        db,
        central,
        officer,
        now - timedelta(days=6),
        [again],
        "Referred before in Ashbrook North; now targeted again after moving to Central.",
        mirela,
        previous_referral_id=earlier.id,
        is_repeat=True,
        trigger_reasons=[f"Repeat: referred before as {earlier.reference}"],
    )

    # A near-duplicate for the coordinator to merge (a misspelt surname, same birthday).
    grace = _person(db, "Gracie Okonkwo", date(1996, 8, 30), "22 Millfield Road", "AK1 4MR")
    _incident(
        db,
        grace,
        north,
        officer,
        now - timedelta(days=60),
        "Millfield Road",
        "AK1 4MR",
        "Homophobic graffiti on the front door.",
    )
    twin = _person(db, "Gracie Okonkow", date(1996, 8, 30), "22 Millfield Rd", "AK1 4MR")
    _incident(
        db,
        twin,
        north,
        officer,
        now - timedelta(days=8),
        "Millfield Road",
        "AK1 4MR",
        "Shouted at from a passing car.",
    )
    db.flush()
    return (
        "Repeat tracking demo: a perpetrator targeting three households, a hotspot postcode, "
        "a repeat victim across two areas and a near-duplicate person to merge."
    )
