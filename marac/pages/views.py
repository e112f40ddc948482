"""Public information pages, and the health check for load balancers."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template
from werkzeug.wrappers import Response

from marac.db import database_answers, db_session

bp = Blueprint("pages", __name__)
health_bp = Blueprint("health", __name__)


@bp.route("/accessibility")
def accessibility() -> str:
    return render_template("pages/accessibility.html")


@bp.route("/privacy")
def privacy() -> str:
    return render_template("pages/privacy.html")


@health_bp.route("/healthz")
def healthz() -> tuple[Response, int]:
    """200 when the database answers, 503 when it does not. No case data, no session."""
    if not database_answers(db_session()):
        return jsonify(status="unavailable", database="unreachable"), 503
    return jsonify(status="ok", database="ok"), 200
