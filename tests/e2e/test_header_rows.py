"""The header at common laptop widths and on a phone: the menu takes at most two rows,
the account links share the service name's row, and nothing scrolls sideways at 320 px.

Measured for the role with the most menu items, a coordinator who also endorses, with
both counts showing ("2 overdue", "3 unread"), and a long name; and for an admin.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page
from sqlalchemy.orm import Session

from marac.accounts.models import Role
from marac.formatting import uk_today
from marac.notify.models import Notification
from tests.e2e.helpers import AnotherPage, SignIn
from tests.factories import make_user
from tests.meeting_factories import make_action
from tests.meetings import PanelWorld

# The tops of the visible menu items, rounded: one per row. Items on one row share a top.
ROWS = """() => {
  const items = [...document.querySelectorAll(
    ".govuk-service-navigation__list:not(.marac-account-nav) .govuk-service-navigation__item")];
  const tops = items.map(el => el.getBoundingClientRect())
    .filter(box => box.width > 0 && box.height > 0).map(box => Math.round(box.top));
  return {count: tops.length, rows: [...new Set(tops)].length};
}"""

# Where the service name and the account links are: on one row when their boxes overlap.
ACCOUNT = """() => {
  const name = document.querySelector(".govuk-service-navigation__service-name")
    .getBoundingClientRect();
  const account = document.querySelector(".marac-account-nav").getBoundingClientRect();
  return {name: [name.top, name.bottom], account: [account.top, account.bottom],
          right: account.right, width: document.documentElement.clientWidth};
}"""

SCROLL = "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"


def _busiest_coordinator(db: Session) -> tuple[PanelWorld, object]:
    w = PanelWorld(db)
    coordinator = w.coordinator
    coordinator.is_supervisor = True  # "Endorse" joins the menu
    coordinator.name = "Oluwaseun Abernathy-Kowalczyk"
    case = w.referral()
    for days in (3, 10):
        make_action(
            db,
            case,
            coordinator.agency,
            officer_id=coordinator.id,
            due_date=uk_today() - timedelta(days=days),
        )
    db.add_all(
        Notification(user_id=coordinator.id, kind="test", message=f"Notice {n}") for n in range(3)
    )
    db.commit()
    return w, coordinator


def _measure(page: Page, width: int) -> tuple[dict[str, int], dict[str, object]]:
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/")
    page.locator("main").first.wait_for(state="attached")
    return page.evaluate(ROWS), page.evaluate(ACCOUNT)


@pytest.mark.browser
def test_the_menu_takes_at_most_two_rows_at_1024_and_1366_px(
    page: Page, another_page: AnotherPage, sign_in: SignIn, db: Session
) -> None:
    w, coordinator = _busiest_coordinator(db)
    admin = make_user(db, Role.ADMIN, agency=w.police, name="Administrator With A Long Name")
    for user, at_least in ((coordinator, 13), (admin, 9)):
        viewer = page if user is coordinator else another_page()
        sign_in(viewer, user)  # type: ignore[arg-type]
        for width in (1024, 1366):
            rows, account = _measure(viewer, width)
            assert rows["count"] >= at_least, (user.role, width, rows)  # type: ignore[attr-defined]
            assert rows["rows"] <= 2, (user.role, width, rows)  # type: ignore[attr-defined]
            # The account links sit on the service name's row, at the right.
            name_top, name_bottom = account["name"]  # type: ignore[misc]
            account_top, account_bottom = account["account"]  # type: ignore[misc]
            assert account_top < name_bottom and name_top < account_bottom, (width, account)
            assert account["right"] <= account["width"], (width, account)


@pytest.mark.browser
def test_the_header_does_not_scroll_sideways_at_320_px(
    page: Page, sign_in: SignIn, db: Session
) -> None:
    _, coordinator = _busiest_coordinator(db)
    sign_in(page, coordinator)  # type: ignore[arg-type]
    page.set_viewport_size({"width": 320, "height": 800})
    page.goto("/")
    scroll_width, client_width = page.evaluate(SCROLL)
    assert scroll_width <= client_width, (scroll_width, client_width)
    # The menu still works there: behind GOV.UK's "Menu" button, which opens it.
    toggle = page.get_by_role("button", name="Menu")
    toggle.click()
    link = page.get_by_role("link", name="Reports", exact=True)
    assert link.is_visible()
    box = link.bounding_box()
    assert box is not None and box["x"] + box["width"] <= client_width
    scroll_width, client_width = page.evaluate(SCROLL)
    assert scroll_width <= client_width, (scroll_width, client_width)


@pytest.mark.browser
def test_wide_data_pages_keep_their_side_margins(page: Page, sign_in: SignIn, db: Session) -> None:
    """The reports and audit pages use up to 1,600 px, but never touch the window's edge."""
    _, coordinator = _busiest_coordinator(db)
    sign_in(page, coordinator)  # type: ignore[arg-type]
    for width, gutter in ((1024, 30), (1366, 30), (1920, 150)):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto("/reports/")
        box = page.locator(".marac-width-container--wide").first.bounding_box()
        assert box is not None
        left, right = box["x"], width - (box["x"] + box["width"])
        assert left >= gutter and right >= gutter, (width, left, right)
        assert abs(left - right) <= 1, (width, left, right)
