"""Repeat flags and the repeat rate: table-driven, with the window boundaries and panels."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy.orm import Session

from marac.incidents.models import Perpetrator
from marac.people.models import RepeatSettings
from marac.referrals.models import SubjectType
from marac.repeats.flags import (
    PERSISTENTLY_TARGETED,
    REPEAT_LOCATION,
    REPEAT_PERPETRATOR,
    REPEAT_REFERRAL,
    REPEAT_VICTIM,
    flags_for_referrals,
    repeat_rate,
    window_text,
)
from tests.factories import make_agency
from tests.meeting_factories import make_panel
from tests.referrals.helpers import World, link, make_incident, make_person, make_referral

TODAY = date(2026, 11, 23)
NOON = time(12, 0)


def at(days_ago: int, day: date = TODAY) -> datetime:
    return datetime.combine(day - timedelta(days=days_ago), NOON, tzinfo=UTC)


def codes(flags: dict[int, list], referral_id: int) -> set[str]:
    return {f.code for f in flags[referral_id]}


@pytest.mark.parametrize(
    ("gap_days", "repeat"),
    [(0, True), (30, True), (364, True), (365, True), (366, False), (800, False)],
)
def test_repeat_referral_within_12_months_of_the_last(
    db: Session, gap_days: int, repeat: bool
) -> None:
    world = World(db)
    person = make_person(db)
    make_referral(db, person, world.area, created_at=at(gap_days + 10))
    later = make_referral(db, person, world.area, created_at=at(10))
    first_ever = make_referral(db, make_person(db), world.area, created_at=at(10))
    flags = flags_for_referrals(db, [later.id, first_ever.id], TODAY)
    assert (REPEAT_REFERRAL in codes(flags, later.id)) is repeat
    assert codes(flags, first_ever.id) == set()


def test_a_referral_in_another_area_and_panel_still_makes_a_repeat(db: Session) -> None:
    world = World(db)
    make_panel(db, [world.area], [world.police])
    make_panel(db, [world.other_area], [make_agency(db)])
    person = make_person(db)
    make_referral(db, person, world.other_area, created_at=at(100))
    here = make_referral(db, person, world.area, created_at=at(1))
    flags = flags_for_referrals(db, [here.id], TODAY)
    assert REPEAT_REFERRAL in codes(flags, here.id)
    assert flags[here.id][0].detail == "Referred before within 12 months"


@pytest.mark.parametrize(
    ("incident_days_ago", "expected"),
    [
        ([], set()),
        ([5], set()),
        ([5, 365], {REPEAT_VICTIM}),  # the first day of the 12 months counts
        ([5, 366], set()),
        ([5, 100, 183], {REPEAT_VICTIM, PERSISTENTLY_TARGETED}),
        ([5, 100, 184], {REPEAT_VICTIM}),
        ([1, 2, 3, 4], {REPEAT_VICTIM, PERSISTENTLY_TARGETED}),
    ],
)
def test_repeat_victim_and_persistently_targeted(
    db: Session, incident_days_ago: list[int], expected: set[str]
) -> None:
    world = World(db)
    person = make_person(db)
    for n, days in enumerate(incident_days_ago):
        # Different postcodes, so no repeat location gets in the way.
        make_incident(db, world.referrer, person, world.other_area, at(days), postcode=f"AK{n} 1AA")
    referral = make_referral(db, person, world.area, created_at=at(1))
    assert codes(flags_for_referrals(db, [referral.id], TODAY), referral.id) == expected


def test_an_area_can_change_its_definitions(db: Session) -> None:
    world = World(db)
    db.add(
        RepeatSettings(
            area_id=world.area.id,
            victim_incidents=3,
            targeted_incidents=3,
            targeted_window_days=30,
            referral_window_days=30,
            victim_window_days=365,
            perpetrator_victims=2,
            perpetrator_referrals=2,
            location_incidents=3,
            location_window_days=365,
        )
    )
    db.commit()
    person = make_person(db)
    for days, postcode in ((5, "AK1 1AA"), (40, "AK2 1AA")):
        make_incident(db, world.referrer, person, world.area, at(days), postcode=postcode)
    make_referral(db, person, world.area, created_at=at(60))
    referral = make_referral(db, person, world.area, created_at=at(1))
    elsewhere = make_referral(db, person, None, created_at=at(0))  # no area: the defaults
    flags = flags_for_referrals(db, [referral.id, elsewhere.id], TODAY)
    assert codes(flags, referral.id) == set()
    assert codes(flags, elsewhere.id) == {REPEAT_REFERRAL, REPEAT_VICTIM}


def test_a_perpetrator_targeting_two_households_is_flagged_on_both(db: Session) -> None:
    world = World(db)
    offender = make_person(db, "Dean Corr")
    cases = []
    for n in range(2):
        victim = make_person(db, f"Household {n}")
        incident = make_incident(
            db, world.referrer, victim, world.area, at(10 + n), postcode=f"AK{n} 2AA"
        )
        db.add(
            Perpetrator(
                incident_id=incident.id, known=True, name="Dean Corr", person_id=offender.id
            )
        )
        db.commit()
        referral = make_referral(db, victim, world.area, created_at=at(5))
        link(db, referral, incident)
        cases.append(referral)
    lone = make_referral(db, make_person(db), world.area, created_at=at(5))
    flags = flags_for_referrals(db, [c.id for c in cases] + [lone.id], TODAY)
    assert all(REPEAT_PERPETRATOR in codes(flags, c.id) for c in cases)
    assert codes(flags, lone.id) == set()
    assert "2 people and 2 referrals" in flags[cases[0].id][0].detail


def test_a_perpetrator_referral_counts_towards_repeat_perpetrator(db: Session) -> None:
    world = World(db)
    offender = make_person(db, "Dean Corr")
    victim = make_person(db)
    incident = make_incident(db, world.referrer, victim, world.area, at(3))
    db.add(Perpetrator(incident_id=incident.id, known=True, name="x", person_id=offender.id))
    db.commit()
    about_victim = make_referral(db, victim, world.area, created_at=at(2))
    link(db, about_victim, incident)
    flags = flags_for_referrals(db, [about_victim.id], TODAY)
    assert REPEAT_PERPETRATOR not in codes(flags, about_victim.id)  # 1 victim, 1 referral
    about_offender = make_referral(
        db, offender, world.area, created_at=at(1), subject_type=SubjectType.PERPETRATOR.value
    )
    flags = flags_for_referrals(db, [about_victim.id, about_offender.id], TODAY)
    assert REPEAT_PERPETRATOR in codes(flags, about_victim.id)
    assert REPEAT_PERPETRATOR in codes(flags, about_offender.id)


@pytest.mark.parametrize(
    ("days_ago", "flagged"), [((1, 2, 3), True), ((1, 2, 365), True), ((1, 2, 366), False)]
)
def test_repeat_location(db: Session, days_ago: tuple[int, ...], flagged: bool) -> None:
    world = World(db)
    incidents = [
        make_incident(db, world.referrer, make_person(db), world.area, at(d), postcode="AK3 9HS")
        for d in days_ago
    ]
    referral = make_referral(db, make_person(db), world.area, created_at=at(0))
    link(db, referral, incidents[0])
    place = make_referral(
        db,
        None,
        world.area,
        created_at=at(0),
        subject_type=SubjectType.LOCATION.value,
        location="Hotspot estate",
        location_postcode="AK3 9HS",
    )
    flags = flags_for_referrals(db, [referral.id, place.id], TODAY)
    assert (REPEAT_LOCATION in codes(flags, referral.id)) is flagged
    assert (REPEAT_LOCATION in codes(flags, place.id)) is flagged


def _busy_world(db: Session, world: World, size: int) -> list[int]:
    ids = []
    offender = make_person(db, "Offender")
    for n in range(size):
        person = make_person(db)
        incident = make_incident(db, world.referrer, person, world.area, at(n % 50))
        make_incident(db, world.referrer, person, world.area, at(n % 40 + 1))
        db.add(Perpetrator(incident_id=incident.id, known=True, name="o", person_id=offender.id))
        make_referral(db, person, world.other_area, created_at=at(200))
        referral = make_referral(db, person, world.area, created_at=at(n % 30))
        link(db, referral, incident)
        ids.append(referral.id)
    return ids


def test_flags_take_a_constant_number_of_queries(db: Session, count_queries) -> None:
    world = World(db)
    small = _busy_world(db, world, 3)
    with count_queries() as few:
        flags = flags_for_referrals(db, small, TODAY)
    assert all(
        codes(flags, r) >= {REPEAT_REFERRAL, REPEAT_VICTIM, REPEAT_PERPETRATOR, REPEAT_LOCATION}
        for r in small
    )
    large = small + _busy_world(db, world, 27)
    db.expire_all()
    with count_queries() as many:
        flags_for_referrals(db, large, TODAY)
    assert few.count == many.count <= 9


def test_repeat_rate_of_a_panel_and_of_areas(db: Session) -> None:
    world = World(db)
    panel = make_panel(db, [world.area], [world.police])
    start, end = date(2026, 1, 1), date(2026, 6, 30)

    def on(day: date) -> datetime:
        return datetime.combine(day, NOON, tzinfo=UTC)

    first = make_person(db)
    make_referral(db, first, world.other_area, created_at=on(date(2025, 12, 1)))  # other panel
    make_referral(db, first, world.area, created_at=on(date(2026, 2, 1)))  # repeat
    second = make_person(db)
    make_referral(db, second, world.area, created_at=on(date(2024, 1, 1)))  # out of period
    make_referral(db, second, world.area, created_at=on(date(2026, 3, 1)))  # > 12 months gap
    make_referral(db, make_person(db), world.area, created_at=on(date(2026, 6, 30)))
    make_referral(db, make_person(db), world.area, created_at=on(date(2026, 7, 1)))  # after
    assert repeat_rate(db, panel.id, start=start, end=end) == (1, 3, 1 / 3)
    assert repeat_rate(db, area_ids=[world.area.id], start=start, end=end) == (1, 3, 1 / 3)
    assert repeat_rate(db, area_ids=[world.other_area.id], start=start, end=end) == (0, 0, 0.0)


@pytest.mark.parametrize(
    ("days", "text"), [(365, "12 months"), (730, "24 months"), (183, "6 months"), (30, "30 days")]
)
def test_window_text(days: int, text: str) -> None:
    assert window_text(days) == text
