"""The SMTP backend against a real local SMTP server; Notify against a local API stub."""

from __future__ import annotations

import json
import socket
import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.config import Settings
from marac.db import utcnow
from marac.meetings import notices as meetings_notices
from marac.notify.backends import (
    CLAIM_EXPIRES,
    NotifyBackend,
    OutboxBackend,
    SendResult,
    SmtpBackend,
    send_pending,
)
from marac.notify.models import Notification, OutboxMessage
from marac.referrals import notices as referrals_notices
from tests.meetings import PanelWorld

SERVICE_ID = str(uuid.uuid4())
SECRET = str(uuid.uuid4())


class _Inbox:
    """aiosmtpd handler keeping every message it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, _Inbox]]:
    inbox = _Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()


class _NotifyStub(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []
    fail = False

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        auth = self.headers.get("Authorization", "")
        type(self).received.append({"path": self.path, "body": body, "auth": auth})
        status = 500 if type(self).fail else 201
        payload = (
            {"errors": [{"error": "Exception", "message": "down"}], "status_code": 500}
            if type(self).fail
            else {"id": str(uuid.uuid4()), "reference": body.get("reference")}
        )
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        return None


@pytest.fixture
def notify_stub() -> Iterator[tuple[str, type[_NotifyStub]]]:
    _NotifyStub.received = []
    _NotifyStub.fail = False
    server = HTTPServer(("127.0.0.1", 0), _NotifyStub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", _NotifyStub
    finally:
        server.shutdown()
        server.server_close()


def _queue_one(db: Session) -> tuple[PanelWorld, OutboxMessage]:
    w = PanelWorld(db)
    referral = w.referral()
    referrals_notices.more_info_requested(db, referral)
    db.commit()
    return w, db.scalars(select(OutboxMessage)).one()


def test_smtp_backend_delivers_to_a_real_smtp_server(db: Session, smtp_server: Any) -> None:
    port, inbox = smtp_server
    w, message = _queue_one(db)
    settings = Settings(
        smtp_host="127.0.0.1",
        smtp_port=port,
        mail_from="marac@council.example",
        base_url="https://marac.council.example",
    )
    result = send_pending(db, SmtpBackend(settings))
    assert len(result.sent) == 1 and result.failed == []
    assert len(inbox.messages) == 1
    sender, recipients, content = inbox.messages[0]
    assert sender == "marac@council.example"
    assert recipients == [w.referrer.email]
    email = message_from_bytes(content)
    assert "More information needed" in email["Subject"]
    text = email.get_payload(decode=True).decode()
    assert "https://marac.council.example/referrals/" in text
    assert "OFFICIAL-SENSITIVE" in text
    db.refresh(message)
    assert message.sent_at is not None and message.backend == "smtp"
    # Sent once: a second run finds nothing waiting.
    assert send_pending(db, SmtpBackend(settings)).sent == []
    assert len(inbox.messages) == 1


class _RunsAnotherSendAtOnce:
    """The real SMTP backend; during its first delivery a second `send_pending` run
    starts in its own session, as a second cron job overlapping this one would."""

    name = "smtp"

    def __init__(self, smtp: SmtpBackend, app: Flask) -> None:
        self.smtp, self.app = smtp, app
        self.second: SendResult | None = None

    def send(self, message: OutboxMessage) -> None:
        if self.second is None:
            other = self.app.extensions["marac_db"].sessionmaker()
            try:
                self.second = send_pending(other, self.smtp)
            finally:
                other.close()
        self.smtp.send(message)


def test_two_runs_at_once_send_each_email_once(app: Flask, db: Session, smtp_server: Any) -> None:
    port, inbox = smtp_server
    w = PanelWorld(db)
    for _ in range(3):
        referrals_notices.more_info_requested(db, w.referral())
    db.commit()
    smtp = SmtpBackend(Settings(smtp_host="127.0.0.1", smtp_port=port))
    backend = _RunsAnotherSendAtOnce(smtp, app)
    first = send_pending(db, backend)
    # The first run claimed message 1 before the second started; the second sent the
    # other two, and the first found them sent when it reached them.
    assert backend.second is not None
    assert (len(first.sent), len(backend.second.sent)) == (1, 2)
    assert len(inbox.messages) == 3
    db.expire_all()
    messages = db.scalars(select(OutboxMessage)).all()
    assert all(m.sent_at is not None and m.sending_since is None for m in messages)
    assert [m.attempts for m in messages] == [1, 1, 1]


def test_a_claim_left_by_a_run_that_died_lapses(db: Session, smtp_server: Any) -> None:
    port, inbox = smtp_server
    _, message = _queue_one(db)
    smtp = SmtpBackend(Settings(smtp_host="127.0.0.1", smtp_port=port))
    message.sending_since = utcnow() - timedelta(minutes=5)
    db.commit()
    assert send_pending(db, smtp).sent == []  # another run may still be sending it
    message.sending_since = utcnow() - CLAIM_EXPIRES - timedelta(minutes=1)
    db.commit()
    assert len(send_pending(db, smtp).sent) == 1 and len(inbox.messages) == 1


def test_smtp_failure_is_recorded_and_retried_next_run(db: Session, smtp_server: Any) -> None:
    port, inbox = smtp_server
    _, message = _queue_one(db)
    closed = Settings(smtp_host="127.0.0.1", smtp_port=1)  # nothing listens there
    result = send_pending(db, SmtpBackend(closed))
    assert result.sent == [] and len(result.failed) == 1
    db.refresh(message)
    assert message.sent_at is None and message.error and message.attempts == 1
    result = send_pending(db, SmtpBackend(Settings(smtp_host="127.0.0.1", smtp_port=port)))
    assert len(result.sent) == 1 and len(inbox.messages) == 1


def test_notify_backend_calls_the_notify_api(db: Session, notify_stub: Any) -> None:
    base_url, stub = notify_stub
    w, message = _queue_one(db)
    settings = Settings(
        notify_backend="notify",
        notify_api_key=f"marac_test-{SERVICE_ID}-{SECRET}",
        notify_template_id="11111111-2222-3333-4444-555555555555",
        notify_base_url=base_url,
        base_url="https://marac.council.example",
    )
    result = send_pending(db, NotifyBackend(settings))
    assert len(result.sent) == 1, result.failed
    [call] = stub.received
    assert call["path"] == "/v2/notifications/email"
    assert call["auth"].startswith("Bearer ")
    body = call["body"]
    assert body["email_address"] == w.referrer.email
    assert body["template_id"] == "11111111-2222-3333-4444-555555555555"
    assert body["reference"] == f"marac-{message.id}"
    assert "More information needed" in body["personalisation"]["subject"]
    assert "https://marac.council.example/referrals/" in body["personalisation"]["body"]


def test_notify_error_leaves_the_message_for_the_next_run(db: Session, notify_stub: Any) -> None:
    base_url, stub = notify_stub
    _, message = _queue_one(db)
    settings = Settings(
        notify_api_key=f"marac_test-{SERVICE_ID}-{SECRET}",
        notify_template_id="t",
        notify_base_url=base_url,
    )
    stub.fail = True
    assert len(send_pending(db, NotifyBackend(settings)).failed) == 1
    db.refresh(message)
    assert message.sent_at is None and "500" in message.error
    stub.fail = False
    assert len(send_pending(db, NotifyBackend(settings)).sent) == 1


def test_outbox_backend_keeps_messages_in_the_database(db: Session) -> None:
    _, message = _queue_one(db)
    assert send_pending(db, OutboxBackend()).sent == []
    db.refresh(message)
    assert message.sent_at is None


def test_unknown_backend_is_refused() -> None:
    from marac.config import ConfigError

    with pytest.raises(ConfigError):
        Settings.from_env({"MARAC_NOTIFY_BACKEND": "carrier-pigeon"})
    assert Settings.from_env({}).notify_backend == "outbox"
    with pytest.raises(ConfigError):
        Settings.from_env({"MARAC_NOTIFY_BACKEND": "notify"})  # no key, no template


def test_agenda_email_links_the_ics_with_the_full_address(db: Session, smtp_server: Any) -> None:
    port, inbox = smtp_server
    w = PanelWorld(db)
    meeting = w.meeting()
    meetings_notices.agenda_published(db, meeting)
    db.commit()
    settings = Settings(smtp_host="127.0.0.1", smtp_port=port, base_url="https://m.example")
    send_pending(db, SmtpBackend(settings))
    text = message_from_bytes(inbox.messages[0][2]).get_payload(decode=True).decode()
    assert f"https://m.example/meetings/{meeting.id}.ics" in text
    notice = db.scalars(select(Notification)).first()
    assert f" /meetings/{meeting.id}.ics" in notice.message
