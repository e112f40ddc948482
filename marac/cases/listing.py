"""The Cases list: every referral the viewer may open, filtered, searched, sorted, paged.

Coordinators see every referral in their areas (and those with no area yet); panel
members see the cases listed on published agendas of panels their agency sits on, until
closed. Both come from one clause, `marac.referrals.access.viewable_referrals`, applied
to the list, its count and its search, so nothing the viewer could not open is listed
or counted. Referrers have their own list (Referrals); admins and the governance role
see no case data, so they are refused.

A page is a fixed number of queries whatever the table's size: the count and the page
(`marac.pagination`), the people and areas it names, the filter choices, the audit row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, exists, or_, select
from sqlalchemy.orm import Session

from marac.accounts.models import Area, Role, User
from marac.audit import record
from marac.cases.search import matching_referrals
from marac.formatting import UK
from marac.incidents.models import IncidentStrand
from marac.incidents.strands import STRAND_LABELS
from marac.operations import allow, operation
from marac.pagination import Page, paginate
from marac.panels.access import visible_panels
from marac.panels.models import Panel, panel_area
from marac.people.models import Person
from marac.referrals.access import viewable_referrals
from marac.referrals.models import SOURCE_LABELS, STATUS_LABELS, Referral, ReferralIncident
from marac.referrals.queries import by_id

PER_PAGE = 50
LIST_ROLES = (Role.COORDINATOR, Role.MEMBER)

RISK_LABELS: dict[str, str] = {
    "high": "High",
    "medium": "Medium",
    "low": "Low",
    "unknown": "Not known",
}

# Sortable columns: what each sorts by. Every order ends with the id, so pages never overlap.
SORT_LABELS: dict[str, str] = {
    "reference": "Reference",
    "area": "Area",
    "referred": "Referred",
    "risk": "Risk",
    "status": "Status",
}
DEFAULT_SORT = ("referred", "descending")


def may_list_cases(user: Any) -> bool:
    """Coordinators and panel members; never admins or the governance role (no case data)."""
    return bool(user.has_role(*LIST_ROLES)) and not user.has_role(Role.ADMIN, Role.GOVERNANCE)


@dataclass(frozen=True)
class CaseFilters:
    """What the viewer asked for, already checked (the form refuses anything else)."""

    text: str = ""
    statuses: tuple[str, ...] = ()
    risks: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    area_id: int | None = None
    panel_id: int | None = None
    strand: str = ""
    referred_from: date | None = None
    referred_to: date | None = None
    sort: str = DEFAULT_SORT[0]
    order: str = DEFAULT_SORT[1]

    @property
    def any(self) -> bool:
        """A filter or a search is applied (the page says so and offers to clear them)."""
        return bool(
            self.text
            or self.statuses
            or self.risks
            or self.sources
            or self.area_id
            or self.panel_id
            or self.strand
            or self.referred_from
            or self.referred_to
        )


@dataclass(frozen=True)
class CaseList:
    page: Page[Referral]
    people: dict[int, Person]
    areas: dict[int, Area]
    filters: CaseFilters


def _uk_midnight(day: date) -> datetime:
    """The start of a UK day, as the aware datetime stored dates compare with."""
    return datetime.combine(day, time.min, tzinfo=UK)


def _filter_clauses(filters: CaseFilters) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    if filters.statuses:
        clauses.append(Referral.status.in_(filters.statuses))
    if filters.risks:
        known = [r for r in filters.risks if r != "unknown"]
        parts = [Referral.risk_level.in_(known)] if known else []
        if "unknown" in filters.risks:
            parts.append(Referral.risk_level.is_(None))
        clauses.append(or_(*parts))
    if filters.sources:
        clauses.append(Referral.source.in_(filters.sources))
    if filters.area_id:
        clauses.append(Referral.area_id == filters.area_id)
    if filters.panel_id:
        clauses.append(
            Referral.area_id.in_(
                select(panel_area.c.area_id).where(panel_area.c.panel_id == filters.panel_id)
            )
        )
    if filters.strand:
        clauses.append(
            exists().where(
                ReferralIncident.referral_id == Referral.id,
                IncidentStrand.incident_id == ReferralIncident.incident_id,
                IncidentStrand.code == filters.strand,
            )
        )
    if filters.referred_from:
        clauses.append(Referral.created_at >= _uk_midnight(filters.referred_from))
    if filters.referred_to:
        clauses.append(Referral.created_at < _uk_midnight(filters.referred_to + timedelta(days=1)))
    return clauses


def _order_by(filters: CaseFilters) -> list[Any]:
    descending = filters.order == "descending"
    key: Any
    if filters.sort == "reference":
        key = Referral.reference
    elif filters.sort == "area":
        key = select(Area.name).where(Area.id == Referral.area_id).scalar_subquery()
    elif filters.sort == "risk":  # highest first when descending; not known last either way
        rank = case({"high": 3, "medium": 2, "low": 1}, value=Referral.risk_level, else_=0)
        key = rank
    elif filters.sort == "status":  # in the order a case moves through
        key = case({s: n for n, s in enumerate(STATUS_LABELS)}, value=Referral.status, else_=99)
    else:
        key = Referral.created_at
    return [
        key.desc() if descending else key.asc(),
        Referral.id.desc() if descending else Referral.id,
    ]


def case_query(db: Session, viewer: User, filters: CaseFilters) -> Any:
    """The SELECT of the viewer's referrals matching `filters`, sorted (not yet paged)."""
    query = select(Referral).where(viewable_referrals(viewer), *_filter_clauses(filters))
    found = matching_referrals(filters.text, db.get_bind().dialect.name)
    if found is not None:
        query = query.where(Referral.id.in_(found))
    return query.order_by(*_order_by(filters))


def filter_choices(db: Session, viewer: User) -> tuple[list[Area], list[Panel]]:
    """The areas and panels the filters offer: active areas, and panels the viewer may see."""
    areas = list(db.scalars(select(Area).where(Area.active).order_by(Area.name)))
    panels = list(
        db.scalars(select(Panel).where(Panel.active, visible_panels(viewer)).order_by(Panel.name))
    )
    return areas, panels


@operation
def list_cases(
    db: Session, viewer: User, filters: CaseFilters, page_number: int | None
) -> CaseList:
    """One page of the viewer's cases; audited without the search text (it may be a name)."""
    allow(may_list_cases(viewer))
    page = paginate(db, case_query(db, viewer, filters), page_number, per_page=PER_PAGE)
    summary = f"Cases list page {page.page}"
    if filters.any:
        summary += ", filtered or searched"
    record(db, "cases_listed", "referral", None, summary, user=viewer)
    return CaseList(
        page=page,
        people=by_id(db, Person, (r.person_id for r in page.items)),
        areas=by_id(db, Area, (r.area_id for r in page.items)),
        filters=filters,
    )


def labels() -> dict[str, dict[str, str]]:
    """The labels the filters and the table show."""
    return {
        "status": dict(STATUS_LABELS),
        "source": dict(SOURCE_LABELS),
        "risk": RISK_LABELS,
        "strand": dict(STRAND_LABELS),
        "sort": SORT_LABELS,
    }
