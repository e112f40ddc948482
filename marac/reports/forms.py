"""The admin's form for a partnership target."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSelect, GovSubmitInput, GovTextInput
from wtforms import SelectField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, NumberRange

from marac.accounts.forms import WholeNumberField
from marac.forms import STRIP, DateInputField, VersionedForm


class TargetForm(VersionedForm):
    """A target's name, area, periods and aim; versioned, as a target can be changed."""

    name = StringField(
        "What the target is called",
        description='For example, "Increase hate crime referrals to the Community MARAC".',
        widget=GovTextInput(),
        filters=STRIP,
        validators=[InputRequired("Enter what the target is called"), Length(max=200)],
    )
    area_id = SelectField("Area", widget=GovSelect(), coerce=str)
    baseline_start = DateInputField(
        "Baseline period starts",
        description="For example, 1 4 2025.",
        validators=[InputRequired("Enter the day the baseline period starts")],
    )
    baseline_end = DateInputField(
        "Baseline period ends",
        description="For example, 31 3 2026.",
        validators=[InputRequired("Enter the day the baseline period ends")],
    )
    change_percent = WholeNumberField(
        "Target change in referrals (%)",
        "Target change must be a whole number, like 50 or -10",
        description="50 means 50% more referrals than the baseline; -10 means 10% fewer.",
        validators=[
            InputRequired("Enter the target change in referrals"),
            NumberRange(min=-100, max=1000, message="Target change must be from -100 to 1000"),
        ],
    )
    measured_start = DateInputField(
        "Measured period starts",
        description="For example, 1 4 2026.",
        validators=[InputRequired("Enter the day the measured period starts")],
    )
    measured_end = DateInputField(
        "Measured period ends",
        description="For example, 31 3 2027.",
        validators=[InputRequired("Enter the day the measured period ends")],
    )
    submit = SubmitField("Save target", widget=GovSubmitInput())

    def validate(self, extra_validators: object = None) -> bool:
        """Each period must end on or after the day it starts."""
        ok = super().validate(extra_validators)  # type: ignore[arg-type]
        for start, end in (
            (self.baseline_start, self.baseline_end),
            (self.measured_start, self.measured_end),
        ):
            if start.data and end.data and end.data < start.data:
                end.errors = [*end.errors, f"{end.label.text} must be on or after its start"]
                ok = False
        return ok


class DeleteTargetForm(FlaskForm):
    submit = SubmitField("Delete", widget=GovSubmitInput())


class PackPdfForm(FlaskForm):
    submit = SubmitField("Prepare the partnership pack PDF", widget=GovSubmitInput())
