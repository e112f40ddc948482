"""The progress page of a job: refreshes itself without JavaScript, smoothly with it."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as WerkzeugResponse

from marac.db import db_session
from marac.jobs.queries import own_job, status_of

bp = Blueprint("jobs", __name__)

REFRESH_SECONDS = 2


@bp.get("/jobs/<int:job_id>")
@login_required
def progress(job_id: int) -> str:
    job = own_job(db_session(), current_user, job_id)
    return render_template(
        "jobs/progress.html", job=job, refresh=None if job.finished else REFRESH_SECONDS
    )


@bp.get("/jobs/<int:job_id>/status")
@login_required
def status(job_id: int) -> WerkzeugResponse:
    return jsonify(status_of(own_job(db_session(), current_user, job_id)))
