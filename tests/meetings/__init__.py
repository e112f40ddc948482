"""Shared builders for the meetings tests: a panel with its agencies, people and a meeting."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from marac.accounts.models import AgencyType, Role
from marac.meetings.models import AgendaItem
from marac.panels.models import AgendaStatus, Meeting
from marac.referrals.models import Referral, ReferralStatus
from tests.factories import make_agency, make_area, make_user
from tests.meeting_factories import make_agenda_item, make_meeting, make_panel
from tests.referrals.helpers import make_coordinator, make_person, make_referral


class PanelWorld:
    """One panel (police, housing, Victim Support) for an area, a second panel elsewhere.

    People: the panel's coordinator, a member of each agency, a referrer in the police,
    a member of an agency on the other panel only, and the other area's coordinator.
    """

    def __init__(self, db: Session) -> None:
        self.db = db
        self.area = make_area(db, districts="AK1 AK2")
        self.other_area = make_area(db, districts="ZZ9")
        self.police = make_agency(db, type=AgencyType.POLICE)
        self.housing = make_agency(db, type=AgencyType.HOUSING)
        self.victim_support = make_agency(db, type=AgencyType.VICTIM_SUPPORT)
        self.outsider_agency = make_agency(db, type=AgencyType.CHARITY)
        self.coordinator = make_coordinator(db, self.area)
        self.other_coordinator = make_coordinator(db, self.other_area)
        self.panel = make_panel(
            db,
            [self.area],
            [self.police, self.housing, self.victim_support],
            chair=self.coordinator,
            slot_minutes=15,
        )
        self.other_panel = make_panel(
            db, [self.other_area], [self.outsider_agency], chair=self.other_coordinator
        )
        self.police_member = make_user(db, Role.MEMBER, agency=self.police)
        self.housing_member = make_user(db, Role.MEMBER, agency=self.housing)
        self.vs_member = make_user(db, Role.MEMBER, agency=self.victim_support)
        self.outsider_member = make_user(db, Role.MEMBER, agency=self.outsider_agency)
        self.referrer = make_user(db, Role.REFERRER, agency=self.police)

    def meeting(self, days_ahead: int = 14, **kw: Any) -> Meeting:
        return make_meeting(self.db, self.panel, date.today() + timedelta(days=days_ahead), **kw)

    def referral(
        self,
        status: ReferralStatus = ReferralStatus.ACCEPTED,
        risk_level: str | None = "high",
        area: Any = "panel",
        **kw: Any,
    ) -> Referral:
        return make_referral(
            self.db,
            make_person(self.db),
            self.area if isinstance(area, str) else area,
            status=status,
            risk_level=risk_level,
            referrer=kw.pop("referrer", self.referrer),
            **kw,
        )

    def listed(
        self, meeting: Meeting, referral: Referral, position: int = 1, **kw: Any
    ) -> AgendaItem:
        return make_agenda_item(self.db, meeting, referral, position, **kw)

    def publish(self, meeting: Meeting) -> None:
        meeting.agenda_status = AgendaStatus.PUBLISHED.value
        self.db.commit()
