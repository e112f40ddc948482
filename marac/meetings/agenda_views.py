"""The self-building agenda, its publication, amendments and agencies' research."""

from __future__ import annotations

from flask import render_template

from marac.accounts.models import Role
from marac.auth import roles_required
from marac.meetings.blueprint import bp


@bp.get("/")
@roles_required(Role.MEMBER, Role.COORDINATOR)
def index() -> str:
    return render_template("placeholder.html", title="Meetings")
