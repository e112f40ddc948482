"""The scheduling rules: cadence dates, bank holidays, weekends and year ends."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from marac.panels.schedule import (
    add_months,
    bank_holiday,
    continue_after,
    move_refusal,
    next_working_day,
    on_or_after_weekday,
    plan_meetings,
)


@pytest.mark.parametrize(
    ("cadence", "expected_date", "note"),
    [
        # Easter Monday 2026 moves to the Tuesday.
        (date(2026, 4, 6), date(2026, 4, 7), "Moved from Monday 6 April 2026: Easter Monday"),
        # Good Friday: the weekend and Easter Monday follow, so Tuesday.
        (date(2026, 4, 3), date(2026, 4, 7), "Moved from Friday 3 April 2026: Good Friday"),
        (
            date(2026, 5, 25),
            date(2026, 5, 26),
            "Moved from Monday 25 May 2026: Spring bank holiday",
        ),
        (date(2026, 5, 4), date(2026, 5, 5), "Moved from Monday 4 May 2026: May Day"),
        (
            date(2026, 8, 31),
            date(2026, 9, 1),
            "Moved from Monday 31 August 2026: Late Summer bank holiday",
        ),
        # Christmas and Boxing day run: Friday 25 and the substitute Monday 28 Dec 2026.
        (
            date(2026, 12, 25),
            date(2026, 12, 29),
            "Moved from Friday 25 December 2026: Christmas Day",
        ),
        (
            date(2026, 12, 28),
            date(2026, 12, 29),
            "Moved from Monday 28 December 2026: Boxing Day (substitute day)",
        ),
        # 2027: both Christmas substitute days (Mon 27, Tue 28) are skipped.
        (
            date(2027, 12, 27),
            date(2027, 12, 29),
            "Moved from Monday 27 December 2027: Christmas Day (substitute day)",
        ),
        # Year end: New Year's Day 2027 is a Friday; substitute Monday 3 January 2028.
        (date(2027, 1, 1), date(2027, 1, 4), "Moved from Friday 1 January 2027: New Year's Day"),
        (
            date(2028, 1, 3),
            date(2028, 1, 4),
            "Moved from Monday 3 January 2028: New Year's Day (substitute day)",
        ),
        # A one-off bank holiday: the Platinum Jubilee (Friday 3 June 2022).
        (
            date(2022, 6, 2),
            date(2022, 6, 6),
            "Moved from Thursday 2 June 2022: Spring bank holiday",
        ),
        # A weekend date moves to Monday.
        (date(2026, 6, 6), date(2026, 6, 8), "Moved from Saturday 6 June 2026: weekend"),
        # An ordinary working day stays put, with no note.
        (date(2026, 6, 8), date(2026, 6, 8), ""),
    ],
)
def test_a_meeting_on_a_holiday_or_weekend_moves_to_the_next_working_day(
    cadence: date, expected_date: date, note: str | None
) -> None:
    (planned,) = plan_meetings(cadence, 6, cadence + timedelta(days=1))
    assert planned.cadence_date == cadence
    assert planned.meeting_date == expected_date
    if note is not None:
        assert planned.change_note == note


@pytest.mark.parametrize(
    ("first", "cadence_weeks", "until", "expected"),
    [
        # Six-weekly across a year end, with Easter Monday 2027 on the way.
        (
            date(2026, 11, 23),
            6,
            date(2027, 5, 1),
            [
                date(2026, 11, 23),
                date(2027, 1, 4),
                date(2027, 2, 15),
                date(2027, 3, 30),  # Easter Monday 29 March 2027
            ],
        ),
        # Four-weekly Mondays through the spring bank holidays of 2026.
        (
            date(2026, 4, 6),
            4,
            date(2026, 6, 30),
            [date(2026, 4, 7), date(2026, 5, 5), date(2026, 6, 1), date(2026, 6, 29)],
        ),
        # Weekly Thursdays over Christmas 2026 (Thursday 24th, then Friday 1 Jan).
        (
            date(2026, 12, 17),
            1,
            date(2027, 1, 8),
            [date(2026, 12, 17), date(2026, 12, 24), date(2026, 12, 31), date(2027, 1, 7)],
        ),
        # Twelve-weekly: a single meeting in a short period; `until` is exclusive.
        (date(2026, 6, 1), 12, date(2026, 8, 24), [date(2026, 6, 1)]),
        (date(2026, 6, 1), 12, date(2026, 8, 25), [date(2026, 6, 1), date(2026, 8, 24)]),
    ],
)
def test_cadence(first: date, cadence_weeks: int, until: date, expected: list[date]) -> None:
    assert [p.meeting_date for p in plan_meetings(first, cadence_weeks, until)] == expected


def test_the_cadence_does_not_drift_after_a_moved_meeting() -> None:
    planned = plan_meetings(date(2026, 4, 6), 6, date(2026, 7, 1))
    assert [p.meeting_date for p in planned] == [
        date(2026, 4, 7),  # moved off Easter Monday
        date(2026, 5, 18),  # still a Monday
        date(2026, 6, 29),
    ]


@pytest.mark.parametrize(
    ("existing", "expected"),
    [
        ([], [date(2026, 6, 1), date(2026, 7, 13), date(2026, 8, 24)]),
        ([date(2026, 6, 1)], [date(2026, 7, 13), date(2026, 8, 24)]),
        # A meeting moved by hand (to the Wednesday) still fills its cycle.
        ([date(2026, 7, 15)], [date(2026, 6, 1), date(2026, 8, 24)]),
        # A cancelled meeting's date counts too: that cycle does not meet.
        ([date(2026, 6, 1), date(2026, 7, 13), date(2026, 8, 24)], []),
    ],
)
def test_existing_meetings_are_never_doubled(existing: list[date], expected: list[date]) -> None:
    planned = plan_meetings(date(2026, 6, 1), 6, date(2026, 9, 1), existing)
    assert [p.meeting_date for p in planned] == expected


def test_cadence_must_be_positive() -> None:
    with pytest.raises(ValueError):
        plan_meetings(date(2026, 6, 1), 0, date(2026, 9, 1))


@pytest.mark.parametrize(
    ("last", "weekday", "cadence", "expected"),
    [
        (date(2026, 5, 18), 0, 6, date(2026, 6, 29)),  # a Monday meeting
        (date(2026, 4, 7), 0, 6, date(2026, 5, 18)),  # moved to Tuesday: counts from Monday
        (date(2026, 12, 29), 4, 6, date(2027, 2, 5)),  # Friday 25 Dec moved to Tue 29 Dec
    ],
)
def test_continue_after_the_last_meeting(
    last: date, weekday: int, cadence: int, expected: date
) -> None:
    assert continue_after(last, weekday, cadence) == expected


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2027, 12, 15), 1, date(2028, 1, 15)),
        (date(2026, 11, 23), 12, date(2027, 11, 23)),
        (date(2028, 2, 29), 12, date(2029, 2, 28)),
    ],
)
def test_add_months(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


def test_helpers() -> None:
    assert on_or_after_weekday(date(2026, 11, 25), 0) == date(2026, 11, 30)
    assert on_or_after_weekday(date(2026, 11, 23), 0) == date(2026, 11, 23)
    assert bank_holiday(date(2026, 5, 25)) == "Spring bank holiday"
    assert bank_holiday(date(2026, 5, 26)) is None
    assert next_working_day(date(2026, 12, 24)) == date(2026, 12, 24)
    assert next_working_day(date(2026, 12, 25)) == date(2026, 12, 29)


@pytest.mark.parametrize(
    ("new_date", "problem"),
    [
        (date(2026, 11, 22), "The new date must be today or in the future"),
        (
            date(2026, 12, 25),
            "Friday 25 December 2026 is a bank holiday (Christmas Day): choose another date",
        ),
        (date(2026, 11, 23), None),
        (date(2026, 12, 30), None),
    ],
)
def test_move_refusal(new_date: date, problem: str | None) -> None:
    assert move_refusal(new_date, date(2026, 11, 23)) == problem
