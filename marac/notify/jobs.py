"""Email as jobs: the outbox drained soon after each commit that stored one, and each minute.

An event stores `OutboxMessage` rows in the caller's transaction (see events.deliver).
A session listener notices them at flush and asks, once per transaction, for a drain
after the commit (`after_commit(..., once=True)`): a plain Huey task, no Job row. When
the queue is down that request is lost, the emails are not: they wait in the outbox
for the periodic drain. `send_pending` claims each message before sending, so several
workers draining at once never send one email twice.
"""

from __future__ import annotations

import logging

from flask import current_app
from huey import crontab
from sqlalchemy import event
from sqlalchemy.orm import Session, UOWTransaction

from marac.jobs.queue import after_commit, huey, job_session, periodic
from marac.notify.backends import SendResult, backend_for, send_pending
from marac.notify.models import OutboxMessage

log = logging.getLogger(__name__)


def deliver_outbox(db: Session) -> SendResult:
    """Send every waiting email through the configured backend (none with "outbox")."""
    result = send_pending(db, backend_for(current_app.config["MARAC_SETTINGS"]))
    if result.sent or result.failed:
        log.info("outbox: %s emails sent, %s failed", len(result.sent), len(result.failed))
    for line in result.failed:
        log.warning("outbox: %s (tried again next minute)", line)
    return result


@huey.task()
def drain_outbox() -> None:
    """Queued after a commit that stored emails."""
    with job_session() as db:
        deliver_outbox(db)


@periodic(crontab(minute="*"))
def drain_outbox_every_minute(db: Session) -> None:
    """Catches what a down queue or a failed send left behind."""
    deliver_outbox(db)


def _queue_drain() -> None:
    drain_outbox()


@event.listens_for(Session, "after_flush")
def _outbox_written(session: Session, flush: UOWTransaction) -> None:
    # `session.new` still lists what this flush inserted.
    if any(isinstance(obj, OutboxMessage) for obj in session.new):
        after_commit(session, _queue_drain, once=True)
