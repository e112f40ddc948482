"""The /cases/ page: filters as GET parameters, sorting links, errors, refusals, query count."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from marac.db import utcnow
from marac.referrals.models import Referral
from tests.cases.helpers import CaseWorld
from tests.referrals.helpers import make_person


@pytest.fixture
def world(db: Session) -> CaseWorld:
    return CaseWorld(db)


def test_coordinator_sees_the_cases_in_their_areas(db: Session, world: CaseWorld, login) -> None:
    page = login(world.coordinator).get("/cases/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "CM-2026-0101" in html and "CM-2026-0102" in html
    assert "CM-2026-0103" not in html and "Muhammad Kovalsky" not in html
    assert "Showing 1 to 2 of 2 cases" in html
    assert 'href="/cases/"' in html  # in the navigation


def test_search_and_filters_are_get_parameters(db: Session, world: CaseWorld, login) -> None:
    client = login(world.coordinator)
    html = client.get("/cases/?q=Muhammad").get_data(as_text=True)
    assert "CM-2026-0101" in html and "CM-2026-0102" not in html
    assert "Remove this filter: </span>Search: Muhammad" in html
    html = client.get("/cases/?risk=high&status=accepted&status=new").get_data(as_text=True)
    assert "CM-2026-0102" in html and "CM-2026-0101" not in html
    assert "Risk: High" in html and "Status: Accepted: waiting for the panel" in html
    html = client.get(
        "/cases/?referred_from=1&referred_from=1&referred_from=2000"
        "&referred_to=&referred_to=&referred_to="
    ).get_data(as_text=True)
    assert "Referred from: 1 January 2000" in html
    html = client.get("/cases/?q=nobody+at+all").get_data(as_text=True)
    assert "No cases you can open match your search and filters" in html


def test_sorting_links_toggle_and_mark_the_column(db: Session, world: CaseWorld, login) -> None:
    html = (
        login(world.coordinator)
        .get("/cases/?sort=reference&order=ascending")
        .get_data(as_text=True)
    )
    assert html.index("CM-2026-0101") < html.index("CM-2026-0102")
    assert (
        'aria-sort="ascending"><a class="marac-sort-link" '
        'href="/cases/?sort=reference&amp;order=descending"' in html
    )
    assert 'aria-sort="none"' in html


@pytest.mark.parametrize(
    "query",
    [
        "status=lost",
        "risk=extreme",
        "area=999999",
        "panel=abc",
        "strand=nonsense",
        "referred_from=31&referred_from=2&referred_from=2026",
        "referred_from=1&referred_from=6&referred_from=2026"
        "&referred_to=1&referred_to=5&referred_to=2026",
        "q=" + "x" * 101,
        "page=99999999999999999999",
        "sort=password&order=sideways",
    ],
)
def test_bad_input_is_an_error_summary_never_a_500(
    db: Session, world: CaseWorld, login, query: str
) -> None:
    response = login(world.coordinator).get(f"/cases/?{query}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    if not query.startswith(("page=", "sort=")):
        assert "govuk-error-summary" in html
    assert "CM-2026-0103" not in html


def test_other_area_filter_shows_nothing_of_the_other_area(
    db: Session, world: CaseWorld, login
) -> None:
    html = login(world.coordinator).get(f"/cases/?area={world.south.id}").get_data(as_text=True)
    assert "CM-2026-0103" not in html and "No cases you can open" in html


@pytest.mark.parametrize("who", ["referrer", "admin", "governance"])
def test_others_are_refused_the_page(db: Session, world: CaseWorld, login, who: str) -> None:
    response = login(getattr(world, who)).get("/cases/?q=Haddad")
    assert response.status_code == 403
    assert "Haddad" not in response.get_data(as_text=True)


def test_members_see_their_panels_cases_only(db: Session, world: CaseWorld, login) -> None:
    html = login(world.member_on).get("/cases/").get_data(as_text=True)
    assert "CM-2026-0102" in html and "CM-2026-0101" not in html
    html = login(world.member_off).get("/cases/?q=Haddad").get_data(as_text=True)
    assert "CM-2026-0102" not in html and "Amira Haddad" not in html
    assert "No cases you can open match" in html  # and nothing counted


def test_the_page_issues_a_constant_number_of_queries(
    db: Session, world: CaseWorld, login, count_queries
) -> None:
    client = login(world.coordinator)
    counts = []
    for total in (5, 120):
        now = utcnow()
        people = [make_person(db, f"Bulk Person {n}") for n in range(3)]
        db.add_all(
            Referral(
                reference=f"CM-2030-{total:03d}{n:03d}",
                person_id=people[n % 3].id,
                area_id=world.north.id,
                source="partner",
                status="new",
                risk_level=["high", "low", None][n % 3],
                is_repeat=n % 2 == 0,
                created_at=now - timedelta(days=n),
            )
            for n in range(total)
        )
        db.commit()
        for url in ("/cases/", "/cases/?q=Bulk+Person&risk=high&sort=risk&page=2"):
            with count_queries() as q:
                assert client.get(url).status_code == 200
            counts.append((url, q.count))
    assert counts[0][1] == counts[2][1] and counts[1][1] == counts[3][1], counts
