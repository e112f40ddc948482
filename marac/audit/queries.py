"""Reads of the audit log: the admin's filtered, paged browse."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.accounts.models import Role, User
from marac.audit.models import AuditEvent
from marac.formatting import UK
from marac.inputs import iso_day
from marac.operations import allow
from marac.pagination import Page, paginate

FILTER_KEYS = ("user", "action", "object_type", "object_id", "from", "to")


@dataclass
class LogPage:
    """One page of the log, the choices for the filters, and what was wrong with them."""

    page: Page[AuditEvent]
    actions: list[str]
    types: list[str]
    errors: dict[str, str] = field(default_factory=dict)


def _day(value: str | None) -> datetime | None:
    day = iso_day(value) if value and len(value) == 10 else None
    return datetime.combine(day, time(), tzinfo=UK) if day else None


def log_page(db: Session, viewer: User, filters: dict[str, str], page: int = 1) -> LogPage:
    """Newest first, filtered as asked; admins and information governance read the log."""
    allow(viewer.has_role(Role.ADMIN, Role.GOVERNANCE))
    wanted = {key: (filters.get(key) or "").strip() for key in FILTER_KEYS}
    errors: dict[str, str] = {}
    query = select(AuditEvent).order_by(AuditEvent.id.desc())
    if wanted["user"]:
        query = query.where(AuditEvent.user_label.ilike(f"%{wanted['user']}%"))
    if wanted["action"]:
        query = query.where(AuditEvent.action == wanted["action"])
    if wanted["object_type"]:
        query = query.where(AuditEvent.object_type == wanted["object_type"])
    if wanted["object_id"]:
        query = query.where(AuditEvent.object_id == wanted["object_id"])
    for key in ("from", "to"):
        if wanted[key] and _day(wanted[key]) is None:
            errors[key] = "Enter a real date, for example 27 3 2026"
    if (start := _day(wanted["from"])) is not None:
        query = query.where(AuditEvent.at >= start)
    if (end := _day(wanted["to"])) is not None:
        query = query.where(AuditEvent.at < end + timedelta(days=1))
    found = paginate(db, query, page, per_page=100)
    actions = db.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)).all()
    types = db.scalars(
        select(AuditEvent.object_type).distinct().order_by(AuditEvent.object_type)
    ).all()
    return LogPage(found, list(actions), list(types), errors)
