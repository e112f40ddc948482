"""The screening queue, the referral list and the high-risk list: constant SQL queries."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from marac.db import utcnow
from marac.referrals.models import Referral, ReferralStatus
from tests.referrals.helpers import World, make_person

STATUSES = [ReferralStatus.NEW, ReferralStatus.MORE_INFO, ReferralStatus.ACCEPTED]


def add_referrals(db: Session, world: World, start: int, count: int) -> None:
    """`count` referrals in bulk: mixed people, areas, risk levels and statuses."""
    now = utcnow()
    people = [make_person(db) for _ in range(5)]
    rows = []
    for n in range(start, start + count):
        rows.append(
            Referral(
                reference=f"CM-2001-{n:05d}",
                person_id=people[n % 5].id,
                area_id=world.area.id if n % 7 else None,
                source="partner",
                status=STATUSES[n % 3].value,
                risk_level=["high", "medium", None][n % 3],
                is_repeat=n % 4 == 0,
                referrer_id=world.referrer.id,
                referring_agency_id=world.police.id,
                created_at=now - timedelta(days=n % 90),
            )
        )
    db.add_all(rows)
    db.commit()


def test_lists_issue_a_constant_number_of_queries(db: Session, login, count_queries) -> None:
    world = World(db)
    referrer, coordinator = login(world.referrer), login(world.coordinator)
    pages = {
        "/referrals": referrer,
        "/referrals/screening": coordinator,
        "/referrals/high-risk": coordinator,
    }
    counts: dict[str, list[int]] = {url: [] for url in pages}
    added = 0
    for total in (10, 500):
        add_referrals(db, world, added, total - added)
        added = total
        for url, client in pages.items():
            with count_queries() as q:
                response = client.get(url)
            assert response.status_code == 200
            counts[url].append(q.count)
    for url, (small, large) in counts.items():
        assert small == large, (url, counts)
