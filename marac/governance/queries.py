"""Who may handle a person's subject access and read who has seen a case, and those reads.

The information governance role handles every person; a coordinator handles the people
whose incidents or referrals lie in an area they cover (as `covers_area`: an unknown
area is every coordinator's). Members, referrers, admins and coordinators of other areas
may not. Audit reads are paged and filtered on the (object_type, object_id) index.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.accounts.areas import covers_area
from marac.accounts.models import Agency, Role, User
from marac.actions.models import Action
from marac.assessments.models import RiskAssessment
from marac.attachments.models import Attachment
from marac.audit.models import AuditEvent
from marac.governance.models import SubjectAccessPack
from marac.governance.pack import object_targets
from marac.incidents.models import Incident
from marac.operations import NotFound, allow
from marac.pagination import Page, paginate
from marac.people.models import Person
from marac.referrals.models import Referral

PER_PAGE = 50


def person_areas(db: Session, person_id: int) -> set[int | None]:
    """The areas of the person's incidents and referrals (None: an area not yet known)."""
    referral_areas = db.scalars(select(Referral.area_id).where(Referral.person_id == person_id))
    incident_areas = db.scalars(select(Incident.area_id).where(Incident.person_id == person_id))
    return set(referral_areas) | set(incident_areas)


def may_handle_person(db: Session, user: Any, person_id: int) -> bool:
    if user.has_role(Role.GOVERNANCE):
        return True
    if not user.has_role(Role.COORDINATOR):
        return False
    return any(covers_area(user, area) for area in person_areas(db, person_id))


def may_see_referral_views(user: Any, referral: Referral) -> bool:
    return user.has_role(Role.GOVERNANCE) or covers_area(user, referral.area_id)


def handled_person(db: Session, viewer: User, person_id: int) -> Person:
    """The person, if the viewer may handle their subject access (`Refused` otherwise)."""
    person = db.get(Person, person_id)
    if person is None:
        raise NotFound()
    allow(may_handle_person(db, viewer, person_id))
    return person


def seen_referral(db: Session, viewer: User, referral_id: int) -> Referral:
    referral = db.get(Referral, referral_id)
    if referral is None:
        raise NotFound()
    allow(may_see_referral_views(viewer, referral))
    return referral


def pack_of(db: Session, viewer: User, pack_id: int) -> SubjectAccessPack:
    pack = db.get(SubjectAccessPack, pack_id)
    if pack is None:
        raise NotFound()
    allow(may_handle_person(db, viewer, pack.person_id))
    return pack


def packs_for(db: Session, person_id: int) -> list[SubjectAccessPack]:
    return list(
        db.scalars(
            select(SubjectAccessPack)
            .where(SubjectAccessPack.person_id == person_id)
            .order_by(SubjectAccessPack.id.desc())
            .limit(50)
        )
    )


@dataclass(frozen=True)
class SeenRow:
    """One line of "who has seen this": who, their agency, what, when, from where."""

    at: Any
    who: str
    agency: str
    action: str
    record: str
    address: str


def _rows(db: Session, query: Any, page: int) -> Page[SeenRow]:
    found = paginate(db, query.order_by(AuditEvent.id.desc()), page, per_page=PER_PAGE)
    ids = {e.user_id for e in found.items if e.user_id}
    people = {
        user_id: (name, agency)
        for user_id, name, agency in db.execute(
            select(User.id, User.name, Agency.name)
            .join(Agency, Agency.id == User.agency_id)
            .where(User.id.in_(ids))
        )
    }
    rows = [
        SeenRow(
            at=e.at,
            who=people.get(e.user_id, (e.user_label, ""))[0] if e.user_id else e.user_label,
            agency=people.get(e.user_id, ("", ""))[1] if e.user_id else "",
            action=e.action.replace("_", " "),
            record=f"{e.object_type.replace('_', ' ')} {e.object_id or ''}".strip(),
            address=e.ip_address or "",
        )
        for e in found.items
    ]
    return Page(rows, found.page, found.per_page, found.total)


def seen_person_page(db: Session, person_id: int, page: int) -> Page[SeenRow]:
    """Events on the person, their incidents, assessments, referrals, actions, attachments."""
    incident_ids = list(db.scalars(select(Incident.id).where(Incident.person_id == person_id)))
    referral_ids = list(db.scalars(select(Referral.id).where(Referral.person_id == person_id)))
    assessment_ids = list(
        db.scalars(
            select(RiskAssessment.id).where(
                (RiskAssessment.person_id == person_id)
                | RiskAssessment.incident_id.in_(incident_ids or [-1])
            )
        )
    )
    action_ids = list(
        db.scalars(select(Action.id).where(Action.referral_id.in_(referral_ids or [-1])))
    )
    attachment_ids = list(
        db.scalars(
            select(Attachment.id).where(
                Attachment.incident_id.in_(incident_ids or [-1])
                | Attachment.referral_id.in_(referral_ids or [-1])
            )
        )
    )
    where = object_targets(
        person_id, incident_ids, assessment_ids, referral_ids, action_ids, attachment_ids
    )
    return _rows(db, select(AuditEvent).where(where), page)


def seen_referral_page(db: Session, referral_id: int, page: int) -> Page[SeenRow]:
    action_ids = list(db.scalars(select(Action.id).where(Action.referral_id == referral_id)))
    query = select(AuditEvent).where(
        ((AuditEvent.object_type == "referral") & (AuditEvent.object_id == str(referral_id)))
        | (
            (AuditEvent.object_type == "action")
            & AuditEvent.object_id.in_([str(i) for i in action_ids] or ["-"])
        )
    )
    return _rows(db, query, page)
