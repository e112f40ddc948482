"""Forms for the chair's agenda changes and for agencies' research before the meeting."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovRadioInput,
    GovSubmitInput,
    GovTextArea,
)
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SubmitField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import AnyOf, InputRequired, Length

from marac.forms import STRIP, VersionedForm
from marac.meetings.agenda_publish import LAPSED_REASON_MISSING

REASON_HINT = "The panel's members see this reason with the change."


class ReasonForm(FlaskForm):
    """A change to the agenda; the reason is required when `reason_required` is set."""

    reason = TextAreaField(
        "Reason for the change",
        widget=GovTextArea(),
        filters=STRIP,
        validators=[Length(max=2000)],
    )
    submit = SubmitField("Save the change", widget=GovSubmitInput())

    def __init__(self, *args: Any, reason_required: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reason_required = reason_required
        if reason_required:
            self.reason.description = REASON_HINT

    def validate_reason(self, field: Any) -> None:
        if self.reason_required and not field.data:
            raise ValidationError("Enter the reason for the change")


class DeferForm(ReasonForm):
    reason = TextAreaField(
        "Why is the case deferred to the next meeting?",
        widget=GovTextArea(),
        filters=STRIP,
        validators=[
            InputRequired("Enter why the case is deferred to the next meeting"),
            Length(max=2000),
        ],
    )
    submit = SubmitField("Defer to the next meeting", widget=GovSubmitInput())


class RemoveForm(ReasonForm):
    reason = TextAreaField(
        "Why is the case removed from the agenda?",
        widget=GovTextArea(),
        filters=STRIP,
        validators=[
            InputRequired("Enter why the case is removed from the agenda"),
            Length(max=2000),
        ],
    )
    submit = SubmitField("Remove from the agenda", widget=GovSubmitInput())


class MoveForm(ReasonForm):
    direction = HiddenField(validators=[AnyOf(["up", "down"], message="Choose up or down")])
    submit = SubmitField("Move the case", widget=GovSubmitInput())


class AddCaseForm(ReasonForm):
    referral_id = RadioField(
        "Which case do you want to add?",
        widget=GovRadioInput(),
        coerce=int,
        choices=[],
        validators=[InputRequired("Select the case to add to the agenda")],
    )
    submit = SubmitField("Add to the agenda", widget=GovSubmitInput())


class PublishForm(FlaskForm):
    """Publishing, confirmed; a reason is required when an agreement has lapsed."""

    lapsed_reason = TextAreaField(
        "Why are you publishing to these agencies?",
        widget=GovTextArea(),
        filters=STRIP,
        description="Their information-sharing agreement is past its review date. For "
        "example, a new agreement is signed and waiting to be entered. Kept on the meeting.",
        validators=[Length(max=2000, message="Reason must be 2000 characters or fewer")],
    )
    submit = SubmitField("Publish and tell these people", widget=GovSubmitInput())

    def __init__(self, *args: Any, lapsed: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lapsed = lapsed

    def validate_lapsed_reason(self, field: Any) -> None:
        if self.lapsed and not field.data:
            raise ValidationError(LAPSED_REASON_MISSING)


class ResearchForm(VersionedForm):
    """What one agency knows about a listed case, before the meeting."""

    conflict_message = (
        "Someone else in your agency saved research for this case while you were editing. "
        "Your text is kept below: check the latest and save again"
    )

    no_involvement = BooleanField(
        "Not known to us: our agency has no involvement with this case",
        description="Select this when your agency's records hold nothing about the people "
        "or the address. You can still say what your agency can offer.",
        widget=GovCheckboxInput(),
    )
    involvement = TextAreaField(
        "Your agency's involvement",
        description="Contacts, open cases, tenancies, incidents, support already given.",
        widget=GovTextArea(),
        filters=STRIP,
        validators=[Length(max=10000)],
    )
    risks = TextAreaField(
        "Risks your agency sees",
        widget=GovTextArea(),
        filters=STRIP,
        validators=[Length(max=10000)],
    )
    can_offer = TextAreaField(
        "What your agency can offer",
        widget=GovTextArea(),
        filters=STRIP,
        validators=[Length(max=10000)],
    )
    submit = SubmitField("Save research", widget=GovSubmitInput())

    def validate_involvement(self, field: Any) -> None:
        anything = field.data or self.risks.data or self.can_offer.data
        if not self.no_involvement.data and not anything:
            raise ValidationError(
                "Enter your agency's involvement, or select that the case is not known to you"
            )
        if self.no_involvement.data and field.data:
            raise ValidationError(
                "Remove your agency's involvement, or unselect that the case is not known to you"
            )
