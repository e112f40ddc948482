"""The screening queue shows what arrived since the coordinator last opened it, first."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy.orm import Session

from marac.db import utcnow
from marac.referrals.models import ReferralStatus, ScreeningVisit
from tests.referrals.helpers import World, make_person, make_referral

ROW = re.compile(r'<tr class="govuk-table__row">\s*<td class="govuk-table__cell">(.*?)</tr>', re.S)


def _rows(html: str) -> list[str]:
    """Each table row's text, tags stripped."""
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in ROW.findall(html)]


def test_a_new_high_risk_referral_is_first_and_marked_new(db: Session, login) -> None:
    world = World(db)
    long_ago = utcnow() - timedelta(days=90)
    person = make_person(db)
    for n in range(50):  # a full first page of high-risk referrals waiting longer
        make_referral(
            db, person, world.area, risk_level="high", created_at=long_ago + timedelta(hours=n),
            commit=False,
        )  # fmt: skip
    make_referral(db, make_person(db), world.area, risk_level="low", created_at=long_ago)
    coordinator = login(world.coordinator)

    first = coordinator.get("/referrals/screening").get_data(as_text=True)
    assert ">New<" not in first  # the first opening ever: nothing to compare with
    assert "You last opened the queue" not in first

    arrived = make_referral(db, make_person(db), world.area, risk_level="high")
    low = make_referral(db, make_person(db), world.area, risk_level="low")
    # Before this change the new one would be 51st: the longest-waiting high risk first.
    html = coordinator.get("/referrals/screening").get_data(as_text=True)
    rows = _rows(html)
    assert rows[0].startswith(f"{arrived.reference} New")
    assert rows[1].startswith(f"{low.reference} New")  # new too: highest risk first within
    assert sum(" New " in r for r in rows) == 2
    assert "You last opened the queue on" in html
    assert "Showing 1 to 50 of 53 referrals" in html

    # Paging through keeps the mark, so the order does not shift between pages.
    again = _rows(coordinator.get("/referrals/screening?page=1").get_data(as_text=True))
    assert again == rows
    second = _rows(coordinator.get("/referrals/screening?page=2").get_data(as_text=True))
    assert len(second) == 3 and not any(" New " in r for r in second)
    visit = db.get(ScreeningVisit, world.coordinator.id)
    db.refresh(visit)
    assert visit is not None and visit.new_since is not None

    # Opening the queue again: they have seen those now.
    later = coordinator.get("/referrals/screening").get_data(as_text=True)
    assert ">New<" not in later
    assert _rows(later)[0].startswith(rows[2].split()[0])  # back to the usual order

    # Someone else's opening is their own; a referrer may not open the queue at all.
    other = login(world.other_coordinator).get("/referrals/screening").get_data(as_text=True)
    assert arrived.reference not in other
    assert login(world.referrer).get("/referrals/screening").status_code == 403
    assert db.get(ScreeningVisit, world.referrer.id) is None


def test_a_referral_that_left_the_queue_is_not_counted(db: Session, login) -> None:
    world = World(db)
    coordinator = login(world.coordinator)
    coordinator.get("/referrals/screening")
    accepted = make_referral(db, make_person(db), world.area, status=ReferralStatus.ACCEPTED)
    waiting = make_referral(db, make_person(db), world.area, risk_level="medium")
    rows = _rows(coordinator.get("/referrals/screening").get_data(as_text=True))
    assert [r.split()[:2] for r in rows] == [[waiting.reference, "New"]]
    assert accepted.reference not in " ".join(rows)
