"""The admin's view of the audit log: browse and filter, never edit."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user

from marac.audit.operations import view_log
from marac.audit.queries import FILTER_KEYS
from marac.auth import admin_required
from marac.db import db_session

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")


@bp.route("")
@admin_required
def log() -> str:
    filters = {key: request.args.get(key, "").strip() for key in FILTER_KEYS}
    found = view_log(db_session(), current_user, filters, request.args.get("page", 1, type=int))
    return render_template(
        "audit/log.html",
        page=found.page,
        filters=filters,
        errors=found.errors,
        actions=found.actions,
        types=found.types,
    )
