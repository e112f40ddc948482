"""The Cases list's search box and filters: one GET form, so no CSRF token and bookmarkable.

Anything not among the offered choices is an error on the form (a GOV.UK error summary),
never a 500 and never silently ignored.
"""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSelect, GovSubmitInput, GovTextInput
from wtforms import SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import Length, Optional

from marac.cases.listing import DEFAULT_SORT, RISK_LABELS, SORT_LABELS, CaseFilters
from marac.cases.search import MAX_QUERY
from marac.forms import STRIP, CheckboxesInput, DateInputField, choices_from
from marac.incidents.strands import STRAND_LABELS
from marac.referrals.models import SOURCE_LABELS, STATUS_LABELS


def _checkboxes(label: str, labels: dict[str, str]) -> SelectMultipleField:
    return SelectMultipleField(
        label,
        choices=choices_from(labels),
        invalid_choice_message=f"Select a {label.lower()} from the list",
        widget=CheckboxesInput(classes="govuk-checkboxes--small"),
        validators=[Optional()],
    )


class CaseFilterForm(FlaskForm):
    """Search text, the filters and the date range; `filters()` once it validates."""

    class Meta:
        csrf = False

    q = StringField(
        "Search cases",
        description="Reference, crime reference, name, address, postcode or perpetrator",
        widget=GovTextInput(),
        filters=STRIP,
        validators=[Optional(), Length(max=MAX_QUERY, message="Enter 100 characters or fewer")],
    )
    status = _checkboxes("Status", STATUS_LABELS)
    risk = _checkboxes("Risk", RISK_LABELS)
    source = _checkboxes("Source", SOURCE_LABELS)
    area = SelectField(
        "Area",
        widget=GovSelect(),
        choices=[],
        default="",
        invalid_choice_message="Select an area from the list",
    )
    panel = SelectField(
        "Panel",
        widget=GovSelect(),
        choices=[],
        default="",
        invalid_choice_message="Select a panel from the list",
    )
    strand = SelectField(
        "Hate strand",
        widget=GovSelect(),
        default="",
        choices=[("", "Any strand"), *choices_from(STRAND_LABELS)],
        invalid_choice_message="Select a hate strand from the list",
    )
    referred_from = DateInputField("Referred from", description="For example, 1 4 2026")
    referred_to = DateInputField("Referred to", description="For example, 30 6 2026")
    submit = SubmitField("Apply filters", widget=GovSubmitInput())

    def set_choices(self, areas: list[Any], panels: list[Any]) -> None:
        self.area.choices = [("", "Any area"), *((str(a.id), a.name) for a in areas)]
        self.panel.choices = [("", "Any panel"), *((str(p.id), p.name) for p in panels)]

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        start, end = self.referred_from.data, self.referred_to.data
        if start and end and start > end:
            self.referred_to.errors = [
                *self.referred_to.errors,
                "Referred to must be the same as or after referred from",
            ]
            return False
        return ok

    def filters(self, sort: str, order: str) -> CaseFilters:
        return CaseFilters(
            text=self.q.data or "",
            statuses=tuple(self.status.data or ()),
            risks=tuple(self.risk.data or ()),
            sources=tuple(self.source.data or ()),
            area_id=int(self.area.data) if self.area.data else None,
            panel_id=int(self.panel.data) if self.panel.data else None,
            strand=self.strand.data or "",
            referred_from=self.referred_from.data,
            referred_to=self.referred_to.data,
            sort=sort if sort in SORT_LABELS else DEFAULT_SORT[0],
            order=order if order in ("ascending", "descending") else DEFAULT_SORT[1],
        )
