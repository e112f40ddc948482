"""A panel with a published meeting, a listed case, its partners and their officers."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from marac.accounts.models import AgencyType, Role
from marac.actions.models import Action
from marac.formatting import uk_today
from marac.meetings.models import AgencyAttendance, AgendaItem
from marac.panels.models import AgendaStatus
from marac.referrals.models import Referral, ReferralStatus
from tests.factories import make_agency, make_user
from tests.meeting_factories import make_action, make_agenda_item, make_meeting, make_panel
from tests.referrals.helpers import World, make_person, make_referral


class PanelWorld(World):
    """World plus: a panel (police, housing) with a published meeting listing one case."""

    def __init__(self, db: Session) -> None:
        super().__init__(db)
        self.db = db
        self.housing = make_agency(db, type=AgencyType.HOUSING)
        self.outsider_agency = make_agency(db)
        self.housing_officer = make_user(db, Role.REFERRER, agency=self.housing)
        self.housing_colleague = make_user(db, Role.REFERRER, agency=self.housing)
        self.housing_manager = make_user(db, Role.REFERRER, agency=self.housing, supervisor=True)
        self.housing_member = make_user(db, Role.MEMBER, agency=self.housing)
        self.outsider = make_user(db, Role.MEMBER, agency=self.outsider_agency)
        self.police_officer = make_user(db, Role.REFERRER, agency=self.police)
        self.panel = make_panel(db, [self.area], [self.police, self.housing])
        today = uk_today()
        self.earlier = make_meeting(
            db, self.panel, today - timedelta(days=42), agenda_status=AgendaStatus.PUBLISHED.value
        )
        self.meeting = make_meeting(
            db, self.panel, today, agenda_status=AgendaStatus.PUBLISHED.value
        )
        self.later = make_meeting(db, self.panel, today + timedelta(days=42))
        self.last = make_meeting(db, self.panel, today + timedelta(days=84))
        self.referral = make_referral(
            db,
            self.person,
            self.area,
            status=ReferralStatus.ACCEPTED,
            risk_level="high",
            referrer=self.referrer,
        )
        self.item = make_agenda_item(db, self.meeting, self.referral, 1)
        # Both agencies are in the room, so both have a box for what they shared.
        db.add_all(
            AgencyAttendance(meeting_id=self.meeting.id, agency_id=a.id, status="present")
            for a in (self.police, self.housing)
        )
        db.commit()

    def add_case(self, position: int, **kw: Any) -> tuple[Referral, AgendaItem]:
        referral = make_referral(
            self.db,
            make_person(self.db),
            self.area,
            status=ReferralStatus.ACCEPTED,
            risk_level="medium",
            **kw,
        )
        return referral, make_agenda_item(self.db, self.meeting, referral, position)

    def action(self, **kw: Any) -> Action:
        kw.setdefault("officer_id", self.housing_officer.id)
        return make_action(self.db, self.referral, self.housing, self.earlier, **kw)


def record_data(world: PanelWorld, item: AgendaItem, **changes: Any) -> dict[str, Any]:
    """A full case-record form as the browser would post it (no action typed)."""
    data: dict[str, Any] = {
        "record-version": str(item.version),
        f"record-info_{world.police.id}": "Two calls this month.",
        f"record-info_{world.housing.id}": "Neighbour complaints logged.",
        "record-risks_identified": "Targeting at home continues.",
        "record-risk_level_after": "medium",
        "record-decision": "review",
        "record-review_meeting_id": str(world.later.id),
        "record-save": "Save",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def action_data(world: PanelWorld, due: date | None = None, **changes: Any) -> dict[str, Any]:
    due = due or uk_today() + timedelta(days=14)
    data: dict[str, Any] = {
        "record-actions-0-description": "Tenancy warning to the neighbour",
        "record-actions-0-kind": "enforcement_tenancy",
        "record-actions-0-rara": "remove",
        "record-actions-0-agency_id": str(world.housing.id),
        "record-actions-0-officer_id": str(world.housing_officer.id),
        "record-actions-0-due_date": [str(due.day), str(due.month), str(due.year)],
    }
    data.update(changes)
    return data
