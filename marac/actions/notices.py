"""Who hears about an action: its named officer, or the owning agency's members."""

from __future__ import annotations

from sqlalchemy.orm import Session

from marac.accounts.models import User
from marac.actions.models import Action
from marac.notify.events import (
    ACTION_ASSIGNED,
    Notice,
    active,
    deliver,
    members_of_agencies,
    quietly,
)
from marac.panels.schedule import long_date


def action_owners(session: Session, action: Action) -> list[User]:
    """The named officer; with nobody named, the owning agency's members."""
    if action.officer_id is not None:
        officer = session.get(User, action.officer_id)
        return active([officer]) if officer else []
    return members_of_agencies(session, [action.agency_id])


@quietly
def action_assigned(session: Session, action: Action, reference: str) -> list[User]:
    """An action given to an officer (or, with nobody named, to the agency's members)."""
    notice = Notice(
        ACTION_ASSIGNED,
        f"MARAC action assigned: {reference}",
        f"An action for case {reference} has been assigned to you or your agency, "
        f"due {long_date(action.due_date)}.",
        reference,
        f"/actions/{action.id}",
    )
    return deliver(session, action_owners(session, action), notice)
