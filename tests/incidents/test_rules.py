"""The intake rules as plain functions: time, strands, aggravation and perpetrators."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from marac.incidents import rules


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("14:30", time(14, 30)),
        ("09:05", time(9, 5)),
        ("9:05", time(9, 5)),
        (" 00:00 ", time(0, 0)),
        ("23:59", time(23, 59)),
        ("24:00", None),
        ("12:60", None),
        ("2.30pm", None),
        ("1430", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_time(text: str | None, expected: time | None) -> None:
    assert rules.parse_time(text) == expected


@pytest.mark.parametrize(
    ("day", "at", "expected"),
    [
        (date(2026, 1, 15), time(12, 0), datetime(2026, 1, 15, 12, 0, tzinfo=UTC)),  # GMT
        (date(2026, 7, 15), time(12, 0), datetime(2026, 7, 15, 11, 0, tzinfo=UTC)),  # BST
    ],
)
def test_occurred_at_is_uk_time_stored_as_utc(day: date, at: time, expected: datetime) -> None:
    assert rules.occurred_at(day, at) == expected


NOW = datetime(2026, 7, 15, 11, 0, tzinfo=UTC)  # 12:00 in London


@pytest.mark.parametrize(
    ("day", "at", "expected"),
    [
        (date(2026, 7, 14), time(23, 59), None),
        (date(2026, 7, 15), time(12, 0), None),  # exactly now
        (date(2026, 7, 15), time(12, 1), "occurred_time"),
        (date(2026, 7, 16), time(0, 0), "occurred_on"),
    ],
)
def test_when_problem(day: date, at: time, expected: str | None) -> None:
    problem = rules.when_problem(day, at, NOW)
    assert (problem[0] if problem else None) == expected


@pytest.mark.parametrize(
    ("strands", "subs", "local", "fragment"),
    [
        (["race"], [], [], None),
        ([], [], ["Age"], None),
        (["religion"], ["antisemitic", "anti_muslim"], [], None),
        ([], [], [], "Select at least one hate strand"),
        (["race"], ["anti_muslim"], [], "Anti-Muslim is part of religion or belief"),
        ([], ["autism"], [], "Autism is part of disability"),
        (["race"], ["made_up"], [], "Select sub-categories from the list"),
    ],
)
def test_strand_problem(
    strands: list[str], subs: list[str], local: list[str], fragment: str | None
) -> None:
    problem = rules.strand_problem(strands, subs, local)
    if fragment is None:
        assert problem is None
    else:
        assert problem is not None and fragment in problem


@pytest.mark.parametrize(
    ("recorded_as", "aggravated", "strands", "ok"),
    [
        ("crime", True, ["race"], True),
        ("crime", True, ["religion", "disability"], True),
        ("crime", True, ["disability"], False),
        ("crime", True, [], False),
        ("crime", False, ["disability"], True),
        ("non_crime", True, ["race"], False),  # only a crime can be an aggravated offence
        ("non_crime", False, ["disability"], True),
    ],
)
def test_aggravated_problem(
    recorded_as: str, aggravated: bool, strands: list[str], ok: bool
) -> None:
    assert (rules.aggravated_problem(recorded_as, aggravated, strands) is None) is ok


@pytest.mark.parametrize(
    ("known", "name", "relationship", "age", "description", "expected"),
    [
        (None, "", "", "unknown", "", None),  # blank: skipped
        (None, "", "", "", "", None),
        ("no", "", "", "unknown", "", None),  # an unknown perpetrator is fine
        ("yes", "Dean Corr", "neighbour", "25_44", "", None),
        (None, "", "stranger", "unknown", "", "known"),
        (None, "", "", "18_24", "", "known"),
        ("yes", "", "", "unknown", "", "name"),
    ],
)
def test_perpetrator_problem(
    known: str | None,
    name: str,
    relationship: str,
    age: str,
    description: str,
    expected: str | None,
) -> None:
    problem = rules.perpetrator_problem(2, known, name, relationship, age, description)
    assert (problem[0] if problem else None) == expected
    if problem:
        assert "perpetrator 2" in problem[1]
