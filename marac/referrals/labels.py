"""The label tables the referral pages hand their templates."""

from __future__ import annotations

from typing import Any

from marac.incidents.models import INCIDENT_TYPE_LABELS
from marac.referrals.forms import SUBJECT_SHORT_LABELS
from marac.referrals.models import (
    CONSENT_LABELS,
    OUTCOME_LABELS,
    SOURCE_LABELS,
    STATUS_LABELS,
    SUPPORT_STATUS_LABELS,
)


def page_labels() -> dict[str, Any]:
    """Coded values to words, by kind, for the referral templates."""
    return {
        "source": SOURCE_LABELS,
        "status": STATUS_LABELS,
        "subject": SUBJECT_SHORT_LABELS,
        "consent": CONSENT_LABELS,
        "support": SUPPORT_STATUS_LABELS,
        "incident_type": INCIDENT_TYPE_LABELS,
        "outcome": OUTCOME_LABELS,
    }
