"""The reads the action pages (and the API) share: lists, one action's page, choices.

Lists filter and sort in the database (the clauses of `actions.clauses`) so each page runs
a fixed number of queries. A need-to-know check sits here, so no door can bypass it.
Listings are audited, so those reads are operations (they commit their audit row).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.orm import Session

from marac.accounts.models import Agency, Role, User
from marac.actions.access import can_view_action
from marac.actions.clauses import (
    agency_scope,
    assigned_to,
    is_agency_manager,
    outstanding,
    overdue,
    owner_order,
)
from marac.actions.context import CaseContext, case_contexts
from marac.actions.models import OUTSTANDING_STATUSES, Action, ActionUpdate
from marac.actions.rules import STATUS_LABELS
from marac.actions.signals import ActionDocument, documents_about
from marac.audit import record
from marac.operations import NotFound, allow, operation
from marac.pagination import Page, paginate
from marac.panels.access import visible_panels
from marac.panels.models import Meeting, Panel
from marac.people.restriction import shown_person
from marac.referrals.models import Referral

__all__ = [
    "agency_scope",
    "assigned_to",
    "is_agency_manager",
    "outstanding",
    "overdue",
    "owner_order",
]


def edit_choices(db: Session, action: Action) -> tuple[list[Agency], list[User]]:
    """Who may own the action once corrected: the panel's agencies (all active ones for an
    action agreed outside a meeting, and always its current agency) and their officers."""
    meeting = db.get(Meeting, action.meeting_id) if action.meeting_id else None
    if meeting is not None:
        agencies = sorted(meeting.panel.agencies, key=lambda a: a.name)
    else:
        agencies = list(db.scalars(select(Agency).where(Agency.active).order_by(Agency.name)))
    ids = [a.id for a in agencies] or [action.agency_id]
    if action.agency_id not in ids:
        extra = db.get(Agency, action.agency_id)
        if extra is not None:
            agencies.append(extra)
            ids.append(extra.id)
    officers = list(
        db.scalars(
            select(User)
            .where(User.agency_id.in_(ids), User.active, User.role != Role.ADMIN.value)
            .order_by(User.name)
        )
    )
    return agencies, officers


# ---- the pages' reads -------------------------------------------------------------------


def _by_id(db: Session, model: Any, ids: Iterable[int | None]) -> dict[int, Any]:
    """Rows of `model` by id, in one query (none when there are no ids)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {row.id: row for row in db.scalars(select(model).where(model.id.in_(wanted)))}


@dataclass
class ActionList:
    """One page of actions with what the list shows beside each."""

    page: Page
    contexts: dict[int, CaseContext]
    agencies: dict[int, Agency] = field(default_factory=dict)
    officers: dict[int, User] = field(default_factory=dict)


def _not_restricted(viewer: User) -> ColumnElement[bool]:
    """Leaves out actions on a person restricted from the viewer (marac.people.restriction)."""
    return exists().where(
        Referral.id == Action.referral_id, shown_person(viewer, Referral.person_id)
    )


@operation
def my_actions(
    db: Session, viewer: User, *, today: date, show_finished: bool, page: int
) -> ActionList:
    """Actions named to the viewer, and their agency's with nobody named: overdue first.

    The listing is audited, so this commits.
    """
    query = select(Action).where(assigned_to(viewer), _not_restricted(viewer))
    if not show_finished:
        query = query.where(outstanding())
    query = query.order_by(*owner_order(today))
    found = paginate(db, query, page)
    contexts = case_contexts(db, found.items)
    record(
        db,
        "my_actions_listed",
        "action",
        None,
        f"Listed my actions, page {found.page}",
        user=viewer,
    )
    return ActionList(found, contexts)


def can_use_agency_view(user: Any) -> bool:
    return is_agency_manager(user) or user.has_role(Role.COORDINATOR)


@dataclass
class AgencyFilters:
    """The agency view's filters, as understood (an unknown status reads as "all")."""

    status: str = "outstanding"
    overdue_only: bool = False
    officer_id: int | None = None
    panel_id: int | None = None


@operation
def agency_actions(
    db: Session, viewer: User, filters: AgencyFilters, *, today: date, page: int
) -> tuple[ActionList, AgencyFilters, list[User], list[Panel]]:
    """All the agency's actions for its managers; coordinators see their areas' cases.

    Returns the page, the filters as applied, and the officer and panel choices. Audited.
    """
    allow(can_use_agency_view(viewer))
    status = filters.status
    query = select(Action).join(Referral, Referral.id == Action.referral_id)
    query = query.where(agency_scope(viewer), shown_person(viewer, Referral.person_id))
    if status == "outstanding":
        query = query.where(Action.status.in_(OUTSTANDING_STATUSES))
    elif status in STATUS_LABELS:
        query = query.where(Action.status == status)
    else:
        status = "all"
    overdue_only = filters.overdue_only
    officer_id = filters.officer_id
    panel_id = filters.panel_id
    if overdue_only:
        query = query.where(overdue(today))
    if officer_id:
        query = query.where(Action.officer_id == officer_id)
    if panel_id:
        query = query.join(Meeting, Meeting.id == Action.meeting_id).where(
            Meeting.panel_id == panel_id
        )
    found = paginate(db, query.order_by(*owner_order(today)), page)
    listing = ActionList(
        found,
        case_contexts(db, found.items),
        _by_id(db, Agency, (a.agency_id for a in found.items)),
        _by_id(db, User, (a.officer_id for a in found.items)),
    )
    # Filter choices: the officers named on actions in scope; the panels I may see.
    named = (
        select(Action.officer_id)
        .join(Referral, Referral.id == Action.referral_id)
        .where(agency_scope(viewer), Action.officer_id.is_not(None))
    )
    officer_choices = list(db.scalars(select(User).where(User.id.in_(named)).order_by(User.name)))
    panels = list(db.scalars(select(Panel).where(visible_panels(viewer)).order_by(Panel.name)))
    record(
        db,
        "agency_actions_listed",
        "action",
        None,
        f"Listed agency actions: status {status}, overdue only {overdue_only}, "
        f"officer {officer_id or 'any'}, panel {panel_id or 'any'}, page {found.page}",
        user=viewer,
    )
    applied = AgencyFilters(status, overdue_only, officer_id, panel_id)
    return listing, applied, officer_choices, panels


def visible_action(db: Session, viewer: User, action_id: int) -> tuple[Action, Referral]:
    """The action and its case, if the viewer may see it (`NotFound` / `Refused`)."""
    action = db.get(Action, action_id)
    referral = db.get(Referral, action.referral_id) if action is not None else None
    if action is None or referral is None:
        raise NotFound()
    allow(can_view_action(viewer, action, referral.area_id))
    return action, referral


@dataclass
class ActionPage:
    """What an action's page shows besides its forms."""

    action: Action
    referral: Referral
    context: CaseContext
    agency: Agency | None
    log: list[ActionUpdate]
    users: dict[int, User]
    documents: list[ActionDocument]


def action_page(db: Session, viewer: User, action_id: int) -> ActionPage:
    """The action, its case context, its progress log (newest first) and the documents
    other capabilities offer about it (the owning agency's extract of the minutes)."""
    action, referral = visible_action(db, viewer, action_id)
    log = list(
        db.scalars(
            select(ActionUpdate)
            .where(ActionUpdate.action_id == action.id)
            .order_by(ActionUpdate.created_at.desc(), ActionUpdate.id.desc())
        )
    )
    users = _by_id(db, User, [u.user_id for u in log] + [action.officer_id, action.created_by_id])
    return ActionPage(
        action=action,
        referral=referral,
        context=case_contexts(db, [action])[action.id],
        agency=db.get(Agency, action.agency_id),
        log=log,
        users=users,
        documents=documents_about(db, viewer, action),
    )


@operation
def action_viewed(db: Session, viewer: User, action_id: int) -> None:
    """The audit row of a viewing of the action's page."""
    action, referral = visible_action(db, viewer, action_id)
    record(
        db,
        "action_viewed",
        "action",
        action.id,
        f"Viewed action {action.id} on {referral.reference}",
        user=viewer,
    )
