"""The dashboard each user lands on after signing in."""

from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("home", __name__)


@bp.route("/")
def dashboard() -> str:
    return render_template("home/dashboard.html")
