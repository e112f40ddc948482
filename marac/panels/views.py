"""Panel management, meeting scheduling and calendar feeds."""

from __future__ import annotations

from flask import Blueprint, render_template

from marac.accounts.models import Role
from marac.auth import roles_required

bp = Blueprint("panels", __name__, url_prefix="/panels")


@bp.get("/")
@roles_required(Role.COORDINATOR, Role.ADMIN)
def index() -> str:
    return render_template("placeholder.html", title="Panels")
