"""The admin form for registering an API client."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import InputRequired, Length

from marac.api.models import SCOPE_LABELS
from marac.forms import STRIP, choices_from


class ApiClientForm(FlaskForm):
    name = StringField(
        "Name of the client",
        widget=GovTextInput(),
        filters=STRIP,
        validators=[InputRequired("Enter a name for the client"), Length(max=200)],
    )
    agency_id = SelectField(
        "Agency",
        widget=GovSelect(),
        coerce=int,
        validators=[InputRequired("Select the agency whose system will call the API")],
    )
    scopes = SelectMultipleField(
        "What it may do",
        widget=GovCheckboxesInput(),
        choices=choices_from(SCOPE_LABELS),
        validators=[InputRequired("Select at least one scope")],
    )
    submit = SubmitField("Register the client", widget=GovSubmitInput())


class ConfirmForm(FlaskForm):
    submit = SubmitField("Continue", widget=GovSubmitInput())
