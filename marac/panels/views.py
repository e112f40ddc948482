"""Panel management, meeting scheduling and calendar feeds.

Admins manage every panel; a coordinator manages the panels covering their areas and
schedules, moves and cancels those panels' meetings. Calendar downloads carry no case
data, only when and where a panel meets. The writes are in marac.panels.operations and
the shared reads in marac.panels.queries: these views parse, call and render.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from werkzeug.wrappers import Response as WerkzeugResponse

from marac.accounts.models import Role
from marac.auth import require, roles_required
from marac.db import db_session, utcnow
from marac.formatting import clock, uk_today
from marac.forms import show_invalid
from marac.operations import Conflict, Invalid
from marac.panels import operations, queries
from marac.panels.access import runs_panel
from marac.panels.agreements import lapsed_ids
from marac.panels.calendar import build_calendar, slug
from marac.panels.forms import (
    CancelMeetingForm,
    FeedForm,
    MoveMeetingForm,
    PanelForm,
    PanelStatusForm,
    ScheduleForm,
)
from marac.panels.models import Meeting, MeetingStatus
from marac.panels.operations import MEETING_STATUS_LABELS
from marac.panels.schedule import WEEKDAYS, long_date

# Routes carry their own prefixes: the feed and .ics downloads live outside /panels.
bp = Blueprint("panels", __name__)


# ---- helpers ----------------------------------------------------------------------------


def _is_admin() -> bool:
    return queries.is_admin(current_user)


def _meeting_page_endpoint() -> str | None:
    """The meetings blueprint's page for one meeting, when it exists (built alongside)."""
    for rule in current_app.url_map.iter_rules():
        if rule.rule == "/meetings/<int:meeting_id>" and "GET" in (rule.methods or ()):
            return rule.endpoint
    return None


def _feed_domain() -> str:
    return slug(current_app.config["MARAC_SETTINGS"].council_name)


def _ics_response(body: bytes, filename: str | None = None) -> Response:
    response = Response(body, mimetype="text/calendar")
    response.headers["Cache-Control"] = "private, no-store"
    if filename:
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _version(form: Any) -> int:
    """The version the user loaded; a mangled one never matches."""
    text = (form.version.data or "").strip()
    return int(text) if text.isdigit() else -1


# ---- panel list and page ----------------------------------------------------------------


@bp.get("/panels/")
@roles_required(Role.COORDINATOR, Role.ADMIN)
def index() -> str:
    """Every panel the user manages, with its next meeting (four queries at any size)."""
    panels, next_dates = queries.managed_panels(db_session(), current_user, uk_today())
    return render_template(
        "panels/index.html",
        panels=panels,
        next_dates=next_dates,
        weekdays=WEEKDAYS,
        can_subscribe=not _is_admin() and bool(panels),
    )


@bp.get("/panels/<int:panel_id>")
@roles_required(Role.COORDINATOR, Role.ADMIN)
def view(panel_id: int) -> str:
    """The panel's settings and its meetings, upcoming first then past (newest first)."""
    db = db_session()
    panel = queries.managed_panel(db, current_user, panel_id)
    meetings = queries.panel_meetings(db, panel)
    today = uk_today()
    return render_template(
        "panels/view.html",
        panel=panel,
        upcoming=[m for m in meetings if m.meeting_date >= today],
        past=[m for m in reversed(meetings) if m.meeting_date < today],
        weekdays=WEEKDAYS,
        status_labels=MEETING_STATUS_LABELS,
        runs=runs_panel(current_user, panel),
        lapsed=lapsed_ids(panel.agencies, today),
        meeting_endpoint=_meeting_page_endpoint(),
        status_form=PanelStatusForm(formdata=None, data={"version": str(panel.version)}),
    )


# ---- create and edit --------------------------------------------------------------------


def _panel_choices(form: PanelForm, panel: Any) -> None:
    """Areas the user may give a panel, active coordinators and active agencies."""
    areas, chairs, agencies = queries.panel_choices(db_session(), current_user, panel)
    form.areas.choices = [(a.id, a.name) for a in areas]
    form.chair_id.choices = [(0, "Select the chair")] + [(u.id, u.name) for u in chairs]
    form.agencies.choices = [(a.id, a.name) for a in agencies]


def _settings(form: PanelForm) -> operations.PanelSettings:
    return operations.PanelSettings(
        name=form.name.data or "",
        area_ids=list(form.areas.data or []),
        agency_ids=list(form.agencies.data or []),
        chair_id=form.chair_id.data,
        cadence_weeks=form.cadence_weeks.data,
        weekday=form.weekday.data,
        start_time=form.start_time.data,
        venue=form.venue.data,
        slot_minutes=form.slot_minutes.data,
    )


@bp.route("/panels/new", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR, Role.ADMIN)
def new() -> str | WerkzeugResponse:
    form = PanelForm(data={"version": "1"} if request.method == "GET" else None)
    _panel_choices(form, None)
    if request.method == "GET" and not _is_admin():
        form.areas.data = [a.id for a in current_user.areas][:1]
        form.chair_id.data = current_user.id
    if form.validate_on_submit():
        try:
            panel = operations.create_panel(db_session(), current_user, _settings(form))
        except Invalid as error:
            show_invalid(form, error)
        else:
            flash(f"{panel.name} set up. Schedule its meetings next.", "success")
            return redirect(url_for("panels.view", panel_id=panel.id))
    return render_template("panels/form.html", form=form, panel=None)


@bp.route("/panels/<int:panel_id>/edit", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR, Role.ADMIN)
def edit(panel_id: int) -> str | WerkzeugResponse:
    db = db_session()
    panel = queries.managed_panel(db, current_user, panel_id)
    if request.method == "GET":
        form = PanelForm(obj=panel, data={"version": str(panel.version)})
        form.areas.data = [a.id for a in panel.areas]
        form.agencies.data = [a.id for a in panel.agencies]
        form.chair_id.data = panel.chair_id or 0
    else:
        form = PanelForm()
    _panel_choices(form, panel)
    if not form.validate_on_submit():
        return render_template("panels/form.html", form=form, panel=panel)
    try:
        changed = operations.edit_panel(
            db, current_user, panel_id, version=_version(form), settings=_settings(form)
        )
    except Invalid as error:
        show_invalid(form, error)
        return render_template("panels/form.html", form=form, panel=panel)
    except Conflict:
        fresh = queries.managed_panel(db, current_user, panel_id)
        form.show_conflict(fresh.version)
        _panel_choices(form, fresh)
        return render_template("panels/form.html", form=form, panel=fresh)
    if not changed:
        flash("Nothing changed.", "info")
        return redirect(url_for("panels.view", panel_id=panel_id))
    flash(f"{form.name.data} saved.", "success")
    return redirect(url_for("panels.view", panel_id=panel_id))


def _set_active(panel_id: int, active: bool) -> WerkzeugResponse:
    db = db_session()
    queries.managed_panel(db, current_user, panel_id)
    form = PanelStatusForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        panel = operations.set_panel_active(
            db, current_user, panel_id, version=_version(form), active=active
        )
    except Conflict:
        flash(PanelStatusForm.conflict_message + ".", "info")
        return redirect(url_for("panels.view", panel_id=panel_id))
    except Invalid as error:
        for problems in error.errors.values():
            for message in problems:
                flash(message, "info")
        return redirect(url_for("panels.view", panel_id=panel_id))
    state = "reactivated" if active else "deactivated: it no longer gets new meetings"
    flash(f"{panel.name} {state}.", "success")
    return redirect(url_for("panels.view", panel_id=panel_id))


@bp.post("/panels/<int:panel_id>/deactivate")
@roles_required(Role.COORDINATOR, Role.ADMIN)
def deactivate(panel_id: int) -> WerkzeugResponse:
    return _set_active(panel_id, False)


@bp.post("/panels/<int:panel_id>/reactivate")
@roles_required(Role.COORDINATOR, Role.ADMIN)
def reactivate(panel_id: int) -> WerkzeugResponse:
    return _set_active(panel_id, True)


# ---- scheduling -------------------------------------------------------------------------


@bp.route("/panels/<int:panel_id>/schedule", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR)
def schedule(panel_id: int) -> str | WerkzeugResponse:
    """Add the panel's meetings for a period at its cadence, off bank holidays."""
    db = db_session()
    panel = queries.run_panel(db, current_user, panel_id)
    if not panel.active:
        flash(f"{panel.name} is not active: reactivate it before scheduling.", "info")
        return redirect(url_for("panels.view", panel_id=panel.id))
    form = ScheduleForm()
    if request.method == "GET":
        form.first_date.data = queries.default_first_date(db, panel, uk_today())
    if form.validate_on_submit():
        try:
            added = operations.schedule_meetings(
                db, current_user, panel_id, first=form.first_date.data, months=form.months.data
            )
        except Invalid as error:
            show_invalid(form, error)
        else:
            name = panel.name
            moved = [m for m in added if m.change_note]
            if added:
                message = f"Added {len(added)} meetings of {name}."
                if moved:
                    message += f" {len(moved)} moved off a bank holiday or weekend."
            else:
                message = f"No meetings added: {name} already meets in that period."
            flash(message, "success" if added else "info")
            return redirect(url_for("panels.view", panel_id=panel_id))
    return render_template("panels/schedule.html", form=form, panel=panel, weekdays=WEEKDAYS)


def _meeting_not_changeable(meeting: Meeting) -> WerkzeugResponse | None:
    if meeting.status == MeetingStatus.SCHEDULED:
        return None
    flash(operations.not_changeable_message(meeting), "info")
    return redirect(url_for("panels.view", panel_id=meeting.panel_id))


def _meeting_form_page(template: str, form: Any, meeting: Meeting) -> str:
    return render_template(template, form=form, meeting=meeting, long_date=long_date)


@bp.route("/panels/meetings/<int:meeting_id>/move", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR)
def move_meeting(meeting_id: int) -> str | WerkzeugResponse:
    db = db_session()
    meeting = queries.run_meeting(db, current_user, meeting_id)
    refused = _meeting_not_changeable(meeting)
    if refused is not None:
        return refused
    template = "panels/move.html"
    if request.method == "GET":
        form = MoveMeetingForm(obj=meeting, data={"version": str(meeting.version)})
        form.reason.data = ""
    else:
        form = MoveMeetingForm()
    if not form.validate_on_submit():
        return _meeting_form_page(template, form, meeting)
    try:
        moved = operations.move_meeting(
            db,
            current_user,
            meeting_id,
            version=_version(form),
            meeting_date=form.meeting_date.data,
            start_time=form.start_time.data,
            venue=form.venue.data,
            reason=form.reason.data,
        )
    except Invalid as error:
        show_invalid(form, error)
        return _meeting_form_page(template, form, meeting)
    except Conflict:
        fresh = queries.run_meeting(db, current_user, meeting_id)
        form.show_conflict(fresh.version)
        return _meeting_form_page(template, form, fresh)
    flash(
        f"Meeting moved to {long_date(moved.meeting_date)} at {clock(moved.start_time)}.", "success"
    )
    return redirect(url_for("panels.view", panel_id=moved.panel_id))


@bp.route("/panels/meetings/<int:meeting_id>/cancel", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR)
def cancel_meeting(meeting_id: int) -> str | WerkzeugResponse:
    db = db_session()
    meeting = queries.run_meeting(db, current_user, meeting_id)
    refused = _meeting_not_changeable(meeting)
    if refused is not None:
        return refused
    template = "panels/cancel.html"
    if request.method == "GET":
        form = CancelMeetingForm(data={"version": str(meeting.version)})
    else:
        form = CancelMeetingForm()
    if not form.validate_on_submit():
        return _meeting_form_page(template, form, meeting)
    try:
        cancelled = operations.cancel_meeting(
            db, current_user, meeting_id, version=_version(form), reason=form.reason.data
        )
    except Invalid as error:
        show_invalid(form, error)
        return _meeting_form_page(template, form, meeting)
    except Conflict:
        fresh = queries.run_meeting(db, current_user, meeting_id)
        form.show_conflict(fresh.version)
        return _meeting_form_page(template, form, fresh)
    flash(f"Meeting on {long_date(cancelled.meeting_date)} cancelled.", "success")
    return redirect(url_for("panels.view", panel_id=cancelled.panel_id))


# ---- calendar ---------------------------------------------------------------------------


@bp.get("/panels/calendar-feed")
@roles_required(Role.MEMBER, Role.COORDINATOR)
def calendar_feed() -> str:
    """The user's secret subscription address, to add to Outlook or a phone."""
    db = db_session()
    require(queries.has_panels(db, current_user))
    feed = queries.calendar_feed(db, current_user)
    return render_template(
        "panels/calendar_feed.html",
        feed=feed,
        feed_url=url_for("panels.calendar_ics", token=feed.token, _external=True) if feed else None,
        form=FeedForm(),
    )


@bp.post("/panels/calendar-feed")
@roles_required(Role.MEMBER, Role.COORDINATOR)
def calendar_feed_create() -> WerkzeugResponse:
    """Create the feed, or regenerate it: the old address stops working at once."""
    db = db_session()
    require(queries.has_panels(db, current_user))
    if not FeedForm().validate_on_submit():
        abort(400)
    regenerated = operations.issue_calendar_feed(db, current_user)
    flash(
        "New calendar address made: the old one no longer works."
        if regenerated
        else "Calendar address made. Add it to your calendar as a subscription.",
        "success",
    )
    return redirect(url_for("panels.calendar_feed"))


@bp.post("/panels/calendar-feed/revoke")
@roles_required(Role.MEMBER, Role.COORDINATOR)
def calendar_feed_revoke() -> WerkzeugResponse:
    if not FeedForm().validate_on_submit():
        abort(400)
    if operations.revoke_calendar_feed(db_session(), current_user):
        flash("Calendar address turned off: calendars using it stop updating.", "success")
    return redirect(url_for("panels.calendar_feed"))


@bp.get("/calendar/<token>.ics")
def calendar_ics(token: str) -> Response:
    """The subscription itself: no sign-in, the secret token is the key (PUBLIC_ENDPOINTS)."""
    db = db_session()
    user = queries.feed_owner(db, token)
    meetings = queries.feed_meetings(db, user, uk_today())
    body = build_calendar(meetings, _feed_domain(), "Community MARAC meetings", utcnow())
    operations.note_calendar_fetched(db, user)
    return _ics_response(body)


@bp.get("/meetings/<int:meeting_id>.ics")
@roles_required(Role.MEMBER, Role.COORDINATOR)
def meeting_ics(meeting_id: int) -> Response:
    """One meeting as an .ics file, for those who sit on or run its panel."""
    db = db_session()
    meeting = queries.seen_meeting(db, current_user, meeting_id)
    body = build_calendar([meeting], _feed_domain(), meeting.panel.name, utcnow())
    operations.note_meeting_ics(db, current_user, meeting)
    return _ics_response(body, f"marac-meeting-{meeting.meeting_date.isoformat()}.ics")
