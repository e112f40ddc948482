"""The header navigation, by role: the everyday places only, so it fits on two lines.

Pages visited rarely are linked from the everyday ones (likely duplicates from Find a
person, panels from Meetings) rather than crowding the menu.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import current_app, g, request, url_for

from marac.accounts.models import Role
from marac.inputs import MAX_ID

# No row has this id (the `int` converter refuses anything above MAX_ID), so it can stand
# in for the varying id of a URL built once.
_PLACEHOLDER = MAX_ID + 1


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
    NavItem("Cases", "cases.index", frozenset({Role.MEMBER, Role.COORDINATOR}), section="cases."),
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
    NavItem(
        "Restricted records",
        "restrictions.index",
        frozenset({Role.COORDINATOR}),
        section="restrictions.",
    ),
    NavItem("Users", "admin.users", frozenset({Role.ADMIN}), section="admin.user"),
    NavItem(
        "Agencies",
        "admin.agencies",
        frozenset({Role.ADMIN}),
        section=("admin.agenc", "sso_admin."),  # single sign-on providers are per agency
    ),
    NavItem("Areas", "admin.areas", frozenset({Role.ADMIN}), section="admin.area"),
    NavItem("API clients", "api_admin.index", frozenset({Role.ADMIN}), section="api_admin."),
    NavItem(
        "Subject access", "subject_access.index", frozenset({Role.GOVERNANCE}), section="subject_"
    ),
    NavItem("Audit log", "audit.log", frozenset({Role.ADMIN, Role.GOVERNANCE}), section="audit"),
    NavItem("Outbox", "notify.outbox", frozenset({Role.ADMIN}), section="notify.outbox"),
    NavItem(
        "Retention",
        "retention.review",
        frozenset({Role.GOVERNANCE, Role.ADMIN}),
        section="retention.",
    ),
)


def _href(endpoint: str) -> str:
    """The menu's links never change for a deployment: built once, not on every page."""
    built: dict[tuple[str, str], str] = current_app.extensions.setdefault("marac_nav_hrefs", {})
    key = (request.script_root, endpoint)
    href = built.get(key)
    if href is None:
        href = built[key] = url_for(endpoint)
    return href


def navigation_for(user: object) -> list[dict[str, object]]:
    """govukServiceNavigation items for `user`, with the current section marked."""
    if not getattr(user, "is_authenticated", False):
        return []
    row = g.get("user_session")
    if row is None or row.second_factor_at is None:  # still signing in: nowhere else to go
        return []
    endpoint = request.endpoint or ""
    items: list[dict[str, object]] = []
    matched: list[int] = []  # how long a section prefix each item matched (0: none)
    for item in NAV_ITEMS:
        if item.roles is not None and not user.has_role(*item.roles):  # type: ignore[attr-defined]
            continue
        if item.supervisors_only and not user.is_supervisor:  # type: ignore[attr-defined]
            continue
        items.append(
            {
                "href": _href(item.endpoint),
                "endpoint": item.endpoint,  # for the header's counts (the macro ignores it)
                "text": item.text,
                "active": False,
            }
        )
        matched.append(_match(item, endpoint))
    # Exactly one item is current: the one whose section fits the page most closely
    # ("Endorse" on the endorsement queue, not "Assessments" as well).
    best = max(matched, default=0)
    if best:
        chosen = items[matched.index(best)]
        # On the item's own page it is the page itself (aria-current="page"), elsewhere
        # in its section it is the section ("true").
        chosen["current" if chosen["endpoint"] == endpoint else "active"] = True
    return items


def _match(item: NavItem, endpoint: str) -> int:
    """The length of the longest of the item's section prefixes the endpoint starts with."""
    sections = (item.section,) if isinstance(item.section, str) else item.section
    return max((len(s) for s in sections if s and endpoint.startswith(s)), default=0)


def url_maker(endpoint: str, name: str, **fixed: Any) -> Callable[[int], str]:
    """`url_for(endpoint, **fixed, name=id)` for many ids at the cost of one `url_for`.

    A list page links every row; building each URL through the router costs more than the
    rest of the row. The route is built once around a placeholder id instead.
    """
    built = url_for(endpoint, **fixed, **{name: _PLACEHOLDER})
    prefix, found, suffix = built.partition(str(_PLACEHOLDER))
    if not found:  # the id went into the query string in another form: build each one
        return lambda value: url_for(endpoint, **fixed, **{name: value})
    return lambda value: f"{prefix}{int(value)}{suffix}"


class RowLinks:
    """`url_for` for the rows of one page, each route built once (see `url_maker`).

    A template global: `{% set link = row_links() %}` before the loop, then
    `link('actions.view', action_id=a.id)` in it.
    """

    def __init__(self) -> None:
        self._makers: dict[tuple[str, str], Callable[[int], str]] = {}

    def __call__(self, endpoint: str, **values: int) -> str:
        if len(values) != 1:
            return url_for(endpoint, **values)
        ((name, value),) = values.items()
        maker = self._makers.get((endpoint, name))
        if maker is None:
            maker = self._makers[(endpoint, name)] = url_maker(endpoint, name)
        return maker(value)
