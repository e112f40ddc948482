"""The repeats operations called directly (no HTTP): merging, "not the same person", settings."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marac.accounts.models import Role
from marac.audit.models import AuditEvent
from marac.incidents.models import Incident
from marac.operations import Invalid, NotFound, Refused
from marac.people.models import DuplicateDismissal, Person, PersonMerge, RepeatSettings
from marac.referrals.models import Referral, ReferralSource
from marac.repeats import operations
from marac.repeats.flags import RULE_FIELDS, RepeatRules
from tests.factories import make_area, make_user
from tests.referrals.helpers import World, link, make_incident, make_person, make_referral

DOB = date(1990, 5, 1)


def _twins(db: Session, world: World) -> tuple[Person, Person]:
    """Two records in the coordinator's area that may be one person."""
    twin = make_person(db, world.person.full_name + "e")
    twin.date_of_birth = world.person.date_of_birth = DOB
    make_incident(db, world.referrer, twin, world.area)
    db.commit()
    return world.person, twin


def _audit(db: Session, action: str) -> list[AuditEvent]:
    return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_a_coordinator_merges_two_records(db: Session) -> None:
    world = World(db)
    person, twin = _twins(db, world)
    referral = make_referral(db, twin, world.area)
    link(db, referral, world.incident)
    twin_id = twin.id
    survivor, summary = operations.merge_people(
        db, world.coordinator, person.id, twin_id, survivor_id=person.id, reason="Confirmed"
    )
    assert survivor.id == person.id and summary.incidents == 1 and summary.referrals == 1
    db.expire_all()
    assert db.get(Person, twin_id) is None
    assert db.scalar(select(func.count()).where(Incident.person_id == person.id)) == 2
    assert db.get(Referral, referral.id).person_id == person.id
    assert db.scalar(select(PersonMerge.reason)) == "Confirmed"
    [event] = _audit(db, "people_merged")
    assert event.user_id == world.coordinator.id and "Confirmed" not in event.summary


@pytest.mark.parametrize("role", [Role.REFERRER, Role.MEMBER, Role.ADMIN])
def test_only_a_coordinator_merges(db: Session, role: Role) -> None:
    world = World(db)
    person, twin = _twins(db, world)
    actor = make_user(db, role)
    with pytest.raises(Refused):
        operations.merge_people(
            db, actor, person.id, twin.id, survivor_id=person.id, reason="Confirmed"
        )
    assert db.get(Person, twin.id) is not None
    assert _audit(db, "people_merged") == [] and db.scalar(select(PersonMerge)) is None


def test_a_coordinator_of_another_area_cannot_merge(db: Session) -> None:
    world = World(db)
    person, twin = _twins(db, world)
    with pytest.raises(Refused):
        operations.merge_people(
            db, world.other_coordinator, person.id, twin.id, survivor_id=twin.id, reason="Same"
        )
    assert db.get(Person, person.id) is not None


def test_a_merge_needs_a_reason_and_a_survivor_of_the_two(db: Session) -> None:
    world = World(db)
    person, twin = _twins(db, world)
    with pytest.raises(Invalid) as error:
        operations.merge_people(
            db, world.coordinator, person.id, twin.id, survivor_id=person.id, reason="  "
        )
    assert set(error.value.errors) == {"reason"}
    with pytest.raises(Invalid) as error:
        operations.merge_people(
            db, world.coordinator, person.id, twin.id, survivor_id=999_999, reason="Same"
        )
    assert set(error.value.errors) == {"survivor"}
    with pytest.raises(NotFound):
        operations.merge_people(
            db, world.coordinator, person.id, person.id, survivor_id=person.id, reason="Same"
        )
    assert db.get(Person, twin.id) is not None and _audit(db, "people_merged") == []


def test_two_waiting_referrals_stop_a_merge(db: Session) -> None:
    world = World(db)
    person, twin = _twins(db, world)
    for someone in (person, twin):
        make_referral(db, someone, world.area, source=ReferralSource.AUTOMATIC_HIGH_RISK)
    with pytest.raises(Invalid) as error:
        operations.merge_people(
            db, world.coordinator, person.id, twin.id, survivor_id=person.id, reason="Same"
        )
    assert "waiting to be heard" in error.value.errors["survivor"][0]
    assert db.get(Person, twin.id) is not None


def test_not_the_same_person(db: Session) -> None:
    world = World(db)
    person, twin = _twins(db, world)
    with pytest.raises(Refused):
        operations.mark_not_duplicates(db, world.referrer, person.id, twin.id, note="Twins")
    assert db.scalar(select(DuplicateDismissal)) is None
    operations.mark_not_duplicates(db, world.coordinator, twin.id, person.id, note="Twins")
    pair = tuple(sorted((person.id, twin.id)))
    kept = db.get(DuplicateDismissal, pair)
    assert kept is not None and kept.reason == "Twins"
    assert kept.dismissed_by_id == world.coordinator.id
    [event] = _audit(db, "duplicate_dismissed")
    assert "Twins" not in event.summary and event.user_id == world.coordinator.id
    assert operations.list_duplicates(db, world.coordinator) == []


def test_opening_a_person_checks_need_to_know_and_is_audited(db: Session) -> None:
    world = World(db)
    page = operations.open_person(db, world.referrer, world.person.id)
    assert [i.id for i in page.incidents] == [world.incident.id]
    assert len(_audit(db, "person_viewed")) == 1
    stranger = make_user(db, Role.REFERRER)
    with pytest.raises(Refused):
        operations.open_person(db, stranger, world.person.id)
    with pytest.raises(NotFound):
        operations.open_timeline(db, world.referrer, 999_999, today=date(2026, 1, 1))
    assert len(_audit(db, "person_viewed")) == 1


def _values(**changes: int) -> dict[str, int]:
    return {**{name: getattr(RepeatRules(), name) for name in RULE_FIELDS}, **changes}


def test_an_admin_saves_the_repeat_definitions(db: Session) -> None:
    area = make_area(db)
    admin = make_user(db, Role.ADMIN)
    saved = operations.save_repeat_settings(db, admin, area.id, values=_values(victim_incidents=3))
    assert db.get(RepeatSettings, area.id) is saved and saved.victim_incidents == 3
    [event] = _audit(db, "repeat_settings_updated")
    assert event.summary == "Changed victim_incidents=3" and event.user_id == admin.id


def test_repeat_definitions_refused_and_invalid(db: Session) -> None:
    area = make_area(db)
    with pytest.raises(Refused):
        operations.save_repeat_settings(
            db, make_user(db, Role.COORDINATOR), area.id, values=_values()
        )
    admin = make_user(db, Role.ADMIN)
    with pytest.raises(Invalid) as error:
        operations.save_repeat_settings(db, admin, area.id, values=_values(victim_incidents=1))
    assert set(error.value.errors) == {"victim_incidents"}
    with pytest.raises(NotFound):
        operations.save_repeat_settings(db, admin, 999_999, values=_values())
    assert db.get(RepeatSettings, area.id) is None and _audit(db, "repeat_settings_updated") == []
