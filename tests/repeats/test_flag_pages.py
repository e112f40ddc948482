"""Repeat flags on the screening queue, the referral lists and the referral page."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from marac.db import utcnow
from marac.incidents.models import Perpetrator
from tests.referrals.helpers import World, link, make_incident, make_person, make_referral


def _cases(db: Session, world: World, count: int) -> list[int]:
    """`count` victims with two recent incidents each, all by one named perpetrator."""
    offender = make_person(db, "Dean Corr")
    ids = []
    for n in range(count):
        person = make_person(db)
        first = make_incident(db, world.referrer, person, world.area, utcnow() - timedelta(days=n))
        make_incident(db, world.referrer, person, world.area, utcnow() - timedelta(days=n + 1))
        db.add(Perpetrator(incident_id=first.id, known=True, name="Dean", person_id=offender.id))
        referral = make_referral(db, person, world.area, referrer=world.referrer)
        link(db, referral, first)
        ids.append(referral.id)
    return ids


def test_flags_show_on_lists_and_the_referral_page(db: Session, login) -> None:
    world = World(db)
    [referral_id] = _cases(db, world, 1)
    coordinator = login(world.coordinator)
    queue = coordinator.get("/referrals/screening").get_data(as_text=True)
    assert "Repeat victim" in queue and "Repeat location" in queue
    assert "Repeat victim" in login(world.referrer).get("/referrals").get_data(as_text=True)
    page = coordinator.get(f"/referrals/{referral_id}").get_data(as_text=True)
    assert "Repeat flags" in page and "2 incidents in 12 months" in page


def test_list_pages_with_flags_keep_a_constant_query_count(
    db: Session, login, count_queries
) -> None:
    world = World(db)
    clients = {
        "/referrals": login(world.referrer),
        "/referrals/screening": login(world.coordinator),
    }
    counts: dict[str, list[int]] = {url: [] for url in clients}
    for size in (3, 27):
        _cases(db, world, size)
        for url, client in clients.items():
            with count_queries() as q:
                response = client.get(url)
            assert response.status_code == 200 and "Repeat perpetrator" in response.get_data(
                as_text=True
            )
            counts[url].append(q.count)
    assert all(small == large for small, large in counts.values()), counts
