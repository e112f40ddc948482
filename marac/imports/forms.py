"""The upload form; the mapping page's selects are built from the file's own columns."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import GovFileInput, GovSubmitInput
from wtforms import SubmitField


class UploadForm(FlaskForm):
    file = FileField(
        "Upload a spreadsheet",
        widget=GovFileInput(),
        validators=[FileRequired(message="Select a CSV or Excel file")],
        description="A CSV or Excel (XLSX) file with a header row, up to 5,000 rows.",
    )
    submit = SubmitField("Upload", widget=GovSubmitInput())


class ConfirmForm(FlaskForm):
    """A button that only needs the CSRF check (start, abandon, save the mapping)."""
