"""Progress against partnership targets, all targets in one aggregate query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from marac.accounts.models import Area
from marac.referrals.models import Referral
from marac.reports.models import PartnershipTarget
from marac.reports.queries import utc_day

BOROUGH = "Whole borough"


@dataclass(frozen=True)
class TargetProgress:
    """Where one target stands today: baseline, the count aimed for, the count so far."""

    target: PartnershipTarget
    area_label: str
    baseline: int
    measured: int
    today: date

    @property
    def aim(self) -> int:
        """The referrals the measured period should reach: baseline changed by the target."""
        return round(self.baseline * (100 + self.target.change_percent) / 100)

    @property
    def change_so_far(self) -> float | None:
        """Percentage change of the measured period over the baseline so far."""
        if not self.baseline:
            return None
        return 100 * (self.measured - self.baseline) / self.baseline

    @property
    def complete(self) -> bool:
        return self.target.measured_end < self.today

    @property
    def met(self) -> bool:
        if self.target.change_percent >= 0:
            return self.measured >= self.aim
        return self.measured <= self.aim


def target_progress(
    session: Session, area_ids: tuple[int, ...] | None, today: date
) -> list[TargetProgress]:
    """Progress of the targets for any of `area_ids` and the borough-wide ones (every
    target when `area_ids` is None). Two queries whatever the number of targets."""
    query = select(PartnershipTarget).order_by(PartnershipTarget.measured_start.desc())
    if area_ids is not None:
        query = query.where(
            or_(PartnershipTarget.area_id.is_(None), PartnershipTarget.area_id.in_(area_ids))
        )
    targets = list(session.scalars(query))
    if not targets:
        return []
    t = PartnershipTarget
    # Bound the referrals on the indexed timestamp first: the per-target day tests below
    # are expressions no index serves.
    first = min(min(x.baseline_start, x.measured_start) for x in targets)
    last = max(max(x.baseline_end, x.measured_end) for x in targets)
    since = datetime.combine(first, time.min, tzinfo=UTC)
    until = datetime.combine(last + timedelta(days=1), time.min, tzinfo=UTC)
    day = utc_day(session, Referral.created_at)
    in_baseline = and_(day >= t.baseline_start, day <= t.baseline_end)
    in_measured = and_(day >= t.measured_start, day <= t.measured_end)
    rows = session.execute(
        select(
            t.id,
            Area.name,
            func.coalesce(func.sum(case((in_baseline, 1), else_=0)), 0),
            func.coalesce(func.sum(case((in_measured, 1), else_=0)), 0),
        )
        .select_from(t)
        .outerjoin(Area, Area.id == t.area_id)
        .outerjoin(
            Referral,
            and_(
                Referral.created_at >= since,
                Referral.created_at < until,
                or_(t.area_id.is_(None), Referral.area_id == t.area_id),
                or_(in_baseline, in_measured),
            ),
        )
        .where(t.id.in_([x.id for x in targets]))
        .group_by(t.id, Area.name)
    ).all()
    found = {tid: (name, int(b), int(m)) for tid, name, b, m in rows}
    return [
        TargetProgress(
            target=x,
            area_label=found[x.id][0] or BOROUGH,
            baseline=found[x.id][1],
            measured=found[x.id][2],
            today=today,
        )
        for x in targets
    ]
