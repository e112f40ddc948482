"""The header navigation, by role: the everyday places only, so it fits on two lines.

Pages visited rarely are linked from the everyday ones (likely duplicates from Find a
person, panels from Meetings) rather than crowding the menu.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import g, request, url_for

from marac.accounts.models import Role


@dataclass(frozen=True)
class NavItem:
    text: str
    endpoint: str
    roles: frozenset[Role] | None = None  # None: every signed-in user
    section: str | tuple[str, ...] = ""  # endpoint prefixes whose pages mark it active
    supervisors_only: bool = False


NAV_ITEMS: tuple[NavItem, ...] = (
    NavItem("Home", "home.dashboard", section="home"),
    NavItem(
        "Record an incident",
        "incidents.new",
        frozenset({Role.REFERRER, Role.MEMBER, Role.COORDINATOR}),
        section="incidents.",
    ),
    NavItem(
        "Find a person",
        "people.search",
        frozenset({Role.REFERRER, Role.MEMBER, Role.COORDINATOR}),
        section="people.",
    ),
    NavItem(
        "Assessments",
        "assessments.index",
        frozenset({Role.REFERRER, Role.MEMBER, Role.COORDINATOR}),
        section="assessments.",
    ),
    NavItem(
        "Endorse",
        "assessments.endorsement_queue",
        section="assessments.endorse",
        supervisors_only=True,
    ),
    NavItem(
        "Referrals",
        "referrals.index",
        frozenset({Role.REFERRER, Role.MEMBER, Role.COORDINATOR}),
        section="referrals.index",
    ),
    NavItem(
        "Screening",
        "referrals.screening",
        frozenset({Role.COORDINATOR}),
        section="referrals.screen",
    ),
    NavItem(
        "Meetings",
        "meetings.index",
        frozenset({Role.MEMBER, Role.COORDINATOR}),
        section=("meetings.", "panels."),
    ),
    NavItem(
        "My actions",
        "actions.mine",
        frozenset({Role.REFERRER, Role.MEMBER, Role.COORDINATOR}),
        section="actions.",
    ),
    NavItem(
        "Notifications",
        "notify.index",
        frozenset({Role.REFERRER, Role.MEMBER, Role.COORDINATOR}),
        section="notify.",
    ),
    # Coordinators reach panels from Meetings: set up once, visited rarely.
    NavItem("Panels", "panels.index", frozenset({Role.ADMIN}), section="panels."),
    NavItem(
        "Reports", "reports.index", frozenset({Role.COORDINATOR, Role.ADMIN}), section="reports."
    ),
    NavItem("Import", "imports.index", frozenset({Role.COORDINATOR}), section="imports."),
    NavItem("Users", "admin.users", frozenset({Role.ADMIN}), section="admin.user"),
    NavItem(
        "Agencies",
        "admin.agencies",
        frozenset({Role.ADMIN}),
        section=("admin.agenc", "sso_admin."),  # single sign-on providers are per agency
    ),
    NavItem("Areas", "admin.areas", frozenset({Role.ADMIN}), section="admin.area"),
    NavItem("API clients", "api_admin.index", frozenset({Role.ADMIN}), section="api_admin."),
    NavItem("Audit log", "audit.log", frozenset({Role.ADMIN}), section="audit"),
    NavItem("Outbox", "notify.outbox", frozenset({Role.ADMIN}), section="notify.outbox"),
)


def navigation_for(user: object) -> list[dict[str, object]]:
    """govukServiceNavigation items for `user`, with the current section marked."""
    if not getattr(user, "is_authenticated", False):
        return []
    row = g.get("user_session")
    if row is None or row.second_factor_at is None:  # still signing in: nowhere else to go
        return []
    endpoint = request.endpoint or ""
    items = []
    for item in NAV_ITEMS:
        if item.roles is not None and not user.has_role(*item.roles):  # type: ignore[attr-defined]
            continue
        if item.supervisors_only and not user.is_supervisor:  # type: ignore[attr-defined]
            continue
        items.append(
            {
                "href": url_for(item.endpoint),
                "text": item.text,
                "active": bool(item.section) and endpoint.startswith(item.section),
            }
        )
    return items
