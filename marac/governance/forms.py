"""Forms for subject access: asking for a pack, finding a person, recording a release."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovRadioInput,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import IntegerField, RadioField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange

from marac.forms import STRIP
from marac.governance.models import RELEASE_METHODS


class RequestPackForm(FlaskForm):
    submit = SubmitField("Produce a subject access pack", widget=GovSubmitInput())


class FindPersonForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search: nothing is changed

    person = IntegerField(
        "Person record number",
        description="The number shown on the person's record, for example 1042.",
        widget=GovTextInput(),
        validators=[
            InputRequired("Enter the person's record number"),
            NumberRange(min=1, message="Enter a record number like 1042"),
        ],
    )
    submit = SubmitField("Find the person", widget=GovSubmitInput())


class ReleaseForm(FlaskForm):
    released_to = StringField(
        "Released to",
        description="The person, or their representative, and where it was sent.",
        widget=GovTextInput(),
        filters=STRIP,
        validators=[
            InputRequired("Enter who the pack was released to"),
            Length(max=300, message="Who it was released to must be 300 characters or fewer"),
        ],
    )
    method = RadioField(
        "How it was released",
        choices=list(RELEASE_METHODS.items()),
        widget=GovRadioInput(),
        validators=[InputRequired("Select how the pack was released")],
    )
    note = TextAreaField(
        "Note (optional)",
        description="For example, what was redacted and why.",
        widget=GovTextArea(),
        filters=STRIP,
        validators=[Length(max=2000, message="The note must be 2000 characters or fewer")],
    )
    submit = SubmitField("Record the release", widget=GovSubmitInput())
