"""Action reminders and the weekly overdue digest on their schedule, in the worker.

Every morning at 06:30 UK time (GMT or BST) `send_reminders` records the day's due-soon
and overdue reminders, and on the first run of each ISO week the overdue digest (its
week key decides, see reminders.py). Each worker's scheduler runs it, so with several
workers it runs several times: `ReminderSent`'s unique key lets each reminder out once.
The emails go with the outbox drain queued by each commit (notify/jobs.py).
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from marac.actions.reminders import send_reminders
from marac.formatting import uk_today
from marac.jobs.queue import periodic, uk_crontab

log = logging.getLogger(__name__)

REMINDER_TIME = {"hour": "6", "minute": "30"}  # UK clocks


@periodic(uk_crontab(**REMINDER_TIME))
def send_daily_reminders(db: Session) -> None:
    queued = send_reminders(db, uk_today(), log.info)
    log.info("reminders: %s queued", len(queued))
