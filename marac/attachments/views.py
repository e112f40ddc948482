"""Adding a document to a record and downloading one: thin pages over the operations.

The form sits on the incident, referral and action pages (through the
`attachments_panel` template function, so those lower capabilities need not import
this one) and posts here; a refusal is shown on this capability's own upload page.
A download is served from the store through the app, never from a public URL.
"""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, send_file
from flask import url_for as flask_url_for
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from marac.accounts.models import Role
from marac.attachments import operations, queries, rules
from marac.attachments.access import Owner
from marac.attachments.forms import UploadForm
from marac.attachments.models import AttachmentStatus
from marac.auth import roles_required
from marac.db import db_session
from marac.forms import show_invalid
from marac.operations import Invalid, OperationError
from marac.storage.backends import StorageError

bp = Blueprint("attachments", __name__, url_prefix="/attachments")

CASE_ROLES = (Role.REFERRER, Role.MEMBER, Role.COORDINATOR)
KINDS = "any(incident, referral, action)"
PAGES = {"incident": "incidents.view", "referral": "referrals.view", "action": "actions.view"}
INFECTED = (
    "The selected file contains a virus, so it has not been attached. It has been deleted. "
    "Check your computer and the file before you try again"
)


def record_url(kind: str, record_id: int) -> str:
    return flask_url_for(PAGES[kind], **{f"{kind}_id": record_id})


def _form(formdata: Any = "request") -> UploadForm:
    if formdata == "request":
        return UploadForm(prefix="attachment")
    return UploadForm(prefix="attachment", formdata=formdata)


def _max_text() -> str:
    return rules.size_text(current_app.config["MARAC_SETTINGS"].upload_max_bytes)


def _render(owner: Owner, form: UploadForm, status: int = 200) -> tuple[str, int]:
    page = render_template(
        "attachments/new.html",
        owner=owner,
        form=form,
        back=record_url(owner.kind, owner.id),
        hint=UploadForm.hint(_max_text()),
    )
    return page, status


@bp.route(f"/<{KINDS}:kind>/<int:record_id>/new", methods=["GET", "POST"])
@roles_required(*CASE_ROLES)
def new(kind: str, record_id: int) -> Any:
    db = db_session()
    owner = queries.upload_target(db, current_user, kind, record_id)
    form = _form()
    if not form.validate_on_submit():
        return _render(owner, form)
    upload = form.file.data
    limit = current_app.config["MARAC_SETTINGS"].upload_max_bytes
    try:
        attachment = operations.add_attachment(
            db,
            current_user,
            kind,
            record_id,
            operations.Upload(
                filename=upload.filename or "",
                data=upload.stream.read(limit + 1),
                description=form.description.data or "",
            ),
        )
    except Invalid as error:
        show_invalid(form, error)
        return _render(owner, form)
    if attachment.status == AttachmentStatus.INFECTED.value:
        form.file.errors = [INFECTED]
        return _render(owner, form)
    if attachment.status == AttachmentStatus.CLEAN.value:
        flash(f"{attachment.filename} has been attached.", "success")
    else:
        flash(
            f"{attachment.filename} has been attached. It is being checked for viruses and can "
            "be downloaded when the check has finished.",
            "success",
        )
    return redirect(record_url(kind, record_id) + "#documents")


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_error: RequestEntityTooLarge) -> Any:
    """A body over MAX_CONTENT_LENGTH: the upload page with the size error, not a bare 413."""
    args = request.view_args or {}
    generic = render_template("errors/413.html", max_text=_max_text()), 413
    if request.endpoint != "attachments.new" or not current_user.is_authenticated:
        return generic
    try:
        owner = queries.upload_target(db_session(), current_user, args["kind"], args["record_id"])
    except OperationError:  # not theirs to add to: say only that it was too large
        return generic
    form = _form(None)
    form.file.errors = [f"The selected file must be smaller than {_max_text()}"]
    page, _ = _render(owner, form)
    return page, 413


@bp.get("/<int:attachment_id>")
@roles_required(*CASE_ROLES)
def download(attachment_id: int) -> Any:
    """The stored bytes, hash-checked, as a download that no browser or cache keeps."""
    try:
        attachment, data = operations.download_attachment(db_session(), current_user, attachment_id)
    except operations.NotReady as not_ready:
        return render_template("attachments/not_ready.html", message=not_ready.message), 409
    except StorageError:
        current_app.logger.exception("attachment %s could not be read", attachment_id)
        return render_template("attachments/unavailable.html"), 503
    response: Response = send_file(
        io.BytesIO(data),
        mimetype=attachment.mime,
        as_attachment=True,
        download_name=attachment.filename,
        conditional=False,
        etag=False,
        max_age=0,
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.app_context_processor
def attachments_context() -> dict[str, Any]:
    """`attachments_panel(kind, id)` for the record pages' templates."""

    def attachments_panel(kind: str, record_id: int, listed: bool = True) -> dict[str, Any] | None:
        panel = queries.record_panel(db_session(), current_user, kind, record_id, listed=listed)
        if panel is None:
            return None
        return {
            "panel": panel,
            "form": _form(None) if panel.can_add else None,
            "action": flask_url_for("attachments.new", kind=kind, record_id=record_id),
            "hint": UploadForm.hint(_max_text()),
        }

    return {"attachments_panel": attachments_panel}
