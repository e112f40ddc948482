"""Whether the meeting record may change: issued minutes lock it (no Flask here).

Issued minutes are what every partner received, so the record behind them must not drift
silently. Once a version is issued (`meeting.minutes_issued_at`) every record write
refuses with `RecordLocked`; a correction of the minutes (`meeting.correction_open`,
started from the minutes page) re-opens it until the corrected version is issued.
A record disposed of under the retention schedule (`meeting.record_disposed_at`) is
locked for good: nothing re-opens it.
"""

from __future__ import annotations

from typing import Any

from marac.operations import OperationError

LOCKED_MESSAGE = (
    "The minutes of this meeting are issued, so its record is locked. "
    "To change it, start a correction of the minutes."
)


DISPOSED_MESSAGE = (
    "This meeting's record was disposed of under the retention schedule, so it cannot change."
)


class RecordLocked(OperationError):
    """A record write after the minutes were issued, with no correction open: 409."""

    status = 409

    def __init__(
        self,
        message: str = LOCKED_MESSAGE,
        meeting_id: int | None = None,
        *,
        disposed: bool = False,
    ) -> None:
        super().__init__(message)
        self.meeting_id = meeting_id
        self.disposed = disposed


def record_disposed(meeting: Any) -> bool:
    return getattr(meeting, "record_disposed_at", None) is not None


def record_locked(meeting: Any) -> bool:
    """Disposed of, or issued minutes and no correction open."""
    if record_disposed(meeting):
        return True
    return meeting.minutes_issued_at is not None and not meeting.correction_open


def check_record_open(meeting: Any) -> None:
    """Raise `RecordLocked` unless the record may change now."""
    if record_disposed(meeting):
        raise RecordLocked(DISPOSED_MESSAGE, meeting.id, disposed=True)
    if record_locked(meeting):
        raise RecordLocked(meeting_id=meeting.id)
