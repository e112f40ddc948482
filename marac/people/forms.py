"""The person form: who the victim is and how to reach them safely."""

from __future__ import annotations

import re
from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextArea, GovTextInput
from wtforms import Form, StringField, SubmitField, TextAreaField, ValidationError
from wtforms.validators import InputRequired, Length, Optional

from marac.forms import STRIP, DateInputField
from marac.people.models import normalise_postcode

# Outward code (AK1, AK12, AK1B) then inward code (2BX); spaces optional.
POSTCODE_RE = re.compile(r"^[A-Z]{1,2}[0-9][0-9A-Z]? ?[0-9][A-Z]{2}$")


def valid_postcode(value: str | None) -> bool:
    return bool(POSTCODE_RE.match(normalise_postcode(value)))


class Postcode:
    """Validate a UK-style postcode (blank passes: pair with InputRequired when needed)."""

    def __init__(self, label: str = "Postcode") -> None:
        self.label = label

    def __call__(self, _form: object, field: Any) -> None:
        if field.data and not valid_postcode(field.data):
            raise ValidationError(f"Enter a real {self.label.lower()}, like AK1 2BX")


class PersonFields(Form):
    """The person's fields, shared by the person form and the new-victim part of an incident."""

    full_name = StringField(
        "Full name",
        widget=GovTextInput(),
        filters=STRIP,
        validators=[InputRequired("Enter the person's full name"), Length(max=200)],
    )
    date_of_birth = DateInputField(
        "Date of birth (optional)",
        description="Helps to recognise the same person in later referrals. For example, 27 3 1985",
        validators=[Optional()],
    )
    gender_identity = StringField(
        "Gender identity (optional)",
        description="In the person's own words.",
        widget=GovTextInput(),
        filters=STRIP,
        validators=[Optional(), Length(max=100)],
    )
    address = TextAreaField(
        "Address (optional)",
        widget=GovTextArea(),
        filters=STRIP,
        validators=[Optional(), Length(max=1000)],
    )
    postcode = StringField(
        "Postcode (optional)",
        widget=GovTextInput(),
        filters=STRIP,
        validators=[
            Optional(),
            Length(max=10, message="Enter a real postcode, like AK1 2BX"),
            Postcode(),
        ],
    )
    phone = StringField(
        "Phone number (optional)",
        widget=GovTextInput(),
        filters=STRIP,
        validators=[Optional(), Length(max=40)],
    )
    safe_contact_notes = TextAreaField(
        "How to contact the person safely (optional)",
        description="For example, only call after 6pm, or do not leave voicemail.",
        widget=GovTextArea(),
        filters=STRIP,
        validators=[Optional(), Length(max=2000)],
    )
    communication_needs = TextAreaField(
        "Communication needs (optional)",
        widget=GovTextArea(),
        filters=STRIP,
        validators=[Optional(), Length(max=2000)],
    )
    interpreter_language = StringField(
        "Interpreter needed: language (optional)",
        description="Leave blank if no interpreter is needed.",
        widget=GovTextInput(),
        filters=STRIP,
        validators=[Optional(), Length(max=80)],
    )
    disability_adjustments = TextAreaField(
        "Adjustments for a disability (optional)",
        widget=GovTextArea(),
        filters=STRIP,
        validators=[Optional(), Length(max=2000)],
    )


class PersonForm(FlaskForm, PersonFields):
    """A person on their own page (with CSRF)."""

    submit = SubmitField("Save", widget=GovSubmitInput())


class PersonSearchForm(FlaskForm):
    """Search by name and/or date of birth; a GET form, so no CSRF token."""

    class Meta:
        csrf = False

    name = StringField(
        "Name",
        widget=GovTextInput(),
        filters=STRIP,
        validators=[Optional(), Length(max=200)],
    )
    dob = DateInputField(
        "Date of birth",
        description="For example, 27 3 1985",
        validators=[Optional()],
    )
    submit = SubmitField("Search", widget=GovSubmitInput())

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        if ok and not self.name.data and self.dob.data is None:
            self.name.errors = [*self.name.errors, "Enter a name or a date of birth"]
            return False
        return ok
