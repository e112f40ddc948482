"""A person's history in date order, a risk chart and counts per 12 months (issue 5, §3.6).

Plain functions; no Flask. What is listed follows the case rules: only incidents,
assessments, referrals (and the meetings and actions of those referrals) the viewer may
see, and the documents attached to them. Six queries whatever the history's length.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, or_, select
from sqlalchemy.orm import Session

from marac.accounts.models import Role
from marac.actions.models import Action
from marac.assessments.models import RISK_RANK, AssessmentStatus, RiskAssessment, RiskLevel
from marac.attachments.queries import attachment_lines
from marac.incidents.access import viewable_incidents
from marac.incidents.models import INCIDENT_TYPE_LABELS, Incident
from marac.meetings.models import AgendaItem, ItemStatus
from marac.panels.models import Meeting, MeetingStatus, Panel
from marac.referrals.access import viewable_referrals
from marac.referrals.models import STATUS_LABELS, Referral

ACTION_STATUS_LABELS = {
    "open": "Open",
    "in_progress": "In progress",
    "completed": "Completed",
    "not_achieved": "Not achieved",
    "cancelled": "Cancelled",
}


@dataclass(frozen=True)
class Event:
    """One line of the timeline. `link` is (endpoint, kwargs) or None."""

    day: date
    kind: str  # Incident, Risk assessment, Referral, Meeting, Action
    summary: str
    risk_level: str | None = None
    link: tuple[str, dict[str, int]] | None = None


@dataclass(frozen=True)
class RiskPoint:
    day: date
    level: str
    source: str  # "Risk assessment" or "Panel"


@dataclass(frozen=True)
class PeriodCount:
    """Counts in one 12-month period, newest first: "Last 12 months", "12 to 24 months ago"."""

    label: str
    incidents: int
    referrals: int


@dataclass(frozen=True)
class Timeline:
    events: list[Event]
    risk_points: list[RiskPoint]
    periods: list[PeriodCount]


def _day(value: datetime | date) -> date:
    return value.date() if isinstance(value, datetime) else value


def viewable_assessments(user: Any) -> ColumnElement[bool]:
    """WHERE clause on RiskAssessment mirroring `can_view_assessment` (drafts: assessor only)."""
    if user.has_role(Role.ADMIN):
        return false()
    submitted = RiskAssessment.status != AssessmentStatus.DRAFT.value
    shown = [RiskAssessment.assessor_id == user.id]
    if user.is_supervisor:
        shown.append(and_(submitted, RiskAssessment.agency_id == user.agency_id))
    if user.has_role(Role.COORDINATOR):
        area_ids = [a.id for a in user.areas]
        shown.append(
            and_(
                submitted,
                or_(
                    RiskAssessment.incident_id.is_(None),
                    exists().where(
                        Incident.id == RiskAssessment.incident_id,
                        or_(Incident.area_id.is_(None), Incident.area_id.in_(area_ids)),
                    ),
                ),
            )
        )
    return or_(*shown)


def build_timeline(session: Session, user: Any, person_id: int, today: date) -> Timeline:
    """Everything about the person that `user` may see, oldest first, in six queries."""
    events: list[Event] = []
    points: list[RiskPoint] = []
    incident_days: list[date] = []
    referral_days: list[date] = []
    incident_ids: list[int] = []

    for incident in session.execute(
        select(
            Incident.id,
            Incident.occurred_at,
            Incident.incident_type,
            Incident.place,
            Incident.postcode,
            Incident.online,
        ).where(Incident.person_id == person_id, viewable_incidents(user))
    ):
        kind = INCIDENT_TYPE_LABELS.get(incident.incident_type, incident.incident_type)
        where = "online" if incident.online else (incident.place or incident.postcode)
        day = _day(incident.occurred_at)
        incident_days.append(day)
        incident_ids.append(incident.id)
        events.append(
            Event(
                day,
                "Incident",
                f"{kind}{', ' + where if where else ''}",
                link=("incidents.view", {"incident_id": incident.id}),
            )
        )

    for a in session.execute(
        select(
            RiskAssessment.id,
            RiskAssessment.status,
            RiskAssessment.final_level,
            RiskAssessment.judgement_level,
            RiskAssessment.suggested_level,
            RiskAssessment.endorsed_at,
            RiskAssessment.submitted_at,
            RiskAssessment.created_at,
        ).where(RiskAssessment.person_id == person_id, viewable_assessments(user))
    ):
        if a.status == AssessmentStatus.ENDORSED.value and a.final_level:
            day, level, state = _day(a.endorsed_at or a.created_at), a.final_level, "endorsed"
            points.append(RiskPoint(day, level, "Risk assessment"))
        elif a.status == AssessmentStatus.SUBMITTED.value:
            day = _day(a.submitted_at or a.created_at)
            level, state = a.judgement_level, "waiting for a supervisor"
        else:
            day, level, state = _day(a.created_at), None, "draft"
        events.append(
            Event(
                day,
                "Risk assessment",
                f"Risk assessment, {state}",
                risk_level=level,
                link=("assessments.view", {"assessment_id": a.id}),
            )
        )

    referral_rows = session.execute(
        select(
            Referral.id,
            Referral.reference,
            Referral.created_at,
            Referral.status,
            Referral.risk_level,
            Referral.closed_at,
        ).where(Referral.person_id == person_id, viewable_referrals(user))
    ).all()
    referral_ids = [r.id for r in referral_rows]
    references = {r.id: r.reference for r in referral_rows}
    for r in referral_rows:
        day = _day(r.created_at)
        referral_days.append(day)
        events.append(
            Event(
                day,
                "Referral",
                f"Referral {r.reference}: {STATUS_LABELS.get(r.status, r.status).lower()}",
                risk_level=r.risk_level,
                link=("referrals.view", {"referral_id": r.id}),
            )
        )

    for item in session.execute(
        select(
            AgendaItem.referral_id,
            AgendaItem.status,
            AgendaItem.risk_level_after,
            Meeting.meeting_date,
            Meeting.status.label("meeting_status"),
            Panel.name,
        )
        .join(Meeting, Meeting.id == AgendaItem.meeting_id)
        .join(Panel, Panel.id == Meeting.panel_id)
        .where(AgendaItem.referral_id.in_(referral_ids), AgendaItem.status != ItemStatus.REMOVED)
    ):
        if item.status == ItemStatus.DEFERRED.value:
            what = "deferred at"
        elif item.meeting_status == MeetingStatus.HELD.value:
            what = "heard at"
        elif item.meeting_status == MeetingStatus.CANCELLED.value:
            what = "listed for a cancelled meeting of"
        else:
            what = "listed for"
        events.append(
            Event(
                item.meeting_date,
                "Meeting",
                f"Case {references[item.referral_id]} {what} {item.name}",
                risk_level=item.risk_level_after,
                link=("referrals.view", {"referral_id": item.referral_id}),
            )
        )
        if item.risk_level_after and what == "heard at":
            points.append(RiskPoint(item.meeting_date, item.risk_level_after, "Panel"))

    for action in session.execute(
        select(
            Action.referral_id,
            Action.description,
            Action.status,
            Action.due_date,
            Action.created_at,
        ).where(Action.referral_id.in_(referral_ids))
    ):
        status = ACTION_STATUS_LABELS.get(action.status, action.status)
        events.append(
            Event(
                _day(action.created_at),
                "Action",
                f"Action on {references[action.referral_id]}: {action.description[:120]} "
                f"({status.lower()}, due {action.due_date:%d %b %Y})",
                link=("referrals.view", {"referral_id": action.referral_id}),
            )
        )

    # Documents on what is listed above, each only if the viewer may see its record.
    pages = {"incident": "incidents.view", "referral": "referrals.view", "action": "actions.view"}
    for line in attachment_lines(
        session,
        user,
        incident_ids=incident_ids,
        referral_ids=referral_ids,
        action_ids=select(Action.id).where(Action.referral_id.in_(referral_ids)),
    ):
        link = (
            ("attachments.download", {"attachment_id": line.id})
            if line.downloadable
            else (pages[line.owner_kind], {f"{line.owner_kind}_id": line.owner_id})
        )
        events.append(
            Event(
                _day(line.uploaded_at),
                "Document",
                f"{line.filename} ({line.type_label}, {line.size_text}) added to "
                f"{'the ' if line.owner_kind != 'incident' else ''}{line.owner_kind} "
                f"by {line.uploaded_by}: {line.status_label.lower()}",
                link=link,
            )
        )

    order = {
        "Incident": 0, "Risk assessment": 1, "Referral": 2, "Meeting": 3, "Action": 4,
        "Document": 5,
    }  # fmt: skip
    events.sort(key=lambda e: (e.day, order[e.kind]))
    points.sort(key=lambda p: p.day)
    return Timeline(events, points, counts_per_year(incident_days, referral_days, today))


def counts_per_year(
    incident_days: list[date], referral_days: list[date], today: date, years: int | None = None
) -> list[PeriodCount]:
    """Counts in 12-month periods back from today (today's period first), as far as needed.

    A day exactly 365 days ago is in the last 12 months, as in the repeat rules.
    """

    def period(day: date) -> int:
        return max(0, (today - day).days - 1) // 365

    all_days = incident_days + referral_days
    count = years or (max((period(d) for d in all_days), default=0) + 1)
    periods = []
    for n in range(count):
        label = "Last 12 months" if n == 0 else f"{12 * n} to {12 * (n + 1)} months ago"
        periods.append(
            PeriodCount(
                label,
                sum(1 for d in incident_days if period(d) == n),
                sum(1 for d in referral_days if period(d) == n),
            )
        )
    return periods


@dataclass(frozen=True)
class ChartPoint:
    x: float
    y: float
    point: RiskPoint


@dataclass(frozen=True)
class RiskChart:
    """Coordinates for a small SVG line chart of risk over time (drawn by the template)."""

    width: int
    height: int
    points: list[ChartPoint]
    levels: list[tuple[str, float]]  # (label, y) gridlines
    first: date | None
    last: date | None

    @property
    def path(self) -> str:
        return " ".join(
            f"{'M' if i == 0 else 'L'}{p.x:.1f},{p.y:.1f}" for i, p in enumerate(self.points)
        )


def risk_chart(points: list[RiskPoint], width: int = 600, height: int = 160) -> RiskChart:
    """Place each risk level on a time axis: low at the bottom, high at the top."""
    left, right, top, bottom = 70, 20, 15, 30
    ranks = {str(level): rank for level, rank in RISK_RANK.items()}
    top_rank = max(ranks.values())

    def y_of(rank: int) -> float:
        return top + (height - top - bottom) * (1 - rank / top_rank)

    levels = [(RiskLevel(level).label, y_of(rank)) for level, rank in ranks.items()]
    usable = [p for p in points if p.level in ranks]
    if not usable:
        return RiskChart(width, height, [], levels, None, None)
    first, last = usable[0].day, usable[-1].day
    span = max((last - first).days, 1)
    placed = []
    for p in usable:
        if first == last:
            x = left + (width - left - right) / 2
        else:
            x = left + (width - left - right) * (p.day - first).days / span
        placed.append(ChartPoint(x, y_of(ranks[p.level]), p))
    return RiskChart(width, height, placed, levels, first, last)
