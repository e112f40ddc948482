"""The automatic referral triggers against the database (both backends)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marac.audit.models import AuditEvent
from marac.db import utcnow
from marac.referrals import triggers
from marac.referrals.models import (
    Referral,
    ReferralIncident,
    ReferralSource,
    ReferralStatus,
    TriggerSettings,
)
from marac.referrals.triggers import on_assessment_endorsed, on_incident_recorded
from tests.factories import make_area
from tests.referrals.helpers import (
    World,
    make_endorsed,
    make_incident,
    make_person,
    make_referral,
)


@pytest.fixture
def world(db: Session) -> World:
    return World(db)


def referrals(db: Session) -> list[Referral]:
    db.expire_all()
    return list(db.scalars(select(Referral).order_by(Referral.id)))


def linked_incidents(db: Session, referral: Referral) -> set[int]:
    rows = db.scalars(
        select(ReferralIncident.incident_id).where(ReferralIncident.referral_id == referral.id)
    )
    return set(rows)


def test_endorsed_high_risk_creates_a_referral(db: Session, world: World) -> None:
    now = utcnow()
    assessment = make_endorsed(db, world.referrer, world.incident, "high")
    referral = on_assessment_endorsed(db, assessment, now)
    db.commit()
    assert referral is not None
    [saved] = referrals(db)
    assert saved.reference == f"CM-{now.year}-0001"
    assert saved.source == ReferralSource.AUTOMATIC_HIGH_RISK
    assert saved.status == ReferralStatus.NEW
    assert saved.risk_level == "high"
    assert saved.assessment_id == assessment.id
    assert saved.person_id == world.person.id
    assert saved.area_id == world.area.id
    assert saved.referrer_id == world.referrer.id
    assert saved.referring_agency_id == world.police.id
    assert saved.trigger_reasons == ["Endorsed risk level is high"]
    assert saved.is_repeat is False and saved.previous_referral_id is None
    assert linked_incidents(db, saved) == {world.incident.id}
    audit = db.scalar(
        select(AuditEvent).where(AuditEvent.action == "referral_created_automatically")
    )
    assert audit is not None and audit.object_id == str(saved.id)
    assert "Endorsed risk level is high" in audit.summary


@pytest.mark.parametrize("level", ["low", "medium"])
def test_lower_levels_with_no_history_refer_nothing(db: Session, world: World, level: str) -> None:
    assessment = make_endorsed(db, world.referrer, world.incident, level)
    assert on_assessment_endorsed(db, assessment, utcnow()) is None
    db.commit()
    assert referrals(db) == []


def test_re_endorsement_fires_once(db: Session, world: World) -> None:
    assessment = make_endorsed(db, world.referrer, world.incident, "high")
    assert on_assessment_endorsed(db, assessment, utcnow()) is not None
    db.commit()
    assert on_assessment_endorsed(db, assessment, utcnow()) is None
    db.commit()
    assert len(referrals(db)) == 1


def test_area_setting_can_switch_high_risk_off(db: Session, world: World) -> None:
    db.add(TriggerSettings(area_id=world.area.id, high_risk_enabled=False))
    db.commit()
    assessment = make_endorsed(db, world.referrer, world.incident, "high")
    assert on_assessment_endorsed(db, assessment, utcnow()) is None


@pytest.mark.parametrize(("days_ago", "fires"), [(365, True), (366, False), (10, True)])
def test_repeat_boundary_on_a_new_incident(
    db: Session, world: World, days_ago: int, fires: bool
) -> None:
    now = utcnow()
    previous = make_referral(
        db,
        world.person,
        world.area,
        created_at=now - timedelta(days=days_ago),
        status=ReferralStatus.CLOSED,
        reference="CM-2025-0007",
    )
    incident = make_incident(db, world.referrer, world.person, world.area)
    referral = on_incident_recorded(db, incident, now)
    db.commit()
    if not fires:
        assert referral is None
        assert len(referrals(db)) == 1
        return
    assert referral is not None
    assert referral.source == ReferralSource.AUTOMATIC_REPEAT
    assert referral.is_repeat is True
    assert referral.previous_referral_id == previous.id
    assert referral.trigger_incident_id == incident.id
    assert referral.risk_level is None
    assert referral.referrer_id == world.referrer.id
    [reason] = referral.trigger_reasons
    assert reason.startswith("Repeat: previous MARAC referral CM-2025-0007 on ")
    assert reason.endswith("within 12 months")


def test_declined_referral_counts_as_previous_but_does_not_absorb(
    db: Session, world: World
) -> None:
    now = utcnow()
    declined = make_referral(
        db,
        world.person,
        world.area,
        created_at=now - timedelta(days=30),
        status=ReferralStatus.DECLINED,
    )
    assessment = make_endorsed(db, world.referrer, world.incident, "high")
    referral = on_assessment_endorsed(db, assessment, now)
    db.commit()
    assert referral is not None and referral.id != declined.id
    assert referral.source == ReferralSource.AUTOMATIC_HIGH_RISK
    assert referral.is_repeat and referral.previous_referral_id == declined.id
    assert len(referral.trigger_reasons) == 2
    db.refresh(declined)
    assert declined.status == ReferralStatus.DECLINED
    assert declined.trigger_reasons in ([], None)


@pytest.mark.parametrize(("count", "fires"), [(2, False), (3, True)])
def test_escalation_boundary(db: Session, world: World, count: int, fires: bool) -> None:
    # world.incident is the first; add the rest, the last being the new one.
    now = utcnow()
    incident = world.incident
    for _ in range(count - 1):
        incident = make_incident(db, world.referrer, world.person, world.area)
    referral = on_incident_recorded(db, incident, now)
    db.commit()
    if not fires:
        assert referral is None
        return
    assert referral is not None
    assert referral.source == ReferralSource.AUTOMATIC_ESCALATION
    assert referral.trigger_reasons == ["Escalation: 3 incidents in the last 12 months"]
    assert referral.trigger_incident_id == incident.id


def test_escalation_counts_only_the_window(db: Session, world: World) -> None:
    now = utcnow()
    make_incident(db, world.referrer, world.person, world.area, now - timedelta(days=366))
    new = make_incident(db, world.referrer, world.person, world.area, now - timedelta(hours=1))
    assert on_incident_recorded(db, new, now) is None  # 2 in the window, 1 outside


def test_escalation_at_exactly_365_days_counts(db: Session, world: World) -> None:
    now = utcnow()
    make_incident(db, world.referrer, world.person, world.area, now - timedelta(days=365))
    new = make_incident(db, world.referrer, world.person, world.area, now)
    assert on_incident_recorded(db, new, now) is not None


def test_area_thresholds_apply(db: Session, world: World) -> None:
    db.add(TriggerSettings(area_id=world.area.id, escalation_incidents=2))
    db.commit()
    new = make_incident(db, world.referrer, world.person, world.area)
    referral = on_incident_recorded(db, new, utcnow())
    assert referral is not None
    assert referral.trigger_reasons == ["Escalation: 2 incidents in the last 12 months"]


def test_incident_trigger_fires_once(db: Session, world: World) -> None:
    make_incident(db, world.referrer, world.person, world.area)
    new = make_incident(db, world.referrer, world.person, world.area)
    assert on_incident_recorded(db, new, utcnow()) is not None
    db.commit()
    assert on_incident_recorded(db, new, utcnow()) is None
    db.commit()
    assert len(referrals(db)) == 1


def test_simultaneous_triggers_make_one_referral_with_three_reasons(
    db: Session, world: World
) -> None:
    now = utcnow()
    heard = make_referral(
        db,
        world.person,
        world.area,
        created_at=now - timedelta(days=100),
        status=ReferralStatus.HEARD,
    )
    make_incident(db, world.referrer, world.person, world.area)
    third = make_incident(db, world.referrer, world.person, world.area)
    assessment = make_endorsed(db, world.referrer, third, "high")
    referral = on_assessment_endorsed(db, assessment, now)
    db.commit()
    assert referral is not None
    assert referral.source == ReferralSource.AUTOMATIC_HIGH_RISK
    assert len(referral.trigger_reasons) == 3
    assert referral.trigger_reasons[0] == "Endorsed risk level is high"
    assert referral.trigger_reasons[1].startswith("Repeat: previous MARAC referral")
    assert referral.trigger_reasons[2] == "Escalation: 3 incidents in the last 12 months"
    assert referral.previous_referral_id == heard.id and referral.is_repeat
    assert len(referrals(db)) == 2  # the heard one and the new one
    events = db.scalars(
        select(AuditEvent).where(AuditEvent.action == "referral_created_automatically")
    ).all()
    assert len(events) == 1


@pytest.mark.parametrize(
    "status", [ReferralStatus.NEW, ReferralStatus.MORE_INFO, ReferralStatus.ACCEPTED]
)
def test_open_unheard_referral_absorbs_a_new_trigger(
    db: Session, world: World, status: ReferralStatus
) -> None:
    now = utcnow()
    open_referral = make_referral(
        db,
        world.person,
        world.area,
        created_at=now - timedelta(days=5),
        status=status,
        risk_level="medium",
        trigger_reasons=["Professional judgement: referred by Police"],
    )
    assessment = make_endorsed(db, world.referrer, world.incident, "high")
    result = on_assessment_endorsed(db, assessment, now)
    db.commit()
    assert result is not None and result.id == open_referral.id
    [only] = referrals(db)
    assert only.trigger_reasons == [
        "Professional judgement: referred by Police",
        "Endorsed risk level is high",
    ]
    assert only.risk_level == "high"
    assert only.assessment_id == assessment.id
    assert only.status == status
    assert linked_incidents(db, only) == {world.incident.id}
    assert db.scalar(select(func.count()).where(AuditEvent.action == "referral_trigger_added")) == 1
    # Running again changes nothing and makes nothing.
    assert on_assessment_endorsed(db, assessment, now) is None


def test_incident_then_endorsement_of_the_same_case_is_one_referral(
    db: Session, world: World
) -> None:
    """Escalation on recording, then high risk on endorsement: one referral, both reasons."""
    now = utcnow()
    make_incident(db, world.referrer, world.person, world.area)
    third = make_incident(db, world.referrer, world.person, world.area)
    first = on_incident_recorded(db, third, now)
    db.commit()
    assert first is not None and first.source == ReferralSource.AUTOMATIC_ESCALATION
    assessment = make_endorsed(db, world.referrer, third, "high")
    second = on_assessment_endorsed(db, assessment, now)
    db.commit()
    assert second is not None and second.id == first.id
    [only] = referrals(db)
    assert only.trigger_reasons == [
        "Escalation: 3 incidents in the last 12 months",
        "Endorsed risk level is high",
    ]
    assert only.risk_level == "high" and only.assessment_id == assessment.id


def test_area_comes_from_the_postcode_when_the_incident_has_none(db: Session) -> None:
    world = World(db)
    incident = make_incident(db, world.referrer, world.person, None, postcode="AK2 9ZZ")
    assessment = make_endorsed(db, world.referrer, incident, "high")
    referral = on_assessment_endorsed(db, assessment, utcnow())
    assert referral is not None and referral.area_id == world.area.id


def test_unknown_area_stays_unknown(db: Session) -> None:
    world = World(db)
    person = make_person(db, postcode="QQ1 1QQ")
    incident = make_incident(db, world.referrer, person, None, postcode="")
    referral = on_assessment_endorsed(db, make_endorsed(db, world.referrer, incident), utcnow())
    assert referral is not None and referral.area_id is None


def test_references_continue_from_the_highest_of_the_year(db: Session, world: World) -> None:
    now = utcnow()
    make_referral(db, None, reference=f"CM-{now.year}-0041", status=ReferralStatus.CLOSED)
    make_referral(db, None, reference=f"CM-{now.year}-0009", status=ReferralStatus.CLOSED)
    make_referral(db, None, reference=f"CM-{now.year - 1}-0500", status=ReferralStatus.CLOSED)
    referral = on_assessment_endorsed(db, make_endorsed(db, world.referrer, world.incident), now)
    assert referral is not None and referral.reference == f"CM-{now.year}-0042"


def test_references_past_9999_keep_counting(db: Session, world: World) -> None:
    now = utcnow()
    make_referral(db, None, reference=f"CM-{now.year}-9999", status=ReferralStatus.CLOSED)
    make_referral(db, None, reference=f"CM-{now.year}-10000", status=ReferralStatus.CLOSED)
    referral = on_assessment_endorsed(db, make_endorsed(db, world.referrer, world.incident), now)
    assert referral is not None and referral.reference == f"CM-{now.year}-10001"


def test_a_reference_taken_by_another_request_is_retried(
    db: Session, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two requests read the same maximum: the loser retries in a savepoint."""
    now = utcnow()
    taken = make_referral(db, None, reference=f"CM-{now.year}-0001", status=ReferralStatus.CLOSED)
    answers = iter([f"CM-{now.year}-0001", f"CM-{now.year}-0002"])
    monkeypatch.setattr(triggers, "next_reference", lambda _s, _y: next(answers))
    assessment = make_endorsed(db, world.referrer, world.incident)
    referral = on_assessment_endorsed(db, assessment, now)
    db.commit()
    assert referral is not None and referral.reference == f"CM-{now.year}-0002"
    assert {r.reference for r in referrals(db)} == {taken.reference, referral.reference}
    assert linked_incidents(db, referral) == {world.incident.id}


def test_gathering_facts_takes_a_constant_number_of_queries(db: Session, count_queries) -> None:
    counts = []
    for history in (1, 25):
        world = World(db)
        now = utcnow()
        for i in range(history):
            make_referral(
                db,
                world.person,
                world.area,
                created_at=now - timedelta(days=400 + i),
                status=ReferralStatus.CLOSED,
            )
            make_incident(db, world.referrer, world.person, world.area, now - timedelta(days=i))
        assessment = make_endorsed(db, world.referrer, world.incident, "high")
        db.expire_all()
        with count_queries() as q:
            assert on_assessment_endorsed(db, assessment, now) is not None
        db.commit()
        counts.append(q.count)
    assert counts[0] == counts[1], counts


def test_areas_settings_of_another_area_do_not_apply(db: Session, world: World) -> None:
    other = make_area(db, districts="XX1")
    db.add(TriggerSettings(area_id=other.id, escalation_incidents=2))
    db.commit()
    new = make_incident(db, world.referrer, world.person, world.area)
    assert on_incident_recorded(db, new, utcnow()) is None
