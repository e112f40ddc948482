"""Forms of the restriction pages (GOV.UK widgets; the operations check the rules)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxInput, GovRadioInput, GovTextArea
from wtforms import BooleanField, HiddenField, RadioField, TextAreaField
from wtforms.validators import InputRequired, Length

from marac.forms import STRIP

REASON = [InputRequired("Enter the reason"), Length(max=2000)]


def emails_of(text: str | None) -> list[str]:
    """One address a line (commas and spaces also separate them)."""
    return [part for part in (text or "").replace(",", " ").split() if part]


class RestrictForm(FlaskForm):
    reason = TextAreaField(
        "Why restrict this person?",
        description="For example, a member of staff, a relative of staff or someone in the "
        "public eye. Only you and the users you name will see them.",
        widget=GovTextArea(),
        filters=STRIP,
        validators=REASON,
    )
    emails = TextAreaField(
        "Email addresses of the users who may see them",
        description="One a line. You always see the record. Leave empty to name nobody yet.",
        widget=GovTextArea(),
        filters=STRIP,
    )


class NameForm(FlaskForm):
    emails = TextAreaField(
        "Email addresses of users to add",
        description="One a line.",
        widget=GovTextArea(),
        filters=STRIP,
        validators=[InputRequired("Enter the email address of at least one user")],
    )


class RemoveForm(FlaskForm):
    """The remove button sends `remove=yes`: a bare POST removes nobody."""

    remove = HiddenField(validators=[InputRequired("Choose the user to remove")])


class LiftForm(FlaskForm):
    confirm = BooleanField(
        "Lift the restriction: everyone with a reason sees this person again",
        widget=GovCheckboxInput(),
        validators=[InputRequired("Confirm that the restriction should be lifted")],
    )


class DecideForm(FlaskForm):
    decision = RadioField(
        "Decision",
        widget=GovRadioInput(),
        choices=[("grant", "Grant access"), ("refuse", "Refuse")],
        validators=[InputRequired("Select grant or refuse")],
    )


class AskForm(FlaskForm):
    reason = TextAreaField(
        "Why do you need to see this record?",
        description="The coordinator who restricted it reads this and decides.",
        widget=GovTextArea(),
        filters=STRIP,
        validators=REASON,
    )


class BreakGlassForm(FlaskForm):
    reason = TextAreaField(
        "Why do you need to see this record now?",
        description="You will see it for 24 hours. The coordinator who restricted it and "
        "information governance are told, and the reason is kept.",
        widget=GovTextArea(),
        filters=STRIP,
        validators=REASON,
    )
