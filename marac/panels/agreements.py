"""Lapsed information-sharing agreements: which agencies, and telling the coordinators once.

The rules live in `marac.accounts.agreements`; this module reads agencies with the panels
they sit on and sends the one notice per lapse (in-app and email through marac.notify).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.accounts.agreements import is_lapsed, needs_lapse_notice
from marac.accounts.models import Agency, User
from marac.audit import record
from marac.formatting import plural
from marac.notify import events
from marac.operations import operation
from marac.panels.models import Panel, panel_agency
from marac.panels.schedule import long_date

AGREEMENT_LAPSED = "agreement_lapsed"  # the notice kind


def lapsed_ids(agencies: Iterable[Agency], today: date) -> set[int]:
    """The ids of those agencies whose agreement has lapsed (no query)."""
    return {a.id for a in agencies if is_lapsed(a, today)}


def _coordinators_for(session: Session, agency: Agency) -> list[User]:
    """The coordinators running a panel the agency sits on; all of them if it sits on none."""
    panels = session.scalars(
        select(Panel)
        .join(panel_agency, panel_agency.c.panel_id == Panel.id)
        .where(panel_agency.c.agency_id == agency.id, Panel.active.is_(True))
    ).all()
    area_ids = {a.id for p in panels for a in p.areas}
    if not area_ids:
        return events.coordinators_for_area(session, None)
    users: dict[int, User] = {}
    for area_id in sorted(area_ids):
        for user in events.coordinators_for_area(session, area_id):
            users[user.id] = user
    return [users[k] for k in sorted(users)]


def _notice(agency: Agency) -> events.Notice:
    assert agency.review_date is not None
    when = long_date(agency.review_date)
    return events.Notice(
        AGREEMENT_LAPSED,
        f"Information-sharing agreement lapsed: {agency.name}",
        f"{agency.name}'s information-sharing agreement was due for review on {when} and "
        "has lapsed. Agree a new version with the agency before sharing more case "
        "information with it; an agenda published to it will ask for a reason. "
        f"Update the agreement: {events.SITE}/admin/agencies/{agency.id}",
        agency.name,
        f"/admin/agencies/{agency.id}",
    )


@operation
def tell_lapsed_agreements(db: Session, today: date) -> list[Agency]:
    """Tell the coordinators about each newly lapsed agreement, once per review date.

    Safe to run any number of times a day (each worker's scheduler runs it): the agency
    remembers the review date it was noticed for, in the same transaction as the notices.
    """
    candidates = db.scalars(
        select(Agency)
        .where(Agency.active.is_(True), Agency.review_date < today)
        .order_by(Agency.name)
        .with_for_update(skip_locked=True)
    ).all()
    told: list[Agency] = []
    for agency in candidates:
        if not needs_lapse_notice(agency, agency.isa_lapse_noticed_on, today):
            continue
        users = events.deliver(db, _coordinators_for(db, agency), _notice(agency))
        agency.isa_lapse_noticed_on = agency.review_date
        record(
            db,
            "agreement_lapse_noticed",
            "agency",
            agency.id,
            f"Information-sharing agreement lapsed; {plural(len(users), 'coordinator')} told",
        )
        told.append(agency)
    return told
