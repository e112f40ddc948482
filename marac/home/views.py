"""The home page each person lands on after signing in: what is waiting for them."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from marac.actions.context import my_action_counts
from marac.db import db_session
from marac.formatting import uk_today
from marac.home.work import work_for
from marac.meetings.agenda import AGENDA_STATUS_LABELS

bp = Blueprint("home", __name__)


@bp.route("/")
def dashboard() -> str:
    work = work_for(db_session(), current_user, uk_today(), my_action_counts())
    return render_template("home/dashboard.html", work=work, agenda_labels=AGENDA_STATUS_LABELS)
