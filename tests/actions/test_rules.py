"""The action rules on their own: transitions, overdue, and the owner's order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest

from marac.actions.rules import (
    TRANSITIONS,
    can_move,
    completed_at_after,
    count_overdue,
    due_date_problem,
    in_owner_order,
    is_overdue,
    next_statuses,
)

TODAY = date(2026, 11, 23)


@dataclass
class A:
    id: int
    status: str
    due_date: date


@pytest.mark.parametrize(
    ("current", "new", "allowed"),
    [
        ("open", "in_progress", True),
        ("open", "completed", True),
        ("open", "not_achieved", True),
        ("open", "cancelled", True),
        ("in_progress", "completed", True),
        ("in_progress", "not_achieved", True),
        ("in_progress", "cancelled", True),
        ("in_progress", "open", False),
        ("completed", "in_progress", False),
        ("completed", "open", False),
        ("cancelled", "open", False),
        ("not_achieved", "completed", False),
        ("open", "open", False),
        ("open", "made_up", False),
    ],
)
def test_transitions(current: str, new: str, allowed: bool) -> None:
    assert can_move(current, new) is allowed


def test_every_status_has_its_next_statuses() -> None:
    assert set(TRANSITIONS) == {"open", "in_progress", "completed", "not_achieved", "cancelled"}
    assert next_statuses("completed") == ()
    assert next_statuses("unknown") == ()


@pytest.mark.parametrize(
    ("status", "due", "overdue"),
    [
        ("open", date(2026, 11, 22), True),
        ("in_progress", date(2026, 1, 1), True),
        ("open", TODAY, False),  # due today is not overdue yet
        ("open", date(2026, 11, 24), False),
        ("completed", date(2026, 1, 1), False),
        ("cancelled", date(2026, 1, 1), False),
        ("not_achieved", date(2026, 1, 1), False),
    ],
)
def test_overdue(status: str, due: date, overdue: bool) -> None:
    assert is_overdue(status, due, TODAY) is overdue


def test_owner_order_overdue_first_then_by_due_date_then_finished() -> None:
    actions = [
        A(1, "open", date(2026, 12, 10)),
        A(2, "completed", date(2026, 10, 1)),
        A(3, "in_progress", date(2026, 11, 1)),
        A(4, "open", date(2026, 11, 20)),
        A(5, "open", date(2026, 11, 25)),
        A(6, "open", date(2026, 11, 25)),
    ]
    assert [a.id for a in in_owner_order(actions, TODAY)] == [3, 4, 5, 6, 1, 2]
    assert count_overdue(actions, TODAY) == 2


def test_completed_at_is_set_once_and_only_for_completion() -> None:
    now = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    earlier = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    assert completed_at_after("completed", None, now) == now
    assert completed_at_after("completed", earlier, now) == earlier
    assert completed_at_after("in_progress", None, now) is None
    assert completed_at_after("cancelled", None, now) is None


def test_due_date_rules() -> None:
    assert due_date_problem(None, TODAY) == "Enter the date the action is due"
    assert due_date_problem(date(2026, 11, 22), TODAY) is not None
    assert due_date_problem(TODAY, TODAY) is None
    # An action agreed earlier keeps its past due date when edited for something else.
    assert due_date_problem(date(2026, 11, 1), TODAY, unchanged_from=date(2026, 11, 1)) is None
