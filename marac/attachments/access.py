"""Who may see and add attachments: exactly who may see (or work on) their record.

Nothing new is decided here. An incident's attachments follow `can_view_incident`, a
referral's `can_view_referral`, an action's `can_view_action`; the SQL twins let a list
of many records' attachments be one query. Adding a document needs a hand in the record:
anyone who may see the incident, the referrer or the area's coordinators for a referral
(panel members read it, they do not add to the referral), whoever may record progress
on an action.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_, select
from sqlalchemy.orm import Session

from marac.accounts.areas import covers_area
from marac.accounts.models import Role
from marac.actions.access import can_update_action, can_view_action
from marac.actions.clauses import is_agency_manager
from marac.actions.models import Action
from marac.attachments.models import Attachment
from marac.incidents.access import can_view_incident, viewable_incidents
from marac.incidents.models import Incident
from marac.incidents.titles import lower_title
from marac.operations import NotFound
from marac.referrals.access import can_view_referral, coordinator_scope, viewable_referrals
from marac.referrals.models import Referral


@dataclass(frozen=True)
class Owner:
    """The record an attachment belongs to; `referral` is the action's case."""

    kind: str  # "incident" | "referral" | "action"
    id: int
    record: Any
    referral: Referral | None = None

    @property
    def title(self) -> str:
        """How pages name the record: "the verbal abuse incident of 3 March 2026",
        "CM-2026-0004", "the action on CM-..."."""
        if self.kind == "incident":
            return lower_title(self.record)
        if self.kind == "referral":
            return self.record.reference
        return f"the action on {self.referral.reference if self.referral else 'a case'}"


def load_owner(db: Session, kind: str, record_id: int) -> Owner:
    """The record, or `NotFound` (an unknown kind is as unknown as an unknown id)."""
    model = {"incident": Incident, "referral": Referral, "action": Action}.get(kind)
    record = db.get(model, record_id) if model is not None else None
    if record is None:
        raise NotFound()
    referral = db.get(Referral, record.referral_id) if kind == "action" else None
    if kind == "action" and referral is None:
        raise NotFound()
    return Owner(kind, record_id, record, referral)


def owner_of(db: Session, attachment: Attachment) -> Owner:
    return load_owner(db, *attachment.owner)


def can_view(db: Session, user: Any, owner: Owner) -> bool:
    if owner.kind == "incident":
        return can_view_incident(user, owner.record)
    if owner.kind == "referral":
        return can_view_referral(user, owner.record, db)
    assert owner.referral is not None
    return can_view_action(user, owner.record, owner.referral.area_id)


def can_add(db: Session, user: Any, owner: Owner) -> bool:
    if owner.kind == "incident":
        return can_view_incident(user, owner.record)
    if owner.kind == "referral":
        referral: Referral = owner.record
        if user.has_role(Role.ADMIN):
            return False
        return referral.referrer_id == user.id or covers_area(user, referral.area_id)
    assert owner.referral is not None
    return can_update_action(user, owner.record, owner.referral.area_id)


def viewable_actions(user: Any) -> ColumnElement[bool]:
    """`can_view_action` as a WHERE clause on Action joined to its Referral."""
    if user.has_role(Role.ADMIN):
        return false()
    shown = [
        coordinator_scope(user),
        Action.officer_id == user.id,
        and_(Action.officer_id.is_(None), Action.agency_id == user.agency_id),
    ]
    if is_agency_manager(user):
        shown.append(Action.agency_id == user.agency_id)
    return or_(*shown)


def viewable_attachments(
    user: Any,
    *,
    incident_ids: Any = (),
    referral_ids: Any = (),
    action_ids: Any = (),
) -> ColumnElement[bool]:
    """WHERE clause on Attachment: those on the given records that `user` may see.

    Each id list may be a list or a subquery of ids; the viewer's right is checked in
    the same statement, so a list of many records' attachments stays one query.
    """
    parts: list[ColumnElement[bool]] = []
    if incident_ids is not None:
        parts.append(
            Attachment.incident_id.in_(
                select(Incident.id).where(Incident.id.in_(incident_ids), viewable_incidents(user))
            )
        )
    if referral_ids is not None:
        parts.append(
            Attachment.referral_id.in_(
                select(Referral.id).where(Referral.id.in_(referral_ids), viewable_referrals(user))
            )
        )
    if action_ids is not None:
        parts.append(
            Attachment.action_id.in_(
                select(Action.id)
                .join(Referral, Referral.id == Action.referral_id)
                .where(Action.id.in_(action_ids), viewable_actions(user))
            )
        )
    return or_(*parts) if parts else false()
