"""The upload form: a GOV.UK file upload and an optional description."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import GovFileInput, GovSubmitInput, GovTextArea
from wtforms import SubmitField, TextAreaField, ValidationError
from wtforms.validators import Length

from marac.attachments.rules import DESCRIPTION_LIMIT, accepted_types_text
from marac.forms import STRIP


def _chosen(_form: object, field: FileField) -> None:
    if not field.data or not getattr(field.data, "filename", ""):
        raise ValidationError("Select a file")


class UploadForm(FlaskForm):
    """On the incident, referral and action pages (prefix "attachment") and its own page."""

    file = FileField(
        "Upload a file",
        widget=GovFileInput(),
        validators=[_chosen],
    )
    description = TextAreaField(
        "Description (optional)",
        description="For example, the notice served on 3 March, or a photo of the damage.",
        widget=GovTextArea(),
        filters=STRIP,
        validators=[
            Length(max=DESCRIPTION_LIMIT, message="Description must be 500 characters or fewer")
        ],
    )
    submit = SubmitField("Attach the document", widget=GovSubmitInput())

    @staticmethod
    def hint(max_text: str) -> str:
        return (
            f"The file must be a {accepted_types_text()}, smaller than {max_text}. "
            "Every file is checked for viruses."
        )
