"""The admin's view of the audit log: browse and filter, never edit."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import Blueprint, render_template, request
from sqlalchemy import select

from marac.audit import record
from marac.audit.models import AuditEvent
from marac.auth import admin_required
from marac.db import db_session
from marac.formatting import UK
from marac.inputs import iso_day
from marac.pagination import paginate

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")


def _day(value: str | None) -> datetime | None:
    day = iso_day(value) if value and len(value) == 10 else None
    return datetime.combine(day, time(), tzinfo=UK) if day else None


@bp.route("")
@admin_required
def log() -> str:
    db = db_session()
    args = request.args
    filters = {
        "user": args.get("user", "").strip(),
        "action": args.get("action", "").strip(),
        "object_type": args.get("object_type", "").strip(),
        "object_id": args.get("object_id", "").strip(),
        "from": args.get("from", "").strip(),
        "to": args.get("to", "").strip(),
    }
    errors: dict[str, str] = {}
    query = select(AuditEvent).order_by(AuditEvent.id.desc())
    if filters["user"]:
        query = query.where(AuditEvent.user_label.ilike(f"%{filters['user']}%"))
    if filters["action"]:
        query = query.where(AuditEvent.action == filters["action"])
    if filters["object_type"]:
        query = query.where(AuditEvent.object_type == filters["object_type"])
    if filters["object_id"]:
        query = query.where(AuditEvent.object_id == filters["object_id"])
    for key in ("from", "to"):
        if filters[key] and _day(filters[key]) is None:
            errors[key] = "Enter a date like 2026-03-27"
    if (start := _day(filters["from"])) is not None:
        query = query.where(AuditEvent.at >= start)
    if (end := _day(filters["to"])) is not None:
        query = query.where(AuditEvent.at < end + timedelta(days=1))
    page = paginate(db, query, args.get("page", 1, type=int), per_page=100)
    actions = db.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)).all()
    types = db.scalars(
        select(AuditEvent.object_type).distinct().order_by(AuditEvent.object_type)
    ).all()
    record(db, "audit_viewed", "audit_log", None, f"Viewed audit log page {page.page}")
    db.commit()
    return render_template(
        "audit/log.html", page=page, filters=filters, errors=errors, actions=actions, types=types
    )
