"""A small hand-built borough whose right figures are known, for the report tests."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.orm import Session

from marac.accounts.models import AgencyType, Role
from marac.actions.models import ActionStatus
from marac.assessments.models import RiskMeasure
from marac.incidents.models import IncidentStrand, LocalStrand
from marac.referrals.models import Referral, ReferralSource, ReferralStatus
from marac.reports.queries import Scope
from tests.factories import make_agency, make_area, make_user
from tests.meeting_factories import make_action, make_agenda_item, make_meeting, make_panel
from tests.referrals.helpers import (
    link,
    make_coordinator,
    make_endorsed,
    make_incident,
    make_person,
    make_referral,
)

TODAY = date(2026, 4, 15)


def at(y: int, m: int, d: int, hour: int = 12) -> datetime:
    return datetime(y, m, d, hour, tzinfo=UTC)


class Borough:
    """Area A (reported on), an empty area C (also in scope) and area B (out of scope).

    Period: January to March 2026, complete on `TODAY`. In scope, made in the period:
    r1 (January, partner, police, race + religion/antisemitic), r2 (January, automatic
    high risk, police, race + a local strand, endorsed assessment with a plan), r3
    (February, automatic repeat, housing, high risk and waiting, endorsed assessment with
    no plan, same person as r4). r4 was made in December 2025; r5 is in area B.
    """

    def __init__(self, db: Session) -> None:
        self.db = db
        self.area = make_area(db, name="Northfield")
        self.empty_area = make_area(db, name="Southgate")
        self.other_area = make_area(db, name="Elsewhere", districts="ZZ9")
        self.police = make_agency(db, name="Police")
        self.housing = make_agency(db, name="Housing", type=AgencyType.HOUSING)
        self.officer = make_user(db, Role.REFERRER, agency=self.police)
        self.housing_officer = make_user(db, Role.REFERRER, agency=self.housing)
        self.coordinator = make_coordinator(db, self.area, self.empty_area)
        self.panel = make_panel(db, [self.area, self.empty_area], [self.police, self.housing])
        self.other_panel = make_panel(db, [self.other_area], [self.police])
        local = LocalStrand(area_id=self.area.id, name="Alternative subcultures")
        db.add(local)
        db.commit()
        self.local = local

        p1, p2, p3, p5 = (make_person(db) for _ in range(4))
        i1 = make_incident(db, self.officer, p1, self.area, occurred_at=at(2026, 1, 8))
        i1.strands.append(IncidentStrand(code="religion"))
        i1.strands.append(IncidentStrand(code="religion", subcategory="antisemitic"))
        i2 = make_incident(db, self.officer, p2, self.area, occurred_at=at(2026, 1, 15))
        i2.strands.append(IncidentStrand(code=f"local:{local.id}"))
        i3 = make_incident(db, self.housing_officer, p3, self.area, occurred_at=at(2026, 2, 1))
        db.commit()
        a2 = make_endorsed(db, self.officer, i2)
        a2.endorsed_at = at(2026, 1, 19)
        db.add(RiskMeasure(assessment_id=a2.id, description="Lock change", rara="reduce"))
        a3 = make_endorsed(db, self.housing_officer, i3)
        db.commit()

        self.r4 = make_referral(
            db,
            p3,
            self.area,
            created_at=at(2025, 12, 1),
            referrer=self.officer,
            status=ReferralStatus.CLOSED,
            closed_at=at(2026, 2, 20),
            outcome="risk_reduced",
        )
        self.r1 = make_referral(
            db,
            p1,
            self.area,
            created_at=at(2026, 1, 10),
            referrer=self.officer,
            status=ReferralStatus.CLOSED,
            closed_at=at(2026, 3, 30),
            outcome="risk_unchanged",
        )
        link(db, self.r1, i1)
        self.r2 = make_referral(
            db,
            p2,
            self.area,
            created_at=at(2026, 1, 20),
            referrer=self.officer,
            source=ReferralSource.AUTOMATIC_HIGH_RISK,
            status=ReferralStatus.HEARD,
            risk_level="high",
            assessment_id=a2.id,
            trigger_incident_id=i2.id,
        )
        self.r3 = make_referral(
            db,
            p3,
            self.area,
            created_at=at(2026, 2, 5),
            referrer=self.housing_officer,
            source=ReferralSource.AUTOMATIC_REPEAT,
            status=ReferralStatus.ACCEPTED,
            risk_level="high",
            assessment_id=a3.id,
            is_repeat=True,
            previous_referral_id=self.r4.id,
        )
        link(db, self.r3, i3)
        self.r5 = make_referral(
            db,
            p5,
            self.other_area,
            created_at=at(2026, 2, 10),
            referrer=self.officer,
            status=ReferralStatus.ACCEPTED,
            risk_level="high",
        )

        # Hearings: r4 first heard 5 January (35 days), r1 9 February (30 days; heard
        # again 23 March), r2 2 March (42 days from endorsement on 19 January).
        m_jan = make_meeting(db, self.panel, date(2026, 1, 5))
        m_feb = make_meeting(db, self.panel, date(2026, 2, 9))
        m_mar = make_meeting(db, self.panel, date(2026, 3, 2))
        m_late = make_meeting(db, self.panel, date(2026, 3, 23))
        make_agenda_item(db, m_jan, self.r4, discussed_at=at(2026, 1, 5))
        make_agenda_item(db, m_feb, self.r1, discussed_at=at(2026, 2, 9))
        make_agenda_item(db, m_mar, self.r2, discussed_at=at(2026, 3, 2))
        make_agenda_item(db, m_late, self.r1, discussed_at=at(2026, 3, 23))
        make_agenda_item(db, m_late, self.r3, position=2)  # listed, not yet discussed

        # Actions due in the period: police one on time, one late; housing one overdue.
        done = ActionStatus.COMPLETED.value
        make_action(
            db,
            self.r1,
            self.police,
            m_feb,
            due_date=date(2026, 2, 1),
            status=done,
            completed_at=at(2026, 1, 30),
        )
        make_action(
            db,
            self.r1,
            self.police,
            m_feb,
            due_date=date(2026, 2, 10),
            status=done,
            completed_at=at(2026, 2, 12),
        )
        make_action(
            db,
            self.r1,
            self.police,
            m_feb,
            due_date=date(2026, 3, 31),
            status=done,
            completed_at=at(2026, 3, 31, 23),
        )
        make_action(db, self.r2, self.housing, m_mar, due_date=date(2026, 3, 1))
        make_action(db, self.r2, self.housing, m_mar, due_date=date(2026, 5, 1))  # after
        make_action(db, self.r5, self.police, None, due_date=date(2026, 3, 1))  # area B

    def scope(self) -> Scope:
        return Scope(
            start=date(2026, 1, 1),
            end=date(2026, 3, 31),
            area_ids=tuple(sorted((self.area.id, self.empty_area.id))),
            area_label="Northfield and Southgate",
            today=TODAY,
        )


def referral_count(db: Session) -> int:
    return db.query(Referral).count()
