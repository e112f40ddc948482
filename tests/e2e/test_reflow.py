"""Every main page at 320 px (WCAG 1.4.10 reflow, and 400% zoom of a 1,280 px screen):
no sideways scrolling of the page, nothing cut off at the right edge, and axe clean.

Wide tables may scroll inside their own named region (templates/_table.html); the page
itself may not.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page
from sqlalchemy.orm import Session

from marac.accounts.models import Role
from marac.formatting import uk_today
from marac.referrals.models import ReferralStatus
from tests.e2e.axe import assert_accessible
from tests.e2e.helpers import AnotherPage, SignIn
from tests.factories import make_user
from tests.meeting_factories import make_action
from tests.meetings import PanelWorld

NARROW = {"width": 320, "height": 800}

# What sticks out past the right edge of the viewport, outside a table's own scroll
# region and visually hidden text: each is content a phone user cannot reach.
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const out = [];
  for (const el of document.body.querySelectorAll("*")) {
    if (el.closest(".govuk-visually-hidden, template, dialog")) continue;
    if (el.parentElement && el.parentElement.closest(".marac-table-region")) continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    if (box.right > width + 1) {
      out.push(`${el.tagName.toLowerCase()}.${el.className} right=${Math.round(box.right)}`);
    }
  }
  return {scroll: document.documentElement.scrollWidth, width, out: out.slice(0, 5)};
}"""


def _assert_reflows(page: Page, path: str) -> None:
    response = page.goto(path)
    assert response is not None and response.ok, (path, response and response.status)
    page.locator("main").first.wait_for(state="attached")
    found = page.evaluate(OVERFLOW)
    assert found["scroll"] <= found["width"], (path, found)
    assert found["out"] == [], (path, found)
    assert_accessible(page)


@pytest.mark.browser
def test_every_main_page_reflows_at_320_px(
    page: Page, another_page: AnotherPage, sign_in: SignIn, db: Session
) -> None:
    w = PanelWorld(db)
    published = w.meeting(7)
    cases = [w.referral(), w.referral(), w.referral(status=ReferralStatus.NEW)]
    w.listed(published, cases[0], 1)
    w.listed(published, cases[1], 2)
    w.publish(published)
    make_action(db, cases[0], w.police, officer_id=w.referrer.id)
    make_action(
        db, cases[0], w.police, officer_id=w.referrer.id, due_date=uk_today() - timedelta(days=3)
    )
    admin = make_user(db, Role.ADMIN, agency=w.police)
    dpo = make_user(db, Role.GOVERNANCE, agency=w.police)
    pages: dict[object, list[str]] = {
        None: ["/sign-in", "/accessibility", "/privacy"],
        w.referrer: [
            "/",
            "/incidents/new",
            "/people/search",
            "/assessments",
            "/referrals",
            "/referrals/new",
            "/actions/mine",
            "/notifications",
            "/notifications/preferences",
            "/account/password",
        ],
        w.police_member: [
            "/",
            "/cases/",
            "/meetings/",
            f"/meetings/{published.id}",
            "/actions/mine",
        ],
        w.coordinator: [
            "/",
            "/referrals",
            "/referrals/screening",
            "/referrals/high-risk",
            f"/referrals/{cases[0].id}",
            "/meetings/",
            f"/meetings/{published.id}",
            f"/meetings/{published.id}/attendance",
            "/panels/",
            f"/panels/{w.panel.id}",
            "/reports/",
            "/imports",
            "/people/duplicates",
            "/cases/",
            f"/cases/?q={cases[0].reference}",
            f"/referrals/{cases[2].id}/sharing-basis",
            f"/referrals/{cases[0].id}/seen",
            f"/people/{cases[0].person_id}/seen",
            "/restrictions",
        ],
        dpo: [
            "/",
            "/admin/audit",
            "/governance/retention",
            "/governance/subject-access",
            f"/governance/subject-access/people/{cases[0].person_id}",
        ],
        admin: [
            "/",
            "/admin/users",
            "/admin/agencies",
            "/admin/areas",
            "/admin/audit",
            "/admin/outbox",
            "/admin/api-clients",
            "/admin/identity-providers",
            "/reports/targets",
            "/panels/",
            "/admin/retention",
        ],
    }
    measured = 0
    for user, paths in pages.items():
        tab = page if user is None else another_page()
        if user is not None:
            sign_in(tab, user)  # type: ignore[arg-type]
        tab.set_viewport_size(NARROW)
        for path in paths:
            _assert_reflows(tab, path)
            measured += 1
    assert measured >= 30
