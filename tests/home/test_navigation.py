"""Exactly one menu item is current, whichever page of the service is open."""

from __future__ import annotations

import re

import pytest
from sqlalchemy.orm import Session

from marac.accounts.models import Role
from tests.factories import make_user

ACTIVE = re.compile(
    r'class="govuk-service-navigation__item govuk-service-navigation__item--active"'
)
CURRENT = re.compile(r'aria-current="(page|true)"[^>]*>\s*(?:<strong[^>]*>)?\s*([^<]+)')


def _current(html: str) -> list[tuple[str, str]]:
    menu = html.split('aria-label="Main menu"', 1)[1].split("</nav>", 1)[0]
    return [(kind, text.strip()) for kind, text in CURRENT.findall(menu)]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/", ("page", "Home")),
        ("/assessments/endorsements", ("page", "Endorse")),  # not "Assessments" as well
        ("/assessments", ("page", "Assessments")),
        ("/actions/mine", ("page", "My actions")),
    ],
)
def test_one_current_item_for_a_supervisor(
    db: Session, login, path: str, expected: tuple[str, str]
) -> None:
    supervisor = make_user(db, Role.MEMBER, supervisor=True)
    html = login(supervisor).get(path).get_data(as_text=True)
    assert len(ACTIVE.findall(html)) == 1
    assert _current(html) == [expected]


def test_no_item_current_on_a_page_outside_the_menu(db: Session, login) -> None:
    user = make_user(db, Role.REFERRER)
    html = login(user).get("/account/password").get_data(as_text=True)
    assert ACTIVE.findall(html) == []
