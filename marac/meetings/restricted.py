"""Restricted records inside a meeting: which listed cases a viewer sees only as a placeholder.

The rule is `marac.people.restriction` (the restricting coordinator and the named users see
the person; everyone else who would have seen the case is told a restricted record
exists). An agenda, a meeting record and the minutes list every case, so here one query
per page marks the cases whose person is hidden from the viewer; the pages then show a
placeholder row in the case's slot ("Restricted record R-<n>"), keeping the running order.

Documents shared with many (the agenda PDF, the minutes and the agencies' extracts) have
no single viewer: they always withhold every restricted case (`viewer` None).
No Flask here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy.orm import Session

from marac.people.restriction import RestrictedRecord, hidden_restrictions, is_hidden
from marac.referrals.models import Referral

CLOSED_ITEM = "heard as a closed item; the record is held by the coordinator"
WITHHELD = "Withheld"
WITHHELD_ACTION = "Action on a restricted record: the details are held by the coordinator"


def placeholder(restriction_id: int) -> str:
    """The words a page shows in a restricted case's place (the same R-<n> as its 403 page)."""
    return f"Restricted record R-{restriction_id}"


def closed_item(restriction_id: int) -> str:
    """The line a shared document prints in a restricted case's place."""
    return f"{placeholder(restriction_id)}: {CLOSED_ITEM}"


def withheld_referrals(
    session: Session, viewer: Any | None, referrals: Iterable[Referral]
) -> dict[int, int]:
    """Referral id -> restriction id of the cases `viewer` may see only as a placeholder.

    One query whatever the number of cases. `viewer` None is a shared document: every
    restricted case is withheld.
    """
    cases = list(referrals)
    hidden = hidden_restrictions(session, viewer, (r.person_id for r in cases))
    return {r.id: hidden[r.person_id] for r in cases if r.person_id in hidden}


def refuse_if_hidden(session: Session, viewer: Any, referral: Referral) -> None:
    """Raise `RestrictedRecord` (403 with the placeholder page) when the case is hidden."""
    if is_hidden(session, viewer, referral.person_id):
        raise RestrictedRecord(referral.id)


def redact(text: str, secrets: Mapping[str, str]) -> str:
    """`text` with each secret (a hidden case's reference or its person's name) replaced
    by its placeholder: amendment summaries and reasons name the case they changed."""
    for secret, label in sorted(secrets.items(), key=lambda kv: -len(kv[0])):
        if secret:
            text = re.sub(re.escape(secret), label, text, flags=re.IGNORECASE)
    return text
