"""Referral pages (stub: filled in by the referrals work)."""

from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("referrals", __name__, url_prefix="/referrals")


@bp.route("")
def index() -> str:
    return render_template("placeholder.html", title="Referrals")


@bp.route("/screening")
def screening() -> str:
    return render_template("placeholder.html", title="Screening queue")
