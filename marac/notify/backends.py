"""Email backends chosen by MARAC_NOTIFY_BACKEND, and the send step that uses them.

Delivery never happens inside a request: events store OutboxMessage rows in the same
transaction as the change, and `send_pending` (the worker's outbox drain, see
notify/jobs.py, or `marac send-emails` by hand) delivers the unsent ones. A message is
marked sent only after the backend accepted it; a failure is recorded on the row and
retried on the next run.
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import Protocol

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from marac.config import Settings
from marac.db import utcnow
from marac.notify.events import SITE
from marac.notify.models import OutboxMessage

# A run that died mid-send leaves its claim; after this long another run may retry.
CLAIM_EXPIRES = timedelta(minutes=15)

FOOTER = (
    "This message holds no case details. Sign in to see them.\n"
    "Do not forward: MARAC information is OFFICIAL-SENSITIVE."
)


def email_text(message: OutboxMessage, base_url: str) -> str:
    """The body as sent: the short message, the link (sign-in needed) and the footer."""
    parts = [message.body.replace(SITE, base_url)]
    if message.link:
        parts.append(f"Open it (you will need to sign in): {base_url}{message.link}")
    parts.append(FOOTER)
    return "\n\n".join(parts)


def message_id(message: OutboxMessage, mail_from: str) -> str:
    """The same Message-ID on every attempt at one outbox message, on the sender's domain.

    The row's id and creation time (to the microsecond) keep it unique across the
    council's deployments; nothing about the case is in it.
    """
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "localhost"
    stamp = message.created_at.strftime("%Y%m%d%H%M%S%f")
    return f"<marac.{message.id}.{stamp}@{domain}>"


class Backend(Protocol):
    name: str

    def send(self, message: OutboxMessage) -> None:
        """Deliver or raise."""


@dataclass
class OutboxBackend:
    """Keeps messages in the database for admins to read at /admin/outbox."""

    name: str = "outbox"

    def send(self, message: OutboxMessage) -> None:  # nothing leaves the server
        return None


@dataclass
class SmtpBackend:
    settings: Settings
    name: str = "smtp"

    def send(self, message: OutboxMessage) -> None:
        s = self.settings
        email = EmailMessage()
        email["Date"] = formatdate(usegmt=True)
        email["Message-ID"] = message_id(message, s.mail_from)
        email["From"] = s.mail_from
        email["To"] = message.recipient
        email["Subject"] = message.subject
        email.set_content(email_text(message, s.base_url))
        with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=30) as smtp:
            if s.smtp_starttls:
                smtp.starttls()
            if s.smtp_user:
                smtp.login(s.smtp_user, s.smtp_password)
            smtp.send_message(email)


@dataclass
class NotifyBackend:
    """GOV.UK Notify: one email template with ((subject)) and ((body)) placeholders."""

    settings: Settings
    name: str = "notify"

    def send(self, message: OutboxMessage) -> None:
        from notifications_python_client.notifications import NotificationsAPIClient

        s = self.settings
        client = NotificationsAPIClient(s.notify_api_key, base_url=s.notify_base_url)
        client.send_email_notification(
            email_address=message.recipient,
            template_id=s.notify_template_id,
            personalisation={
                "subject": message.subject,
                "body": email_text(message, s.base_url),
                "kind": message.kind,
            },
            reference=f"marac-{message.id}",
        )


def backend_for(settings: Settings) -> Backend:
    if settings.notify_backend == "smtp":
        return SmtpBackend(settings)
    if settings.notify_backend == "notify":
        return NotifyBackend(settings)
    return OutboxBackend()


@dataclass(frozen=True)
class SendResult:
    sent: list[str]
    failed: list[str]


def send_pending(
    session: Session, backend: Backend, report: Callable[[str], None] = lambda _: None
) -> SendResult:
    """Deliver every unsent message, committing after each: one failure blocks none.

    With the outbox backend messages stay unsent (visible to admins), so nothing is done.
    """
    if backend.name == "outbox":
        return SendResult([], [])
    sent: list[str] = []
    failed: list[str] = []
    ids = session.scalars(
        select(OutboxMessage.id).where(OutboxMessage.sent_at.is_(None)).order_by(OutboxMessage.id)
    ).all()
    for message_id in ids:
        message = _claim(session, message_id)
        if message is None:
            continue  # sent meanwhile, or another run is sending it now
        line = f"email {message.id} ({message.kind}) to {message.recipient}"
        try:
            backend.send(message)
        except Exception as exc:  # any backend failure: record it, retry next run
            message.error = f"{type(exc).__name__}: {exc}"[:2000]
            failed.append(line)
            report(f"FAILED {line}: {message.error}")
        else:
            message.sent_at = utcnow()
            message.backend = backend.name
            message.error = ""
            sent.append(line)
            report(f"sent {line}")
        message.sending_since = None
        session.commit()
    return SendResult(sent, failed)


def _claim(session: Session, message_id: int) -> OutboxMessage | None:
    """Claim an unsent message for this run, or None if it is not ours to send.

    One conditional UPDATE, committed before sending: the database serialises writers
    (SQLite's write lock, PostgreSQL's row lock), so of two runs at once only one
    claims it. A claim older than CLAIM_EXPIRES (a run that died mid-send) lapses.
    """
    now = utcnow()
    claimed = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.sent_at.is_(None),
            or_(
                OutboxMessage.sending_since.is_(None),
                OutboxMessage.sending_since < now - CLAIM_EXPIRES,
            ),
        )
        .values(sending_since=now, attempts=OutboxMessage.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .execution_options(populate_existing=True)
    ).one()
