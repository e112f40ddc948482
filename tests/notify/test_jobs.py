"""Email as jobs: a drain queued once per transaction that stored email; the headers."""

from __future__ import annotations

from collections.abc import Iterator
from email import message_from_bytes
from email.utils import parsedate_to_datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from marac import create_app
from marac.accounts.models import Role, User
from marac.config import Settings
from marac.db import utcnow
from marac.jobs import queue
from marac.notify import events
from marac.notify.backends import SmtpBackend, message_id
from marac.notify.jobs import _queue_drain
from marac.notify.models import OutboxMessage
from tests.conftest import settings_for
from tests.factories import make_agency, make_user
from tests.notify.test_backends import _Inbox, smtp_server  # noqa: F401 (a fixture)


def _users(db: Session, count: int) -> list[User]:
    agency = make_agency(db)
    users = [make_user(db, Role.MEMBER, agency=agency) for _ in range(count)]
    db.commit()
    return users


def _store(db: Session, users: list[User]) -> None:
    events.deliver(db, users, events.Notice("test_notice", "A notice", "See it", "", "/"))


@pytest.fixture
def smtp_app(database_url: str, smtp_server: tuple[int, _Inbox]) -> Iterator[Flask]:  # noqa: F811
    port, _ = smtp_server
    app = create_app(
        settings_for(database_url, notify_backend="smtp", smtp_host="127.0.0.1", smtp_port=port)
    )
    yield app
    app.extensions["marac_db"].engine.dispose()


def test_emails_stored_by_a_commit_are_sent_by_one_drain_after_it(
    smtp_app: Flask,
    smtp_server: tuple[int, _Inbox],  # noqa: F811
) -> None:
    _, inbox = smtp_server
    with smtp_app.app_context():
        db = smtp_app.extensions["marac_db"].sessionmaker()
        users = _users(db, 3)
        _store(db, users[:2])
        db.flush()
        _store(db, users[2:])
        db.flush()
        assert db.info[queue._PENDING] == [_queue_drain]  # one drain for three emails
        assert inbox.messages == []  # nothing leaves before the commit
        db.commit()
        assert len(inbox.messages) == 3  # the queue is "immediate" in tests: sent at once
        assert all(m.sent_at is not None for m in db.scalars(select(OutboxMessage)))
        # A rolled-back transaction queues nothing and sends nothing.
        _store(db, users[:2])
        db.flush()
        db.rollback()
        db.commit()
        assert len(inbox.messages) == 3
        db.close()


def test_with_the_outbox_backend_nothing_is_sent(app: Flask, db: Session) -> None:
    _store(db, _users(db, 2))
    db.commit()  # the drain ran and left them for admins to read
    assert [m.sent_at for m in db.scalars(select(OutboxMessage))] == [None, None]


def test_every_smtp_email_has_a_date_and_a_message_id_stable_across_retries(
    db: Session,
    smtp_server: tuple[int, _Inbox],  # noqa: F811
) -> None:
    port, inbox = smtp_server
    _store(db, _users(db, 1))
    db.commit()
    message = db.scalars(select(OutboxMessage)).one()
    smtp = SmtpBackend(
        Settings(smtp_host="127.0.0.1", smtp_port=port, mail_from="MARAC <marac@ashbrook.gov.uk>")
    )
    before = utcnow().replace(microsecond=0)
    smtp.send(message)
    db.expire_all()  # a retry reads the row again, as the next run would
    smtp.send(db.get(OutboxMessage, message.id))  # type: ignore[arg-type]
    first, second = (message_from_bytes(content) for _, _, content in inbox.messages)
    expected = message_id(message, smtp.settings.mail_from)
    assert first["Message-ID"] == second["Message-ID"] == expected
    assert first["Message-ID"].startswith(f"<marac.{message.id}.")
    assert first["Message-ID"].endswith("@ashbrook.gov.uk>")
    sent_at: Any = parsedate_to_datetime(first["Date"])
    assert sent_at.utcoffset() is not None and before <= sent_at <= utcnow()
