"""Person pages: who may see a person, the search for someone already known, and query counts."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.accounts.models import Role
from marac.audit.models import AuditEvent
from marac.people.access import can_view_person
from marac.people.forms import valid_postcode
from marac.people.models import Person
from marac.people.service import save_person
from tests.factories import make_agency, make_area, make_user
from tests.incidents.helpers import make_incident, make_person


@pytest.mark.parametrize(
    ("postcode", "ok"),
    [
        ("AK1 2BX", True),
        ("ak12bx", True),
        ("SW1A 1AA", True),
        ("M1 1AE", True),
        ("B33 8TH", True),
        ("12345", False),
        ("AK1", False),
        ("AK1 2B", False),
        ("NOT A CODE", False),
    ],
)
def test_postcode_format(postcode: str, ok: bool) -> None:
    assert valid_postcode(postcode) is ok


def test_save_person_sets_the_normalised_name(db: Session) -> None:
    person = save_person(
        db, {"full_name": "  Zoë   O'Brien ", "postcode": "ak1 2bx", "phone": " 0770 "}
    )
    assert person.id is not None
    assert person.full_name == "Zoë O'Brien" and person.normalised_name == "zoe obrien"
    assert person.postcode == "AK1 2BX" and person.phone == "0770"
    save_person(db, {"full_name": "Zoe Smith", "date_of_birth": date(1990, 1, 2)}, person)
    assert person.normalised_name == "zoe smith" and person.date_of_birth == date(1990, 1, 2)


def test_can_view_person_rules_run_one_query(db: Session, count_queries) -> None:
    police, housing = make_agency(db), make_agency(db)
    north = make_area(db, districts="AK1")
    creator = make_user(db, Role.REFERRER, agency=police)
    coordinator = make_user(db, Role.COORDINATOR, agency=housing, areas=[north])
    other_coordinator = make_user(db, Role.COORDINATOR, agency=housing, areas=[])
    supervisor = make_user(db, Role.REFERRER, agency=police, supervisor=True)
    stranger = make_user(db, Role.REFERRER, agency=housing)
    admin = make_user(db, Role.ADMIN, agency=police)
    person = make_person(db, "Ruth Ade", creator=stranger)  # created by someone else
    for _ in range(3):
        make_incident(db, creator, person, area=north)
    expected = {
        creator: True,
        coordinator: True,
        supervisor: True,
        stranger: True,  # created the person
        other_coordinator: False,
        admin: False,
    }
    for user, allowed in expected.items():
        with count_queries() as q:
            assert can_view_person(db, user, person) is allowed, user.email
        assert q.count <= 1


def test_person_page_lists_the_incidents_the_user_may_see(db: Session, login) -> None:
    police, housing = make_agency(db), make_agency(db)
    officer = make_user(db, Role.REFERRER, agency=police)
    other = make_user(db, Role.REFERRER, agency=housing)
    person = make_person(db, "Kofi Mensah", creator=officer)
    mine = make_incident(db, officer, person)
    theirs = make_incident(db, other, person)
    client = login(officer)
    page = client.get(f"/people/{person.id}").get_data(as_text=True)
    assert "Kofi Mensah" in page
    assert f"/incidents/{mine.id}" in page and f"/incidents/{theirs.id}" not in page
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "person_viewed"))
    assert event.object_id == str(person.id) and event.user_id == officer.id
    # The other agency's referrer sees the person through their own incident only.
    page = login(other).get(f"/people/{person.id}").get_data(as_text=True)
    assert f"/incidents/{theirs.id}" in page and f"/incidents/{mine.id}" not in page


def test_person_page_refusals(db: Session, login) -> None:
    creator = make_user(db)
    person = make_person(db, creator=creator)
    make_incident(db, creator, person)
    assert login(make_user(db)).get(f"/people/{person.id}").status_code == 403
    assert login(make_user(db, Role.ADMIN)).get(f"/people/{person.id}").status_code == 403
    assert login(make_user(db, Role.MEMBER)).get(f"/people/{person.id}").status_code == 403
    assert login(creator).get("/people/99999").status_code == 404
    assert not db.scalar(select(AuditEvent).where(AuditEvent.action == "person_viewed"))


def test_search_finds_exact_matches_first_and_only_people_the_user_may_see(
    db: Session, login
) -> None:
    police, housing = make_agency(db), make_agency(db)
    north = make_area(db, districts="AK1")
    officer = make_user(db, Role.REFERRER, agency=police)
    other = make_user(db, Role.REFERRER, agency=housing)
    coordinator = make_user(db, Role.COORDINATOR, agency=housing, areas=[north])
    exact = make_person(db, "Ann Lee", creator=officer, date_of_birth=date(1980, 5, 1))
    longer = make_person(db, "Joann Leeson", creator=officer)  # contains "ann lee"
    hidden = make_person(db, "Ann Lee", creator=other)
    in_area = make_person(db, "Ann Lee-Hart", creator=other)
    make_incident(db, other, in_area, area=north)
    make_person(db, "Bob Smith", creator=officer)

    client = login(officer)
    page = client.get("/people/search?name=ANN+LEE").get_data(as_text=True)
    assert page.index(f"/people/{exact.id}") < page.index(f"/people/{longer.id}")
    assert f"/people/{hidden.id}" not in page and f"/people/{in_area.id}" not in page
    assert "Bob Smith" not in page
    assert f"/incidents/new?person_id={exact.id}" in page
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "people_searched"))

    page = client.get("/people/search?dob=1&dob=5&dob=1980").get_data(as_text=True)
    assert f"/people/{exact.id}" in page and f"/people/{longer.id}" not in page

    page = login(coordinator).get("/people/search?name=ann+lee").get_data(as_text=True)
    assert f"/people/{in_area.id}" in page
    assert f"/people/{exact.id}" not in page and f"/people/{hidden.id}" not in page


def test_search_needs_a_name_or_date_of_birth(db: Session, login) -> None:
    client = login(make_user(db))
    assert "There is a problem" not in client.get("/people/search").get_data(as_text=True)
    page = client.get("/people/search?name=&dob=&dob=&dob=").get_data(as_text=True)
    assert "There is a problem" in page and "Enter a name or a date of birth" in page
    page = client.get("/people/search?name=x&dob=40&dob=1&dob=1990").get_data(as_text=True)
    assert "Date of birth must be a real date" in page
    assert login(make_user(db, Role.ADMIN)).get("/people/search?name=x").status_code == 403


def _people_with_incidents(db: Session, n: int, creator, area) -> Person:
    person = make_person(db, "Sam Field", creator=creator)
    for i in range(n):
        make_person(db, f"Sam Field {i}", creator=creator)
        make_incident(db, creator, person, area=area, strands=("race", "religion"))
    return person


def test_search_and_person_page_run_constant_queries(db: Session, login, count_queries) -> None:
    north = make_area(db, districts="AK1")
    officer = make_user(db, Role.REFERRER)
    client = login(officer)
    counts = []
    for size in (5, 60):
        person = _people_with_incidents(db, size, officer, north)
        with count_queries() as search:
            page = client.get("/people/search?name=sam+field").get_data(as_text=True)
        assert "Sam Field" in page
        with count_queries() as view:
            page = client.get(f"/people/{person.id}").get_data(as_text=True)
        assert page.count("/incidents/") >= size
        counts.append((search.count, view.count))
    assert counts[0] == counts[1], counts
