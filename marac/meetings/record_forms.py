"""Forms for the meeting record: attendance, attendees, each case's record, reviewed actions."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    FieldList,
    FormField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import InputRequired, Length, Optional

from marac.actions.forms import NewActionForm
from marac.forms import STRIP, RadioInput, VersionedForm, choices_from
from marac.meetings.models import AttendanceStatus, Decision
from marac.referrals.models import OUTCOME_LABELS

ATTENDANCE_LABELS: dict[str, str] = {
    AttendanceStatus.PRESENT: "Present",
    AttendanceStatus.APOLOGIES: "Apologies",
    AttendanceStatus.ABSENT: "Absent",
    AttendanceStatus.NOT_EXPECTED: "Not expected",
}
ACTIONS_LIMIT = 10

RISK_LABELS: dict[str, str] = {"low": "Low", "medium": "Medium", "high": "High"}

DECISION_LABELS: dict[str, str] = {
    Decision.REVIEW: "Keep open and review at a later meeting",
    Decision.CLOSE: "Close the case",
}

RECORD_CONFLICT = (
    "Someone else saved this case's record while you were editing it. What you typed is "
    "below and has not been saved: check it against the latest record, then save again"
)


# ---- attendance -------------------------------------------------------------------------


class AttendanceForm(FlaskForm):
    """One radio group per member agency, added by `attendance_form_class`."""

    submit = SubmitField("Save attendance", widget=GovSubmitInput())


def agency_field_name(agency_id: int) -> str:
    return f"agency_{agency_id}"


def attendance_form_class(agencies: list[Any]) -> type[AttendanceForm]:
    """An attendance form with a present / apologies / absent / not expected choice for
    each agency; one left unmarked is saved as not expected."""
    fields = {
        agency_field_name(a.id): RadioField(
            a.name,
            widget=RadioInput(classes="govuk-radios--small govuk-radios--inline"),
            choices=choices_from(ATTENDANCE_LABELS),
            validators=[Optional()],
        )
        for a in agencies
    }
    return type("PanelAttendanceForm", (AttendanceForm,), fields)


class AddAgencyForm(FlaskForm):
    """Ask an agency that is not on the panel to this meeting."""

    agency_id = SelectField(
        "Agency",
        widget=GovSelect(),
        coerce=int,
        validators=[InputRequired("Select the agency to add to this meeting")],
    )
    submit = SubmitField("Add the agency to this meeting", widget=GovSubmitInput())

    def validate_agency_id(self, field: Any) -> None:
        if not field.data:
            raise ValidationError("Select the agency to add to this meeting")


class AttendeeForm(FlaskForm):
    """One named person at the meeting; added one at a time so no script is needed."""

    name = StringField(
        "Name",
        widget=GovTextInput(),
        filters=STRIP,
        validators=[InputRequired("Enter the attendee's name"), Length(max=200)],
    )
    job_title = StringField(
        "Job title",
        widget=GovTextInput(),
        filters=STRIP,
        validators=[Length(max=200)],
    )
    agency_id = SelectField(
        "Agency",
        widget=GovSelect(),
        coerce=int,
        validators=[InputRequired("Select the attendee's agency")],
    )
    acknowledged = BooleanField(
        "They have read and accepted the confidentiality statement",
        widget=GovCheckboxInput(),
    )
    submit = SubmitField("Add the attendee", widget=GovSubmitInput())

    def validate_agency_id(self, field: Any) -> None:
        if not field.data:
            raise ValidationError("Select the attendee's agency")


# ---- the case record --------------------------------------------------------------------


class OptionalActionField(FormField):
    """The new action inside the case record: checked only when something was typed."""

    def validate(self, form: Any, extra_validators: Any = ()) -> bool:
        if not self.form.has_any_input():
            return True
        return bool(super().validate(form, extra_validators))


class CaseRecordForm(VersionedForm):
    """What the panel recorded about one case; agencies' fields are added per meeting."""

    conflict_message = RECORD_CONFLICT
    risks_identified = TextAreaField(
        "Risks identified",
        widget=GovTextArea(),
        filters=STRIP,
        validators=[Length(max=20000)],
    )
    risk_level_after = RadioField(
        "Risk level after discussion",
        widget=RadioInput(classes="govuk-radios--small govuk-radios--inline"),
        choices=choices_from(RISK_LABELS),
        validators=[Optional()],
    )
    decision = RadioField(
        "Decision",
        widget=RadioInput(),
        choices=choices_from(DECISION_LABELS),
        validators=[Optional()],
    )
    review_meeting_id = SelectField(
        "Review at the meeting on",
        description="If the case is kept open. The next meeting is chosen unless you change it.",
        widget=GovSelect(),
        coerce=int,
        validators=[Optional()],
    )
    closure_reason = TextAreaField(
        "Why the case is closed",
        description="If the case is closed.",
        widget=GovTextArea(),
        filters=STRIP,
        validators=[Length(max=5000)],
    )
    outcome = RadioField(
        "Outcome",
        widget=RadioInput(classes="govuk-radios--small"),
        choices=choices_from(OUTCOME_LABELS),
        validators=[Optional()],
    )
    victim_view_of_outcome = TextAreaField(
        "The victim's view of the outcome, if known",
        widget=GovTextArea(),
        filters=STRIP,
        validators=[Length(max=5000)],
    )
    actions = FieldList(
        OptionalActionField(NewActionForm, label="Action agreed on this case"),
        min_entries=1,
        max_entries=ACTIONS_LIMIT,
    )
    add_action = SubmitField("Add another action", widget=GovSubmitInput())
    save = SubmitField("Save", widget=GovSubmitInput())
    save_next = SubmitField("Save and go to the next case", widget=GovSubmitInput())

    def validate(self, extra_validators: Any = None) -> bool:
        """The decision's own fields are needed only for that decision."""
        ok = super().validate(extra_validators)
        needed: list[tuple[Any, bool, str]] = []
        if self.decision.data == Decision.REVIEW:
            needed.append(
                (
                    self.review_meeting_id,
                    bool(self.review_meeting_id.data),
                    "Select the meeting at which the panel will review the case",
                )
            )
        if self.decision.data == Decision.CLOSE:
            needed.append(
                (
                    self.closure_reason,
                    bool(self.closure_reason.data),
                    "Enter why the case is closed",
                )
            )
            needed.append(
                (
                    self.outcome,
                    bool(self.outcome.data),
                    "Select the outcome: was the risk reduced, unchanged or increased",
                )
            )
        for field, present, message in needed:
            if not present and not field.errors:
                field.errors = [*field.errors, message]
                ok = False
        return ok

    def action_forms(self) -> list[Any]:
        """Each action fieldset's form, in order."""
        return [entry.form for entry in self.actions]

    def add_action_fieldset(self) -> bool:
        """One more empty action fieldset (up to the limit); whether one was added."""
        if len(self.actions) >= ACTIONS_LIMIT:
            return False
        self.actions.append_entry()
        return True

    def information_fields(self) -> list[tuple[int, Any]]:
        """(agency id, field) for each agency's information, in the order they were added."""
        return [
            (int(name.removeprefix("info_")), field)
            for name, field in self._fields.items()
            if name.startswith("info_")
        ]


def info_field_name(agency_id: int) -> str:
    return f"info_{agency_id}"


def case_record_form_class(agencies: list[Any]) -> type[CaseRecordForm]:
    """The case record with one "information shared" box per agency."""
    fields = {
        info_field_name(a.id): TextAreaField(
            f"Information shared by {a.name}",
            widget=GovTextArea(),
            filters=STRIP,
            validators=[Length(max=20000)],
        )
        for a in agencies
    }
    return type("PanelCaseRecordForm", (CaseRecordForm,), fields)


# ---- review of earlier actions ----------------------------------------------------------


class ReviewMarkForm(FlaskForm):
    """The chair marks one earlier action reviewed, with an optional note."""

    note = StringField(
        "Note (optional)",
        widget=GovTextInput(),
        filters=STRIP,
        validators=[Length(max=2000)],
    )
    submit = SubmitField("Mark reviewed", widget=GovSubmitInput())


class CompleteForm(FlaskForm):
    """Marks the meeting held once every listed case has a decision."""

    submit = SubmitField("Complete the record", widget=GovSubmitInput())
