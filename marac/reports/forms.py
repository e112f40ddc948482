"""The dashboard's period choice and the admin's form for a partnership target."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSelect, GovSubmitInput, GovTextInput
from wtforms import RadioField, SelectField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, NumberRange

from marac.accounts.forms import WholeNumberField
from marac.forms import STRIP, DateBoxesField, DateInputField, RadioInput, VersionedForm

PERIODS = {"last_quarter": "Last quarter", "last_12_months": "Last 12 months", "custom": "Dates"}
DEFAULT_PERIOD = "last_quarter"


class PeriodForm(FlaskForm):
    """The reporting period: a GET form (no CSRF token) so a period can be bookmarked.

    Dates are GOV.UK date inputs, sent as `from-day`, `from-month`, `from-year` and the
    same for `to`; they count only when "Dates" is chosen.
    """

    class Meta:
        csrf = False

    period = RadioField(
        "Period",
        choices=[
            (key, f"{label} (start and end dates below)" if key == "custom" else label)
            for key, label in PERIODS.items()
        ],
        default=DEFAULT_PERIOD,
        widget=RadioInput(classes="govuk-radios--small"),
        invalid_choice_message="Select a period from the list",
    )
    start = DateBoxesField(
        "Start date", name="from", description="For example, 1 1 2026. Used when you choose Dates."
    )
    end = DateBoxesField(
        "End date", name="to", description="For example, 31 3 2026. Used when you choose Dates."
    )

    def __init__(self, *args: Any, today: date, **kwargs: Any) -> None:
        self.today = today
        super().__init__(*args, **kwargs)

    def validate(self, extra_validators: Any = None) -> bool:
        """Chosen dates must both be given, not start in the future, and run forwards."""
        ok = super().validate(extra_validators)
        if self.period.data != "custom":  # the boxes are not used: nothing in them matters
            self.start.errors, self.end.errors = [], []
            return not self.period.errors
        problems = {
            self.start: "Enter the start date" if self.start.data is None else None,
            self.end: "Enter the end date" if self.end.data is None else None,
        }
        if self.start.data and self.start.data > self.today:
            problems[self.start] = "Start date must be today or in the past"
        elif self.start.data and self.end.data and self.end.data < self.start.data:
            problems[self.end] = "End date must be the same as or after the start date"
        for field, problem in problems.items():
            if problem and not field.errors:  # a typing mistake is the clearer message
                field.errors = [*field.errors, problem]
                ok = False
        return ok

    def dates(self) -> tuple[date, date] | None:
        """The chosen start and end, once the form has validated with "Dates" chosen."""
        if self.period.data == "custom" and self.start.data and self.end.data:
            return self.start.data, self.end.data
        return None


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
