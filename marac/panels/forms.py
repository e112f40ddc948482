"""Forms for setting up a panel, scheduling its meetings and moving or cancelling one."""

from __future__ import annotations

from datetime import time
from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import InputRequired, Length, NumberRange

from marac.forms import (
    STRIP,
    CheckboxesInput,
    DateInputField,
    RadioInput,
    VersionedForm,
    WholeNumberField,
)
from marac.panels.schedule import MAX_MONTHS, WEEKDAYS, WORKING_WEEKDAYS

PANEL_CONFLICT = (
    "Someone else changed this panel while you were editing it. Your changes are below: "
    "check them against the latest details and save again"
)
MEETING_CONFLICT = (
    "Someone else changed this meeting while you were looking at it. "
    "Check the latest details and try again"
)


class NumberInput(GovTextInput):
    """A GOV.UK text input for whole numbers (numeric keyboard, no spinner)."""

    def map_gov_params(self, field: Any, **kwargs: Any) -> dict[str, Any]:
        params = super().map_gov_params(field, **kwargs)
        params.setdefault("inputmode", "numeric")
        params.setdefault("spellcheck", False)
        params.setdefault("classes", "govuk-input--width-3")
        return params


class TimeOfDayField(StringField):
    """A 24-hour time typed as "10:00" or "14.30"; `data` is a `datetime.time`."""

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return self.data.strftime("%H:%M") if isinstance(self.data, time) else ""

    def process_formdata(self, valuelist: list[str]) -> None:
        text = (valuelist[0] if valuelist else "").strip().replace(".", ":")
        if not text:
            self.data = None
            return
        try:
            hours, minutes = (int(p) for p in text.split(":"))
            self.data = time(hours, minutes)
        except ValueError as exc:
            self.data = None
            raise ValueError(
                f"{self.label.text} must be a real time in 24-hour format, like 10:00 or 14:30"
            ) from exc


class PanelForm(VersionedForm):
    """A standing panel: where it meets, how often, who chairs and which agencies sit on it."""

    conflict_message = PANEL_CONFLICT

    name = StringField(
        "Panel name",
        description='For example "Ashbrook North Community MARAC".',
        widget=GovTextInput(),
        filters=STRIP,
        validators=[InputRequired("Enter the panel's name"), Length(max=200)],
    )
    areas = SelectMultipleField(
        "Areas the panel covers",
        description="Accepted referrals from these areas wait for this panel.",
        widget=CheckboxesInput(),
        coerce=int,
        choices=[],
        validators=[InputRequired("Select at least one area the panel covers")],
    )
    cadence_weeks = WholeNumberField(
        "How often it meets, in weeks",
        "How often it meets must be a whole number of weeks, like 6",
        description="Usually every 6 weeks.",
        widget=NumberInput(),
        default=6,
        validators=[
            InputRequired("Enter how often the panel meets, in weeks"),
            NumberRange(1, 12, "How often it meets must be between 1 and 12 weeks"),
        ],
    )
    weekday = RadioField(
        "Usual day of the week",
        widget=RadioInput(),
        coerce=int,
        choices=[(n, WEEKDAYS[n]) for n in WORKING_WEEKDAYS],
        default=0,
        validators=[InputRequired("Select the day of the week the panel usually meets")],
    )
    start_time = TimeOfDayField(
        "Start time",
        description="24-hour clock, for example 10:00.",
        widget=GovTextInput(),
        default=time(10, 0),
        validators=[InputRequired("Enter the start time, like 10:00")],
    )
    venue = TextAreaField(
        "Venue",
        description="Where the panel usually meets. Meetings can be moved one at a time.",
        widget=GovTextArea(),
        filters=STRIP,
        validators=[InputRequired("Enter the venue"), Length(max=500)],
    )
    slot_minutes = WholeNumberField(
        "Minutes for each case on the agenda",
        "Minutes for each case must be a whole number, like 15",
        description="Between 12 and 15 minutes.",
        widget=NumberInput(),
        default=15,
        validators=[
            InputRequired("Enter the minutes for each case"),
            NumberRange(12, 15, "Minutes for each case must be between 12 and 15"),
        ],
    )
    chair_id = SelectField(
        "Chair",
        description="A MARAC coordinator.",
        widget=GovSelect(),
        coerce=int,
        choices=[],
        validators=[InputRequired("Select the chair")],
    )
    agencies = SelectMultipleField(
        "Member agencies",
        description="Members of these agencies see the cases on the panel's published agendas.",
        widget=CheckboxesInput(),
        coerce=int,
        choices=[],
        validators=[InputRequired("Select at least one member agency")],
    )
    submit = SubmitField("Save panel", widget=GovSubmitInput())

    def validate_chair_id(self, field: SelectField) -> None:
        if not field.data:
            raise ValidationError("Select the chair")


class ScheduleForm(FlaskForm):
    """Add the panel's meetings at its cadence for a period."""

    first_date = DateInputField(
        "First meeting on or after",
        description="The panel's usual day on or after this date starts the period. "
        "For example, 27 3 2027.",
        validators=[InputRequired("Enter the date to schedule from")],
    )
    months = WholeNumberField(
        "Number of months",
        "Number of months must be a whole number, like 12",
        widget=NumberInput(),
        default=12,
        validators=[
            InputRequired("Enter the number of months to schedule"),
            NumberRange(1, MAX_MONTHS, f"Number of months must be between 1 and {MAX_MONTHS}"),
        ],
    )
    submit = SubmitField("Schedule meetings", widget=GovSubmitInput())


class MoveMeetingForm(VersionedForm):
    """Move one meeting: a new date, time or venue, and why."""

    conflict_message = MEETING_CONFLICT

    meeting_date = DateInputField(
        "New date",
        description="For example, 27 3 2027.",
        validators=[InputRequired("Enter the new date")],
    )
    start_time = TimeOfDayField(
        "Start time",
        description="24-hour clock, for example 10:00.",
        widget=GovTextInput(),
        validators=[InputRequired("Enter the start time, like 10:00")],
    )
    venue = TextAreaField(
        "Venue",
        widget=GovTextArea(),
        filters=STRIP,
        validators=[InputRequired("Enter the venue"), Length(max=500)],
    )
    reason = TextAreaField(
        "Why is the meeting moving?",
        description="Members see this with the meeting. Do not include case details.",
        widget=GovTextArea(),
        filters=STRIP,
        validators=[InputRequired("Enter why the meeting is moving"), Length(max=500)],
    )
    submit = SubmitField("Move meeting", widget=GovSubmitInput())


class CancelMeetingForm(VersionedForm):
    """Cancel one meeting, and why."""

    conflict_message = MEETING_CONFLICT

    reason = TextAreaField(
        "Why is the meeting cancelled?",
        description="Members see this with the meeting. Do not include case details.",
        widget=GovTextArea(),
        filters=STRIP,
        validators=[InputRequired("Enter why the meeting is cancelled"), Length(max=500)],
    )
    submit = SubmitField("Cancel meeting", widget=GovSubmitInput())


class PanelStatusForm(VersionedForm):
    """Deactivate or reactivate a panel (a button; the version guards against a stale page)."""

    conflict_message = PANEL_CONFLICT


class FeedForm(FlaskForm):
    """Create, regenerate or revoke a calendar feed: a button with a CSRF token."""
