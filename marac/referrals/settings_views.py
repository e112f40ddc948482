"""The admin's page for an area's automatic referral thresholds (the trigger rules' settings).

It lives with referrals because the trigger rules do; the URL stays under /admin.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from marac.auth import admin_required
from marac.db import db_session
from marac.forms import show_invalid
from marac.operations import Invalid
from marac.referrals import operations, queries
from marac.referrals.forms import TriggerSettingsForm

bp = Blueprint("referral_settings", __name__, url_prefix="/admin")


@bp.route("/areas/<int:area_id>/triggers", methods=["GET", "POST"])
@admin_required
def trigger_settings(area_id: int) -> str | Response:
    """The automatic referral thresholds for one area; saved with the defaults until edited."""
    db = db_session()
    triggers = queries.area_triggers(db, current_user, area_id)
    form = TriggerSettingsForm(data=triggers.values)
    if form.validate_on_submit():
        try:
            operations.save_trigger_settings(
                db,
                current_user,
                triggers.area.id,
                high_risk_enabled=bool(form.high_risk_enabled.data),
                repeat_window_days=form.repeat_window_days.data,
                escalation_incidents=form.escalation_incidents.data,
                escalation_window_days=form.escalation_window_days.data,
            )
        except Invalid as error:
            show_invalid(form, error)
        else:
            flash(f"Saved the trigger settings for {triggers.area.name}.", "success")
            return redirect(url_for("admin.area_edit", area_id=triggers.area.id))
    return render_template(
        "referrals/trigger_settings.html", area=triggers.area, form=form, saved=triggers.saved
    )
