"""The schedule form (one period per record type), keeping a record, and asking to dispose."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextArea
from wtforms import HiddenField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange

from marac.forms import STRIP, DateInputField, WholeNumberField
from marac.retention.operations import REASON_LIMIT
from marac.retention.schedule import MAX_MONTHS, MIN_MONTHS, SCHEDULE, Kind


def schedule_form(data: dict[str, int]) -> Any:
    """A form with a months box per record type, named by the type."""

    class ScheduleForm(FlaskForm):
        submit = SubmitField("Save the schedule", widget=GovSubmitInput())

    def field(kind: Kind) -> WholeNumberField:
        return WholeNumberField(
            f"{kind.label}: months {kind.starts}",
            f"Enter the period for {kind.label.lower()} as a whole number of months, like 12",
            description=f"{kind.covers}. The default is {kind.default_months} months.",
            validators=[
                InputRequired(f"Enter the period for {kind.label.lower()} in months"),
                NumberRange(
                    MIN_MONTHS,
                    MAX_MONTHS,
                    f"Enter a period between {MIN_MONTHS} and {MAX_MONTHS} months",
                ),
            ],
        )

    for kind in SCHEDULE:
        setattr(ScheduleForm, kind.record_type.value, field(kind))
    return ScheduleForm(data=data)


class KeepForm(FlaskForm):
    """Keep a record past its date: why, and when to decide again."""

    reason = TextAreaField(
        "Why is it being kept?",
        description="For example, a civil claim or an inquiry. Do not write case details.",
        widget=GovTextArea(),
        filters=STRIP,
        validators=[
            InputRequired("Enter why the record is being kept"),
            Length(max=REASON_LIMIT, message=f"Reason must be {REASON_LIMIT} characters or fewer"),
        ],
    )
    review_on = DateInputField(
        "Review again on",
        description="For example, 27 3 2027.",
        validators=[InputRequired("Enter the date to review the record again")],
    )
    submit = SubmitField("Keep the record", widget=GovSubmitInput())


class DisposeForm(FlaskForm):
    """The button that asks for a kind's listed records to be disposed of."""

    record_type = HiddenField()
    submit = SubmitField("Dispose of these records", widget=GovSubmitInput())
