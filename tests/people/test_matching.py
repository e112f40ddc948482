"""Matching on intake as plain functions: exact links, similar records offered, never merged."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from marac.people import matching
from marac.people.matching import choice_problem, chosen_person, find_matches
from marac.people.models import Person
from tests.factories import make_user
from tests.incidents.helpers import make_incident, make_person

DOB = date(1987, 2, 14)


def _person(db: Session, name: str, dob: date | None = DOB, postcode: str = "AK1 2BX") -> Person:
    return make_person(db, name, date_of_birth=dob, postcode=postcode)


@pytest.mark.parametrize(
    ("entered", "dob", "postcode", "expected"),
    [
        # exact: the same normalised name and date of birth links on its own
        ("Amira Haddad", DOB, "", "exact"),
        ("  AMIRA   haddad ", DOB, "", "exact"),
        ("Amíra Haddad", DOB, "ZZ9 9ZZ", "exact"),
        # similar: offered, never linked without a choice
        ("Amira Hadad", DOB, "", matching.CLOSE_NAME_SAME_DOB),
        ("Haddad Amira", DOB, "", matching.CLOSE_NAME_SAME_DOB),
        ("Amira Haddad", date(1987, 2, 15), "AK1 2BX", matching.SAME_NAME_AND_POSTCODE),
        ("Amira Haddad", None, "ak12bx", matching.SAME_NAME_AND_POSTCODE),
        # nothing: different person, or a name alone
        ("Amira Haddad", date(1987, 2, 15), "AK9 1AA", None),
        ("Amira Haddad", None, "", None),
        ("Grace Okafor", DOB, "AK1 2BX", None),
        ("Amira Hadad", None, "AK1 2BX", None),
    ],
)
def test_matching_rules(
    db: Session, entered: str, dob: date | None, postcode: str, expected: str | None
) -> None:
    known = _person(db, "Amira Haddad")
    _person(db, "Someone Else")
    result = find_matches(db, entered, dob, postcode)
    if expected == "exact":
        assert result.exact is not None and result.exact.id == known.id
        assert not result.needs_choice
    elif expected is None:
        assert result.exact is None and result.candidates == []
    else:
        assert result.exact is None and result.needs_choice
        assert [(c.person.id, c.reason) for c in result.candidates] == [(known.id, expected)]


def test_two_exact_records_are_offered_not_linked(db: Session) -> None:
    first, second = _person(db, "Amira Haddad"), _person(db, "Amira Haddad", postcode="AK9 1AA")
    result = find_matches(db, "Amira Haddad", DOB)
    assert result.exact is None
    assert {c.person.id for c in result.candidates} == {first.id, second.id}
    assert {c.reason for c in result.candidates} == {matching.SAME_NAME_AND_DOB}


def test_a_named_perpetrator_without_date_of_birth_is_offered_earlier_perpetrators(
    db: Session,
) -> None:
    officer = make_user(db)
    dean = _person(db, "Dean Corr", dob=None, postcode="")
    _person(db, "Dean Corr", dob=None, postcode="")  # same name but never a perpetrator
    incident = make_incident(db, officer)
    from marac.incidents.models import Perpetrator

    db.add(Perpetrator(incident_id=incident.id, known=True, name="Dean Corr", person_id=dean.id))
    db.commit()
    result = find_matches(db, "dean  corr", None, perpetrator=True)
    assert [(c.person.id, c.reason) for c in result.candidates] == [
        (dean.id, matching.SAME_NAME_PERPETRATOR)
    ]
    assert find_matches(db, "Dean Corr", None).candidates == []  # not for a victim


def test_choices(db: Session) -> None:
    known = _person(db, "Amira Haddad")
    result = find_matches(db, "Amira Hadad", DOB)
    assert choice_problem(result, None) is not None
    assert choice_problem(result, "999999") is not None
    assert choice_problem(result, "abc") is not None
    assert choice_problem(result, "new") is None and chosen_person(result, "new") is None
    assert choice_problem(result, str(known.id)) is None
    assert chosen_person(result, str(known.id)) is known
    exact = find_matches(db, "Amira Haddad", DOB)
    assert choice_problem(exact, None) is None and chosen_person(exact, None) is known


def test_excluded_people_are_not_offered(db: Session) -> None:
    known = _person(db, "Amira Haddad")
    assert find_matches(db, "Amira Haddad", DOB, exclude_ids=[known.id]).exact is None


def test_matching_uses_a_fixed_number_of_queries(db: Session, count_queries) -> None:
    for n in range(30):
        _person(db, f"Person Number {n}")
    with count_queries() as counter:
        find_matches(db, "Person Numbr 3", DOB, "AK1 2BX")
    assert counter.count == 1


def test_search_also_finds_close_names_with_the_same_date_of_birth(
    db: Session, login, count_queries
) -> None:
    officer = make_user(db)
    mine = make_person(db, "Amira Haddad", creator=officer, date_of_birth=DOB)
    hidden = make_person(db, "Amira Hadadd", creator=make_user(db), date_of_birth=DOB)
    client = login(officer)
    url = "/people/search?name=Amirah+Hadad&dob=14&dob=2&dob=1987"
    page = client.get(url).get_data(as_text=True)
    assert f"/people/{mine.id}" in page and f"/people/{hidden.id}" not in page
    with count_queries() as found:
        client.get(url)
    with count_queries() as nothing:
        client.get("/people/search?name=Zed+Nobody&dob=14&dob=2&dob=1987")
    assert found.count == nothing.count
