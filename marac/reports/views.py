"""The reports dashboard, its CSV exports and the quarterly partnership pack.

Figures are counts only. Reading the dashboard shows no case data; every export leaves
the system, so each one is audited.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as WerkzeugResponse

from marac.accounts.queries import area_choices
from marac.auth import admin_required, roles_required
from marac.db import db_session, get_or_404
from marac.formatting import uk_today
from marac.forms import show_invalid
from marac.operations import Conflict, Invalid
from marac.panels.models import Panel
from marac.reports import operations
from marac.reports.access import REPORTING_ROLES, reportable_panels, scope_for
from marac.reports.charts import STACKED, bar_chart, stacked_charts
from marac.reports.forms import (
    DEFAULT_PERIOD,
    DeleteTargetForm,
    PackPdfForm,
    PeriodForm,
    TargetForm,
)
from marac.reports.models import PartnershipTarget
from marac.reports.pack_pdf import fingerprint, pack_html
from marac.reports.queries import Scope, dashboard
from marac.reports.tables import (
    Table,
    last_12_months,
    last_quarter,
    pack_csv,
    tables,
)
from marac.reports.targets import BOROUGH, target_progress

bp = Blueprint("reports", __name__, url_prefix="/reports")


def _choice() -> tuple[Panel | None, list[Panel], dict[str, Any], PeriodForm]:
    """The panel and period asked for in the query string, checked.

    A period that does not validate shows its errors and the default period's figures.
    """
    session = db_session()
    panels = reportable_panels(session, current_user)
    panel: Panel | None = None
    panel_arg = request.args.get("panel", "")
    if panel_arg:
        panel = next((p for p in panels if str(p.id) == panel_arg), None)
        if panel is None:
            abort(403)
    today = uk_today()
    form = PeriodForm(formdata=request.args, today=today)
    valid = form.validate()
    period = form.period.data if valid else DEFAULT_PERIOD
    dates = form.dates() if valid else None
    if dates:
        start, end = dates
    else:
        start, end = last_12_months(today) if period == "last_12_months" else last_quarter(today)
        if not form.errors:  # show the dates the figures are for
            form.start.data, form.end.data = start, end
            form.start.raw_data = form.end.raw_data = None
    chosen = {"panel": panel_arg, "period": period, "start": start, "end": end, "today": today}
    return panel, panels, chosen, form


def _scope() -> tuple[Scope, list[Panel], dict[str, Any], PeriodForm]:
    panel, panels, chosen, form = _choice()
    scope = scope_for(
        db_session(), current_user, panel, chosen["start"], chosen["end"], chosen["today"]
    )
    return scope, panels, chosen, form


def _args(chosen: dict[str, Any]) -> dict[str, str]:
    """The query string for links to this panel and period (downloads, the PDF job)."""
    args = {k: chosen[k] for k in ("panel", "period") if chosen[k]}
    if chosen["period"] == "custom":
        for key, day in (("from", chosen["start"]), ("to", chosen["end"])):
            args |= {f"{key}-day": str(day.day), f"{key}-month": str(day.month)}
            args[f"{key}-year"] = str(day.year)
    return args


@bp.get("/")
@roles_required(*REPORTING_ROLES)
def index() -> str:
    scope, panels, chosen, form = _scope()
    board = dashboard(db_session(), scope)
    all_tables = tables(board)
    return render_template(
        "reports/index.html",
        scope=scope,
        panels=panels,
        chosen=chosen,
        form=form,
        tables=all_tables,
        charts={t.key: bar_chart(t) for t in all_tables if t.chart and t.key not in STACKED},
        stacked=stacked_charts(all_tables),
        args=_args(chosen),
        targets=target_progress(db_session(), scope.area_ids, chosen["today"]),
    )


def _csv(body: str, filename: str) -> Response:
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _find(all_tables: list[Table], key: str) -> Table:
    table = next((t for t in all_tables if t.key == key), None)
    if table is None:
        abort(404)
    return table


@bp.get("/export/<key>.csv")
@roles_required(*REPORTING_ROLES)
def export(key: str) -> Response:
    scope, _, _, _ = _scope()
    session = db_session()
    table = _find(tables(dashboard(session, scope)), key)
    operations.record_table_export(session, current_user, scope, table)
    return _csv(table.csv(), f"{key}-{scope.start}-{scope.end}.csv")


@bp.get("/pack.csv")
@roles_required(*REPORTING_ROLES)
def pack() -> Response:
    scope, _, _, _ = _scope()
    session = db_session()
    body = pack_csv(tables(dashboard(session, scope)))
    operations.record_pack_export(session, current_user, scope, kind="CSV")
    return _csv(body, f"partnership-pack-{scope.start}-{scope.end}.csv")


@bp.get("/pack.pdf")
@roles_required(*REPORTING_ROLES)
def pack_pdf() -> Any:
    """The pack PDF as the figures stand: served from the store when a copy rendered from
    the same figures exists, otherwise the page offers to have the worker prepare it."""
    scope, _, chosen, _ = _scope()
    session = db_session()
    got = operations.download_pack_pdf(
        session, current_user, scope, fingerprint(pack_html(session, scope))
    )
    if got.data is not None:
        return Response(
            got.data,
            mimetype="application/pdf",
            headers={
                "Content-Disposition": (
                    f'attachment; filename="partnership-pack-{scope.start}-{scope.end}.pdf"'
                )
            },
        )
    return render_template(
        "reports/pack_pdf.html",
        scope=scope,
        args=_args(chosen),
        failed=got.failed,
        form=PackPdfForm(),
    ), (500 if got.failed else 200)


@bp.post("/pack.pdf")
@roles_required(*REPORTING_ROLES)
def prepare_pack_pdf() -> WerkzeugResponse:
    scope, _, chosen, _ = _scope()
    if not PackPdfForm().validate_on_submit():
        abort(400)
    link = url_for("reports.pack_pdf", **_args(chosen))
    job = operations.request_pack_pdf(db_session(), current_user, scope, link)
    return redirect(url_for("jobs.progress", job_id=job.id))


@bp.get("/targets")
@admin_required
def targets() -> str:
    progress = target_progress(db_session(), None, uk_today())
    return render_template("reports/targets.html", targets=progress, delete_form=DeleteTargetForm())


def _target_form(target: PartnershipTarget | None) -> TargetForm:
    """The form, filled from the target on a first visit, with the areas to choose from."""
    if request.method == "GET" and target is not None:
        form = TargetForm(obj=target, data={"version": str(target.version)})
        form.area_id.data = str(target.area_id or "")
    else:
        form = TargetForm(data={"version": "1"} if request.method == "GET" else None)
    areas = area_choices(db_session())
    form.area_id.choices = [("", BOROUGH), *((str(i), name) for i, name in areas)]
    return form


def _values(form: TargetForm) -> operations.TargetValues:
    return operations.TargetValues(
        name=form.name.data,
        baseline_start=form.baseline_start.data,
        baseline_end=form.baseline_end.data,
        change_percent=form.change_percent.data,
        measured_start=form.measured_start.data,
        measured_end=form.measured_end.data,
        area_id=int(form.area_id.data) if form.area_id.data else None,
    )


@bp.route("/targets/new", methods=["GET", "POST"])
@admin_required
def target_new() -> str | WerkzeugResponse:
    form = _target_form(None)
    if not form.validate_on_submit():
        return render_template("reports/target_form.html", form=form, target=None)
    try:
        target = operations.create_target(db_session(), current_user, _values(form))
    except Invalid as error:
        show_invalid(form, error)
        return render_template("reports/target_form.html", form=form, target=None)
    flash(f"Added the target {target.name}.", "success")
    return redirect(url_for("reports.targets"))


@bp.route("/targets/<int:target_id>/edit", methods=["GET", "POST"])
@admin_required
def target_edit(target_id: int) -> str | WerkzeugResponse:
    """Change a target; a save based on an older version is refused, never applied."""
    session = db_session()
    target = get_or_404(PartnershipTarget, target_id)
    form = _target_form(target)
    if not form.validate_on_submit():
        return render_template("reports/target_form.html", form=form, target=target)
    try:
        version = int(form.version.data or "")
    except ValueError:
        version = -1
    try:
        changed = operations.update_target(
            session, current_user, target_id, version=version, values=_values(form)
        )
    except Invalid as error:
        show_invalid(form, error)
        return render_template("reports/target_form.html", form=form, target=target)
    except Conflict:
        fresh = get_or_404(PartnershipTarget, target_id)
        form.show_conflict(fresh.version)
        return render_template("reports/target_form.html", form=form, target=fresh)
    if not changed:
        flash("Nothing changed.", "info")
        return redirect(url_for("reports.targets"))
    flash(f"Saved the target {target.name}.", "success")
    return redirect(url_for("reports.targets"))


@bp.post("/targets/<int:target_id>/delete")
@admin_required
def target_delete(target_id: int) -> WerkzeugResponse:
    get_or_404(PartnershipTarget, target_id)
    form = DeleteTargetForm()
    if form.validate_on_submit():
        name = operations.delete_target(db_session(), current_user, target_id)
        flash(f"Deleted the target {name}.", "success")
    return redirect(url_for("reports.targets"))
