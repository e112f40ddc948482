"""The agenda order and running times: pure functions, table-driven."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from marac.meetings.agenda import (
    Candidate,
    end_time,
    merge_into,
    one_per_person,
    order_candidates,
    slot_length,
    start_times,
)


def day(n: int) -> datetime:
    return datetime(2026, 3, n, 9, 0, tzinfo=UTC)


def case(
    rid: int,
    kind: str = "new",
    risk: str | None = None,
    repeat: bool = False,
    d: int = 1,
    person: int | None = None,
):
    return Candidate(
        referral_id=rid,
        kind=kind,
        risk_level=risk,
        is_repeat=repeat,
        referred_at=day(d),
        person_id=person,
    )


ORDER_TABLE = [
    pytest.param(
        [case(1, risk="medium", d=1), case(2, risk="high", d=5)],
        [2, 1],
        id="high risk before an older medium",
    ),
    pytest.param(
        [case(1, d=1), case(2, kind="repeat", repeat=True, d=9)],
        [2, 1],
        id="repeat before an older new case",
    ),
    pytest.param(
        [case(1, kind="repeat", repeat=True, risk="low"), case(2, risk="high", d=9)],
        [2, 1],
        id="high risk before a repeat",
    ),
    pytest.param(
        [case(1, d=9), case(2, d=3), case(3, d=6)],
        [2, 3, 1],
        id="then the longest waiting",
    ),
    pytest.param(
        [case(1, kind="review", risk="high", d=1), case(2, risk="low", d=9)],
        [1, 2],
        id="a high-risk review before a low-risk new case",
    ),
    pytest.param(
        [
            case(1, kind="repeat", repeat=True, risk="low", d=1),
            case(2, kind="review", risk="high", d=5),
            case(3, kind="review", risk="high", d=6),
        ],
        [2, 3, 1],
        id="issue 18: a low-risk repeat below two high-risk reviews",
    ),
    pytest.param(
        [case(1, kind="review", risk="medium", d=1), case(2, risk="medium", d=9)],
        [2, 1],
        id="same risk: new cases before reviews",
    ),
    pytest.param(
        [case(1, kind="deferred", risk="high", d=1), case(2, kind="review", risk="low", d=9)],
        [1, 2],
        id="a high-risk deferred case before a low-risk review",
    ),
    pytest.param(
        [case(1, kind="deferred", risk="low", d=1), case(2, kind="review", risk="low", d=9)],
        [2, 1],
        id="same risk: reviews before deferred cases",
    ),
    pytest.param(
        [case(1, risk=None, d=1), case(2, risk="low", d=2), case(3, risk="medium", d=3)],
        [3, 1, 2],
        id="medium before low and not known, which rank together by date",
    ),
    pytest.param(
        [
            case(1, kind="review", d=2, repeat=True),
            case(2, kind="review", d=1),
            case(3, kind="review", d=5, risk="high"),
        ],
        [3, 2, 1],
        id="reviews: high risk then date, the repeat flag does not count",
    ),
    pytest.param(
        [case(1, kind="deferred", d=4), case(2, kind="deferred", d=2, risk="high")],
        [2, 1],
        id="deferred: high risk then date",
    ),
    pytest.param(
        [case(5, d=2), case(3, d=2), case(4, d=2)],
        [5, 3, 4],
        id="ties keep their incoming order",
    ),
    pytest.param([], [], id="an empty agenda"),
    pytest.param(
        [
            case(1, kind="deferred"),
            case(2, kind="review", risk="high"),
            case(3, risk="medium", d=2),
            case(4, kind="repeat", repeat=True, d=3),
            case(5, risk="high", d=4),
            case(6, risk="high", kind="repeat", repeat=True, d=7),
        ],
        [6, 5, 2, 3, 4, 1],
        id="a full agenda",
    ),
]


@pytest.mark.parametrize(("cases", "expected"), ORDER_TABLE)
def test_order(cases: list[Candidate], expected: list[int]) -> None:
    assert [c.referral_id for c in order_candidates(cases)] == expected


MERGE_TABLE = [
    pytest.param([1, 2], [case(9, risk="high", d=9)], [9, 1, 2], id="new high risk goes first"),
    pytest.param([2, 1], [case(9, d=28)], [2, 1, 9], id="the chair's order is kept"),
    pytest.param([], [case(9), case(8, risk="high")], [8, 9], id="first build is plain order"),
]


@pytest.mark.parametrize(("existing", "new", "expected"), MERGE_TABLE)
def test_merge_keeps_chairs_order(existing: list[int], new: list[Candidate], expected) -> None:
    known = {1: case(1, d=1), 2: case(2, d=2)}
    merged = merge_into([known[i] for i in existing], new)
    assert [c.referral_id for c in merged] == expected


@pytest.mark.parametrize(
    ("start", "slots", "expected", "finish"),
    [
        (time(10, 0), [15, 15, 15], [time(10, 0), time(10, 15), time(10, 30)], time(10, 45)),
        (time(9, 30), [12, 15, 12], [time(9, 30), time(9, 42), time(9, 57)], time(10, 9)),
        (time(13, 50), [15], [time(13, 50)], time(14, 5)),
        (time(10, 0), [], [], time(10, 0)),
    ],
)
def test_running_start_times(start: time, slots, expected, finish) -> None:
    assert start_times(start, slots) == expected
    assert end_time(start, slots) == finish


@pytest.mark.parametrize(
    ("setting", "minutes"), [(None, 15), (10, 12), (12, 12), (14, 14), (15, 15), (30, 15)]
)
def test_slots_stay_between_12_and_15_minutes(setting: int | None, minutes: int) -> None:
    assert slot_length(setting) == minutes


def test_one_item_per_person_led_by_the_higher_risk() -> None:
    """Issue 18: two referrals of one person (slots 2 and 3) become one agenda item."""
    cases = [
        case(1, risk="medium", person=10, d=1),
        case(2, risk="high", person=20, d=2),
        case(3, risk="medium", person=20, d=3),
        case(4, risk="low", person=10, kind="review", d=4),
    ]
    merged = one_per_person(cases)
    assert [(c.referral_id, c.also) for c in merged] == [(1, (4,)), (2, (3,))]
    assert [c.referral_id for c in order_candidates(merged)] == [2, 1]


def test_one_per_person_leaves_locations_and_people_already_listed() -> None:
    cases = [
        case(1, person=None),
        case(2, person=None),
        case(3, person=30),
        case(4, person=40, risk="high"),
    ]
    merged = one_per_person(cases, listed_people=[30])
    assert [(c.referral_id, c.also) for c in merged] == [(1, ()), (2, ()), (4, ())]


def test_one_per_person_lead_takes_the_highest_risk_even_if_newer() -> None:
    merged = one_per_person(
        [case(1, risk="low", person=5, d=1), case(2, risk="high", person=5, d=9)]
    )
    assert [(c.referral_id, c.risk_level, c.also) for c in merged] == [(2, "high", (1,))]
