"""Forms for the minutes lifecycle: each step is a POST carrying the minutes' version."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextArea
from wtforms import SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length

from marac.forms import STRIP, VersionedForm


class ApproveForm(VersionedForm):
    submit = SubmitField("Approve the minutes", widget=GovSubmitInput())


class IssueForm(VersionedForm):
    submit = SubmitField("Issue the minutes", widget=GovSubmitInput())


class CorrectionForm(VersionedForm):
    reason = TextAreaField(
        "Reason for the correction",
        description="Members see this reason with the corrected version.",
        widget=GovTextArea(),
        filters=STRIP,
        validators=[
            InputRequired("Enter the reason for the correction"),
            Length(max=2000, message="The reason must be 2000 characters or fewer"),
        ],
    )
    submit = SubmitField("Issue a correction", widget=GovSubmitInput())


class StartCorrectionForm(VersionedForm):
    """Re-opens the meeting record so a change can go into a corrected version."""

    submit = SubmitField("Start a correction", widget=GovSubmitInput())


class AgendaPdfForm(FlaskForm):
    submit = SubmitField("Prepare the agenda PDF", widget=GovSubmitInput())
