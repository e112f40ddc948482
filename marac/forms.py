"""Shared form helpers: GOV.UK widgets and validators used by every capability."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovDateInput,
    GovRadioInput,
    GovTextInput,
)
from werkzeug.datastructures import MultiDict
from wtforms import DateField, Field, HiddenField, IntegerField, ValidationError
from wtforms.utils import unset_value

from marac.inputs import MAX_YEAR, MIN_YEAR, year_error

STRIP: list[Any] = [lambda v: v.strip() if isinstance(v, str) else v]


def choices_from(labels: dict[Any, str]) -> list[tuple[str, str]]:
    """WTForms choices from an enum-to-label mapping."""
    return [(str(key), label) for key, label in labels.items()]


class Lines:
    """Validate a newline-separated list: each line no longer than `max_length`."""

    def __init__(self, max_length: int = 120, max_lines: int = 200) -> None:
        self.max_length = max_length
        self.max_lines = max_lines

    def __call__(self, _form: object, field: Any) -> None:
        lines = [ln.strip() for ln in (field.data or "").splitlines() if ln.strip()]
        if len(lines) > self.max_lines:
            raise ValidationError(f"Enter {self.max_lines} lines or fewer")
        for line in lines:
            if len(line) > self.max_length:
                raise ValidationError(f"Each line must be {self.max_length} characters or fewer")


class DateInputField(DateField):
    """A GOV.UK date input (day, month, year boxes) with a plain-English error."""

    def __init__(
        self,
        label: str | None = None,
        validators: Any = None,
        min_year: int = MIN_YEAR,
        max_year: int = MAX_YEAR,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("widget", GovDateInput())
        kwargs.setdefault("format", "%d %m %Y")
        super().__init__(label, validators, **kwargs)
        # Outside these years a date is a typing mistake, and later date sums would overflow.
        self.min_year = min_year
        self.max_year = max_year

    def process_formdata(self, valuelist: list[str]) -> None:
        if len(valuelist) != 3:
            self.raw_data = None  # the widget then shows `data`, not three boxes' text
        if not valuelist or not any(v.strip() for v in valuelist):
            self.data = None
            return
        parts = [v.strip() for v in valuelist]
        real_date = f"{self.label.text} must be a real date, like 27 3 2027"
        if (
            len(parts) != 3
            or not all(p.isascii() and p.isdigit() for p in parts)
            or len(parts[0] + parts[1]) > 4
        ):
            self.data = None
            raise ValueError(real_date)
        if len(parts[2]) < 4:
            self.data = None
            raise ValueError(f"{self.label.text} must include a 4-digit year, like 2027")
        year = int(parts[2]) if len(parts[2]) <= 8 else self.max_year + 1
        if message := year_error(year, self.label.text, self.min_year, self.max_year):
            self.data = None
            raise ValueError(message)
        try:
            self.data = date(year, int(parts[1]), int(parts[0]))
        except ValueError as exc:
            self.data = None
            raise ValueError(real_date) from exc


class DateBoxesInput(GovDateInput):
    """The GOV.UK date input with a name per box (`from-day`, `from-month`, `from-year`).

    Readable, bookmarkable query strings for GET forms; the boxes and their ids are the
    same as `GovDateInput`'s.
    """

    def map_gov_params(self, field: Field, **kwargs: Any) -> dict[str, Any]:
        params = super().map_gov_params(field, **kwargs)
        for item in params["items"]:
            item["name"] = item["id"]
        return params


class DateBoxesField(DateInputField):
    """A `DateInputField` read from three named boxes, saying which part is missing."""

    PARTS = ("day", "month", "year")

    def __init__(self, label: str | None = None, validators: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("widget", DateBoxesInput())
        super().__init__(label, validators, **kwargs)

    def process(self, formdata: Any, data: Any = unset_value, extra_filters: Any = None) -> None:
        if formdata is not None:
            parts = [formdata.get(f"{self.name}-{part}", "") for part in self.PARTS]
            # No box given: the field keeps its default, as with no form data at all.
            formdata = MultiDict({self.name: parts}) if any(p.strip() for p in parts) else None
        super().process(formdata, data, extra_filters)

    def process_formdata(self, valuelist: list[str]) -> None:
        missing = [
            part for part, value in zip(self.PARTS, valuelist, strict=False) if not value.strip()
        ]
        if valuelist and missing and len(missing) < len(self.PARTS):
            self.raw_data = list(valuelist)
            self.data = None
            raise ValueError(f"{self.label.text} must include a {' and '.join(missing)}")
        super().process_formdata(valuelist)


class FieldsetMixin:
    """Keeps the label as the legend (with a size class) and drops an empty hint.

    Passing `params={'fieldset': ...}` in a template replaces the whole legend, text
    included, so the legend is set here instead.
    """

    def __init__(self, legend_classes: str = "govuk-fieldset__legend--s", classes: str = ""):
        self.legend_classes = legend_classes
        self.classes = classes

    def map_gov_params(self, field: Field, **kwargs: Any) -> dict[str, Any]:
        params = super().map_gov_params(field, **kwargs)  # type: ignore[misc]
        legend = dict(params.get("fieldset", {}).get("legend") or {})
        legend.setdefault("text", field.label.text)
        legend.setdefault("classes", self.legend_classes)
        params["fieldset"] = {**params.get("fieldset", {}), "legend": legend}
        if not (params.get("hint") or {}).get("text"):
            params.pop("hint", None)
        if self.classes:
            params.setdefault("classes", self.classes)
        return params


class RadioInput(FieldsetMixin, GovRadioInput):
    pass


class CheckboxesInput(FieldsetMixin, GovCheckboxesInput):
    pass


class VersionedForm(FlaskForm):
    """Carries the record's version so a stale save is refused, never applied."""

    conflict_message = "Someone else changed this while you were editing. Check and save again"
    version = HiddenField()

    def version_matches(self, current: int) -> bool:
        try:
            return int(self.version.data or "") == current
        except ValueError:
            return False

    def show_conflict(self, current: int) -> None:
        """Keep what was typed, explain the clash, and take the new version for a retry."""
        self.version.errors = [*self.version.errors, self.conflict_message]
        self.version.data = str(current)
        self.version.raw_data = [str(current)]


class WholeNumberField(IntegerField):
    """A whole number typed in a text box, with a plain-English error."""

    def __init__(self, label: str, message: str, **kwargs: Any) -> None:
        kwargs.setdefault("widget", GovTextInput())
        super().__init__(label, **kwargs)
        self.message = message

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            self.data = int(valuelist[0].strip())
        except ValueError as exc:
            self.data = None
            raise ValueError(self.message) from exc


def show_invalid(form: Any, error: Any) -> bool:
    """Put an operation's `Invalid` errors on the form's fields, so the page shows them.

    Field names are dotted for nested forms ("victim.postcode", "perpetrators.0.name").
    An error for a field the form lacks goes on the form itself; the return says whether
    every error found a field.
    """
    placed = True
    for name, problems in error.errors.items():
        target: Any = form
        for part in name.split("."):
            target = target[int(part)] if part.isdigit() else getattr(target, part, None)
            if target is None:
                break
        if target is None or not hasattr(target, "errors"):
            form.form_errors = [*getattr(form, "form_errors", []), *problems]
            placed = False
            continue
        errors = target.errors if isinstance(target.errors, list) else []
        target.errors = [*errors, *problems]
    return placed
