"""Demo borough: notifications and outbox emails from the demo's overdue actions."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from marac.notify.reminders import send_reminders


def add_demo_notifications(session: Session, today: date) -> int:
    """Run the reminders once for `today` (safe to repeat); returns how many were queued.

    The demo's overdue and soon-due actions give owners notices and members a digest, so
    the header count, the notification list and the admins' outbox all have content.
    """
    return len(send_reminders(session, today))
