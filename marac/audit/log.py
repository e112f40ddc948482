"""The single way anything is written to the audit log."""

from __future__ import annotations

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.orm import Session

from marac.audit.models import AuditEvent


class AuditError(RuntimeError):
    """Raised when code tries to change or delete an audit row."""


def _request_ip() -> str | None:
    if not has_request_context():
        return None
    # ProxyFix (configured in create_app) has already applied trusted X-Forwarded-For.
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

    `user` defaults to the signed-in user of the current request (if any).
    """
    actor = user
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user
    event_row = AuditEvent(
        user_id=getattr(actor, "id", None),
        user_label=getattr(actor, "email", None) or "system",
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        ip_address=_request_ip(),
        summary=summary[:2000],
    )
    session.add(event_row)
    return event_row


@event.listens_for(Session, "before_flush")
def _refuse_audit_changes(session: Session, _ctx: object, _instances: object) -> None:
    """Audit rows are append-only inside the app too, not just in the database."""
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEvent) and (obj in session.deleted or session.is_modified(obj)):
            raise AuditError("audit events cannot be changed or deleted")
