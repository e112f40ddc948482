"""Risk assessment pages (stub: filled in by the assessment work)."""

from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("assessments", __name__, url_prefix="/assessments")


@bp.route("")
def index() -> str:
    return render_template("placeholder.html", title="Risk assessments")


@bp.route("/endorsements")
def endorsement_queue() -> str:
    return render_template("placeholder.html", title="Assessments waiting for endorsement")
