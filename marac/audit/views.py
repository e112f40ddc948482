"""The audit log for admins and information governance: browse and filter, never edit."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user

from marac.accounts.models import Role
from marac.audit.operations import view_log
from marac.audit.queries import FILTER_KEYS
from marac.auth import roles_required
from marac.db import db_session

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")


@bp.route("")
@roles_required(Role.ADMIN, Role.GOVERNANCE)
def log() -> str:
    filters = {key: request.args.get(key, "").strip() for key in FILTER_KEYS}
    for key in ("from", "to"):
        filters[key] = _date_input(key, filters[key])
    found = view_log(db_session(), current_user, filters, request.args.get("page", 1, type=int))
    return render_template(
        "audit/log.html",
        page=found.page,
        filters=filters,
        errors=found.errors,
        actions=found.actions,
        types=found.types,
    )


def _date_input(key: str, iso: str) -> str:
    """A GOV.UK date input's three boxes as one ISO date ("2026-03-27") for the query.

    Boxes that do not make a date pass through unchanged, so the query reports the error;
    without the boxes (a link or the next page), the ISO parameter is used as it is.
    """
    parts = [request.args.get(f"{key}-{part}", "").strip() for part in ("year", "month", "day")]
    if not any(parts):
        return iso
    if all(p.isdigit() for p in parts) and len(parts[0]) == 4:
        return f"{int(parts[0]):04d}-{int(parts[1]):02d}-{int(parts[2]):02d}"
    return "-".join(parts) or "not a date"
