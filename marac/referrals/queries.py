"""The reads the referral pages share, each checked for need-to-know and bounded.

Every function takes `(db, viewer, ...)` and refuses (or hides) what the viewer may not
see, so the API cannot bypass a check the page makes. A list is a fixed number of
queries per page. Reads that are audited (who looked at which list or case) are
`@operation`s, so their audit row commits with them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, case, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from marac.accounts.models import Agency, Area, Role, User
from marac.assessments.access import can_view_assessment
from marac.assessments.instrument import get_instrument
from marac.assessments.models import RiskAssessment
from marac.assessments.scoring import ScoringResult, suggested_level
from marac.audit import record
from marac.audit.models import AuditEvent
from marac.db import utcnow
from marac.incidents.access import can_view_incident, viewable_incidents
from marac.incidents.labels import local_strand_names, strand_summary
from marac.incidents.models import Incident
from marac.operations import NotFound, allow, operation
from marac.pagination import Page, paginate
from marac.people.access import can_view_person
from marac.people.models import Person
from marac.people.restriction import shown_person
from marac.referrals import consent as consent_rules
from marac.referrals.access import (
    SCREENABLE_STATUSES,
    can_screen_referral,
    can_see_subject,
    can_view_referral,
    coordinator_scope,
    hidden_references,
    redact_references,
    viewable_referrals,
)
from marac.referrals.models import (
    Referral,
    ReferralIncident,
    ReferralStatus,
    ScreeningVisit,
    TriggerSettings,
)
from marac.referrals.operations import (
    OBJECT,
    TRIGGER_FIELDS,
    may_record_sharing_basis,
    may_refer,
    needs_sharing_basis,
    other_open_referral,
    trigger_defaults,
)
from marac.referrals.triggers import UNHEARD_STATUSES

T = TypeVar("T")

# Audit actions shown as the referral's history, in the panel's words.
HISTORY_ACTIONS: dict[str, str] = {
    "referral_created": "Referred by a partner",
    "referral_created_automatically": "Referred automatically",
    "referral_trigger_added": "New trigger added",
    "referral_accepted": "Accepted",
    "referral_declined": "Declined",
    "referral_more_info_requested": "More information requested",
    "referral_info_added": "More information added by the referrer",
    "referral_sharing_basis_recorded": "Views, consent and lawful basis recorded",
    "referral_merged": "Merged into another referral",
    "referral_merged_into": "Another referral merged into this one",
}


@dataclass(frozen=True)
class ReferralList:
    """One page of referrals with the people and areas it names (one query each)."""

    page: Page[Any]
    people: dict[int, Person]
    areas: dict[int, Area]
    new_ids: frozenset[int] = frozenset()  # made since the viewer last opened the queue
    new_since: datetime | None = None
    # Screening: the referrals that cannot be accepted until the sharing basis is recorded.
    basis_needed: frozenset[int] = frozenset()


def by_id(db: Session, model: type[T], ids: Iterable[int | None]) -> dict[int, T]:
    """Rows of `model` by id, in one query (none when there are no ids)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = db.scalars(select(model).where(model.id.in_(wanted)))  # type: ignore[attr-defined]
    return {row.id: row for row in rows}  # type: ignore[attr-defined]


def _listed(db: Session, query: Select[Any], page_number: int | None) -> ReferralList:
    page = paginate(db, query, page_number)
    return ReferralList(
        page=page,
        people=by_id(db, Person, (r.person_id for r in page.items)),
        areas=by_id(db, Area, (r.area_id for r in page.items)),
    )


def ordered_queue(query: Select[Any]) -> Select[Any]:
    """High risk first, then repeats, then the longest waiting."""
    high_first = case((Referral.risk_level == "high", 0), else_=1)
    return query.order_by(
        high_first, Referral.is_repeat.desc(), Referral.created_at.asc(), Referral.id.asc()
    )


@operation
def own_referrals(db: Session, viewer: User, page_number: int | None) -> ReferralList:
    """The referrals the viewer made (automatic ones name them as the assessor).

    A referral of a person restricted from the viewer is left out (marac.people.restriction).
    """
    query = (
        select(Referral)
        .where(Referral.referrer_id == viewer.id, shown_person(viewer, Referral.person_id))
        .order_by(Referral.created_at.desc(), Referral.id.desc())
    )
    listed = _listed(db, query, page_number)
    page = listed.page
    record(
        db, "referrals_listed", OBJECT, None, f"Listed own referrals, page {page.page}", user=viewer
    )
    return listed


def _screening_new_since(
    db: Session, viewer: User, *, opened: bool, now: datetime
) -> datetime | None:
    """When the viewer looked before: referrals made after it are new to them.

    Opening the queue (not paging through it) moves the mark on, in one upsert whoever
    else opens theirs; the first opening ever has nothing to compare with.
    """
    if not opened:
        visit = db.get(ScreeningVisit, viewer.id)
        return visit.new_since if visit is not None else None
    dialect = postgresql if db.get_bind().dialect.name == "postgresql" else sqlite
    insert = dialect.insert(ScreeningVisit).values(user_id=viewer.id, opened_at=now, new_since=None)
    return db.scalar(
        insert.on_conflict_do_update(
            index_elements=[ScreeningVisit.user_id],
            set_={"new_since": ScreeningVisit.opened_at, "opened_at": insert.excluded.opened_at},
        ).returning(ScreeningVisit.new_since)
    )


@operation
def screening_queue(
    db: Session,
    viewer: User,
    page_number: int | None,
    *,
    opened: bool = False,
    now: datetime | None = None,
) -> ReferralList:
    """New referrals and answered requests in the coordinator's areas, most urgent first.

    What arrived since the coordinator last opened the queue comes first (highest risk
    first among it), so a new high-risk referral is on the first page. `opened` is an
    opening of the queue rather than a move to another page.
    """
    allow(viewer.has_role(Role.COORDINATOR))
    since = _screening_new_since(db, viewer, opened=opened, now=now or utcnow())
    query = select(Referral).where(
        Referral.status.in_(SCREENABLE_STATUSES), coordinator_scope(viewer)
    )
    if since is not None:
        query = query.order_by(case((Referral.created_at > since, 0), else_=1))
    listed = _listed(db, ordered_queue(query), page_number)
    page = listed.page
    record(
        db, "screening_queue_viewed", OBJECT, None, f"Screening queue page {page.page}", user=viewer
    )
    needed = frozenset(r.id for r in page.items if needs_sharing_basis(r))
    listed = replace(listed, basis_needed=needed)
    if since is None:
        return listed
    new_ids = frozenset(r.id for r in page.items if r.created_at > since)
    return replace(listed, new_ids=new_ids, new_since=since)


@operation
def high_risk_waiting(db: Session, viewer: User, page_number: int | None) -> ReferralList:
    """High-risk cases not yet heard at a panel, the longest waiting first."""
    allow(viewer.has_role(Role.COORDINATOR))
    query = (
        select(Referral)
        .where(
            Referral.risk_level == "high",
            Referral.status.in_(UNHEARD_STATUSES),
            coordinator_scope(viewer),
        )
        .order_by(Referral.created_at.asc(), Referral.id.asc())
    )
    listed = _listed(db, query, page_number)
    page = listed.page
    record(
        db, "high_risk_list_viewed", OBJECT, None, f"High risk not yet heard, page {page.page}",
        user=viewer,
    )  # fmt: skip
    return listed


def active_areas(db: Session) -> list[Area]:
    """The areas a coordinator may accept a referral for."""
    return list(db.scalars(select(Area).where(Area.active).order_by(Area.name)))


# ---- starting a partner referral ----------------------------------------------------------


@dataclass(frozen=True)
class ReferralStart:
    """What the partner referral form starts from, as far as the viewer may see it."""

    person: Person | None
    incident: Incident | None
    incidents: list[Incident]
    strands: dict[int, list[str]]
    sees_person: bool
    open_referral: Referral | None
    has_open_referral: bool


def referral_start(
    db: Session, viewer: User, person_id: int | None, incident_id: int | None
) -> ReferralStart:
    """The person (and incident) a referral starts from, checking the viewer may see them.

    Incidents are only those the viewer may see; a person linked by matching to someone
    the viewer may not see gives nothing from the person's record.
    """
    allow(may_refer(viewer))
    incident: Incident | None = None
    if incident_id is not None:
        incident = db.get(Incident, incident_id)
        if incident is None:
            raise NotFound()
        allow(can_view_incident(viewer, incident))
        person_id = incident.person_id
    if person_id is None:
        return ReferralStart(None, None, [], {}, False, None, False)
    person = db.get(Person, person_id)
    if person is None:
        raise NotFound()
    sees_person = can_view_person(db, viewer, person)
    if incident is None:
        allow(sees_person)
    incidents = list(
        db.scalars(
            select(Incident)
            .where(Incident.person_id == person.id, viewable_incidents(viewer))
            .order_by(Incident.occurred_at.desc(), Incident.id.desc())
        )
    )
    if not incidents:
        return ReferralStart(person, incident, [], {}, sees_person, None, False)
    local_names = local_strand_names(db, incidents)
    open_referral = db.scalar(
        select(Referral)
        .where(Referral.person_id == person.id, Referral.status.in_(UNHEARD_STATUSES))
        .order_by(Referral.created_at.desc())
        .limit(1)
    )
    return ReferralStart(
        person=person,
        incident=incident,
        incidents=incidents,
        strands={i.id: strand_summary(i, local_names) for i in incidents},
        # Only the referrer is shown their own open referral; others learn one exists.
        open_referral=open_referral
        if open_referral is not None and open_referral.referrer_id == viewer.id
        else None,
        has_open_referral=open_referral is not None and sees_person,
        sees_person=sees_person,
    )


@operation
def opened_referral_form(db: Session, viewer: User, person: Person) -> None:
    """Audit that the viewer opened the referral form about `person`."""
    record(
        db, "referral_form_opened", "person", person.id, "Opened the partner referral form",
        user=viewer,
    )  # fmt: skip


# ---- the referral page --------------------------------------------------------------------


def visible_referral(db: Session, viewer: User, referral_id: int) -> Referral:
    """The referral, if the viewer has a need to know it (`NotFound` / `Refused` otherwise)."""
    referral = db.get(Referral, referral_id)
    if referral is None:
        raise NotFound()
    allow(can_view_referral(viewer, referral, db))
    return referral


@operation
def viewed_referral(db: Session, viewer: User, referral: Referral) -> None:
    """Audit that the viewer read the referral page."""
    record(db, "referral_viewed", OBJECT, referral.id, f"Viewed {referral.reference}", user=viewer)


@dataclass(frozen=True)
class Evidence:
    """The endorsed assessment behind an automatic referral, as the screener reads it."""

    assessment: RiskAssessment
    scoring: ScoringResult
    critical: list[str]  # the critical answers and high diagnostics that suggested high
    assessor: str
    endorser: str
    agency: str


def assessment_evidence(db: Session, viewer: User, referral: Referral) -> Evidence | None:
    """The assessment a referral came from, if there is one and the viewer may read it.

    A panel member reads the case but not the assessment itself (the assessor's agency,
    its supervisors and the area's coordinators do).
    """
    if referral.assessment_id is None:
        return None
    assessment = db.get(RiskAssessment, referral.assessment_id)
    if assessment is None:
        return None
    incident = db.get(Incident, assessment.incident_id) if assessment.incident_id else None
    if not can_view_assessment(viewer, assessment, incident.area_id if incident else None):
        return None
    scoring = suggested_level(get_instrument(assessment.instrument_version), assessment.answers)
    names = by_id(db, User, (assessment.assessor_id, assessment.endorsed_by_id))
    agency = db.get(Agency, assessment.agency_id)
    endorser = names.get(assessment.endorsed_by_id or 0)
    return Evidence(
        assessment=assessment,
        scoring=scoring,
        critical=[r for r in scoring.reasons if not r.startswith("Score ")],
        assessor=names[assessment.assessor_id].name if assessment.assessor_id in names else "",
        endorser=assessment.external_endorser_name or (endorser.name if endorser else ""),
        agency=agency.name if agency else "",
    )


def sharing_basis_page(db: Session, viewer: User, referral_id: int) -> Referral:
    """The referral whose views, consent and basis the viewer is about to record."""
    referral = db.get(Referral, referral_id)
    if referral is None:
        raise NotFound()
    allow(may_record_sharing_basis(viewer, referral))
    return referral


def _days_waiting(referral: Referral, now: datetime) -> int:
    return max(0, (now - referral.created_at).days)


def referral_page(db: Session, viewer: User, referral: Referral, now: datetime) -> dict[str, Any]:
    """What the referral page shows of the referral itself, trimmed to the viewer's rights.

    A bounded number of queries whatever the referral's history. The caller has already
    checked `visible_referral`.
    """
    person = db.get(Person, referral.person_id) if referral.person_id else None
    area = db.get(Area, referral.area_id) if referral.area_id else None
    incidents = list(
        db.scalars(
            select(Incident)
            .join(ReferralIncident, ReferralIncident.incident_id == Incident.id)
            .where(ReferralIncident.referral_id == referral.id)
            .order_by(Incident.occurred_at.desc())
        )
    )
    local_names = local_strand_names(db, incidents)
    previous_id = referral.previous_referral_id
    previous = db.get(Referral, previous_id) if previous_id else None
    users = by_id(db, User, (referral.referrer_id, referral.screened_by_id))
    agency = db.get(Agency, referral.referring_agency_id) if referral.referring_agency_id else None
    history = list(
        db.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.object_type == OBJECT,
                AuditEvent.object_id == str(referral.id),
                AuditEvent.action.in_(list(HISTORY_ACTIONS)),
            )
            .order_by(AuditEvent.at, AuditEvent.id)
        )
    )
    # Reasons may name an earlier referral ("Repeat: previous MARAC referral CM-...").
    hidden = hidden_references(db, viewer, referral.trigger_reasons or [])
    can_screen = can_screen_referral(viewer, referral) and referral.status in SCREENABLE_STATUSES
    # The person's other open case, offered to merge into (the screener sees both).
    other_open = other_open_referral(db, referral) if can_screen else None
    if other_open is not None and not can_screen_referral(viewer, other_open):
        other_open = None
    merged_into = db.get(Referral, referral.merged_into_id) if referral.merged_into_id else None
    return {
        "evidence": assessment_evidence(db, viewer, referral),
        "basis_recorded": consent_rules.is_recorded(referral),
        "basis_words": consent_rules.basis_words(referral),
        "basis_not_recorded": consent_rules.NOT_RECORDED,
        "can_record_basis": may_record_sharing_basis(viewer, referral),
        "other_open": other_open,
        "merged_into": merged_into
        if merged_into is not None and can_view_referral(viewer, merged_into, db)
        else None,
        "reasons": [redact_references(r, hidden) for r in referral.trigger_reasons or []],
        "sees_subject": can_see_subject(db, viewer, referral, person),
        "referral": referral,
        "person": person,
        "area": area,
        "incidents": [(i, strand_summary(i, local_names)) for i in incidents],
        # Only a previous referral the viewer may open is named (never its reference alone).
        "previous": previous
        if previous is not None and can_view_referral(viewer, previous, db)
        else None,
        "referrer": users.get(referral.referrer_id or 0),
        "screened_by": users.get(referral.screened_by_id or 0),
        "agency": agency,
        "history": history,
        "history_labels": HISTORY_ACTIONS,
        "can_screen": can_screen,
        "can_reply": referral.status == ReferralStatus.MORE_INFO
        and referral.referrer_id == viewer.id,
        "days_waiting": _days_waiting(referral, now),
        "sees_person": person is not None and can_view_person(db, viewer, person),
        # Per incident: a panel member reading a listed case may not open its incidents.
        "viewable_incident_ids": {i.id for i in incidents if can_view_incident(viewer, i)},
        "is_coordinator": viewer.has_role(Role.COORDINATOR),
    }


def days_waiting(referral: Referral, now: datetime) -> int:
    """Whole days since the referral was made (for the lists)."""
    return _days_waiting(referral, now)


# ---- an area's trigger settings (admins) ----------------------------------------------------


@dataclass(frozen=True)
class AreaTriggers:
    """An area's thresholds as they stand (the defaults until an admin saves its own)."""

    area: Area
    values: dict[str, object]
    saved: bool


def area_triggers(db: Session, viewer: User, area_id: int) -> AreaTriggers:
    """The trigger settings page's read: admins only."""
    allow(viewer.has_role(Role.ADMIN))
    area = db.get(Area, area_id)
    if area is None:
        raise NotFound()
    settings = db.get(TriggerSettings, area.id)
    values = (
        {name: getattr(settings, name) for name in TRIGGER_FIELDS}
        if settings
        else trigger_defaults()
    )
    return AreaTriggers(area=area, values=values, saved=settings is not None)


def incident_referrals(db: Session, viewer: User, incident_id: int) -> list[Referral]:
    """The referrals about an incident that the viewer may open (the incident page)."""
    return list(
        db.scalars(
            select(Referral)
            .join(ReferralIncident, ReferralIncident.referral_id == Referral.id)
            .where(ReferralIncident.incident_id == incident_id, viewable_referrals(viewer))
            .order_by(Referral.created_at.desc(), Referral.id.desc())
        )
    )
