"""The demo borough: clearly fictional places, agencies and people for trying the service.

`load_demo_data` is idempotent: it adds what is missing and changes nothing else.
Later capabilities add their own records through `DEMO_EXTENSIONS`.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.accounts.models import Agency, AgencyType, Area, Role, User
from marac.accounts.passwords import hash_password
from marac.accounts.two_factor import DEMO_SECRET
from marac.audit import record
from marac.demo_borough import AREAS, DEMO_DOMAIN
from marac.panels.demo import load_panel_demo

DEMO_PASSWORD = "demo-marac-2026"  # shared by every demo user; printed by the command
# Every demo user's authenticator secret; the app accepts it in development and test only.
DEMO_TOTP_SECRET = DEMO_SECRET
AGENCIES: list[tuple[str, AgencyType]] = [
    ("Ashbrook Police", AgencyType.POLICE),
    ("Ashbrook Council Community Safety Unit", AgencyType.COMMUNITY_SAFETY),
    ("Ashbrook Council ASB Team", AgencyType.ASB),
    ("Ashbrook Council Housing", AgencyType.HOUSING),
    ("Brookside Homes", AgencyType.HOUSING_ASSOCIATION),
    ("Northgate Housing Trust", AgencyType.HOUSING_ASSOCIATION),
    ("Victim Support Ashbrook", AgencyType.VICTIM_SUPPORT),
    ("Stand Together Ashbrook", AgencyType.CHARITY),
    ("Ashbrook Adult Social Care", AgencyType.ADULT_SOCIAL_CARE),
    ("Ashbrook Children's Services", AgencyType.CHILDRENS_SERVICES),
    ("Ashbrook and District Mental Health Trust", AgencyType.MENTAL_HEALTH),
    ("Probation Service Ashbrook", AgencyType.PROBATION),
    ("Ashbrook Youth Justice Service", AgencyType.YOUTH_OFFENDING),
    ("Ashbrook Fire and Rescue", AgencyType.FIRE_RESCUE),
]

# (name, email local part, agency, role, supervisor)
USERS: list[tuple[str, str, str, Role, bool]] = [
    ("Priya Admin", "admin", "Ashbrook Council Community Safety Unit", Role.ADMIN, False),
    (
        "Catherine Okafor",
        "coordinator",
        "Ashbrook Council Community Safety Unit",
        Role.COORDINATOR,
        False,
    ),
    ("Martin Hale", "chair", "Ashbrook Council Community Safety Unit", Role.COORDINATOR, False),
    ("PC Daniel Reyes", "police.referrer", "Ashbrook Police", Role.REFERRER, False),
    ("Sgt Helen Marsh", "police.supervisor", "Ashbrook Police", Role.REFERRER, True),
    ("DS Amir Khan", "police.member", "Ashbrook Police", Role.MEMBER, False),
    ("Joanne Pike", "housing.officer", "Ashbrook Council Housing", Role.REFERRER, False),
    ("Tom Ellery", "housing.member", "Ashbrook Council Housing", Role.MEMBER, True),
    ("Grace Adeyemi", "asb.member", "Ashbrook Council ASB Team", Role.MEMBER, False),
    ("Lena Novak", "vs.member", "Victim Support Ashbrook", Role.MEMBER, False),
    ("Sam Whitlow", "brookside.officer", "Brookside Homes", Role.REFERRER, False),
    ("Ruth Osei", "charity.referrer", "Stand Together Ashbrook", Role.REFERRER, False),
    ("Nadia Farrell", "dpo", "Ashbrook Council Community Safety Unit", Role.GOVERNANCE, False),
]

DemoExtension = Callable[[Session], str]


def _repeats(db: Session) -> str:
    from marac.repeats.demo import load_repeat_demo

    return load_repeat_demo(db)


def _panels(db: Session) -> str:

    return load_panel_demo(db)


def _meetings(db: Session) -> str:
    from marac.meetings.demo import load_meeting_demo

    return load_meeting_demo(db)


def _minutes(db: Session) -> str:
    from marac.minutes.demo import load_minutes_demo

    return load_minutes_demo(db)


def _reports(db: Session) -> str:
    from marac.reports.demo import load_reports_demo

    return load_reports_demo(db)


def _restrictions(db: Session) -> str:
    from marac.restrictions.demo import load_restriction_demo

    return load_restriction_demo(db)


def _notifications(db: Session) -> str:
    from marac.actions.reminders import send_reminders
    from marac.formatting import uk_today

    # The overdue and soon-due actions give owners notices and members a digest.
    queued = len(send_reminders(db, uk_today()))
    return f"Demo notifications: {queued} reminders queued for the overdue and due actions."


# In order: the repeat-tracking cases, panels and their schedules, the meetings held and
# their issued minutes, the partnership's target, one restricted record, then the
# reminders the actions call for.
DEMO_EXTENSIONS: list[DemoExtension] = [
    _repeats,
    _panels,
    _meetings,
    _minutes,
    _reports,
    _restrictions,
    _notifications,
]


def _email(local: str) -> str:
    return f"{local}@{DEMO_DOMAIN}"


def load_demo_data(db: Session) -> str:
    """Add the demo borough's areas, agencies and users where missing; return a summary."""
    added = {"areas": 0, "agencies": 0, "users": 0}
    areas = {a.name: a for a in db.scalars(select(Area))}
    for name, wards, districts in AREAS:
        if name not in areas:
            areas[name] = Area(name=name, wards="\n".join(wards), postcode_districts=districts)
            db.add(areas[name])
            added["areas"] += 1
    agencies = {a.name: a for a in db.scalars(select(Agency))}
    for name, kind in AGENCIES:
        if name not in agencies:
            agencies[name] = Agency(name=name, type=kind.value)
            db.add(agencies[name])
            added["agencies"] += 1
    db.flush()
    existing = {u.email: u for u in db.scalars(select(User))}
    password_hash = hash_password(DEMO_PASSWORD)
    for name, local, agency, role, supervisor in USERS:
        if _email(local) in existing:
            # Demo users from before the second factor get the demo secret too.
            if existing[_email(local)].totp_secret is None:
                existing[_email(local)].totp_secret = DEMO_TOTP_SECRET
        else:
            db.add(
                User(
                    name=name,
                    email=_email(local),
                    agency_id=agencies[agency].id,
                    role=role.value,
                    is_supervisor=supervisor,
                    password_hash=password_hash,
                    totp_secret=DEMO_TOTP_SECRET,
                )
            )
            added["users"] += 1
    db.flush()
    lines = [
        f"Demo borough: added {added['areas']} areas, {added['agencies']} agencies, "
        f"{added['users']} users."
    ]
    from marac.demo_cases import load_case_demo

    lines.append(load_case_demo(db))
    for extend in DEMO_EXTENSIONS:
        lines.append(extend(db))
    record(db, "demo_data_loaded", "system", None, "; ".join(lines))
    db.commit()
    return "\n".join(lines)


def demo_logins(db: Session) -> list[str]:
    """One line per demo user: email, role and agency."""
    users = {
        u.email: u for u in db.scalars(select(User).where(User.email.like(f"%@{DEMO_DOMAIN}")))
    }
    lines = []
    for name, local, agency, role, supervisor in USERS:
        if _email(local) in users:
            extra = ", supervisor" if supervisor else ""
            lines.append(f"{_email(local):34} {role.label}{extra}: {name}, {agency}")
    return lines
