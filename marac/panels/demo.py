"""The demo borough's three panels and two years of their meetings.

Runs after the demo areas, agencies and users exist (a `DEMO_EXTENSIONS` entry).
Idempotent: a panel that exists is left as it is, and scheduling never doubles a
meeting, so a second run only adds the cycles that have come into range since.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.accounts.models import Agency, Area, Role, User
from marac.db import utcnow
from marac.demo_borough import AREAS, DEMO_DOMAIN
from marac.formatting import UK
from marac.panels.models import Panel
from marac.panels.schedule import add_months, schedule_panel

# Every panel has the core partners; each adds the services its area leans on.
CORE_AGENCIES = [
    "Ashbrook Police",
    "Ashbrook Council Community Safety Unit",
    "Ashbrook Council ASB Team",
    "Ashbrook Council Housing",
    "Brookside Homes",
    "Northgate Housing Trust",
    "Victim Support Ashbrook",
    "Stand Together Ashbrook",
    "Ashbrook Adult Social Care",
    "Ashbrook and District Mental Health Trust",
]


@dataclass(frozen=True)
class DemoPanel:
    area: str
    weekday: int
    start: time
    venue: str
    chair: str  # email local part of a demo coordinator
    extra_agencies: tuple[str, ...]


PANELS = [
    DemoPanel(
        "Ashbrook North",
        0,
        time(10, 0),
        "Millfield Community Hub, 14 Thornbury Road, Ashbrook AK1 4MH",
        "coordinator",
        ("Ashbrook Fire and Rescue",),
    ),
    DemoPanel(
        "Ashbrook Central",
        2,
        time(13, 30),
        "Committee Room 2, Ashbrook Civic Centre, Market Cross, Ashbrook AK4 1CC",
        "chair",
        ("Ashbrook Children's Services", "Probation Service Ashbrook"),
    ),
    DemoPanel(
        "Ashbrook South",
        3,
        time(10, 0),
        "Southmoor Library meeting room, Copper Lane, Ashbrook AK6 2SL",
        "chair",
        ("Ashbrook Youth Justice Service", "Probation Service Ashbrook"),
    ),
]

HISTORY_YEARS = 2
AHEAD_MONTHS = 6


def _assign_coordinator_areas(db: Session, areas: dict[str, Area]) -> int:
    """Demo coordinators with no areas cover the whole borough (the demo's one CSU team)."""
    changed = 0
    for user in db.scalars(
        select(User).where(User.role == Role.COORDINATOR.value, User.email.like(f"%@{DEMO_DOMAIN}"))
    ):
        if not user.areas:
            user.areas = [areas[name] for name, _wards, _districts in AREAS if name in areas]
            changed += 1
    return changed


LAPSED_DEMO_AGENCY = "Stand Together Ashbrook"  # its agreement lapsed three weeks ago


def _demo_agreements(db: Session, agencies: dict[str, Agency], today: date) -> int:
    """Give each demo agency a signed information-sharing agreement (fictional ICO numbers),
    one of them lapsed, so the lapse warnings show. Agencies with one already keep it."""
    added = 0
    for n, name in enumerate(sorted(agencies), start=1):
        agency = agencies[name]
        if agency.isa_version:
            continue
        agency.ico_registration = f"ZX9{n:05d}"
        agency.isa_version = "2.1" if name == LAPSED_DEMO_AGENCY else "3.0"
        if name == LAPSED_DEMO_AGENCY:
            agency.isa_signed_on = add_months(today, -37)
            agency.review_date = today - timedelta(days=21)
        else:
            agency.isa_signed_on = add_months(today, -(n % 10) - 2)
            agency.review_date = add_months(agency.isa_signed_on, 24)
        added += 1
    return added


def load_panel_demo(db: Session) -> str:
    """Add the three demo panels and their meetings where missing; return a summary."""
    areas = {a.name: a for a in db.scalars(select(Area))}
    if not all(name in areas for name, _wards, _districts in AREAS):
        return "Demo panels: the demo areas are missing, nothing added."
    agencies = {a.name: a for a in db.scalars(select(Agency))}
    chairs = {
        u.email.split("@")[0]: u
        for u in db.scalars(select(User).where(User.email.like(f"%@{DEMO_DOMAIN}")))
    }
    coordinators = _assign_coordinator_areas(db, areas)
    existing = {p.name: p for p in db.scalars(select(Panel))}
    today = utcnow().astimezone(UK).date()
    agreements = _demo_agreements(db, agencies, today)
    first = add_months(today, -12 * HISTORY_YEARS)
    until = add_months(today, AHEAD_MONTHS)
    added_panels = added_meetings = 0
    for plan in PANELS:
        name = f"{plan.area} Community MARAC"
        panel = existing.get(name)
        if panel is None:
            chair = chairs.get(plan.chair)
            panel = Panel(
                name=name,
                cadence_weeks=6,
                weekday=plan.weekday,
                start_time=plan.start,
                venue=plan.venue,
                slot_minutes=15,
                chair_id=chair.id if chair else None,
                active=True,
            )
            panel.areas = [areas[plan.area]]
            panel.agencies = [
                agencies[n] for n in (*CORE_AGENCIES, *plan.extra_agencies) if n in agencies
            ]
            db.add(panel)
            db.flush()
            added_panels += 1
        if panel.active:
            added_meetings += len(schedule_panel(db, panel, first, until))
    db.flush()
    return (
        f"Demo panels: added {added_panels} panels and {added_meetings} meetings; "
        f"gave {coordinators} coordinators their areas and {agreements} agencies their "
        "information-sharing agreements."
    )
