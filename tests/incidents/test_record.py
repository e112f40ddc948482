"""Recording an incident through the real form: what is saved, and every refusal."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marac.accounts.models import Role
from marac.audit.models import AuditEvent
from marac.db import utcnow
from marac.incidents.models import Incident, LocalStrand
from marac.people.models import Person
from tests.factories import make_agency, make_area, make_user
from tests.incidents.helpers import (
    existing_person_data,
    incident_data,
    make_incident,
    make_local_strands,
    make_person,
)


def _errors(response: Any) -> str:
    """The error summary of a page, for assertion messages."""
    page = response.get_data(as_text=True)
    start = page.find("govuk-error-summary__list")
    return page[start : page.find("</ul>", start)] if start >= 0 else page[:500]


def _count(db: Session, model: Any) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def test_recording_an_incident_for_a_new_victim_saves_everything(db: Session, login) -> None:
    area = make_area(db, "Ashbrook North", districts="AK1 AK2")
    make_local_strands(db, area, "Age", "Alternative subcultures")
    other = make_area(db, "Ashbrook South", districts="AK9")
    make_local_strands(db, other, "Age")
    agency = make_agency(db, "Ashbrook Police")
    officer = make_user(db, Role.REFERRER, agency=agency)
    client = login(officer)
    page = client.get("/incidents/new").get_data(as_text=True)
    assert "Record a hate incident" in page and "Alternative subcultures" in page

    response = client.submit(
        "/incidents/new",
        incident_data(
            strands=["religion", "race"],
            subcategories=["anti_muslim", "anti_migrant"],
            local_strands=["Age"],
        ),
    )
    assert response.status_code == 302, _errors(response)
    incident = db.scalar(select(Incident))
    assert incident is not None
    assert response.headers["Location"].endswith(f"/incidents/{incident.id}")

    person = db.get(Person, incident.person_id)
    assert person.full_name == "Amira Haddad" and person.normalised_name == "amira haddad"
    assert str(person.date_of_birth) == "1987-02-14" and person.postcode == "AK1 2BX"
    assert person.interpreter_language == "Arabic" and person.created_by_id == officer.id

    age_here = db.scalar(
        select(LocalStrand).where(LocalStrand.area_id == area.id, LocalStrand.name == "Age")
    )
    assert incident.area_id == area.id and incident.postcode == "AK1 3CD"
    assert incident.agency_id == agency.id and incident.created_by_id == officer.id
    assert incident.aggravated_offence and incident.recorded_as == "crime"
    assert incident.perceived_by_list == ["victim", "witness"]
    assert {(s.code, s.subcategory) for s in incident.strands} == {
        ("race", ""),
        ("religion", ""),
        ("religion", "anti_muslim"),
        ("race", "anti_migrant"),
        (f"local:{age_here.id}", ""),
    }
    perps = incident.perpetrators
    assert [(p.known, p.name, p.relationship_to_victim, p.age_band) for p in perps] == [
        (False, "", "stranger", "18_24"),
        (True, "Dean Corr", "neighbour", "25_44"),
    ]
    # 21:15 UK time, three days ago, stored in UTC.
    assert incident.occurred_at.tzinfo is not None

    actions = set(db.scalars(select(AuditEvent.action)))
    assert {"person_created", "incident_recorded"} <= actions

    page = client.get(f"/incidents/{incident.id}").get_data(as_text=True)
    for text in [
        "Amira Haddad",
        "Religion or belief: Anti-Muslim",
        "Race or ethnicity: Anti-migrant or asylum seeker",
        "Age (local strand)",
        "Dean Corr",
        "Ashbrook North",
        "Start a risk assessment",
    ]:
        assert text in page, text
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "incident_viewed"))
    # The button on the page starts an assessment for this incident.
    started = client.submit("/assessments/start", {"incident_id": incident.id})
    assert started.status_code == 302 and "/assessments/" in started.headers["Location"]


def test_recording_against_a_known_person(db: Session, login) -> None:
    make_area(db, districts="AK1")
    officer = make_user(db, Role.REFERRER)
    person = make_person(db, "Tomasz Nowak", creator=officer)
    client = login(officer)
    page = client.get(f"/incidents/new?person_id={person.id}").get_data(as_text=True)
    assert "Tomasz Nowak" in page and "victim-full_name" not in page
    response = client.submit(
        f"/incidents/new?person_id={person.id}",
        existing_person_data(
            online="yes",
            postcode="",
            place="",
            strands=["race"],
            subcategories=["anti_eastern_european"],
            aggravated_offence="no",
            recorded_as="non_crime",
            **{"perpetrators-0-relationship": "online"},
        ),
    )
    assert response.status_code == 302, _errors(response)
    assert _count(db, Person) == 1
    incident = db.scalar(select(Incident))
    assert incident.person_id == person.id and incident.online
    assert incident.postcode == "" and incident.area_id is not None  # the victim's postcode
    assert not incident.aggravated_offence


def test_a_perpetrator_needs_known_or_not(db: Session, login) -> None:
    client = login(make_user(db))
    page = client.submit(
        "/incidents/new", incident_data(**{"perpetrators-0-known": None})
    ).get_data(as_text=True)
    assert "Select whether perpetrator 1 is known" in page
    assert 'href="#perpetrators-0-known"' in page


def test_only_a_crime_can_be_an_aggravated_offence(db: Session, login) -> None:
    client = login(make_user(db))
    page = client.submit("/incidents/new", incident_data(recorded_as="non_crime")).get_data(
        as_text=True
    )
    assert "Only a hate crime can be an aggravated offence" in page
    response = client.submit(
        "/incidents/new",
        incident_data(
            recorded_as="non_crime",
            aggravated_offence=None,
            strands=["disability"],
            subcategories=[],
        ),
    )
    assert response.status_code == 302
    assert db.scalar(select(Incident)).aggravated_offence is False


TOMORROW = (utcnow() + timedelta(days=2)).date()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"strands": [], "subcategories": [], "aggravated_offence": "no"},
            "Select at least one hate strand",
        ),
        (
            {"strands": ["race"], "subcategories": ["anti_muslim"]},
            "Anti-Muslim is part of religion or belief",
        ),
        ({"strands": ["disability"], "subcategories": []}, "must have the race or religion strand"),
        ({"aggravated_offence": None}, "Select whether it is a racially or religiously aggravated"),
        ({"occurred_on": ["31", "2", "2026"]}, "Date of the incident must be a real date"),
        ({"occurred_on": ["", "", ""]}, "Enter the date of the incident"),
        ({"occurred_time": "25:99"}, "Enter the time on the 24-hour clock"),
        ({"occurred_time": ""}, "Enter the time of the incident"),
        (
            {"occurred_on": [str(TOMORROW.day), str(TOMORROW.month), str(TOMORROW.year)]},
            "must be today or in the past",
        ),
        ({"postcode": "NOT A CODE"}, "Enter a real postcode"),
        ({"postcode": ""}, "Enter the postcode of where it happened"),
        ({"victim-postcode": "12345"}, "Enter a real postcode"),
        ({"victim-full_name": ""}, "Enter the person"),
        ({"perceived_by": None}, "Select who perceived the hostility"),
        ({"incident_type": None}, "Select the type of incident"),
        ({"description": ""}, "Describe what happened"),
        ({"perpetrators-1-name": ""}, "Enter perpetrator 2"),
    ],
)
def test_bad_input_shows_the_error_summary_and_keeps_what_was_typed(
    db: Session, login, changes: dict[str, Any], message: str
) -> None:
    client = login(make_user(db))
    response = client.submit("/incidents/new", incident_data(**changes))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "There is a problem" in page and "govuk-error-summary" in page
    assert message in page
    if "victim-full_name" not in changes:
        assert 'value="Amira Haddad"' in page
    assert 'value="Bus stop outside the library"' in page
    if "description" not in changes:
        assert "Two men shouted abuse" in page
    if "perceived_by" not in changes:
        assert 'value="witness" checked' in page
    assert _count(db, Incident) == 0 and _count(db, Person) == 0


def test_a_local_strand_must_belong_to_the_incident_area(db: Session, login) -> None:
    north = make_area(db, "North", districts="AK1")
    south = make_area(db, "South", districts="AK9")
    make_local_strands(db, south, "Goths")
    make_local_strands(db, north, "Age")
    client = login(make_user(db))
    page = client.submit("/incidents/new", incident_data(local_strands=["Goths"])).get_data(
        as_text=True
    )
    assert "Goths is not a local strand in North" in page
    page = client.submit(
        "/incidents/new",
        incident_data(local_strands=["Age"], postcode="ZZ1 1ZZ", **{"victim-postcode": ""}),
    ).get_data(as_text=True)
    assert "not in any of the borough" in page
    assert _count(db, Incident) == 0


def test_a_retired_local_strand_is_not_offered(db: Session, login) -> None:
    area = make_area(db, districts="AK1")
    (strand,) = make_local_strands(db, area, "Sex or gender")
    strand.active = False
    db.commit()
    client = login(make_user(db))
    assert "Sex or gender" not in client.get("/incidents/new").get_data(as_text=True)
    page = client.submit("/incidents/new", incident_data(local_strands=["Sex or gender"])).get_data(
        as_text=True
    )
    assert "There is a problem" in page
    assert _count(db, Incident) == 0


def test_recording_for_a_person_you_cannot_see_is_refused(db: Session, login) -> None:
    stranger = make_user(db)
    person = make_person(db, "Hidden Person", creator=stranger)
    make_incident(db, stranger, person)
    client = login(make_user(db))
    assert client.get(f"/incidents/new?person_id={person.id}").status_code == 403
    response = client.submit(f"/incidents/new?person_id={person.id}", existing_person_data())
    assert response.status_code == 403
    assert client.get("/incidents/new?person_id=99999").status_code == 404
    assert _count(db, Incident) == 1


def test_admins_cannot_record_incidents(db: Session, login) -> None:
    admin = login(make_user(db, Role.ADMIN))
    assert admin.get("/incidents/new").status_code == 403
    assert admin.submit("/incidents/new", incident_data()).status_code == 403
    assert _count(db, Incident) == 0
