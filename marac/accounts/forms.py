"""Sign-in, password and admin forms for accounts, agencies and areas."""

from __future__ import annotations

import re

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovCheckboxInput,
    GovPasswordInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import Email, EqualTo, InputRequired, Length, Optional

from marac.accounts.models import AGENCY_TYPE_LABELS, ROLE_LABELS
from marac.forms import STRIP, DateInputField, Lines, choices_from
from marac.forms import WholeNumberField as WholeNumberField  # marac.people.forms takes it here

POSTCODE_DISTRICT = re.compile(r"^[A-Z]{1,2}[0-9][0-9A-Z]?$")


class LoginForm(FlaskForm):
    email = EmailField(
        "Email address",
        widget=GovTextInput(),
        filters=STRIP,
        validators=[InputRequired("Enter your email address"), Length(max=320)],
    )
    password = PasswordField(
        "Password", widget=GovPasswordInput(), validators=[InputRequired("Enter your password")]
    )
    submit = SubmitField("Sign in", widget=GovSubmitInput())


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password",
        widget=GovPasswordInput(),
        validators=[InputRequired("Enter your current password")],
    )
    new_password = PasswordField(
        "New password",
        description="Use 12 characters or more. Three random words work well.",
        widget=GovPasswordInput(),
        validators=[InputRequired("Enter a new password")],
    )
    confirm_password = PasswordField(
        "Confirm new password",
        widget=GovPasswordInput(),
        validators=[
            InputRequired("Enter the new password again"),
            EqualTo("new_password", "The passwords do not match"),
        ],
    )
    submit = SubmitField("Change password", widget=GovSubmitInput())


class CodeForm(FlaskForm):
    """The 6-digit code from the authenticator app."""

    code = StringField(
        "Code from your authenticator app",
        description="The 6-digit code the app shows now, like 123456.",
        widget=GovTextInput(),
        filters=STRIP,
        validators=[InputRequired("Enter the 6-digit code from your authenticator app")],
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())

    def validate_code(self, field: StringField) -> None:
        digits = re.sub(r"[\s-]", "", field.data or "")
        if not re.fullmatch(r"\d{6}", digits):
            raise ValidationError("Enter the code as 6 digits, like 123456")


class RecoveryCodeForm(FlaskForm):
    code = StringField(
        "Recovery code",
        description="One of the 10 codes you saved when you set up your authenticator app, "
        "like abcd-efgh-jkmn. Each code works once.",
        widget=GovTextInput(),
        filters=STRIP,
        validators=[InputRequired("Enter one of your recovery codes"), Length(max=40)],
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())


class SetPasswordForm(FlaskForm):
    """Choosing a password from an invitation or a reset link."""

    new_password = PasswordField(
        "Create a password",
        description="Use 12 characters or more. Three random words work well.",
        widget=GovPasswordInput(),
        validators=[InputRequired("Enter a password")],
    )
    confirm_password = PasswordField(
        "Confirm password",
        widget=GovPasswordInput(),
        validators=[
            InputRequired("Enter the password again"),
            EqualTo("new_password", "The passwords do not match"),
        ],
    )
    submit = SubmitField("Set password", widget=GovSubmitInput())


class UserForm(FlaskForm):
    name = StringField(
        "Full name",
        widget=GovTextInput(),
        filters=STRIP,
        validators=[InputRequired("Enter the person's full name"), Length(max=200)],
    )
    email = EmailField(
        "Work email address",
        widget=GovTextInput(),
        filters=[lambda v: v.strip().lower() if isinstance(v, str) else v],
        validators=[
            InputRequired("Enter a work email address"),
            Email("Enter an email address in the correct format, like name@example.org"),
            Length(max=320),
        ],
    )
    agency_id = SelectField(
        "Agency",
        widget=GovSelect(),
        coerce=int,
        validators=[InputRequired("Select the person's agency")],
    )
    role = RadioField(
        "Role",
        widget=GovRadioInput(),
        choices=choices_from(ROLE_LABELS),
        validators=[InputRequired("Select a role")],
    )
    is_supervisor = BooleanField(
        "Supervisor: can endorse risk assessments from their own agency",
        widget=GovCheckboxInput(),
    )
    areas = SelectMultipleField(
        "Areas (for MARAC coordinators)",
        description="Only for MARAC coordinators: the areas whose referrals and cases they "
        "screen and see. Leave all unticked for other roles.",
        widget=GovCheckboxesInput(),
        coerce=int,
        choices=[],
        validators=[Optional()],
    )
    active = BooleanField("Account is active", widget=GovCheckboxInput(), default=True)
    submit = SubmitField("Save user", widget=GovSubmitInput())


class AgencyForm(FlaskForm):
    name = StringField(
        "Agency name",
        widget=GovTextInput(),
        filters=STRIP,
        validators=[InputRequired("Enter the agency's name"), Length(max=200)],
    )
    type = SelectField(
        "Type of agency",
        widget=GovSelect(),
        choices=[("", "Select a type"), *choices_from(AGENCY_TYPE_LABELS)],
        validators=[InputRequired("Select the type of agency")],
    )
    ico_registration = StringField(
        "ICO registration number",
        widget=GovTextInput(),
        filters=STRIP,
        description="From the ICO data protection register. For example, ZA123456 or Z1234567",
        validators=[Length(max=20)],
    )
    isa_version = StringField(
        "Information-sharing agreement version",
        widget=GovTextInput(),
        filters=STRIP,
        description="As printed on the signed agreement. For example, 3.1",
        validators=[Length(max=40, message="Version must be 40 characters or fewer")],
    )
    isa_signed_on = DateInputField(
        "Date the agreement was signed", description="For example, 27 3 2026"
    )
    review_date = DateInputField(
        "Information-sharing review date",
        description="When the agency's sharing agreement and contacts are next checked. "
        "After this date the agreement is shown as lapsed. For example, 27 3 2027",
    )
    active = BooleanField("Agency is active", widget=GovCheckboxInput(), default=True)
    submit = SubmitField("Save agency", widget=GovSubmitInput())


class AreaForm(FlaskForm):
    name = StringField(
        "Area name",
        widget=GovTextInput(),
        filters=STRIP,
        validators=[InputRequired("Enter the area's name"), Length(max=120)],
    )
    wards = TextAreaField(
        "Wards",
        description="One ward on each line.",
        widget=GovTextArea(),
        validators=[Optional(), Lines(max_length=120)],
    )
    postcode_districts = TextAreaField(
        "Postcode districts",
        description="The first half of the postcode, separated by spaces or lines, like AK1 AK2.",
        widget=GovTextArea(),
        validators=[Optional()],
    )
    active = BooleanField("Area is active", widget=GovCheckboxInput(), default=True)
    submit = SubmitField("Save area", widget=GovSubmitInput())

    def validate_postcode_districts(self, field: TextAreaField) -> None:
        for district in (field.data or "").upper().split():
            if not POSTCODE_DISTRICT.match(district):
                raise ValidationError(
                    f"{district} is not a postcode district; enter districts like AK1 or AK12"
                )


class LocalStrandForm(FlaskForm):
    name = StringField(
        "Name of the local strand",
        description="For example, alternative subcultures.",
        widget=GovTextInput(),
        filters=STRIP,
        validators=[InputRequired("Enter the name of the local strand"), Length(max=120)],
    )
    active = BooleanField(
        "In use",
        description="Untick to retire the strand: it is no longer offered on new incidents, "
        "and incidents already recorded with it keep it.",
        widget=GovCheckboxInput(),
        default=True,
    )
    submit = SubmitField("Save local strand", widget=GovSubmitInput())
