"""Forms for single sign-on: the work email that picks a provider, and the admin settings."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovPasswordInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional

from marac.forms import STRIP


class OrganisationSignInForm(FlaskForm):
    email = EmailField(
        "Work email address",
        description="We use it to find your organisation's sign-in page.",
        widget=GovTextInput(),
        filters=STRIP,
        validators=[InputRequired("Enter your work email address"), Length(max=320)],
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())


class IdentityProviderForm(FlaskForm):
    agency_id = SelectField(
        "Agency",
        widget=GovSelect(),
        coerce=int,
        validators=[InputRequired("Select the agency whose staff use this provider")],
    )
    display_name = StringField(
        "Name shown to users",
        description="For example, Ashbrook Police Microsoft account.",
        widget=GovTextInput(),
        filters=STRIP,
        validators=[InputRequired("Enter the name shown to users"), Length(max=200)],
    )
    issuer = StringField(
        "Issuer URL",
        description="For Microsoft Entra ID: https://login.microsoftonline.com/<tenant id>/v2.0",
        widget=GovTextInput(),
        filters=STRIP,
        validators=[InputRequired("Enter the issuer URL"), Length(max=500)],
    )
    client_id = StringField(
        "Client ID",
        description="The application (client) ID the provider gave this service.",
        widget=GovTextInput(),
        filters=STRIP,
        validators=[InputRequired("Enter the client ID"), Length(max=300)],
    )
    client_secret = PasswordField(
        "Client secret",
        widget=GovPasswordInput(),
        validators=[Optional(), Length(max=1000)],
    )
    email_domains = TextAreaField(
        "Allowed email domains",
        description="The domains of the agency's work email addresses, one a line, like "
        "police.example.",
        widget=GovTextArea(),
        validators=[InputRequired("Enter at least one email domain")],
    )
    tenant_id = StringField(
        "Tenant ID (optional)",
        description="For Microsoft Entra ID: only accounts of this directory (the tid claim).",
        widget=GovTextInput(),
        filters=STRIP,
        validators=[Optional(), Length(max=100)],
    )
    trust_mfa = BooleanField(
        "Trust the provider's multi-factor sign-in",
        description="When the provider says the person used multi-factor authentication "
        "(amr contains mfa, or one of the acr values below), they skip this service's own "
        "second factor.",
        widget=GovCheckboxInput(),
    )
    mfa_acr_values = StringField(
        "Authentication context (acr) values that mean multi-factor (optional)",
        description="Separated by spaces. Leave blank to rely on amr alone.",
        widget=GovTextInput(),
        filters=STRIP,
        validators=[Optional(), Length(max=500)],
    )
    enabled = BooleanField("Provider is enabled", widget=GovCheckboxInput(), default=True)
    submit = SubmitField("Save provider", widget=GovSubmitInput())
