"""The periodic schedule declared in code: what runs when, and that it does its work."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.actions.jobs import send_daily_reminders
from marac.attachments.jobs import rescan_quarantined
from marac.formatting import uk_today
from marac.jobs.queue import huey, sweep_lost_jobs, uk_crontab
from marac.notify import events
from marac.notify.jobs import drain_outbox_every_minute
from marac.notify.models import OutboxMessage, ReminderSent
from tests.meeting_factories import make_action
from tests.meetings import PanelWorld


def _due(at: datetime) -> set[str]:
    """The registered names (module and function) of the tasks due at `at`."""
    return {huey._registry.task_to_string(type(task)) for task in huey.read_periodic(at)}


def _name(task: object) -> str:
    return huey._registry.task_to_string(task.task_class)  # type: ignore[attr-defined]


def test_the_schedule_runs_each_task_at_its_time() -> None:
    every_minute = {_name(sweep_lost_jobs), _name(drain_outbox_every_minute)}
    # Quarantined attachments are offered to the scanner again every ten minutes.
    every_ten = every_minute | {_name(rescan_quarantined)}
    reminders = _name(send_daily_reminders)
    assert reminders == "marac.actions.jobs.send_daily_reminders"  # the module once
    # Huey's clock is UTC. 06:30 in London is 05:30 UTC in summer (BST) ...
    assert _due(datetime(2026, 7, 1, 5, 30)) == every_ten | {reminders}
    assert _due(datetime(2026, 7, 1, 6, 30)) == every_ten
    # ... and 06:30 UTC in winter (GMT).
    assert _due(datetime(2026, 12, 7, 6, 30)) == every_ten | {reminders}
    assert _due(datetime(2026, 12, 7, 5, 30)) == every_ten
    assert _due(datetime(2026, 12, 7, 6, 31)) == every_minute
    # Once a day: one minute of the 1,440 (the clocks changing moves it, never doubles it).
    day = datetime(2026, 3, 29)  # BST starts at 01:00 UTC
    minutes = [day + timedelta(minutes=m) for m in range(24 * 60)]
    assert [m for m in minutes if reminders in _due(m)] == [datetime(2026, 3, 29, 5, 30)]


def test_uk_crontab_reads_uk_clocks() -> None:
    monday_morning = uk_crontab(hour="7", minute="0", day_of_week="1")
    assert monday_morning(datetime(2026, 12, 7, 7, 0))  # Monday, GMT
    assert monday_morning(datetime(2026, 6, 1, 6, 0))  # Monday 07:00 BST
    assert not monday_morning(datetime(2026, 6, 1, 7, 0))
    # 23:30 UTC on Sunday 31 May is 00:30 on Monday in London.
    assert uk_crontab(hour="0", minute="30", day_of_week="1")(datetime(2026, 5, 31, 23, 30))


def test_the_daily_reminders_task_sends_each_reminder_once(app: Flask, db: Session) -> None:
    w = PanelWorld(db)
    overdue = make_action(db, w.referral(), w.police, due_date=uk_today() - timedelta(days=2))
    db.commit()
    send_daily_reminders.call_local()  # as the worker runs it at 06:30
    first = db.scalars(select(OutboxMessage.kind).order_by(OutboxMessage.id)).all()
    assert sorted(set(first)) == [events.ACTION_OVERDUE, events.OVERDUE_DIGEST]
    sent = db.execute(select(ReminderSent.kind, ReminderSent.object_id)).all()
    assert (events.ACTION_OVERDUE, overdue.id) in {tuple(row) for row in sent}
    send_daily_reminders.call_local()  # a second worker's run the same morning
    db.expire_all()
    assert len(db.scalars(select(OutboxMessage)).all()) == len(first)
