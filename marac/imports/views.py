"""Bulk import pages: upload, map the columns, preview every row's problems, import."""

from __future__ import annotations

from collections import Counter

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from marac.accounts.models import Role
from marac.auth import roles_required
from marac.db import db_session
from marac.forms import show_invalid
from marac.imports import fields
from marac.imports.forms import ConfirmForm, UploadForm
from marac.imports.models import STATUS_LABELS, BatchStatus
from marac.imports.operations import abandon_import, save_mapping, start_import, upload_file
from marac.imports.queries import (
    batches_of,
    check_rows,
    headers_of,
    imported_rows,
    mapping_of,
    own_batch,
    table_of,
)
from marac.imports.reading import MAX_ROWS
from marac.inputs import as_id
from marac.operations import Invalid

bp = Blueprint("imports", __name__, url_prefix="/imports")
PER_PAGE = 50  # rows with problems per preview page
SAMPLES = 3  # example values shown under each column


@bp.route("", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR)
def index() -> str | Response:
    db = db_session()
    form = UploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        settings = current_app.config["MARAC_SETTINGS"]
        try:
            batch = upload_file(
                db,
                current_user,
                filename=upload.filename or "",
                data=upload.read(settings.upload_max_bytes + 1),
                max_bytes=settings.upload_max_bytes,
            )
        except Invalid as error:
            show_invalid(form, error)
        else:
            return redirect(url_for("imports.columns", batch_id=batch.id))
    return render_template(
        "imports/index.html",
        form=form,
        batches=batches_of(db, current_user),
        labels=STATUS_LABELS,
        max_rows=MAX_ROWS,
        fields=fields.FIELDS,
    )


def _field_items(chosen: str) -> list[dict[str, object]]:
    items: list[dict[str, object]] = [
        {"value": "", "text": "Ignore this column", "selected": not chosen}
    ]
    for f in fields.FIELDS:
        text = f.label if f.group == "Incident" else f"{f.group}: {f.label}"
        items.append({"value": f.key, "text": text, "selected": f.key == chosen})
    return items


@bp.route("/<int:batch_id>/columns", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR)
def columns(batch_id: int) -> str | Response:
    """Each of their columns -> one of our fields, with guesses and example values."""
    db = db_session()
    batch = own_batch(db, current_user, batch_id)
    if batch.status != BatchStatus.UPLOADED.value:
        return redirect(url_for("imports.batch", batch_id=batch.id))
    headers = headers_of(batch)
    chosen = {i: k for i, k in mapping_of(batch).items()}
    errors: dict[str, list[str]] = {}
    form = ConfirmForm()
    if form.validate_on_submit():
        chosen = {
            i: request.form.get(f"column-{i}", "")[:60]
            for i in range(len(headers))
            if request.form.get(f"column-{i}")
        }
        try:
            save_mapping(db, current_user, batch.id, chosen)
        except Invalid as error:
            errors = error.errors
        else:
            return redirect(url_for("imports.batch", batch_id=batch.id))
    rows = table_of(batch)[:SAMPLES]
    columns = [
        {
            "index": i,
            "header": header,
            "samples": [fields.sample(row[i]) for row in rows if fields.sample(row[i])],
            "items": _field_items(chosen.get(i, "")),
            "error": (errors.get(f"column-{i}") or [None])[0],
        }
        for i, header in enumerate(headers)
    ]
    summary = [
        {"text": f"{headers[int(k.split('-')[1])]}: {v[0]}", "href": f"#{k}"}
        for k, v in errors.items()
        if k.startswith("column-")
    ] + [
        {"text": v[0], "href": "#column-0"}
        for k, v in errors.items()
        if not k.startswith("column-")
    ]
    return render_template(
        "imports/columns.html", batch=batch, columns=columns, form=form, summary=summary
    )


@bp.route("/<int:batch_id>")
@roles_required(Role.COORDINATOR)
def batch(batch_id: int) -> str:
    """The preview while the file waits; what was imported once it is done."""
    db = db_session()
    batch = own_batch(db, current_user, batch_id)
    if batch.status != BatchStatus.UPLOADED.value:
        made = imported_rows(db, current_user, batch)
        return render_template("imports/result.html", batch=batch, made=made, labels=STATUS_LABELS)
    headers = headers_of(batch)
    mapping = mapping_of(batch)
    column_of = {key: i for i, key in mapping.items()}
    rows = check_rows(db, current_user, batch, mapping=mapping)
    counts = Counter(
        "ready" if r.ready else ("done" if r.done_in_batch is not None else "errors") for r in rows
    )
    bad = [r for r in rows if r.errors]
    page = max(1, as_id(request.args.get("page")) or 1)
    pages = max(1, -(-len(bad) // PER_PAGE))
    page = min(page, pages)
    shown = bad[(page - 1) * PER_PAGE : page * PER_PAGE]
    problems = [
        {
            "row": r.number,
            "column": headers[column_of[key]]
            if key in column_of
            else ("Every column" if key == "row" else "(not mapped)"),
            "field": fields.label_of(key),
            "message": message,
        }
        for r in shown
        for key, message in r.errors.items()
    ]
    summary = [
        {"text": f"Row {p['row']}: {p['field']}: {p['message']}", "href": f"#row-{p['row']}"}
        for p in problems[:10]
    ]
    missing = [
        f.label for f in fields.FIELDS if f.key in fields.REQUIRED and f.key not in column_of
    ]
    return render_template(
        "imports/preview.html",
        batch=batch,
        counts=counts,
        problems=problems,
        summary=summary,
        more=max(0, len(problems) - 10),
        page=page,
        pages=pages,
        total_bad=len(bad),
        mapped=[(headers[i], fields.label_of(k)) for i, k in sorted(mapping.items())],
        missing=missing,
        form=ConfirmForm(),
    )


@bp.post("/<int:batch_id>/import")
@roles_required(Role.COORDINATOR)
def start(batch_id: int) -> Response:
    db = db_session()
    batch = own_batch(db, current_user, batch_id)
    form = ConfirmForm()
    if not form.validate_on_submit() or batch.status != BatchStatus.UPLOADED.value:
        return redirect(url_for("imports.batch", batch_id=batch.id))
    ready = sum(1 for r in check_rows(db, current_user, batch) if r.ready)
    try:
        job = start_import(
            db,
            current_user,
            batch.id,
            ready=ready,
            result_link=url_for("imports.batch", batch_id=batch.id),
        )
    except Invalid as error:
        flash(next(iter(error.errors.values()))[0], "error")
        return redirect(url_for("imports.batch", batch_id=batch.id))
    return redirect(url_for("jobs.progress", job_id=job.id))


@bp.post("/<int:batch_id>/abandon")
@roles_required(Role.COORDINATOR)
def abandon(batch_id: int) -> Response:
    db = db_session()
    form = ConfirmForm()
    if form.validate_on_submit():
        abandon_import(db, current_user, batch_id)
        flash("The upload was abandoned and its file deleted.", "success")
    return redirect(url_for("imports.index"))
