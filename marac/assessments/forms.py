"""Forms for the assessment pages, built from the instrument version being completed.

Question pages are built at run time because each instrument version has its own
questions. `required` is True for "Save and continue" (every answer needed) and False
for "Save and come back later" (save whatever is there).
"""

from __future__ import annotations

from typing import Any

from govuk_frontend_wtf.wtforms_widgets import (
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    Field,
    RadioField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional

from marac.assessments.instrument import RATINGS, Instrument, Section
from marac.assessments.models import RARA_LABELS, RiskLevel
from marac.forms import STRIP, CheckboxesInput, RadioInput, choices_from
from marac.forms import VersionedForm as SharedVersionedForm

LEVEL_CHOICES = [(level.value, level.label) for level in RiskLevel]
CONFLICT_MESSAGE = (
    "Someone else changed this assessment while you were editing. "
    "Your answers are shown below; check them and save again."
)


class VersionedForm(SharedVersionedForm):
    """Assessment edit forms: a stale save keeps the typed answers."""

    conflict_message = CONFLICT_MESSAGE


def _presence(required: bool, message: str) -> list[Any]:
    return [InputRequired(message)] if required else [Optional()]


def _radio(
    label: str,
    choices: list[tuple[str, str]],
    required: bool,
    message: str,
    hint: str = "",
    widget: Any = None,
) -> Field:
    return RadioField(
        label,
        widget=widget or RadioInput(classes="govuk-radios--small"),
        choices=choices,
        description=hint,
        validators=_presence(required, message),
    )


def section_form(section: Section, required: bool) -> type[VersionedForm]:
    """A form with one radio question per instrument question in `section`."""
    attrs: dict[str, Any] = {}
    for q in section.questions:
        attrs[q.id] = _radio(
            q.text,
            [(c.value, c.label) for c in q.choices],
            required,
            f"Select an answer for '{q.text}'",
            q.hint,
        )
    return type(f"SectionForm_{section.key}", (VersionedForm,), attrs)


def diagnostics_form(instrument: Instrument, required: bool) -> type[VersionedForm]:
    """A low/medium/high rating and an optional note for each diagnostic question."""
    attrs: dict[str, Any] = {}
    for d in instrument.diagnostics:
        attrs[f"{d.id}_rating"] = _radio(
            d.title,
            [(c.value, c.label) for c in RATINGS],
            required,
            f"Select a rating for {d.title.lower()}",
            d.hint,
            RadioInput("govuk-fieldset__legend--m", "govuk-radios--inline"),
        )
        attrs[f"{d.id}_note"] = TextAreaField(
            f"Notes on {d.title.lower()} (optional)",
            widget=GovTextArea(),
            filters=STRIP,
            validators=[Optional(), Length(max=2000)],
        )
    return type("DiagnosticsForm", (VersionedForm,), attrs)


def judgement_form(instrument: Instrument, required: bool) -> type[VersionedForm]:
    """The perception question, who perceived the hostility, and the assessor's judgement."""
    p = instrument.perception
    attrs: dict[str, Any] = {
        "perception": _radio(
            p.text,
            [(c.value, c.label) for c in p.choices],
            required,
            "Select whether the victim feels targeted because of who they are or what they believe",
            p.hint,
            RadioInput("govuk-fieldset__legend--m"),
        ),
        "perceived_by": SelectMultipleField(
            "Who perceived the hostility or prejudice?",
            widget=CheckboxesInput("govuk-fieldset__legend--m", "govuk-checkboxes--small"),
            choices=[(c.value, c.label) for c in instrument.perceived_by],
            description="Select all that apply.",
            validators=_presence(required, "Select who perceived the hostility or prejudice"),
        ),
        "judgement_level": _radio(
            "Your professional judgement of the overall risk",
            LEVEL_CHOICES,
            required,
            "Select your professional judgement of the overall risk",
            widget=RadioInput("govuk-fieldset__legend--m"),
        ),
        "judgement_rationale": TextAreaField(
            "Why have you given this level?",
            widget=GovTextArea(),
            filters=STRIP,
            validators=[
                *_presence(required, "Explain why you have given this level"),
                Length(max=5000),
            ],
        ),
        "below_suggested_reason": TextAreaField(
            "If your judgement is lower than the suggested level, explain why",
            description="Only needed when you lower the level. Judgement is not normally "
            "used to lower risk.",
            widget=GovTextArea(),
            filters=STRIP,
            validators=[Optional(), Length(max=5000)],
        ),
    }
    return type("JudgementForm", (VersionedForm,), attrs)


class MeasureForm(VersionedForm):
    """One risk management measure. Checked only when the assessor adds a measure."""

    description = TextAreaField(
        "Describe the measure",
        widget=GovTextArea(),
        filters=STRIP,
        description="For example: fit a letterbox fire guard; move the victim's parking space.",
        validators=[Optional(), Length(max=2000)],
    )
    rara = RadioField(
        "What does the measure do to the risk?",
        widget=RadioInput(),
        choices=choices_from(RARA_LABELS),
        validators=[Optional()],
    )
    responsible = StringField(
        "Who is responsible?",
        widget=GovTextInput(),
        filters=STRIP,
        description="An agency, team or named officer.",
        validators=[Optional(), Length(max=200)],
    )

    def measure_problems(self) -> bool:
        """Add errors for a half-filled measure; True if there were any."""
        problems = False
        if not self.description.data:
            self.description.errors = [*self.description.errors, "Describe the measure"]
            problems = True
        if not self.rara.data:
            self.rara.errors = [
                *self.rara.errors,
                "Select whether the measure removes, avoids, reduces or accepts the risk",
            ]
            problems = True
        if not self.responsible.data:
            self.responsible.errors = [
                *self.responsible.errors,
                "Enter who is responsible for the measure",
            ]
            problems = True
        return problems

    @property
    def has_measure(self) -> bool:
        return bool(self.description.data or self.rara.data or self.responsible.data)


class EndorseForm(VersionedForm):
    final_level = RadioField(
        "Final level of risk",
        widget=RadioInput("govuk-fieldset__legend--m"),
        choices=LEVEL_CHOICES,
        validators=[InputRequired("Select the final level of risk")],
    )
    reason = TextAreaField(
        "If you are changing the level, explain why",
        widget=GovTextArea(),
        filters=STRIP,
        validators=[Optional(), Length(max=5000)],
    )
