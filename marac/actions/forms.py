"""Forms for an action: agreeing or editing one, and recording progress against it."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovSelect,
    GovSubmitInput,
    GovTextArea,
)
from wtforms import RadioField, SelectField, SubmitField, TextAreaField, ValidationError
from wtforms.validators import InputRequired, Length, Optional

from marac.actions.rules import KIND_LABELS, RARA_LABELS, STATUS_LABELS, due_date_problem
from marac.forms import STRIP, DateInputField, RadioInput, VersionedForm, choices_from

ACTION_CONFLICT = (
    "Someone else saved this action while you were editing it. Your changes are below and "
    "have not been saved: check the latest progress log, then save again"
)
NO_OFFICER = 0


class ActionFieldsForm(FlaskForm):
    """What the panel agrees: the action, its kind, RARA tag, owner and due date.

    Used on its own (the coordinator edits an action) and inside the case record form
    (with `meta.csrf` off and the prefix "action"). `officer_agency` (officer id -> agency
    id) and `today` must be set before validating.
    """

    description = TextAreaField(
        "Action",
        description="What will be done, by whom, for the victim or about the perpetrator.",
        widget=GovTextArea(),
        filters=STRIP,
        validators=[InputRequired("Enter the action"), Length(max=5000)],
    )
    kind = SelectField(
        "Kind of action",
        widget=GovSelect(),
        choices=[("", "Select a kind of action"), *choices_from(KIND_LABELS)],
        validators=[InputRequired("Select the kind of action")],
    )
    rara = RadioField(
        "Risk management (RARA)",
        widget=RadioInput(classes="govuk-radios--small govuk-radios--inline"),
        choices=choices_from(RARA_LABELS),
        validators=[
            InputRequired("Select whether the action removes, avoids, reduces or accepts the risk")
        ],
    )
    agency_id = SelectField(
        "Agency that owns the action",
        widget=GovSelect(),
        coerce=int,
        validators=[InputRequired("Select the agency that owns the action")],
    )
    officer_id = SelectField(
        "Named officer (optional)",
        description="Leave as nobody named to give the action to the whole agency.",
        widget=GovSelect(),
        coerce=int,
        validators=[Optional()],
    )
    due_date = DateInputField("Due date", description="For example, 27 3 2027.")

    officer_agency: dict[int, int]
    today: date
    unchanged_due: date | None = None

    def set_choices(self, agencies: list[Any], officers: list[Any]) -> None:
        """Agencies of the panel, and officers of those agencies labelled with theirs."""
        names = {a.id: a.name for a in agencies}
        self.agency_id.choices = [(0, "Select an agency")] + [(a.id, a.name) for a in agencies]
        self.officer_id.choices = [(NO_OFFICER, "Nobody named")] + [
            (u.id, f"{u.name} ({names.get(u.agency_id, 'another agency')})") for u in officers
        ]
        self.officer_agency = {u.id: u.agency_id for u in officers}

    def validate_agency_id(self, field: Any) -> None:
        if not field.data:
            raise ValidationError("Select the agency that owns the action")

    def validate_officer_id(self, field: Any) -> None:
        if field.data and self.officer_agency.get(field.data) != self.agency_id.data:
            raise ValidationError("The named officer must work for the agency that owns the action")

    def validate_due_date(self, field: Any) -> None:
        problem = due_date_problem(field.data, self.today, self.unchanged_due)
        if problem:
            raise ValidationError(problem)

    def has_any_input(self) -> bool:
        """Whether anything was typed (the case record adds an action only then)."""
        return bool(
            self.description.data
            or self.kind.data
            or self.rara.data
            or self.agency_id.data
            or self.officer_id.data
            or self.due_date.data
            or any(self.due_date.raw_data or [])
        )


class NewActionForm(ActionFieldsForm):
    """The action part of the case record form: it shares the record's CSRF token."""

    class Meta:
        csrf = False


class EditActionForm(VersionedForm, ActionFieldsForm):
    """The coordinator corrects an action's details."""

    conflict_message = ACTION_CONFLICT
    submit = SubmitField("Save the action", widget=GovSubmitInput())


class ProgressForm(VersionedForm):
    """An owner records progress: a note, a change of status, or both."""

    conflict_message = ACTION_CONFLICT
    status = RadioField(
        "Status",
        widget=RadioInput(),
        validators=[InputRequired("Select the action's status")],
    )
    note = TextAreaField(
        "Progress note",
        description="What was done and when. The note is kept in the action's log.",
        widget=GovTextArea(),
        filters=STRIP,
        validators=[Length(max=10000)],
    )
    submit = SubmitField("Save progress", widget=GovSubmitInput())

    current_status: str = ""

    def set_choices(self, current: str, allowed: tuple[str, ...]) -> None:
        self.current_status = current
        self.status.choices = [(current, f"{STATUS_LABELS.get(current, current)} (no change)")] + [
            (s, STATUS_LABELS.get(s, s)) for s in allowed
        ]
        if self.status.data is None:
            self.status.data = current

    def validate_note(self, field: Any) -> None:
        if not field.data and self.status.data == self.current_status:
            raise ValidationError("Enter a progress note or change the status")
