"""Matching on the incident form: exact links say so, similar records wait for a choice."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marac.accounts.models import Role
from marac.audit.models import AuditEvent
from marac.incidents.models import Incident, Perpetrator
from marac.people.models import Person
from tests.factories import make_area, make_user
from tests.incidents.helpers import incident_data, make_person


def _people(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(Person)) or 0


def _setup(db: Session, name: str = "Amira Haddad") -> tuple[Person, object]:
    make_area(db, districts="AK1 AK2")
    officer = make_user(db, Role.REFERRER)
    # The officer recorded them before, so may see them and be offered their details.
    known = make_person(db, name, officer, date_of_birth=date(1987, 2, 14), postcode="AK9 9ZZ")
    return known, officer


def test_an_exact_match_links_automatically_and_says_so(db: Session, login) -> None:
    known, officer = _setup(db)
    client = login(officer)
    response = client.submit(
        "/incidents/new", incident_data(**{"victim-full_name": "AMIRA  HADDAD"})
    )
    assert response.status_code == 302
    incident = db.scalar(select(Incident))
    assert incident.person_id == known.id
    assert (
        _people(db) == 1
    )  # the victim already known; a perpetrator named without a date of birth stays unlinked
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "already known (same name and date of birth)" in page
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "person_matched")) is not None


def test_a_similar_name_is_offered_and_nothing_is_saved_until_chosen(db: Session, login) -> None:
    known, officer = _setup(db)
    client = login(officer)
    data = incident_data(**{"victim-full_name": "Amira Hadad"})
    response = client.submit("/incidents/new", data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Is the victim one of these people?" in page
    assert "Amira Haddad, born 14 February 1987, AK9 9ZZ" in page
    # A question, not an error: no error summary, a banner that links to the question.
    assert "govuk-error-summary" not in page and 'href="#victim_match"' in page
    assert "One more question" in page
    assert db.scalar(select(func.count()).select_from(Incident)) == 0
    offered_event = db.scalar(select(AuditEvent).where(AuditEvent.action == "person_match_offered"))
    assert offered_event is not None and str(known.id) in offered_event.summary

    # A choice that was not offered is refused.
    refused = client.submit("/incidents/new", {**data, "victim_match": "424242"})
    refused_page = refused.get_data(as_text=True)
    assert refused.status_code == 200 and "Select one of the people listed" in refused_page
    assert "govuk-error-summary" in refused_page  # a wrong answer is an error

    chosen = client.submit("/incidents/new", {**data, "victim_match": str(known.id)})
    assert chosen.status_code == 302
    incident = db.scalar(select(Incident))
    assert incident.person_id == known.id
    db.refresh(known)
    assert known.full_name == "Amira Haddad"  # never renamed by a match
    assert known.postcode == "AK9 9ZZ"  # nothing recorded is overwritten
    assert known.phone == "07700 900123"  # but blanks are filled from what was typed


def test_choosing_new_person_records_a_new_victim(db: Session, login) -> None:
    known, officer = _setup(db)
    client = login(officer)
    data = incident_data(**{"victim-full_name": "Amira Hadad", "victim_match": "new"})
    response = client.submit("/incidents/new", data)
    assert response.status_code == 302
    incident = db.scalar(select(Incident))
    assert incident.person_id != known.id
    assert db.get(Person, incident.person_id).full_name == "Amira Hadad"


def test_a_named_perpetrator_is_linked_to_their_earlier_record(db: Session, login) -> None:
    _known, officer = _setup(db)
    client = login(officer)
    no_dob = client.submit("/incidents/new", incident_data())
    assert no_dob.status_code == 302
    assert db.scalar(select(Perpetrator).where(Perpetrator.name == "Dean Corr")).person_id is None
    db.execute(Perpetrator.__table__.delete())
    db.commit()
    first = client.submit(
        "/incidents/new",
        incident_data(**{"perpetrators-1-date_of_birth": ["3", "4", "1990"]}),
    )
    assert first.status_code == 302
    dean = db.scalar(select(Perpetrator).where(Perpetrator.name == "Dean Corr"))
    assert dean.person_id is not None

    data = incident_data(**{"victim-full_name": "Grace Okafor", "victim-date_of_birth": None})
    offered = client.submit("/incidents/new", data)
    page = offered.get_data(as_text=True)
    assert offered.status_code == 200 and "Is perpetrator 2 one of these people" in page
    saved = client.submit("/incidents/new", {**data, "perpetrators-1-match": str(dean.person_id)})
    assert saved.status_code == 302
    rows = db.scalars(select(Perpetrator).where(Perpetrator.name == "Dean Corr")).all()
    assert len(rows) == 2 and {r.person_id for r in rows} == {dean.person_id}


def test_choosing_the_offered_person_makes_the_new_referral_a_repeat(db: Session, login) -> None:
    """The issue's scenario through the real form: a slightly different spelling, the
    existing person offered and chosen, and the new case is a repeat across areas."""
    from datetime import timedelta

    from marac.db import utcnow
    from marac.referrals.models import Referral, ReferralStatus
    from marac.repeats.flags import REPEAT_REFERRAL, flags_for_referrals
    from tests.referrals.helpers import make_referral

    known, officer = _setup(db)
    elsewhere = make_area(db, districts="AK9")
    earlier = make_referral(
        db,
        known,
        elsewhere,
        created_at=utcnow() - timedelta(days=200),
        status=ReferralStatus.CLOSED,
    )
    client = login(officer)
    data = incident_data(**{"victim-full_name": "Amirah Haddad"})
    offered = client.submit("/incidents/new", data).get_data(as_text=True)
    assert "Amira Haddad, born 14 February 1987" in offered
    assert (
        client.submit("/incidents/new", {**data, "victim_match": str(known.id)}).status_code == 302
    )
    new = db.scalar(select(Referral).where(Referral.id != earlier.id))
    assert new is not None and new.person_id == known.id
    assert new.is_repeat and new.source == "automatic_repeat"
    flags = flags_for_referrals(db, [new.id], utcnow().date())
    assert REPEAT_REFERRAL in {f.code for f in flags[new.id]}
