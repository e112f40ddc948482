"""Shared form helpers: GOV.UK widgets and validators used by every capability."""

from __future__ import annotations

from datetime import date
from typing import Any

from govuk_frontend_wtf.wtforms_widgets import GovDateInput
from wtforms import DateField, ValidationError

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

    def __init__(self, label: str | None = None, validators: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("widget", GovDateInput())
        kwargs.setdefault("format", "%d %m %Y")
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist: list[str]) -> None:
        if len(valuelist) != 3:
            self.raw_data = None  # the widget then shows `data`, not three boxes' text
        if not valuelist or not any(v.strip() for v in valuelist):
            self.data = None
            return
        parts = [v.strip() for v in valuelist]
        if len(parts) != 3 or not all(p.isdigit() for p in parts):
            self.data = None
            raise ValueError(f"{self.label.text} must be a real date, like 27 3 2027")
        day, month, year = (int(p) for p in parts)
        try:
            self.data = date(year, month, day)
        except ValueError as exc:
            self.data = None
            raise ValueError(f"{self.label.text} must be a real date, like 27 3 2027") from exc
        if year < 1900:
            self.data = None
            raise ValueError(f"{self.label.text} must include a 4-digit year, like 2027")
