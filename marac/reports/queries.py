"""The figures a community safety partnership board asks for, as aggregate queries.

Every function takes a `Scope` (period, areas, today) and returns a small dataclass that
knows its scope, so every figure on the page and in an export can state its period, its
area and whether the period is complete. Each is one to three GROUP BY / COUNT queries;
none loops over rows in Python, except the hearing-wait percentiles (see `time_to_hearing`).

Periods are whole days in UTC: `start` and `end` are both included. Referrals with no area
yet belong to no area, so they are not counted in any area's figures.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Date, case, cast, distinct, exists, func, select, union_all
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from marac.accounts.models import Agency, Area
from marac.actions.models import OUTSTANDING_STATUSES, Action, ActionStatus
from marac.assessments.models import AssessmentStatus, RiskAssessment, RiskMeasure
from marac.incidents.models import IncidentStrand, LocalStrand
from marac.incidents.strands import STRAND_LABELS, SUBCATEGORY_LABELS
from marac.meetings.models import AgendaItem
from marac.panels.models import Meeting, panel_area
from marac.referrals.models import OUTCOME_LABELS as REFERRAL_OUTCOMES
from marac.referrals.models import (
    Referral,
    ReferralIncident,
    ReferralSource,
    ReferralStatus,
)
from marac.repeats.flags import repeat_rate

WAITING_STATUSES = (
    ReferralStatus.NEW.value,
    ReferralStatus.MORE_INFO.value,
    ReferralStatus.ACCEPTED.value,
)

OUTCOME_LABELS: dict[str, str] = {**REFERRAL_OUTCOMES, "": "Not recorded"}


@dataclass(frozen=True)
class Scope:
    """What a figure covers: a period (both days included), some areas, named for people."""

    start: date
    end: date
    area_ids: tuple[int, ...]
    area_label: str
    today: date

    @property
    def complete(self) -> bool:
        """A period is complete once its last day is over."""
        return self.end < self.today

    @property
    def period_label(self) -> str:
        return f"{self.start:%-d %B %Y} to {self.end:%-d %B %Y}"

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=UTC)

    @property
    def until(self) -> datetime:
        """The first instant after the period."""
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=UTC)


def panel_areas(session: Session, panel_id: int) -> tuple[int, ...]:
    """The areas a panel covers, for a panel's scope."""
    return tuple(
        sorted(
            session.scalars(select(panel_area.c.area_id).where(panel_area.c.panel_id == panel_id))
        )
    )


@dataclass(frozen=True)
class Count:
    """One row of a count table: a stable key (for CSV and charts), a label and the count."""

    key: str
    label: str
    count: int


@dataclass(frozen=True)
class Counts:
    scope: Scope
    rows: list[Count]

    @property
    def total(self) -> int:
        return sum(r.count for r in self.rows)


@dataclass(frozen=True)
class MonthlySources:
    """Referrals per calendar month by source; months with none are listed as zero."""

    scope: Scope
    months: list[date]  # first day of each month in the period
    sources: list[str]
    counts: dict[tuple[date, str], int]

    def count(self, month: date, source: str) -> int:
        return self.counts.get((month, source), 0)

    def month_total(self, month: date) -> int:
        return sum(self.count(month, s) for s in self.sources)


@dataclass(frozen=True)
class StrandCounts:
    """Referrals by strand; a referral with two strands counts under both."""

    scope: Scope
    monitored: list[Count]
    local: list[Count]
    subcategories: list[Count]


@dataclass(frozen=True)
class RepeatRate:
    scope: Scope
    repeats: int
    total: int
    rate: float


@dataclass(frozen=True)
class HearingWait:
    """Days from endorsement (or the partner's referral) to the first hearing."""

    scope: Scope
    heard: int
    median_days: float | None
    p90_days: int | None
    high_risk_waiting: int  # now, whatever the period
    oldest_waiting_days: int | None


@dataclass(frozen=True)
class AgencyActions:
    key: str
    label: str
    on_time: int
    late: int
    overdue: int


@dataclass(frozen=True)
class ActionsByAgency:
    scope: Scope
    rows: list[AgencyActions]


@dataclass(frozen=True)
class AssessmentCompletion:
    scope: Scope
    referrals: int
    endorsed_assessment: int
    risk_plan: int

    @staticmethod
    def share(part: int, whole: int) -> float:
        return part / whole if whole else 0.0


@dataclass(frozen=True)
class Dashboard:
    scope: Scope
    monthly: MonthlySources
    strands: StrandCounts
    agencies: Counts
    areas: Counts
    repeats: RepeatRate
    hearing: HearingWait
    actions: ActionsByAgency
    outcomes: Counts
    assessments: AssessmentCompletion
    extra: dict[str, Any] = field(default_factory=dict)


def _in_period(scope: Scope) -> list[ColumnElement[bool]]:
    """Referrals created in the scope's period and areas."""
    return [
        Referral.area_id.in_(scope.area_ids),
        Referral.created_at >= scope.since,
        Referral.created_at < scope.until,
    ]


def utc_day(session: Session, column: Any) -> Any:
    """The UTC calendar day of a timestamp column, comparable with a Date column on both DBs."""
    if session.get_bind().dialect.name == "sqlite":
        return func.date(column)
    return cast(func.timezone("UTC", column), Date)


def _months(start: date, end: date) -> list[date]:
    months: list[date] = []
    month = start.replace(day=1)
    while month <= end:
        months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return months


def referrals_by_month(session: Session, scope: Scope) -> MonthlySources:
    """Referrals per calendar month and source: one GROUP BY query."""
    year = func.extract("year", Referral.created_at)
    month = func.extract("month", Referral.created_at)
    rows = session.execute(
        select(year, month, Referral.source, func.count())
        .where(*_in_period(scope))
        .group_by(year, month, Referral.source)
    ).all()
    counts = {(date(int(y), int(m), 1), source): n for y, m, source, n in rows}
    return MonthlySources(
        scope=scope,
        months=_months(scope.start, scope.end),
        sources=[s.value for s in ReferralSource],
        counts=counts,
    )


def _period_incidents(scope: Scope) -> Any:
    """Every (referral, incident) pair of the period's referrals: linked incidents and the
    triggering incident. Each arm starts from the period's referrals (the created-at
    index), so the cost follows the period, not the whole history."""
    linked = (
        select(ReferralIncident.referral_id.label("referral_id"), ReferralIncident.incident_id)
        .join(Referral, Referral.id == ReferralIncident.referral_id)
        .where(*_in_period(scope))
    )
    triggered = select(
        Referral.id.label("referral_id"), Referral.trigger_incident_id.label("incident_id")
    ).where(*_in_period(scope), Referral.trigger_incident_id.is_not(None))
    return union_all(linked, triggered).subquery("referral_incidents")


def referrals_by_strand(session: Session, scope: Scope) -> StrandCounts:
    """Distinct referrals per strand and per sub-category: one GROUP BY plus local names."""
    links = _period_incidents(scope)
    rows = session.execute(
        select(
            IncidentStrand.code,
            IncidentStrand.subcategory,
            func.count(distinct(links.c.referral_id)),
        )
        .select_from(links)
        .join(IncidentStrand, IncidentStrand.incident_id == links.c.incident_id)
        .group_by(IncidentStrand.code, IncidentStrand.subcategory)
    ).all()
    found = {(code, sub): n for code, sub, n in rows}
    monitored = [
        Count(code, label, found.get((code, ""), 0)) for code, label in STRAND_LABELS.items()
    ]
    local_ids = [
        int(code.split(":", 1)[1])
        for code, sub in found
        if not sub and code.startswith("local:") and code.split(":", 1)[1].isdigit()
    ]
    names = (
        dict(
            session.execute(
                select(LocalStrand.id, LocalStrand.name).where(LocalStrand.id.in_(local_ids))
            ).all()
        )
        if local_ids
        else {}
    )
    local = sorted(
        (
            Count(code, names.get(int(code.split(":", 1)[1]), code), n)
            for (code, sub), n in found.items()
            if not sub and code.startswith("local:") and code.split(":", 1)[1].isdigit()
        ),
        key=lambda c: (-c.count, c.label),
    )
    subcategories = sorted(
        (
            Count(sub, SUBCATEGORY_LABELS.get(sub, sub), n)
            for (code, sub), n in found.items()
            if sub
        ),
        key=lambda c: (-c.count, c.label),
    )
    return StrandCounts(scope, monitored, local, subcategories)


def referrals_by_agency(session: Session, scope: Scope) -> Counts:
    """Referrals per referring agency (automatic ones count under the assessing agency)."""
    rows = session.execute(
        select(Referral.referring_agency_id, Agency.name, func.count(Referral.id))
        .select_from(Referral)
        .outerjoin(Agency, Agency.id == Referral.referring_agency_id)
        .where(*_in_period(scope))
        .group_by(Referral.referring_agency_id, Agency.name)
    ).all()
    counts = [Count(str(agency_id or ""), name or "Not recorded", n) for agency_id, name, n in rows]
    return Counts(scope, sorted(counts, key=lambda c: (-c.count, c.label)))


def referrals_by_area(session: Session, scope: Scope) -> Counts:
    """Referrals per area of the scope, areas with none listed as zero."""
    counted = (
        select(Referral.area_id, func.count(Referral.id).label("n"))
        .where(*_in_period(scope))
        .group_by(Referral.area_id)
        .subquery()
    )
    rows = session.execute(
        select(Area.id, Area.name, func.coalesce(counted.c.n, 0))
        .outerjoin(counted, counted.c.area_id == Area.id)
        .where(Area.id.in_(scope.area_ids))
        .order_by(Area.name)
    ).all()
    return Counts(scope, [Count(str(area_id), name, n) for area_id, name, n in rows])


def repeats(session: Session, scope: Scope) -> RepeatRate:
    """The repeat-tracking rate for the scope's referrals."""
    count, total, rate = repeat_rate(
        session, area_ids=scope.area_ids, start=scope.start, end=scope.end
    )
    return RepeatRate(scope, count, total, rate)


def percentile(values: Sequence[float], share: float) -> float | None:
    """Nearest-rank percentile: the smallest value with `share` of values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def time_to_hearing(session: Session, scope: Scope) -> HearingWait:
    """Wait from endorsement (or partner referral) to first hearing, for first hearings held
    in the period; and the high-risk cases waiting for a hearing now.

    The durations are fetched as one column of start and hearing days, bounded by the
    number of cases first heard in the period (a few hundred a year even in a large
    borough), and the median and 90th percentile are taken in Python: SQLite has no
    percentile function and the answer must not depend on the database.
    """
    # The referrals heard in the period (the meeting-date index keeps this to the
    # period's meetings), then all the hearings of just those referrals (the referral
    # index): a case whose earliest hearing falls in the period was first heard in it.
    # Both steps follow the period, not the whole history.
    heard_in_period = (
        select(AgendaItem.referral_id)
        .join(Meeting, Meeting.id == AgendaItem.meeting_id)
        .where(
            AgendaItem.discussed_at.is_not(None),
            Meeting.meeting_date >= scope.start,
            Meeting.meeting_date <= scope.end,
        )
    )
    first = (
        select(AgendaItem.referral_id, func.min(Meeting.meeting_date).label("heard_on"))
        .join(Meeting, Meeting.id == AgendaItem.meeting_id)
        .where(
            AgendaItem.discussed_at.is_not(None),
            AgendaItem.referral_id.in_(heard_in_period),
            Meeting.meeting_date <= scope.end,
        )
        .group_by(AgendaItem.referral_id)
        .having(func.min(Meeting.meeting_date) >= scope.start)
        .subquery()
    )
    started = func.coalesce(RiskAssessment.endorsed_at, Referral.created_at)
    rows = session.execute(
        select(first.c.heard_on, utc_day(session, started))
        .select_from(Referral)
        .join(first, first.c.referral_id == Referral.id)
        .outerjoin(RiskAssessment, RiskAssessment.id == Referral.assessment_id)
        .where(
            Referral.area_id.in_(scope.area_ids),
        )
    ).all()
    days = [max(0, (_as_date(heard) - _as_date(began)).days) for heard, began in rows]
    waiting, oldest = session.execute(
        select(func.count(Referral.id), func.min(Referral.created_at)).where(
            Referral.area_id.in_(scope.area_ids),
            Referral.status.in_(WAITING_STATUSES),
            Referral.risk_level == "high",
        )
    ).one()
    p90 = percentile(days, 0.9)
    return HearingWait(
        scope=scope,
        heard=len(days),
        median_days=statistics.median(days) if days else None,
        p90_days=int(p90) if p90 is not None else None,
        high_risk_waiting=waiting,
        oldest_waiting_days=((scope.today - _as_date(oldest)).days if oldest is not None else None),
    )


def _as_date(value: Any) -> date:
    """A date from what either database returns for a day: date, datetime or ISO text."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def actions_by_agency(session: Session, scope: Scope) -> ActionsByAgency:
    """Actions due in the period, per owning agency: completed on time, completed late,
    and still outstanding past their due date today. One GROUP BY query."""
    completed = Action.status == ActionStatus.COMPLETED.value
    done_on = utc_day(session, Action.completed_at)
    on_time = func.sum(case((completed & (done_on <= Action.due_date), 1), else_=0))
    late = func.sum(case((completed & (done_on > Action.due_date), 1), else_=0))
    overdue = func.sum(
        case(
            (Action.status.in_(OUTSTANDING_STATUSES) & (Action.due_date < scope.today), 1),
            else_=0,
        )
    )
    rows = session.execute(
        select(Agency.id, Agency.name, on_time, late, overdue)
        .select_from(Action)
        .join(Referral, Referral.id == Action.referral_id)
        .join(Agency, Agency.id == Action.agency_id)
        .where(
            Referral.area_id.in_(scope.area_ids),
            Action.due_date >= scope.start,
            Action.due_date <= scope.end,
        )
        .group_by(Agency.id, Agency.name)
        .order_by(Agency.name)
    ).all()
    return ActionsByAgency(
        scope,
        [
            AgencyActions(str(agency_id), name, int(a or 0), int(b or 0), int(c or 0))
            for agency_id, name, a, b, c in rows
        ],
    )


def outcomes(session: Session, scope: Scope) -> Counts:
    """Outcomes of the cases closed in the period."""
    rows = dict(
        session.execute(
            select(Referral.outcome, func.count(Referral.id))
            .where(
                Referral.area_id.in_(scope.area_ids),
                Referral.status == ReferralStatus.CLOSED.value,
                Referral.closed_at >= scope.since,
                Referral.closed_at < scope.until,
            )
            .group_by(Referral.outcome)
        ).all()
    )
    counts = [Count(key, label, rows.get(key, 0)) for key, label in OUTCOME_LABELS.items()]
    other = sum(n for key, n in rows.items() if key not in OUTCOME_LABELS)
    if other:
        counts.append(Count("other", "Other", other))
    return Counts(scope, counts)


def assessment_completion(session: Session, scope: Scope) -> AssessmentCompletion:
    """Of the referrals made in the period: how many have an endorsed assessment, and how
    many a risk management plan (at least one measure on that assessment). One query."""
    endorsed = (Referral.assessment_id.is_not(None)) & (
        RiskAssessment.status == AssessmentStatus.ENDORSED.value
    )
    has_plan = exists().where(RiskMeasure.assessment_id == Referral.assessment_id)
    total, with_assessment, with_plan = session.execute(
        select(
            func.count(Referral.id),
            func.coalesce(func.sum(case((endorsed, 1), else_=0)), 0),
            func.coalesce(func.sum(case((endorsed & has_plan, 1), else_=0)), 0),
        )
        .select_from(Referral)
        .outerjoin(RiskAssessment, RiskAssessment.id == Referral.assessment_id)
        .where(*_in_period(scope))
    ).one()
    return AssessmentCompletion(scope, int(total), int(with_assessment), int(with_plan))


def dashboard(session: Session, scope: Scope) -> Dashboard:
    """Every figure of the dashboard for one scope: a fixed number of queries."""
    return Dashboard(
        scope=scope,
        monthly=referrals_by_month(session, scope),
        strands=referrals_by_strand(session, scope),
        agencies=referrals_by_agency(session, scope),
        areas=referrals_by_area(session, scope),
        repeats=repeats(session, scope),
        hearing=time_to_hearing(session, scope),
        actions=actions_by_agency(session, scope),
        outcomes=outcomes(session, scope),
        assessments=assessment_completion(session, scope),
    )
