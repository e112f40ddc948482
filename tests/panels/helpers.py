"""A small borough for panel tests: two areas, their coordinators, members and a panel."""

from __future__ import annotations

from datetime import date, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.accounts.models import AgencyType, Role, User
from marac.audit.models import AuditEvent
from tests.factories import make_agency, make_area, make_user
from tests.meeting_factories import make_panel


class World:
    """North has a panel (police and housing sit on it); South has none yet."""

    def __init__(self, db: Session) -> None:
        self.db = db
        self.north = make_area(db, districts="AK1")
        self.south = make_area(db, districts="AK6")
        self.csu = make_agency(db, type=AgencyType.COMMUNITY_SAFETY)
        self.police = make_agency(db, type=AgencyType.POLICE)
        self.housing = make_agency(db, type=AgencyType.HOUSING)
        self.charity = make_agency(db, type=AgencyType.CHARITY)
        self.coordinator = self._coordinator(self.north)
        self.south_coordinator = self._coordinator(self.south)
        self.admin = make_user(db, Role.ADMIN, agency=self.csu)
        self.member = make_user(db, Role.MEMBER, agency=self.police)
        self.outside_member = make_user(db, Role.MEMBER, agency=self.charity)
        self.referrer = make_user(db, Role.REFERRER, agency=self.police)
        self.panel = make_panel(
            db,
            [self.north],
            [self.police, self.housing],
            chair=self.coordinator,
            name="North Community MARAC",
            weekday=0,
            start_time=time(10, 0),
            cadence_weeks=6,
        )

    def _coordinator(self, *areas: object) -> User:
        user = make_user(self.db, Role.COORDINATOR, agency=self.csu)
        user.areas = list(areas)  # type: ignore[arg-type]
        self.db.commit()
        return user


def audit_actions(db: Session) -> list[str]:
    db.expire_all()
    return list(db.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def date_fields(name: str, day: date) -> dict[str, list[str]]:
    """A GOV.UK date input's three boxes (day, month, year share the field's name)."""
    return {name: [str(day.day), str(day.month), str(day.year)]}
