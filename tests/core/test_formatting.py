"""One way to write times and counts: pages, PDFs and emails agree."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from marac.formatting import clock, format_datetime, plural


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (time(13, 30), "1:30pm"),
        (time(9, 5), "9:05am"),
        (time(10, 0), "10am"),
        (time(18, 0), "6pm"),
        (time(0, 0), "midnight"),
        (time(12, 0), "midday"),
        (time(12, 15), "12:15pm"),
        (time(0, 45), "12:45am"),
        (None, ""),
    ],
)
def test_clock_is_govuk_style(value: time | None, expected: str) -> None:
    assert clock(value) == expected


def test_clock_reads_datetimes_in_uk_time() -> None:
    # 12:30 UTC in July is 1:30pm British Summer Time; in January it is 12:30pm.
    assert clock(datetime(2026, 7, 1, 12, 30, tzinfo=UTC)) == "1:30pm"
    assert clock(datetime(2026, 1, 1, 12, 30, tzinfo=UTC)) == "12:30pm"
    assert format_datetime(datetime(2026, 7, 1, 12, 30, tzinfo=UTC)) == "1 July 2026 at 1:30pm"


@pytest.mark.parametrize(
    ("count", "expected"),
    [(0, "0 cases"), (1, "1 case"), (2, "2 cases"), (21, "21 cases")],
)
def test_plural_never_writes_s_in_brackets(count: int, expected: str) -> None:
    assert plural(count, "case") == expected


def test_plural_takes_an_irregular_form() -> None:
    assert plural(1, "person", "people") == "1 person"
    assert plural(3, "person", "people") == "3 people"
