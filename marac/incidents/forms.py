"""The incident form: when, where, what, which hate strands, and who did it.

Local strand choices depend on the borough's areas, so the view fills them in.
Cross-field rules live in `marac.incidents.rules`.
"""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    FieldList,
    Form,
    FormField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional

from marac.db import utcnow
from marac.forms import STRIP, CheckboxesInput, DateInputField, RadioInput, choices_from
from marac.incidents import rules
from marac.incidents.models import (
    AGE_BAND_LABELS,
    INCIDENT_TYPE_LABELS,
    PERCEIVED_BY_LABELS,
    RECORDING_LABELS,
    RELATIONSHIP_LABELS,
    REPORTED_VIA_LABELS,
)
from marac.incidents.strands import STRAND_LABELS, SUBCATEGORY_LABELS
from marac.people.forms import PersonFields, Postcode

MAX_PERPETRATORS = 3


YES_NO = [("yes", "Yes"), ("no", "No")]


class PerpetratorFields(Form):
    """One perpetrator; left blank, it is not saved."""

    known = RadioField(
        "Is their identity known?",
        widget=RadioInput(),
        choices=[("yes", "Yes"), ("no", "No, not known")],
        validators=[Optional()],
    )
    name = StringField(
        "Name (if known)",
        widget=GovTextInput(),
        filters=STRIP,
        validators=[Optional(), Length(max=200)],
    )
    relationship = SelectField(
        "Relationship to the victim",
        widget=GovSelect(),
        choices=[("", "Not known"), *choices_from(RELATIONSHIP_LABELS)],
        validators=[Optional()],
    )
    age_band = SelectField(
        "Age",
        widget=GovSelect(),
        choices=choices_from(AGE_BAND_LABELS),
        default="unknown",
        validators=[Optional()],
    )
    description = TextAreaField(
        "Description (optional)",
        description="For example, what they look like, or the account they used online.",
        widget=GovTextArea(),
        filters=STRIP,
        validators=[Optional(), Length(max=2000)],
    )
    date_of_birth = DateInputField(
        "Date of birth (optional)",
        description="Only for a named perpetrator. Helps to recognise them in other cases.",
        validators=[Optional()],
    )
    # Filled by the view when the name is like people already known (see people.matching).
    match = RadioField(
        "Is this perpetrator one of these people?",
        widget=RadioInput(),
        choices=[],
        validate_choice=False,
        validators=[Optional()],
    )

    @property
    def is_blank(self) -> bool:
        return rules.perpetrator_is_blank(
            self.known.data,
            self.name.data or "",
            self.relationship.data or "",
            self.age_band.data or "",
            self.description.data or "",
        )


class IncidentForm(FlaskForm):
    """One page in fieldsets. `victim` is removed when the victim is already known."""

    victim = FormField(PersonFields, label="The victim")
    # Filled by the view when the victim is like people already known (see people.matching).
    victim_match = RadioField(
        "Is the victim one of these people?",
        widget=RadioInput(),
        choices=[],
        validate_choice=False,
        validators=[Optional()],
    )
    occurred_on = DateInputField("Date of the incident", description="For example, 27 3 2026")
    occurred_time = StringField(
        "Time of the incident",
        description="Use the 24-hour clock, like 14:30. Give your best estimate if not known.",
        widget=GovTextInput(),
        filters=STRIP,
        validators=[InputRequired("Enter the time of the incident")],
    )
    online = RadioField(
        "Did it happen online?",
        widget=RadioInput(),
        choices=[("no", "No"), ("yes", "Yes, online")],
        validators=[InputRequired("Select whether it happened online")],
    )
    place = StringField(
        "Where it happened",
        description="For example, the street, shop or bus route.",
        widget=GovTextInput(),
        filters=STRIP,
        validators=[Optional(), Length(max=500)],
    )
    postcode = StringField(
        "Postcode of where it happened",
        description="Used to find the area and its panel. Leave blank for an online "
        "incident to use the victim's postcode.",
        widget=GovTextInput(),
        filters=STRIP,
        validators=[
            Optional(),
            Length(max=10, message="Enter a real postcode, like AK1 2BX"),
            Postcode(),
        ],
    )
    incident_type = RadioField(
        "Type of incident",
        widget=RadioInput(),
        choices=choices_from(INCIDENT_TYPE_LABELS),
        validators=[InputRequired("Select the type of incident")],
    )
    recorded_as = RadioField(
        "Recorded as",
        widget=RadioInput(),
        choices=choices_from(RECORDING_LABELS),
        validators=[
            InputRequired("Select whether it is a hate crime or a non-crime hate incident")
        ],
    )
    aggravated_offence = RadioField(
        "Is it a racially or religiously aggravated offence?",
        description="Only for a hate crime: leave blank for a non-crime hate incident.",
        widget=RadioInput(),
        choices=YES_NO,
        validators=[Optional()],
    )
    crime_reference = StringField(
        "Crime or incident reference number (optional)",
        widget=GovTextInput(),
        filters=STRIP,
        validators=[Optional(), Length(max=40)],
    )
    reported_via = RadioField(
        "How was it reported?",
        widget=RadioInput(),
        choices=choices_from(REPORTED_VIA_LABELS),
        validators=[InputRequired("Select how it was reported")],
    )
    perceived_by = SelectMultipleField(
        "Who perceived the hostility?",
        description="Select all that apply. Anyone's perception is enough to record it "
        "as hate motivated.",
        widget=CheckboxesInput(),
        choices=choices_from(PERCEIVED_BY_LABELS),
        validators=[InputRequired("Select who perceived the hostility")],
    )
    strands = SelectMultipleField(
        "Hate strands",
        description="Select all that apply, and any sub-categories.",
        choices=choices_from(STRAND_LABELS),
        widget=CheckboxesInput(),
        validators=[Optional()],
    )
    subcategories = SelectMultipleField(
        "Sub-categories",
        choices=choices_from(SUBCATEGORY_LABELS),
        validators=[Optional()],
    )
    local_strands = SelectMultipleField(
        "Local strands",
        description="Strands this borough monitors as well as the five national ones.",
        widget=CheckboxesInput(),
        choices=[],
        validators=[Optional()],
    )
    perpetrators = FieldList(
        FormField(PerpetratorFields), min_entries=MAX_PERPETRATORS, max_entries=MAX_PERPETRATORS
    )
    description = TextAreaField(
        "What happened",
        description="In the victim's words where you can. Include what was said or done "
        "that showed hostility.",
        widget=GovTextArea(),
        filters=STRIP,
        validators=[InputRequired("Describe what happened"), Length(max=10000)],
    )
    submit = SubmitField("Save incident", widget=GovSubmitInput())

    def validate(self, extra_validators: Any = None) -> bool:
        """Field checks, then the rules that span fields (each error on its own field)."""
        ok = super().validate(extra_validators)
        if self.occurred_on.data is None and not self.occurred_on.errors:
            ok = self._fail(self.occurred_on, "Enter the date of the incident")
        at = rules.parse_time(self.occurred_time.data)
        if self.occurred_time.data and at is None and not self.occurred_time.errors:
            ok = self._fail(
                self.occurred_time, "Enter the time on the 24-hour clock, like 09:30 or 14:30"
            )
        if self.occurred_on.data is not None and at is not None:
            problem = rules.when_problem(self.occurred_on.data, at, utcnow())
            if problem:
                ok = self._fail(getattr(self, problem[0]), problem[1])
        if self.online.data == "no" and not self.postcode.data and not self.postcode.errors:
            ok = self._fail(self.postcode, "Enter the postcode of where it happened")
        strand_message = rules.strand_problem(
            self.strands.data or [], self.subcategories.data or [], self.local_strands.data or []
        )
        if strand_message:
            ok = self._fail(self.strands, strand_message)
        aggravated = self.aggravated_offence.data
        if self.recorded_as.data == "crime" and aggravated not in {"yes", "no"}:
            ok = self._fail(
                self.aggravated_offence,
                "Select whether it is a racially or religiously aggravated offence",
            )
        elif self.recorded_as.data:
            message = rules.aggravated_problem(
                self.recorded_as.data, aggravated == "yes", self.strands.data or []
            )
            if message:
                ok = self._fail(self.aggravated_offence, message)
        for number, entry in enumerate(self.perpetrators, start=1):
            sub = entry.form
            problem = rules.perpetrator_problem(
                number,
                sub.known.data,
                sub.name.data or "",
                sub.relationship.data or "",
                sub.age_band.data or "",
                sub.description.data or "",
            )
            if problem:
                ok = self._fail(getattr(sub, problem[0]), problem[1])
        if any(entry.errors for entry in self.perpetrators):
            # FieldList gathers its entries' errors during validation: gather them again.
            self.perpetrators.errors = [entry.errors for entry in self.perpetrators]
        return ok

    @staticmethod
    def _fail(field: Any, message: str) -> bool:
        field.errors = [*field.errors, message]
        return False

    @property
    def occurred_at(self) -> Any:
        at = rules.parse_time(self.occurred_time.data)
        assert self.occurred_on.data is not None and at is not None
        return rules.occurred_at(self.occurred_on.data, at)

    def perpetrator_rows(self) -> list[PerpetratorFields]:
        return [entry.form for entry in self.perpetrators if not entry.form.is_blank]
