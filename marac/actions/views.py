"""Partner actions: my actions, the agency view, and each action's page."""

from __future__ import annotations

from flask import Blueprint, render_template

from marac.accounts.models import Role
from marac.auth import roles_required

bp = Blueprint("actions", __name__, url_prefix="/actions")


@bp.get("/mine")
@roles_required(Role.REFERRER, Role.MEMBER, Role.COORDINATOR)
def mine() -> str:
    return render_template("placeholder.html", title="My actions")
