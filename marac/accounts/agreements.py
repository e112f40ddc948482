"""Information-sharing agreements: the rules, as plain values (no Flask, no database).

Each agency is a data controller and shares case information under an agreement it
signed. The agreement is reviewed by its review date; once that date has passed without
a new one, the agreement has lapsed and the panel should know before it shares more.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Protocol

ICO_PATTERN = re.compile(r"^(?:[A-Z]{2}\d{6}|Z\d{7})$")
"""An ICO data protection register number: two letters and six digits (ZA123456), or Z
and seven digits (Z1234567)."""

ICO_PROBLEM = (
    "Enter the ICO registration number as 2 letters and 6 digits, like ZA123456, "
    "or Z and 7 digits, like Z1234567"
)


class HasAgreement(Protocol):
    review_date: date | None


def normalise_ico(text: str | None) -> str:
    """The number as the register writes it: capitals, no spaces."""
    return re.sub(r"\s+", "", text or "").upper()


def ico_problem(text: str | None) -> str | None:
    """Why an ICO registration number is not valid, or None (blank is allowed)."""
    number = normalise_ico(text)
    if not number or ICO_PATTERN.match(number):
        return None
    return ICO_PROBLEM


def agreement_dates_problem(signed_on: date | None, review_date: date | None) -> str | None:
    """An agreement cannot be due for review before it was signed."""
    if signed_on is not None and review_date is not None and review_date < signed_on:
        return "The review date must be on or after the date the agreement was signed"
    return None


def is_lapsed(agency: HasAgreement, today: date) -> bool:
    """The agreement's review date has passed (on the review date itself it still holds)."""
    return agency.review_date is not None and agency.review_date < today


def needs_lapse_notice(agency: HasAgreement, noticed_on: date | None, today: date) -> bool:
    """Lapsed, and the coordinators have not yet been told about this review date."""
    return is_lapsed(agency, today) and noticed_on != agency.review_date
