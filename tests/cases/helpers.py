"""A small borough for the Cases tests: two areas, a panel, cases on and off its agenda."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from marac.accounts.models import Role
from marac.db import utcnow
from marac.incidents.models import IncidentStrand, Perpetrator
from marac.panels.models import AgendaStatus
from marac.referrals.models import ReferralSource, ReferralStatus
from tests.factories import make_agency, make_area, make_user
from tests.meeting_factories import make_agenda_item, make_meeting, make_panel
from tests.referrals.helpers import (
    link,
    make_coordinator,
    make_incident,
    make_person,
    make_referral,
)


class CaseWorld:
    """North (the coordinator's, with a panel) and South (another coordinator's)."""

    def __init__(self, db: Session) -> None:
        now = utcnow()
        self.north = make_area(db, name="North", districts="AK1")
        self.south = make_area(db, name="South", districts="ZZ9")
        self.police_n = make_agency(db, name="North Police")
        self.police_s = make_agency(db, name="South Police")
        self.coordinator = make_coordinator(db, self.north)
        self.other_coordinator = make_coordinator(db, self.south)
        self.referrer = make_user(db, Role.REFERRER, agency=self.police_n)
        self.member_on = make_user(db, Role.MEMBER, agency=self.police_n)
        self.member_off = make_user(db, Role.MEMBER, agency=self.police_s)
        self.admin = make_user(db, Role.ADMIN)
        self.governance = make_user(db, Role.GOVERNANCE)
        self.panel = make_panel(db, [self.north], [self.police_n], name="North Community MARAC")

        mohammed = make_person(db, "Mohammed Kowalski", "AK1 2BX")
        mohammed.address = "12 Mill Road, Ashford"
        incident = make_incident(db, self.referrer, mohammed, self.north)
        incident.crime_reference = "AK/12345/26"
        incident.perpetrators.append(Perpetrator(known=True, name="Darren Smith"))
        db.commit()
        self.mohammed = make_referral(
            db, mohammed, self.north, referrer=self.referrer, risk_level="medium",
            reference="CM-2026-0101", created_at=now - timedelta(days=40),
        )  # fmt: skip
        link(db, self.mohammed, incident)

        amira = make_person(db, "Amira Haddad", "AK1 3CD")
        other_incident = make_incident(db, self.referrer, amira, self.north)
        other_incident.strands = [IncidentStrand(code="religion")]
        db.commit()
        self.amira = make_referral(
            db, amira, self.north, referrer=self.referrer, risk_level="high",
            status=ReferralStatus.ACCEPTED, source=ReferralSource.AUTOMATIC_HIGH_RISK,
            reference="CM-2026-0102", created_at=now - timedelta(days=5),
        )  # fmt: skip
        link(db, self.amira, other_incident)

        # The same name, transliterated, in the other coordinator's area.
        muhammad = make_person(db, "Muhammad Kovalsky", "ZZ9 1AA")
        self.muhammad = make_referral(
            db, muhammad, self.south, risk_level="low", reference="CM-2026-0103",
            created_at=now - timedelta(days=10),
        )  # fmt: skip

        meeting = make_meeting(db, self.panel, agenda_status=AgendaStatus.PUBLISHED.value)
        make_agenda_item(db, meeting, self.amira)
