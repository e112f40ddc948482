"""The single way anything is written to the audit log."""

from __future__ import annotations

import itertools

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import event, update
from sqlalchemy.orm import Session

from marac.audit.chain import hash_of
from marac.audit.models import AuditChainHead, AuditEvent
from marac.db import utcnow

# Summaries name the event and the record, never case text (tests/audit/test_summaries.py).
SUMMARY_LIMIT = 300

_order = itertools.count()


class AuditError(RuntimeError):
    """Raised when code tries to change or delete an audit row, or breaks the chain."""


def _request_ip() -> str | None:
    if not has_request_context():
        return None
    # ProxyFix applies X-Forwarded-For only when MARAC_TRUSTED_PROXIES says a proxy is there.
    return request.remote_addr


def record(
    session: Session,
    action: str,
    object_type: str,
    object_id: object | None = None,
    summary: str = "",
    *,
    user: object | None = None,
) -> AuditEvent:
    """Add an audit row to `session`; it is committed with the change it describes.

    `user` defaults to the signed-in user of the current request (if any). `summary`
    is one short line naming the event and the record, never free text from a case.
    """
    actor = user
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user
    event_row = AuditEvent(
        at=utcnow(),
        user_id=getattr(actor, "id", None),
        user_label=getattr(actor, "email", None) or "system",
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        ip_address=_request_ip(),
        summary=" ".join(summary.split())[:SUMMARY_LIMIT],
    )
    event_row._chain_order = next(_order)  # type: ignore[attr-defined]
    session.add(event_row)
    return event_row


@event.listens_for(Session, "before_flush")
def _guard_and_chain(session: Session, _ctx: object, _instances: object) -> None:
    """Refuse edits to audit rows, then chain the new ones in the order they were recorded."""
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEvent) and (obj in session.deleted or session.is_modified(obj)):
            raise AuditError("audit events cannot be changed or deleted")
    new = [obj for obj in session.new if isinstance(obj, AuditEvent) and obj.seq is None]
    if new:
        _chain(session, sorted(new, key=lambda row: getattr(row, "_chain_order", -1)))


def _chain(session: Session, rows: list[AuditEvent]) -> None:
    """Give `rows` the next seq numbers and hashes.

    Updating the head row first takes its row lock (PostgreSQL) or the write lock
    (SQLite), held until commit, so concurrent appends queue instead of forking.
    """
    head = AuditChainHead.__table__
    conn = session.connection()
    found = conn.execute(
        update(head)
        .where(head.c.id == 1)
        .values(seq=head.c.seq + len(rows))
        .returning(head.c.seq, head.c.last_hash)
    ).first()
    if found is None:
        raise AuditError("the audit chain head is missing: run `marac db upgrade`")
    seq = found.seq - len(rows)
    previous = found.last_hash
    for row in rows:
        seq += 1
        row.seq = seq
        row.at = row.at or utcnow()
        row.user_label = row.user_label or "system"
        row.summary = row.summary or ""
        row.prev_hash = previous
        row.row_hash = previous = hash_of(row)
    conn.execute(update(head).where(head.c.id == 1).values(last_hash=previous))
