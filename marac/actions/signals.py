"""What the action capability asks of those above it: documents about an action.

An action need not know its documents. Its page sends `documents_requested`; a higher
capability (the minutes: the owning agency's extract) connects a receiver that answers
with the documents the viewer may open. Receivers run synchronously, in the same session.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from blinker import Namespace
from sqlalchemy.orm import Session

from marac.actions.models import Action

signals = Namespace()

# sender: the Action; keyword arguments: db (Session), viewer (User).
# A receiver returns a list of ActionDocument (or None).
documents_requested = signals.signal("action-documents-requested")


@dataclass(frozen=True)
class ActionDocument:
    """A link to a document about an action: its label and the endpoint that serves it."""

    label: str
    endpoint: str
    values: dict[str, int] = field(default_factory=dict)


def documents_about(db: Session, viewer: Any, action: Action) -> list[ActionDocument]:
    """Every document the connected capabilities offer this viewer about the action."""
    found: list[ActionDocument] = []
    for _receiver, documents in documents_requested.send(action, db=db, viewer=viewer):
        found.extend(documents or [])
    return found
