"""What an action may become next, when it is overdue, and the order owners see them in.

Plain values only (no Flask, no database), so the rules are tested on their own and the
views, the header count and the review list all agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Protocol, TypeVar

from marac.actions.models import OUTSTANDING_STATUSES, ActionStatus

# The kinds of action the panel agrees (DESIGN.md §3.5), in the order the form offers them.
KIND_LABELS: dict[str, str] = {
    "victim_safety": "Victim safety and support",
    "enforcement_warning": "Perpetrator enforcement: warning",
    "enforcement_abc": "Perpetrator enforcement: acceptable behaviour contract",
    "enforcement_tenancy": "Perpetrator enforcement: tenancy enforcement",
    "enforcement_injunction": "Perpetrator enforcement: injunction",
    "enforcement_nosp": "Perpetrator enforcement: notice of seeking possession",
    "safeguarding_referral": "Safeguarding referral",
    "information_sharing": "Information sharing",
    "other": "Other",
}

RARA_LABELS: dict[str, str] = {
    "remove": "Remove the risk",
    "avoid": "Avoid the risk",
    "reduce": "Reduce the risk",
    "accept": "Accept the risk",
}

STATUS_LABELS: dict[str, str] = {
    ActionStatus.OPEN: "Open",
    ActionStatus.IN_PROGRESS: "In progress",
    ActionStatus.COMPLETED: "Completed",
    ActionStatus.NOT_ACHIEVED: "Not achieved",
    ActionStatus.CANCELLED: "Cancelled",
}

FINISHED_STATUSES = (
    ActionStatus.COMPLETED.value,
    ActionStatus.NOT_ACHIEVED.value,
    ActionStatus.CANCELLED.value,
)

# open -> in progress -> completed / not achieved / cancelled. An open action may be
# finished straight away (a warning given the same day). Finished actions stay finished:
# if more is needed, the panel agrees a new action, so the log never rewrites history.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    ActionStatus.OPEN.value: (ActionStatus.IN_PROGRESS.value, *FINISHED_STATUSES),
    ActionStatus.IN_PROGRESS.value: FINISHED_STATUSES,
    ActionStatus.COMPLETED.value: (),
    ActionStatus.NOT_ACHIEVED.value: (),
    ActionStatus.CANCELLED.value: (),
}


class ActionLike(Protocol):
    id: int
    status: str
    due_date: date


A = TypeVar("A", bound=ActionLike)


def next_statuses(status: str) -> tuple[str, ...]:
    """The statuses an action in `status` may move to."""
    return TRANSITIONS.get(status, ())


def can_move(current: str, new: str) -> bool:
    """Whether `current` -> `new` is allowed; staying the same is not a move."""
    return new in next_statuses(current)


def is_outstanding(status: str) -> bool:
    return status in OUTSTANDING_STATUSES


def is_overdue(status: str, due_date: date, today: date) -> bool:
    """Outstanding and past its due date (due today is not yet overdue)."""
    return is_outstanding(status) and due_date < today


def completed_at_after(
    new_status: str, previous: datetime | None, now: datetime
) -> datetime | None:
    """When the action was finished: set on completion, kept if already set, else none."""
    if new_status == ActionStatus.COMPLETED.value:
        return previous or now
    return None


def due_date_problem(
    due: date | None, today: date, unchanged_from: date | None = None
) -> str | None:
    """Why `due` cannot be the due date, or None. An unchanged past date stays allowed."""
    if due is None:
        return "Enter the date the action is due"
    if due < today and due != unchanged_from:
        return "The due date must be today or in the future"
    return None


def sort_key(action: ActionLike, today: date) -> tuple[int, date, int]:
    """Overdue first, then outstanding, then finished; within each, by due date."""
    if is_overdue(action.status, action.due_date, today):
        group = 0
    elif is_outstanding(action.status):
        group = 1
    else:
        group = 2
    return (group, action.due_date, action.id)


def in_owner_order(actions: Iterable[A], today: date) -> list[A]:
    """Actions as an owner works through them: overdue first, then by due date."""
    return sorted(actions, key=lambda a: sort_key(a, today))


def count_overdue(actions: Sequence[ActionLike], today: date) -> int:
    return sum(1 for a in actions if is_overdue(a.status, a.due_date, today))
