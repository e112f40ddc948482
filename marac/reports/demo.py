"""Demo data for reports: a partnership target for the demo borough, set once."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marac.formatting import uk_today
from marac.reports.models import PartnershipTarget


def load_reports_demo(db: Session) -> str:
    """A borough-wide "+50% referrals" target: last year as baseline, this year measured."""
    if db.scalar(select(func.count(PartnershipTarget.id))):
        return "Demo targets: already present."
    year = uk_today().year
    db.add(
        PartnershipTarget(
            name="Increase hate crime referrals to the Community MARAC",
            area_id=None,
            baseline_start=date(year - 1, 1, 1),
            baseline_end=date(year - 1, 12, 31),
            change_percent=50,
            measured_start=date(year, 1, 1),
            measured_end=date(year, 12, 31),
        )
    )
    db.commit()
    return "Demo targets: added a borough-wide target of 50% more referrals this year."
