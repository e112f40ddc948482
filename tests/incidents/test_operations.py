"""`record_incident` called directly (no HTTP): what it writes, refuses and discloses."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marac.accounts.models import AgencyType, Role, User
from marac.audit.models import AuditEvent
from marac.db import utcnow
from marac.incidents.models import Incident, Perpetrator
from marac.incidents.operations import (
    ChoiceNeeded,
    IncidentDetails,
    PerpetratorDetails,
    RecordedIncident,
    VictimDetails,
    record_incident,
)
from marac.incidents.signals import incident_recorded
from marac.operations import Invalid, NotFound, Refused
from marac.people.models import Person, PossibleMatch
from marac.referrals.models import Referral
from tests.factories import make_agency, make_area, make_user
from tests.incidents.helpers import make_incident, make_local_strands, make_person

DAY = (utcnow() - timedelta(days=3)).date()


def _details(**changes: Any) -> IncidentDetails:
    """A complete, valid incident with a new victim, as the form would send it."""
    details = IncidentDetails(
        occurred_on=DAY,
        occurred_time=time(21, 15),
        online=False,
        incident_type="verbal_abuse",
        recorded_as="crime",
        reported_via="police",
        perceived_by=("victim", "witness"),
        description="Two men shouted abuse about her headscarf.",
        place="Bus stop outside the library",
        postcode="AK1 3CD",
        aggravated_offence=True,
        crime_reference="AK/12345/26",
        strands=("religion", "race"),
        subcategories=("anti_muslim",),
        victim=VictimDetails(
            full_name="Amira Haddad",
            date_of_birth=date(1987, 2, 14),
            postcode="ak1 2bx",
            phone="07700 900123",
        ),
        perpetrators=(
            PerpetratorDetails(known=False, relationship="stranger", age_band="18_24"),
            PerpetratorDetails(
                known=True,
                name="Dean Corr",
                relationship="neighbour",
                age_band="25_44",
                date_of_birth=date(1990, 4, 3),
            ),
            PerpetratorDetails(),
        ),
    )
    return replace(details, **changes)


def _victim(**changes: Any) -> VictimDetails:
    base = _details().victim
    assert base is not None
    return replace(base, **changes)


def _count(db: Session, model: Any) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def _actions(db: Session) -> list[str]:
    return list(db.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))


@pytest.fixture
def officer(db: Session) -> User:
    make_area(db, "Ashbrook North", districts="AK1 AK2 AK3")
    return make_user(db, Role.REFERRER, agency=make_agency(db, "Ashbrook Police"))


def test_recording_saves_the_incident_victim_strands_perpetrators_and_audit(
    db: Session, officer: User
) -> None:
    (age,) = make_local_strands(db, _area(db), "Age")
    done = record_incident(db, officer, _details(local_strands=("Age",)))
    db.expire_all()

    incident = db.get(Incident, done.incident.id)
    assert incident is not None and done.victim_id == incident.person_id
    victim = db.get(Person, incident.person_id)
    assert victim.full_name == "Amira Haddad" and victim.postcode == "AK1 2BX"
    assert victim.created_by_id == officer.id and victim.phone == "07700 900123"
    assert incident.area_id == _area(db).id and incident.agency_id == officer.agency_id
    assert incident.aggravated_offence and incident.perceived_by_list == ["victim", "witness"]
    assert {(s.code, s.subcategory) for s in incident.strands} == {
        ("religion", ""),
        ("race", ""),
        ("religion", "anti_muslim"),
        (f"local:{age.id}", ""),
    }
    perps = sorted(incident.perpetrators, key=lambda p: p.id)
    assert [(p.known, p.name, p.relationship_to_victim, p.age_band) for p in perps] == [
        (False, "", "stranger", "18_24"),
        (True, "Dean Corr", "neighbour", "25_44"),
    ]
    dean = db.get(Person, perps[1].person_id)
    assert dean is not None and dean.date_of_birth == date(1990, 4, 3)
    assert _actions(db) == ["person_created", "person_created", "incident_recorded"]
    recorded = db.scalar(select(AuditEvent).where(AuditEvent.action == "incident_recorded"))
    assert recorded.user_id == officer.id and str(incident.id) == recorded.object_id
    assert "headscarf" not in recorded.summary  # no free text in the audit log
    assert not done.coordinator_will_check and done.already_known is None


def _area(db: Session) -> Any:
    from marac.accounts.models import Area

    return db.scalar(select(Area).where(Area.name == "Ashbrook North"))


def test_recording_against_a_known_person(db: Session, officer: User) -> None:
    person = make_person(db, "Tomasz Nowak", creator=officer)
    done = record_incident(
        db, officer, _details(victim=None, online=True, postcode=""), person_id=person.id
    )
    assert done.incident.person_id == person.id and done.victim_id == person.id
    assert done.incident.area_id == _area(db).id  # placed by the victim's postcode
    assert _count(db, Person) == 2  # the victim and the named perpetrator


def test_admins_and_users_without_a_case_role_are_refused(db: Session, officer: User) -> None:
    admin = make_user(db, Role.ADMIN)
    nobody = User(id=424242, role="", active=True, agency_id=officer.agency_id)
    retired = make_user(db, Role.REFERRER)
    retired.active = False
    db.commit()
    for actor in (admin, nobody, retired):
        with pytest.raises(Refused):
            record_incident(db, actor, _details())
    assert _count(db, Incident) == 0 and _count(db, Person) == 0


def test_a_person_the_actor_may_not_see_is_refused_and_a_missing_one_not_found(
    db: Session, officer: User
) -> None:
    stranger = make_user(db)
    hidden = make_person(db, "Hidden Person", creator=stranger)
    make_incident(db, stranger, hidden)
    with pytest.raises(Refused):
        record_incident(db, officer, _details(victim=None), person_id=hidden.id)
    with pytest.raises(NotFound):
        record_incident(db, officer, _details(victim=None), person_id=999_999)
    assert _count(db, Incident) == 1


TOMORROW = (utcnow() + timedelta(days=2)).date()
PERPS = _details().perpetrators


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"strands": ("disability",), "subcategories": ()},
            "aggravated_offence",
            "must have the race or religion strand",
        ),
        ({"aggravated_offence": None}, "aggravated_offence", "Select whether it is a racially"),
        ({"recorded_as": "non_crime"}, "aggravated_offence", "Only a hate crime can be"),
        ({"occurred_on": TOMORROW}, "occurred_on", "must be today or in the past"),
        ({"occurred_on": date(1850, 1, 1)}, "occurred_on", "year between 1900 and 2100"),
        ({"occurred_on": None}, "occurred_on", "Enter the date of the incident"),
        ({"occurred_time": None}, "occurred_time", "Enter the time of the incident"),
        (
            {"strands": ("race",), "subcategories": ("anti_muslim",)},
            "strands",
            "Anti-Muslim is part of religion or belief",
        ),
        ({"subcategories": ("made_up",)}, "strands", "Select sub-categories from the list"),
        ({"strands": (), "subcategories": ()}, "strands", "Select at least one hate strand"),
        ({"strands": ("race", "astrology")}, "strands", "Select hate strands from the list"),
        ({"postcode": ""}, "postcode", "Enter the postcode of where it happened"),
        ({"postcode": "NOT A CODE"}, "postcode", "Enter a real postcode"),
        ({"incident_type": "gossip"}, "incident_type", "Select the type of incident"),
        ({"recorded_as": ""}, "recorded_as", "Select whether it is a hate crime"),
        ({"reported_via": "pigeon"}, "reported_via", "Select how it was reported"),
        ({"perceived_by": ()}, "perceived_by", "Select who perceived the hostility"),
        ({"description": "  "}, "description", "Describe what happened"),
        ({"description": "x" * 10001}, "description", "10000 characters or fewer"),
        ({"victim": _victim(full_name="")}, "victim.full_name", "Enter the person's full name"),
        ({"victim": _victim(postcode="12345")}, "victim.postcode", "Enter a real postcode"),
        (
            {"victim": _victim(date_of_birth=date(1066, 10, 14))},
            "victim.date_of_birth",
            "year between",
        ),
        (
            {"perpetrators": (PERPS[0], replace(PERPS[1], name=""))},
            "perpetrators.1.name",
            "Enter perpetrator 2's name",
        ),
        (
            {"perpetrators": (replace(PERPS[0], known=None),)},
            "perpetrators.0.known",
            "Select whether perpetrator 1 is known",
        ),
        (
            {"perpetrators": (replace(PERPS[0], relationship="cousin"),)},
            "perpetrators.0.relationship",
            "from the list",
        ),
        ({"perpetrators": (PERPS[0],) * 4}, "perpetrators", "3 perpetrators or fewer"),
        ({"local_strands": ("Goths",)}, "local_strands", "Goths is not a local strand"),
    ],
)
def test_every_business_rule_is_checked_by_the_operation(
    db: Session, officer: User, changes: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(Invalid) as raised:
        record_incident(db, officer, _details(**changes))
    assert not isinstance(raised.value, ChoiceNeeded)
    assert field in raised.value.errors, raised.value.errors
    assert message in raised.value.errors[field][0]
    assert _count(db, Incident) == 0 and _count(db, Person) == 0
    assert _count(db, AuditEvent) == 0


def test_a_new_victim_and_a_known_person_together_is_invalid(db: Session, officer: User) -> None:
    person = make_person(db, creator=officer)
    with pytest.raises(Invalid) as raised:
        record_incident(db, officer, _details(), person_id=person.id)
    assert "victim" in raised.value.errors
    with pytest.raises(Invalid) as raised:
        record_incident(db, officer, _details(victim=None))
    assert "victim.full_name" in raised.value.errors


class Known:
    """A victim the officer recorded before (visible to them), and one a charity may not see."""

    def __init__(self, db: Session, officer: User) -> None:
        self.officer = officer
        self.person = make_person(
            db, "Amira Haddad", officer, date_of_birth=date(1987, 2, 14), postcode="AK9 9ZZ"
        )
        make_incident(db, officer, self.person, _area(db))
        self.charity = make_user(db, Role.REFERRER, agency=make_agency(db, type=AgencyType.CHARITY))


def test_ask_mode_puts_the_question_and_saves_nothing_until_answered(
    db: Session, officer: User
) -> None:
    known = Known(db, officer)
    similar = _details(victim=_victim(full_name="Amira Hadad"))
    with pytest.raises(ChoiceNeeded) as raised:
        record_incident(db, officer, similar)
    [question] = raised.value.questions
    assert question.field == "victim_match" and "victim_match" in raised.value.errors
    assert [o.person_id for o in question.offers] == [known.person.id]
    assert question.offers[0].full_name == "Amira Haddad"
    assert _count(db, Incident) == 1  # only the earlier one
    # The offer showed someone's name and date of birth: audited though nothing was saved.
    offered = db.scalar(select(AuditEvent).where(AuditEvent.action == "person_match_offered"))
    assert offered is not None and str(known.person.id) in offered.summary
    assert offered.user_id == officer.id

    with pytest.raises(ChoiceNeeded) as wrong:
        record_incident(db, officer, replace(similar, victim_match="424242"))
    assert "Select one of the people listed" in wrong.value.errors["victim_match"][0]

    done = record_incident(db, officer, replace(similar, victim_match=str(known.person.id)))
    assert done.incident.person_id == known.person.id
    db.refresh(known.person)
    assert known.person.full_name == "Amira Haddad" and known.person.phone == "07700 900123"
    new = record_incident(db, officer, replace(similar, victim_match="new"))
    assert new.incident.person_id not in {known.person.id, None}
    assert _count(db, PossibleMatch) == 0


def test_ask_mode_asks_about_a_perpetrator_too(db: Session, officer: User) -> None:
    dean = make_person(db, "Dean Corr", officer, date_of_birth=date(1990, 4, 3))
    theirs = make_incident(db, officer, make_person(db, creator=officer), _area(db))
    db.add(Perpetrator(incident_id=theirs.id, known=True, name="Dean Corr", person_id=dean.id))
    db.commit()
    no_dob = (PERPS[0], replace(PERPS[1], date_of_birth=None))
    with pytest.raises(ChoiceNeeded) as raised:
        record_incident(db, officer, _details(perpetrators=no_dob))
    [question] = raised.value.questions
    assert question.field == "perpetrators.1.match" and question.offers[0].person_id == dean.id
    chosen = (PERPS[0], replace(no_dob[1], match=str(dean.id)))
    done = record_incident(db, officer, _details(perpetrators=chosen))
    assert {p.person_id for p in done.incident.perpetrators} == {None, dean.id}


def test_ask_mode_never_offers_a_person_the_actor_may_not_see(db: Session, officer: User) -> None:
    known = Known(db, officer)
    done = record_incident(db, known.charity, _details(victim=_victim(full_name="Amira Hadad")))
    assert done.incident.person_id != known.person.id
    assert done.coordinator_will_check  # the page says only that a coordinator will check
    queued = db.scalar(select(PossibleMatch))
    assert {queued.person_a_id, queued.person_b_id} == {known.person.id, done.victim_id}


def _mentions(result: RecordedIncident, person: Person) -> bool:
    """Whether anything the caller gets back names or points at `person`."""
    return (
        result.victim_id == person.id
        or result.already_known is not None
        or result.coordinator_will_check
    )


def test_queue_mode_records_a_new_person_and_queues_the_similar_one_undisclosed(
    db: Session, officer: User
) -> None:
    known = Known(db, officer)
    # Even a similar person the caller may see is not offered: a records system cannot answer.
    done = record_incident(
        db, officer, _details(victim=_victim(full_name="Amira Hadad")), similar="queue"
    )
    assert done.incident.person_id != known.person.id and done.victim_id is not None
    assert not _mentions(done, known.person)
    queued = db.scalar(select(PossibleMatch))
    assert {queued.person_a_id, queued.person_b_id} == {known.person.id, done.victim_id}
    assert queued.raised_by_id == officer.id
    withheld = db.scalar(select(AuditEvent).where(AuditEvent.action == "person_match_withheld"))
    assert withheld is not None and str(known.person.id) in withheld.summary
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "person_match_offered")) is None


def test_queue_mode_hides_a_person_outside_the_callers_view(db: Session, officer: User) -> None:
    known = Known(db, officer)
    done = record_incident(
        db, known.charity, _details(victim=_victim(full_name="Amira Hadad")), similar="queue"
    )
    assert not _mentions(done, known.person)
    assert _count(db, PossibleMatch) == 1
    # An exact match outside the caller's view links silently and says nothing.
    exact = record_incident(db, known.charity, _details(), similar="queue")
    assert exact.incident.person_id == known.person.id and exact.incident.person_withheld
    assert exact.victim_id is None and exact.already_known is None
    assert not exact.coordinator_will_check


def test_queue_mode_links_an_exact_match_the_caller_may_see(db: Session, officer: User) -> None:
    known = Known(db, officer)
    done = record_incident(db, officer, _details(), similar="queue")
    assert done.incident.person_id == known.person.id == done.victim_id
    assert done.already_known == "Amira Haddad" and not done.incident.person_withheld
    assert _count(db, PossibleMatch) == 0
    assert "person_matched" in _actions(db)


def test_queue_mode_queues_a_similar_perpetrator(db: Session, officer: User) -> None:
    dean = make_person(db, "Dean Corr", officer, date_of_birth=date(1990, 4, 3))
    typo = (PERPS[0], replace(PERPS[1], name="Dean Cor"))
    done = record_incident(db, officer, _details(perpetrators=typo), similar="queue")
    linked = {p.person_id for p in done.incident.perpetrators} - {None}
    assert len(linked) == 1 and dean.id not in linked
    queued = db.scalar(select(PossibleMatch))
    assert {queued.person_a_id, queued.person_b_id} == {dean.id, *linked}


def test_a_recorded_incident_runs_the_referral_rules(db: Session, officer: User) -> None:
    """The receiver in referrals is connected by create_app: the third incident escalates."""
    person = make_person(db, "Tomasz Nowak", creator=officer)
    make_incident(db, officer, person, _area(db))
    heard: list[int] = []

    def listen(_db: Session, *, incident: Incident, **_: Any) -> None:
        heard.append(incident.id)

    details = _details(victim=None)
    with incident_recorded.connected_to(listen):
        first = record_incident(db, officer, details, person_id=person.id)
        assert _count(db, Referral) == 0
        record_incident(db, officer, details, person_id=person.id)
    assert heard[0] == first.incident.id and len(heard) == 2
    [referral] = db.scalars(select(Referral)).all()
    assert referral.source == "automatic_escalation" and referral.person_id == person.id
    assert referral.trigger_reasons == ["Escalation: 3 incidents in the last 12 months"]


def test_a_failing_receiver_rolls_the_incident_back(db: Session, officer: User) -> None:
    def fail(_db: Session, **_: Any) -> None:
        raise RuntimeError("rules broke")

    with incident_recorded.connected_to(fail), pytest.raises(RuntimeError):
        record_incident(db, officer, _details())
    assert _count(db, Incident) == 0 and _count(db, AuditEvent) == 0
