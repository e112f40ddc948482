"""Builders for intake tests: form data for the real incident form, and saved records."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from marac.accounts.models import Area, User
from marac.db import utcnow
from marac.incidents.models import Incident, IncidentStrand, LocalStrand
from marac.people.models import Person

_seq = itertools.count(1)


def incident_data(**changes: Any) -> dict[str, Any]:
    """A complete, valid POST for /incidents/new with a new victim; override any field."""
    day = (utcnow() - timedelta(days=3)).date()
    data: dict[str, Any] = {
        "victim-full_name": "Amira Haddad",
        "victim-date_of_birth": ["14", "2", "1987"],
        "victim-gender_identity": "Woman",
        "victim-address": "12 Mill Road\nAkton",
        "victim-postcode": "ak1 2bx",
        "victim-phone": "07700 900123",
        "victim-safe_contact_notes": "Call after 6pm only",
        "victim-communication_needs": "",
        "victim-interpreter_language": "Arabic",
        "victim-disability_adjustments": "",
        "occurred_on": [str(day.day), str(day.month), str(day.year)],
        "occurred_time": "21:15",
        "online": "no",
        "place": "Bus stop outside the library",
        "postcode": "AK1 3CD",
        "incident_type": "verbal_abuse",
        "recorded_as": "crime",
        "aggravated_offence": "yes",
        "crime_reference": "AK/12345/26",
        "reported_via": "police",
        "perceived_by": ["victim", "witness"],
        "strands": ["religion", "race"],
        "subcategories": ["anti_muslim"],
        "description": "Two men shouted abuse about her headscarf and spat at her.",
        "perpetrators-0-known": "no",
        "perpetrators-0-name": "",
        "perpetrators-0-relationship": "stranger",
        "perpetrators-0-age_band": "18_24",
        "perpetrators-0-description": "Tall, grey hoodie",
        "perpetrators-1-known": "yes",
        "perpetrators-1-name": "Dean Corr",
        "perpetrators-1-relationship": "neighbour",
        "perpetrators-1-age_band": "25_44",
        "perpetrators-1-description": "",
        "perpetrators-2-age_band": "unknown",
    }
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def existing_person_data(**changes: Any) -> dict[str, Any]:
    """The same POST for a victim chosen by ?person_id= (no victim fields)."""
    data = {k: v for k, v in incident_data().items() if not k.startswith("victim-")}
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def make_person(
    db: Session, name: str | None = None, creator: User | None = None, **kw: Any
) -> Person:
    person = Person(created_by_id=creator.id if creator else None, **kw)
    person.set_identity(name or f"Person {next(_seq)}", kw.pop("postcode", "AK1 2BX"))
    db.add(person)
    db.commit()
    return person


def make_incident(
    db: Session,
    creator: User,
    person: Person | None = None,
    area: Area | None = None,
    strands: tuple[str, ...] = ("race",),
) -> Incident:
    person = person or make_person(db)
    incident = Incident(
        person_id=person.id,
        area_id=area.id if area else None,
        occurred_at=utcnow() - timedelta(days=2),
        place="Mill Road",
        postcode="AK1 2BX",
        incident_type="threats",
        recorded_as="crime",
        reported_via="police",
        perceived_by="victim",
        agency_id=creator.agency_id,
        created_by_id=creator.id,
    )
    for code in strands:
        incident.strands.append(IncidentStrand(code=code, subcategory=""))
    db.add(incident)
    db.commit()
    return incident


def make_local_strands(db: Session, area: Area, *names: str) -> list[LocalStrand]:
    rows = [LocalStrand(area_id=area.id, name=name) for name in names]
    db.add_all(rows)
    db.commit()
    return rows
