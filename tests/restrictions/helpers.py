"""A case seen by several people, to restrict (shared by the unit and browser tests)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from marac.accounts.models import AgencyType, Role, User
from marac.incidents.models import Incident
from marac.people.models import Person
from marac.people.restriction import PersonRestriction
from marac.referrals.models import Referral
from marac.restrictions.operations import restrict_person
from tests.factories import make_agency, make_area, make_user
from tests.minutes.helpers import MinutesWorld
from tests.referrals.helpers import make_coordinator, make_incident, make_person, make_referral

NAME = "Rowan Quill"


@dataclass
class Case:
    person: Person
    incident: Incident
    referral: Referral
    owner: User  # recorded the incident and referred
    supervisor: User  # the owner's supervisor: saw the case through the agency
    coordinator: User  # runs the area; restricts the person
    colleague: User  # another coordinator of the same area
    outsider: User  # a referrer of another agency: never had a reason to see the case
    governance: User


def build_case(db: Session) -> Case:
    north = make_area(db, "North", districts="AK1 AK2")
    police = make_agency(db, "North Police", AgencyType.POLICE)
    other = make_agency(db, "South Police", AgencyType.POLICE)
    csu = make_agency(db, "Community Safety Unit", AgencyType.POLICE)
    owner = make_user(db, Role.REFERRER, agency=police)
    coordinator = make_user(db, Role.COORDINATOR, agency=csu)
    colleague = make_user(db, Role.COORDINATOR, agency=csu)
    coordinator.areas = [north]
    colleague.areas = [north]
    person = make_person(db, NAME)
    person.created_by_id = owner.id
    db.commit()
    incident = make_incident(db, owner, person, north)
    referral = make_referral(db, person, north, referrer=owner, risk_level="high")
    return Case(
        person=person,
        incident=incident,
        referral=referral,
        owner=owner,
        supervisor=make_user(db, Role.REFERRER, agency=police, supervisor=True),
        coordinator=coordinator,
        colleague=colleague,
        outsider=make_user(db, Role.REFERRER, agency=other),
        governance=make_user(db, Role.GOVERNANCE, agency=csu),
    )


MEETING_NAME = "Tamsin Varga-Holloway"


class MeetingCase(MinutesWorld):
    """MinutesWorld whose first case's person can be restricted by the panel's coordinator
    (naming the housing member); the case is also listed on an upcoming agenda."""

    def __init__(self, db: Session) -> None:
        super().__init__(db)
        self.case = self.referrals[0]
        self.other = self.referrals[1]
        person = db.get(Person, self.case.person_id)
        assert person is not None
        person.set_identity(MEETING_NAME, person.postcode)
        self.person = person
        make_incident(db, self.referrer, person, self.area)  # what lets coordinators see them
        self.colleague = make_coordinator(db, self.area)  # runs the panel too, not named
        self.upcoming = self.meeting(days_ahead=10)
        self.upcoming_items = [
            self.listed(self.upcoming, self.case, 1),
            self.listed(self.upcoming, self.other, 2),
        ]
        db.commit()

    def restrict(self) -> PersonRestriction:
        return restrict_person(
            self.db,
            self.coordinator,
            self.person.id,
            "Relative of a member of staff",
            [self.housing_member.email],
        )

    @property
    def unlisted(self) -> list[User]:
        return [self.police_member, self.colleague]

    @property
    def listed_users(self) -> list[User]:
        return [self.coordinator, self.housing_member]
