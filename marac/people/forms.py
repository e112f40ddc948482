"""The person form: who the victim is and how to reach them safely."""

from __future__ import annotations

import re
from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextArea, GovTextInput
from wtforms import Form, RadioField, StringField, SubmitField, TextAreaField, ValidationError
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from marac.accounts.forms import WholeNumberField
from marac.forms import STRIP, DateInputField, RadioInput
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


def _whole(label: str, what: str, low: int, high: int, description: str) -> Any:
    return WholeNumberField(
        label,
        f"Enter {what} as a whole number",
        description=description,
        validators=[
            InputRequired(f"Enter {what}"),
            NumberRange(low, high, f"Enter {what} between {low} and {high}"),
        ],
    )


class RepeatSettingsForm(FlaskForm):
    """One area's definitions of the repeat flags (defaults in each description)."""

    referral_window_days = _whole(
        "Repeat referral: window (days)",
        "the repeat referral window in days",
        1,
        3650,
        "A referral is a repeat when the person was referred within this many days before "
        "it, in any area. The default is 365 (12 months, the SafeLives definition).",
    )
    victim_incidents = _whole(
        "Repeat victim: number of incidents",
        "the number of incidents for a repeat victim",
        2,
        50,
        "The default is 2.",
    )
    victim_window_days = _whole(
        "Repeat victim: window (days)",
        "the repeat victim window in days",
        1,
        3650,
        "The default is 365.",
    )
    targeted_incidents = _whole(
        "Persistently targeted: number of incidents",
        "the number of incidents for persistently targeted",
        2,
        50,
        "The default is 3.",
    )
    targeted_window_days = _whole(
        "Persistently targeted: window (days)",
        "the persistently targeted window in days",
        1,
        3650,
        "The default is 183 (6 months).",
    )
    perpetrator_victims = _whole(
        "Repeat perpetrator: number of people targeted",
        "the number of people for a repeat perpetrator",
        2,
        50,
        "The default is 2.",
    )
    perpetrator_referrals = _whole(
        "Repeat perpetrator: number of referrals",
        "the number of referrals for a repeat perpetrator",
        2,
        50,
        "The default is 2.",
    )
    location_incidents = _whole(
        "Repeat location: number of incidents at one postcode",
        "the number of incidents for a repeat location",
        2,
        100,
        "The default is 3.",
    )
    location_window_days = _whole(
        "Repeat location: window (days)",
        "the repeat location window in days",
        1,
        3650,
        "The default is 365.",
    )
    submit = SubmitField("Save repeat definitions", widget=GovSubmitInput())


class MergeForm(FlaskForm):
    """Which record stays, and why the two are one person (the reason is audited)."""

    survivor = RadioField(
        "Which record should stay?",
        description="Everything on the other record moves to it; blanks are filled from "
        "the other record. The other record is then removed.",
        widget=RadioInput(),
        choices=[],
        validators=[InputRequired("Select which record should stay")],
    )
    reason = TextAreaField(
        "Why are these the same person?",
        description="For example, confirmed with the victim and the police record.",
        widget=GovTextArea(),
        filters=STRIP,
        validators=[
            InputRequired("Enter why these records are the same person"),
            Length(max=2000),
        ],
    )
    submit = SubmitField("Merge the records", widget=GovSubmitInput())


class NotDuplicateForm(FlaskForm):
    """Two similar records that are different people: they leave the duplicates list."""

    note = TextAreaField(
        "Why are they different people? (optional)",
        widget=GovTextArea(),
        filters=STRIP,
        validators=[Optional(), Length(max=2000)],
    )
    submit = SubmitField("Not the same person", widget=GovSubmitInput())
