"""Panel management, meeting scheduling and calendar feeds.

Admins manage every panel; a coordinator manages the panels covering their areas and
schedules, moves and cancels those panels' meetings. Calendar downloads carry no case
data, only when and where a panel meets.
"""

from __future__ import annotations

import secrets
from datetime import date, timedelta
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
from sqlalchemy import func, or_, select, true
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response as WerkzeugResponse

from marac.accounts.models import Agency, Area, Role, User
from marac.audit import record
from marac.auth import require, roles_required
from marac.db import db_session, get_or_404, utcnow
from marac.formatting import uk_today
from marac.panels.access import can_see_panel, runs_panel, visible_panels
from marac.panels.calendar import build_calendar, slug
from marac.panels.forms import (
    CancelMeetingForm,
    FeedForm,
    MoveMeetingForm,
    PanelForm,
    PanelStatusForm,
    ScheduleForm,
)
from marac.panels.models import CalendarFeed, Meeting, MeetingStatus, Panel
from marac.panels.schedule import (
    WEEKDAYS,
    add_months,
    continue_after,
    long_date,
    move_note,
    move_refusal,
    on_or_after_weekday,
    schedule_panel,
)

# Routes carry their own prefixes: the feed and .ics downloads live outside /panels.
bp = Blueprint("panels", __name__)

OBJECT = "panel"
MEETING = "meeting"
FEED = "calendar_feed"
FEED_HISTORY = timedelta(days=366)  # how far back a subscription reaches
MEETING_STATUS_LABELS = {
    MeetingStatus.SCHEDULED.value: "Scheduled",
    MeetingStatus.CANCELLED.value: "Cancelled",
    MeetingStatus.HELD.value: "Held",
}


# ---- helpers ----------------------------------------------------------------------------


def _is_admin() -> bool:
    return bool(current_user.has_role(Role.ADMIN))


def _load_panel(panel_id: int) -> Panel:
    panel = get_or_404(Panel, panel_id)
    return panel


def _managed_panel(panel_id: int) -> Panel:
    """A panel the user may change: admins any, coordinators those covering their areas."""
    panel = _load_panel(panel_id)
    require(_is_admin() or runs_panel(current_user, panel))
    return panel


def _run_meeting(meeting_id: int) -> Meeting:
    """A meeting of a panel the signed-in coordinator runs."""
    meeting = get_or_404(Meeting, meeting_id)
    require(runs_panel(current_user, meeting.panel))
    return meeting


def _managed_scope() -> Any:
    return true() if _is_admin() else visible_panels(current_user)


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


# ---- panel list and page ----------------------------------------------------------------


@bp.get("/panels/")
@roles_required(Role.COORDINATOR, Role.ADMIN)
def index() -> str:
    """Every panel the user manages, with its next meeting (four queries at any size)."""
    db = db_session()
    panels = list(
        db.scalars(select(Panel).where(_managed_scope()).order_by(Panel.active.desc(), Panel.name))
    )
    next_dates: dict[int, date] = {}
    if panels:
        next_dates = dict(
            db.execute(
                select(Meeting.panel_id, func.min(Meeting.meeting_date))
                .where(
                    Meeting.panel_id.in_([p.id for p in panels]),
                    Meeting.status == MeetingStatus.SCHEDULED.value,
                    Meeting.meeting_date >= uk_today(),
                )
                .group_by(Meeting.panel_id)
            ).all()
        )
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
    panel = _managed_panel(panel_id)
    meetings = list(
        db.scalars(
            select(Meeting)
            .where(Meeting.panel_id == panel.id)
            .order_by(Meeting.meeting_date, Meeting.start_time, Meeting.id)
        )
    )
    today = uk_today()
    return render_template(
        "panels/view.html",
        panel=panel,
        upcoming=[m for m in meetings if m.meeting_date >= today],
        past=[m for m in reversed(meetings) if m.meeting_date < today],
        weekdays=WEEKDAYS,
        status_labels=MEETING_STATUS_LABELS,
        runs=runs_panel(current_user, panel),
        meeting_endpoint=_meeting_page_endpoint(),
        status_form=PanelStatusForm(formdata=None, data={"version": str(panel.version)}),
    )


# ---- create and edit --------------------------------------------------------------------


def _panel_choices(form: PanelForm, panel: Panel | None) -> None:
    """Areas the user may give a panel, active coordinators and active agencies.

    What the panel already has stays listed even when inactive, so it can be removed.
    """
    db = db_session()
    held_areas = {a.id for a in panel.areas} if panel else set()
    held_agencies = {a.id for a in panel.agencies} if panel else set()
    if _is_admin():
        area_filter = or_(Area.active, Area.id.in_(held_areas))
    else:
        mine = {a.id for a in current_user.areas}
        area_filter = Area.id.in_(mine | held_areas)
    form.areas.choices = [
        (a.id, a.name) for a in db.scalars(select(Area).where(area_filter).order_by(Area.name))
    ]
    chair_filter = User.role == Role.COORDINATOR.value
    chair_filter = chair_filter & (User.active | (User.id == (panel.chair_id if panel else -1)))
    form.chair_id.choices = [(0, "Select the chair")] + [
        (u.id, u.name) for u in db.scalars(select(User).where(chair_filter).order_by(User.name))
    ]
    form.agencies.choices = [
        (a.id, a.name)
        for a in db.scalars(
            select(Agency)
            .where(or_(Agency.active, Agency.id.in_(held_agencies)))
            .order_by(Agency.name)
        )
    ]


def _check_panel(form: PanelForm, panel: Panel | None) -> bool:
    """Rules beyond single fields: a unique name, the coordinator's own area, one panel
    per area (so an accepted referral waits for exactly one panel)."""
    db = db_session()
    ok = True
    own_id = panel.id if panel else -1
    clash = db.scalar(select(Panel.id).where(Panel.name == form.name.data, Panel.id != own_id))
    if clash is not None:
        form.name.errors = [*form.name.errors, "A panel with this name already exists"]
        ok = False
    chosen = set(form.areas.data or [])
    if not _is_admin() and not chosen & {a.id for a in current_user.areas}:
        form.areas.errors = [
            *form.areas.errors,
            "Select at least one of your own areas: you can only manage panels for them",
        ]
        ok = False
    if chosen and (panel is None or panel.active):
        taken = db.execute(
            select(Area.name, Panel.name)
            .join(Panel.areas)
            .where(Area.id.in_(chosen), Panel.active, Panel.id != own_id)
            .order_by(Area.name)
        ).all()
        for area_name, panel_name in taken:
            form.areas.errors = [
                *form.areas.errors,
                f"{area_name} is already covered by {panel_name}",
            ]
            ok = False
    return ok


def _apply(form: PanelForm, panel: Panel) -> list[str]:
    """Copy the form onto the panel; return the names of what changed, for the audit."""
    db = db_session()
    changed = []
    for attr in ("name", "cadence_weeks", "weekday", "start_time", "venue", "slot_minutes"):
        value = getattr(form, attr).data
        if getattr(panel, attr) != value:
            setattr(panel, attr, value)
            changed.append(attr)
    if panel.chair_id != form.chair_id.data:
        panel.chair_id = form.chair_id.data
        changed.append("chair")
    areas = set(form.areas.data or [])
    if {a.id for a in panel.areas} != areas:
        panel.areas = list(db.scalars(select(Area).where(Area.id.in_(areas))))
        changed.append("areas")
    agencies = set(form.agencies.data or [])
    if {a.id for a in panel.agencies} != agencies:
        panel.agencies = list(db.scalars(select(Agency).where(Agency.id.in_(agencies))))
        changed.append("member agencies")
    return changed


@bp.route("/panels/new", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR, Role.ADMIN)
def new() -> str | WerkzeugResponse:
    db = db_session()
    form = PanelForm(data={"version": "1"} if request.method == "GET" else None)
    _panel_choices(form, None)
    if request.method == "GET" and not _is_admin():
        form.areas.data = [a.id for a in current_user.areas][:1]
        form.chair_id.data = current_user.id
    if form.validate_on_submit() and _check_panel(form, None):
        panel = Panel(active=True)
        panel.areas, panel.agencies = [], []
        db.add(panel)
        _apply(form, panel)
        db.flush()
        record(db, "panel_created", OBJECT, panel.id, _describe(panel))
        db.commit()
        flash(f"{panel.name} set up. Schedule its meetings next.", "success")
        return redirect(url_for("panels.view", panel_id=panel.id))
    return render_template("panels/form.html", form=form, panel=None)


def _describe(panel: Panel) -> str:
    return (
        f"{panel.name}: areas {', '.join(a.name for a in panel.areas)}; every "
        f"{panel.cadence_weeks} weeks on {WEEKDAYS[panel.weekday]} at "
        f"{panel.start_time:%H:%M}; {len(panel.agencies)} member agencies"
    )


@bp.route("/panels/<int:panel_id>/edit", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR, Role.ADMIN)
def edit(panel_id: int) -> str | WerkzeugResponse:
    db = db_session()
    panel = _managed_panel(panel_id)
    if request.method == "GET":
        form = PanelForm(obj=panel, data={"version": str(panel.version)})
        form.areas.data = [a.id for a in panel.areas]
        form.agencies.data = [a.id for a in panel.agencies]
        form.chair_id.data = panel.chair_id or 0
    else:
        form = PanelForm()
    _panel_choices(form, panel)
    if not form.validate_on_submit() or not _check_panel(form, panel):
        return render_template("panels/form.html", form=form, panel=panel)
    if not form.version_matches(panel.version):
        form.show_conflict(panel.version)
        return render_template("panels/form.html", form=form, panel=panel)
    changed = _apply(form, panel)
    if not changed:
        flash("Nothing changed.", "info")
        return redirect(url_for("panels.view", panel_id=panel.id))
    record(
        db, "panel_updated", OBJECT, panel.id, f"Changed {', '.join(changed)}. {_describe(panel)}"
    )
    try:
        db.commit()
    except StaleDataError:
        db.rollback()
        fresh = _load_panel(panel_id)
        form.show_conflict(fresh.version)
        _panel_choices(form, fresh)
        return render_template("panels/form.html", form=form, panel=fresh)
    flash(f"{panel.name} saved.", "success")
    return redirect(url_for("panels.view", panel_id=panel.id))


def _set_active(panel_id: int, active: bool) -> WerkzeugResponse:
    db = db_session()
    panel = _managed_panel(panel_id)
    form = PanelStatusForm()
    if not form.validate_on_submit():
        abort(400)
    if not form.version_matches(panel.version):
        flash(PanelStatusForm.conflict_message + ".", "info")
        return redirect(url_for("panels.view", panel_id=panel.id))
    if active and any(a for a in panel.areas if _area_taken(a.id, panel.id)):
        flash(
            f"{panel.name} cannot be reactivated: another active panel now covers its areas.",
            "info",
        )
        return redirect(url_for("panels.view", panel_id=panel.id))
    panel.active = active
    action = "panel_reactivated" if active else "panel_deactivated"
    record(db, action, OBJECT, panel.id, panel.name)
    try:
        db.commit()
    except StaleDataError:
        db.rollback()
        flash(PanelStatusForm.conflict_message + ".", "info")
        return redirect(url_for("panels.view", panel_id=panel_id))
    state = "reactivated" if active else "deactivated: it no longer gets new meetings"
    flash(f"{panel.name} {state}.", "success")
    return redirect(url_for("panels.view", panel_id=panel.id))


def _area_taken(area_id: int, panel_id: int) -> bool:
    return (
        db_session().scalar(
            select(Panel.id)
            .join(Panel.areas)
            .where(Area.id == area_id, Panel.active, Panel.id != panel_id)
            .limit(1)
        )
        is not None
    )


@bp.post("/panels/<int:panel_id>/deactivate")
@roles_required(Role.COORDINATOR, Role.ADMIN)
def deactivate(panel_id: int) -> WerkzeugResponse:
    return _set_active(panel_id, False)


@bp.post("/panels/<int:panel_id>/reactivate")
@roles_required(Role.COORDINATOR, Role.ADMIN)
def reactivate(panel_id: int) -> WerkzeugResponse:
    return _set_active(panel_id, True)


# ---- scheduling -------------------------------------------------------------------------


def _default_first_date(panel: Panel) -> date:
    """After the last meeting at the panel's cadence, or the usual weekday from today."""
    today = uk_today()
    last = db_session().scalar(
        select(func.max(Meeting.meeting_date)).where(Meeting.panel_id == panel.id)
    )
    if last is not None:
        following = continue_after(last, panel.weekday, panel.cadence_weeks)
        if following >= today:
            return following
    return on_or_after_weekday(today, panel.weekday)


@bp.route("/panels/<int:panel_id>/schedule", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR)
def schedule(panel_id: int) -> str | WerkzeugResponse:
    """Add the panel's meetings for a period at its cadence, off bank holidays."""
    db = db_session()
    panel = _load_panel(panel_id)
    require(runs_panel(current_user, panel))
    if not panel.active:
        flash(f"{panel.name} is not active: reactivate it before scheduling.", "info")
        return redirect(url_for("panels.view", panel_id=panel.id))
    form = ScheduleForm()
    if request.method == "GET":
        form.first_date.data = _default_first_date(panel)
    if form.validate_on_submit():
        first = form.first_date.data
        if first < uk_today():
            form.first_date.errors = [
                *form.first_date.errors,
                "The date to schedule from must be today or in the future",
            ]
        else:
            until = add_months(first, form.months.data)
            added = schedule_panel(db, panel, first, until)
            moved = [m for m in added if m.change_note]
            record(
                db,
                "meetings_scheduled",
                OBJECT,
                panel.id,
                f"{panel.name}: {len(added)} meetings from {first.isoformat()} for "
                f"{form.months.data} months: "
                + ", ".join(m.meeting_date.isoformat() for m in added),
            )
            db.commit()
            if added:
                message = f"Added {len(added)} meetings of {panel.name}."
                if moved:
                    message += f" {len(moved)} moved off a bank holiday or weekend."
            else:
                message = f"No meetings added: {panel.name} already meets in that period."
            flash(message, "success" if added else "info")
            return redirect(url_for("panels.view", panel_id=panel.id))
    return render_template("panels/schedule.html", form=form, panel=panel, weekdays=WEEKDAYS)


def _meeting_not_changeable(meeting: Meeting) -> WerkzeugResponse | None:
    if meeting.status == MeetingStatus.SCHEDULED:
        return None
    flash(
        f"The meeting on {long_date(meeting.meeting_date)} is "
        f"{MEETING_STATUS_LABELS[meeting.status].lower()}: it can no longer be changed.",
        "info",
    )
    return redirect(url_for("panels.view", panel_id=meeting.panel_id))


def _commit_meeting(meeting: Meeting, form: Any, template: str) -> str | None:
    """Commit; on a concurrent change show the form again with the latest version."""
    db = db_session()
    try:
        db.commit()
    except StaleDataError:
        db.rollback()
        fresh = get_or_404(Meeting, meeting.id)
        form.show_conflict(fresh.version)
        return render_template(template, form=form, meeting=fresh, long_date=long_date)
    return None


def _meets_on(meeting: Meeting, day: date) -> bool:
    """Whether the meeting's panel has another, not cancelled, meeting on `day`."""
    other = db_session().scalar(
        select(Meeting.id)
        .where(
            Meeting.panel_id == meeting.panel_id,
            Meeting.meeting_date == day,
            Meeting.id != meeting.id,
            Meeting.status != MeetingStatus.CANCELLED.value,
        )
        .limit(1)
    )
    return other is not None


@bp.route("/panels/meetings/<int:meeting_id>/move", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR)
def move_meeting(meeting_id: int) -> str | WerkzeugResponse:
    db = db_session()
    meeting = _run_meeting(meeting_id)
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
        return render_template(template, form=form, meeting=meeting, long_date=long_date)
    new_date, new_time, new_venue = form.meeting_date.data, form.start_time.data, form.venue.data
    problem = move_refusal(new_date, uk_today())
    if problem is None and (new_date, new_time, new_venue) == (
        meeting.meeting_date,
        meeting.start_time,
        meeting.venue,
    ):
        problem = "Change the date, the start time or the venue, or go back"
    if problem is None and new_date != meeting.meeting_date and _meets_on(meeting, new_date):
        problem = f"{meeting.panel.name} already meets on {long_date(new_date)}"
    if problem is not None:
        form.meeting_date.errors = [*form.meeting_date.errors, problem]
        return render_template(template, form=form, meeting=meeting, long_date=long_date)
    if not form.version_matches(meeting.version):
        form.show_conflict(meeting.version)
        return render_template(template, form=form, meeting=meeting, long_date=long_date)
    old_date = meeting.meeting_date
    reason = form.reason.data
    if new_date != old_date:
        meeting.change_note = move_note(old_date, reason)
    else:
        meeting.change_note = f"Time or venue changed: {reason}"
    venue_changed = new_venue != meeting.venue
    record(
        db,
        "meeting_moved",
        MEETING,
        meeting.id,
        f"{meeting.panel.name}: from {old_date.isoformat()} {meeting.start_time:%H:%M} to "
        f"{new_date.isoformat()} {new_time:%H:%M}"
        + ("; venue changed" if venue_changed else "")
        + " (reason given)",
    )
    meeting.meeting_date, meeting.start_time, meeting.venue = new_date, new_time, new_venue
    conflict = _commit_meeting(meeting, form, template)
    if conflict is not None:
        return conflict
    flash(f"Meeting moved to {long_date(new_date)} at {new_time:%H:%M}.", "success")
    return redirect(url_for("panels.view", panel_id=meeting.panel_id))


@bp.route("/panels/meetings/<int:meeting_id>/cancel", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR)
def cancel_meeting(meeting_id: int) -> str | WerkzeugResponse:
    db = db_session()
    meeting = _run_meeting(meeting_id)
    refused = _meeting_not_changeable(meeting)
    if refused is not None:
        return refused
    template = "panels/cancel.html"
    if request.method == "GET":
        form = CancelMeetingForm(data={"version": str(meeting.version)})
    else:
        form = CancelMeetingForm()
    if not form.validate_on_submit():
        return render_template(template, form=form, meeting=meeting, long_date=long_date)
    if not form.version_matches(meeting.version):
        form.show_conflict(meeting.version)
        return render_template(template, form=form, meeting=meeting, long_date=long_date)
    meeting.status = MeetingStatus.CANCELLED.value
    meeting.change_note = f"Cancelled: {form.reason.data}"
    record(
        db,
        "meeting_cancelled",
        MEETING,
        meeting.id,
        f"{meeting.panel.name} on {meeting.meeting_date.isoformat()} (reason given)",
    )
    conflict = _commit_meeting(meeting, form, template)
    if conflict is not None:
        return conflict
    flash(f"Meeting on {long_date(meeting.meeting_date)} cancelled.", "success")
    return redirect(url_for("panels.view", panel_id=meeting.panel_id))


# ---- calendar ---------------------------------------------------------------------------


def _has_panels(user: Any) -> bool:
    return db_session().scalar(select(Panel.id).where(visible_panels(user)).limit(1)) is not None


@bp.get("/panels/calendar-feed")
@roles_required(Role.MEMBER, Role.COORDINATOR)
def calendar_feed() -> str:
    """The user's secret subscription address, to add to Outlook or a phone."""
    require(_has_panels(current_user))
    feed = db_session().get(CalendarFeed, current_user.id)
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
    require(_has_panels(current_user))
    if not FeedForm().validate_on_submit():
        abort(400)
    feed = db.get(CalendarFeed, current_user.id)
    regenerated = feed is not None
    if feed is None:
        feed = CalendarFeed(user_id=current_user.id)
        db.add(feed)
    feed.token = secrets.token_urlsafe(32)
    feed.created_at = utcnow()
    action = "calendar_feed_regenerated" if regenerated else "calendar_feed_created"
    record(db, action, FEED, current_user.id, "Calendar feed address issued")
    db.commit()
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
    db = db_session()
    if not FeedForm().validate_on_submit():
        abort(400)
    feed = db.get(CalendarFeed, current_user.id)
    if feed is not None:
        db.delete(feed)
        record(db, "calendar_feed_revoked", FEED, current_user.id, "Calendar feed revoked")
        db.commit()
        flash("Calendar address turned off: calendars using it stop updating.", "success")
    return redirect(url_for("panels.calendar_feed"))


@bp.get("/calendar/<token>.ics")
def calendar_ics(token: str) -> Response:
    """The subscription itself: no sign-in, the secret token is the key (PUBLIC_ENDPOINTS)."""
    db = db_session()
    feed = db.scalar(select(CalendarFeed).where(CalendarFeed.token == token))
    if feed is None or not secrets.compare_digest(feed.token, token):
        abort(404)
    user = db.get(User, feed.user_id)
    if user is None or not user.active:
        abort(404)
    meetings = db.scalars(
        select(Meeting)
        .join(Panel, Panel.id == Meeting.panel_id)
        .where(visible_panels(user), Meeting.meeting_date >= uk_today() - FEED_HISTORY)
        .order_by(Meeting.meeting_date, Meeting.id)
    )
    body = build_calendar(meetings, _feed_domain(), "Community MARAC meetings", utcnow())
    record(db, "calendar_feed_fetched", FEED, user.id, "Calendar feed read", user=user)
    db.commit()
    return _ics_response(body)


@bp.get("/meetings/<int:meeting_id>.ics")
@roles_required(Role.MEMBER, Role.COORDINATOR)
def meeting_ics(meeting_id: int) -> Response:
    """One meeting as an .ics file, for those who sit on or run its panel."""
    db = db_session()
    meeting = get_or_404(Meeting, meeting_id)
    require(can_see_panel(current_user, meeting.panel))
    body = build_calendar([meeting], _feed_domain(), meeting.panel.name, utcnow())
    record(db, "meeting_ics_downloaded", MEETING, meeting.id, meeting.panel.name)
    db.commit()
    return _ics_response(body, f"marac-meeting-{meeting.meeting_date.isoformat()}.ics")
