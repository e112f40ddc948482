"""The reminders job: due soon, overdue, weekly digest; once only; failures retried."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.accounts.models import Role
from marac.actions import notices as actions_notices
from marac.actions import reminders
from marac.actions.models import ActionStatus
from marac.formatting import uk_today
from marac.notify import events
from marac.notify.models import Notification, NotificationPreference, OutboxMessage, ReminderSent
from tests.factories import make_user
from tests.meeting_factories import make_action
from tests.meetings import PanelWorld

# Monday 7 December 2026: an ordinary working week.
MONDAY = date(2026, 12, 7)


def _kinds(db: Session) -> list[tuple[str, int]]:
    return sorted(tuple(r) for r in db.execute(select(Notification.kind, Notification.user_id)))


def test_working_days_skip_weekends_and_bank_holidays() -> None:
    assert reminders.working_days_before(date(2026, 12, 10), 3) == date(2026, 12, 7)
    assert reminders.working_days_before(date(2026, 12, 14), 3) == date(2026, 12, 9)
    # 25, 26 (Saturday: substitute Monday 28) December, 1 January.
    assert reminders.working_days_before(date(2026, 12, 30), 3) == date(2026, 12, 23)


def test_due_soon_overdue_and_digest_go_to_the_right_people_once(db: Session) -> None:
    w = PanelWorld(db)
    referral = w.referral()
    officer = make_user(db, Role.REFERRER, agency=w.housing)
    due_soon = make_action(
        db, referral, w.housing, officer_id=officer.id, due_date=MONDAY + timedelta(3)
    )
    later = make_action(
        db, referral, w.housing, officer_id=officer.id, due_date=MONDAY + timedelta(10)
    )
    overdue = make_action(db, referral, w.police, due_date=MONDAY - timedelta(2))
    done = make_action(
        db, referral, w.police, due_date=MONDAY - timedelta(5), status=ActionStatus.COMPLETED.value
    )
    assert later and done

    queued = reminders.send_reminders(db, MONDAY)
    assert len(queued) == 3  # due soon, overdue, police digest
    assert _kinds(db) == sorted(
        [
            (events.ACTION_DUE, officer.id),
            (events.ACTION_OVERDUE, w.police_member.id),
            (events.OVERDUE_DIGEST, w.police_member.id),
        ]
    )
    keys = {tuple(r) for r in db.execute(select(ReminderSent.kind, ReminderSent.object_id))}
    assert keys == {
        (events.ACTION_DUE, due_soon.id),
        (events.ACTION_OVERDUE, overdue.id),
        (events.OVERDUE_DIGEST, w.police.id),
    }
    # A second run the same day (cron every hour) sends nothing again.
    assert reminders.send_reminders(db, MONDAY) == []
    # Later the same week: still nothing new (the digest is weekly).
    assert reminders.send_reminders(db, MONDAY + timedelta(2)) == []
    # Next week: a new digest, and the action once due soon is now overdue.
    next_week = reminders.send_reminders(db, MONDAY + timedelta(7))
    assert len(next_week) == 4  # overdue for due_soon, digests for housing and police, later due


def test_digest_respects_the_preference(db: Session) -> None:
    w = PanelWorld(db)
    db.add(NotificationPreference(user_id=w.police_member.id, digests=False))
    db.commit()
    make_action(db, w.referral(), w.police, due_date=MONDAY - timedelta(2))
    reminders.send_reminders(db, MONDAY)
    emails = {tuple(r) for r in db.execute(select(OutboxMessage.kind, OutboxMessage.recipient))}
    assert (events.OVERDUE_DIGEST, w.police_member.email) not in emails
    assert (events.ACTION_OVERDUE, w.police_member.email) in emails  # not optional


def test_a_failing_reminder_is_retried_next_run_and_blocks_no_other(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = PanelWorld(db)
    referral = w.referral()
    broken = make_action(db, referral, w.police, due_date=MONDAY - timedelta(2))
    fine = make_action(db, referral, w.housing, due_date=MONDAY - timedelta(3))
    real_owners = actions_notices.action_owners

    def flaky(session: Session, action: Any) -> Any:
        if action.id == broken.id:
            raise RuntimeError("simulated failure")
        return real_owners(session, action)

    monkeypatch.setattr(reminders, "action_owners", flaky)
    printed: list[str] = []
    reminders.send_reminders(db, MONDAY, printed.append)
    assert any("FAILED" in line and f"action {broken.id}" in line for line in printed)
    sent = set(
        db.scalars(select(ReminderSent.object_id).where(ReminderSent.kind == "action_overdue"))
    )
    assert sent == {fine.id}

    monkeypatch.setattr(reminders, "action_owners", real_owners)
    retried = reminders.send_reminders(db, MONDAY)
    assert [line for line in retried if f"action {broken.id}" in line]
    sent = set(
        db.scalars(select(ReminderSent.object_id).where(ReminderSent.kind == "action_overdue"))
    )
    assert sent == {fine.id, broken.id}


def test_the_command_prints_what_it_sent(app: Flask, db: Session) -> None:
    w = PanelWorld(db)
    make_action(db, w.referral(), w.police, due_date=MONDAY - timedelta(2))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["send-reminders", "--today", MONDAY.isoformat()])
    assert result.exit_code == 0, result.output
    assert "overdue reminder for action" in result.output
    assert "2 reminders queued" in result.output
    again = runner.invoke(args=["send-reminders", "--today", MONDAY.isoformat()])
    assert "0 reminders queued" in again.output


def test_demo_notifications_are_safe_to_repeat(db: Session) -> None:
    from marac.actions.reminders import send_reminders

    w = PanelWorld(db)
    make_action(db, w.referral(), w.police, due_date=MONDAY - timedelta(2))
    assert len(send_reminders(db, MONDAY)) == 2
    assert len(send_reminders(db, MONDAY)) == 0


def test_digest_links_to_the_agency_overdue_actions_it_counts(db: Session, login) -> None:
    """The digest's link opens a page listing the overdue actions, never an empty one."""
    w = PanelWorld(db)
    colleague = make_user(db, Role.REFERRER, agency=w.police)
    overdue = make_action(
        db, w.referral(), w.police, officer_id=colleague.id, due_date=uk_today() - timedelta(3)
    )
    reminders.send_reminders(db, max(MONDAY, uk_today()))  # overdue then and on the page
    digest = db.scalars(
        select(Notification).where(
            Notification.kind == events.OVERDUE_DIGEST, Notification.user_id == w.police_member.id
        )
    ).one()
    assert digest.link.startswith("/actions/agency")
    html = login(w.police_member).get(digest.link).get_data(as_text=True)
    # The colleague's action: "My actions" would not list it for this reader.
    assert f'href="/actions/{overdue.id}"' in html
