"""The repeat rate counted in SQL agrees with the repeat referral flag, edge for edge, and
sends no referral ids to the database (issue 16)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from marac.people.models import RepeatSettings
from marac.referrals.models import Referral
from marac.repeats.flags import REPEAT_REFERRAL, flags_for_referrals, repeat_rate
from tests.referrals.helpers import World, make_person, make_referral

TODAY = date(2026, 11, 23)
START, END = date(2026, 1, 1), date(2026, 10, 31)
NOON = datetime.combine(date(2026, 6, 1), time(12, 0), tzinfo=UTC)


@contextmanager
def parameters_sent(db: Session) -> Iterator[list[int]]:
    """How many bound parameters each statement carries."""
    sizes: list[int] = []

    def before(_conn: Any, _cursor: Any, _statement: str, params: Any, *_: Any) -> None:
        sizes.append(len(params or ()))

    engine = db.get_bind()
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield sizes
    finally:
        event.remove(engine, "before_cursor_execute", before)


def test_rate_matches_the_flag_at_the_window_edges_and_per_area_windows(db: Session) -> None:
    world = World(db)
    db.add(RepeatSettings(area_id=world.other_area.id, referral_window_days=30))
    db.commit()
    later: list[int] = []
    gaps = [
        timedelta(days=365),  # exactly the window: a repeat
        timedelta(days=365, microseconds=1),  # just over: not
        timedelta(days=364, hours=23),
        timedelta(days=366),
        timedelta(0),  # the same instant: a repeat
    ]
    for gap in gaps:
        person = make_person(db)
        make_referral(db, person, world.area, created_at=NOON - gap)
        later.append(make_referral(db, person, world.area, created_at=NOON).id)
    for gap in (timedelta(days=30), timedelta(days=31)):  # the other area's 30-day window
        person = make_person(db)
        make_referral(db, person, world.area, created_at=NOON - gap)
        later.append(make_referral(db, person, world.other_area, created_at=NOON).id)
    later.append(make_referral(db, make_person(db), world.area, created_at=NOON).id)
    flags = flags_for_referrals(db, later, TODAY)
    flagged = {rid for rid in later if any(f.code == REPEAT_REFERRAL for f in flags[rid])}
    assert len(flagged) == 4  # 365 days, 364 d 23 h, same instant, 30 days in the other area
    in_period = [
        r.id
        for r in db.scalars(select(Referral))
        if START <= r.created_at.date() <= END and r.area_id is not None
    ]
    every = flags_for_referrals(db, in_period, TODAY)
    repeats = sum(1 for rid in in_period if any(f.code == REPEAT_REFERRAL for f in every[rid]))
    assert repeats == len(flagged) + 1  # the same-instant pair flag each other

    areas = [world.area.id, world.other_area.id]
    with parameters_sent(db) as sizes:
        count, total, rate = repeat_rate(db, area_ids=areas, start=START, end=END)
    assert (count, total) == (repeats, len(in_period))
    assert abs(rate - count / total) < 1e-12
    for _ in range(20):
        make_referral(db, make_person(db), world.area, created_at=NOON)
    with parameters_sent(db) as more:
        assert repeat_rate(db, area_ids=areas, start=START, end=END)[1] == total + 20
    # Areas, dates and windows only: the same parameters however many referrals there are.
    assert len(sizes) <= 3 and sizes == more
    assert repeat_rate(db, area_ids=[world.other_area.id], start=START, end=END) == (1, 2, 0.5)
    assert repeat_rate(db, area_ids=areas, start=END + timedelta(days=1), end=TODAY) == (
        0,
        0,
        0.0,
    )
