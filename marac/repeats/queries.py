"""Reads the person, timeline and merge pages share; each one checks need-to-know."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marac.accounts.models import Area, User
from marac.incidents.access import viewable_incidents
from marac.incidents.labels import local_strand_names, strand_summary
from marac.incidents.models import Incident
from marac.operations import NotFound, allow
from marac.people.access import can_view_person
from marac.people.models import Person, RepeatSettings
from marac.referrals.models import Referral
from marac.repeats.flags import RepeatRules


def visible_person(db: Session, viewer: User, person_id: int) -> Person:
    """The person, if the viewer may see them: `NotFound` if none, `Refused` if hidden."""
    person = db.get(Person, person_id)
    if person is None:
        raise NotFound()
    allow(can_view_person(db, viewer, person))
    return person


def visible_pair(db: Session, viewer: User, first_id: int, second_id: int) -> tuple[Person, Person]:
    """Two different people, each one the viewer may see (a person is not their own pair)."""
    if first_id == second_id:
        raise NotFound()
    return visible_person(db, viewer, first_id), visible_person(db, viewer, second_id)


def person_incidents(db: Session, viewer: User, person_id: int) -> list[Incident]:
    """The person's incidents the viewer may open, newest first."""
    return list(
        db.scalars(
            select(Incident)
            .where(Incident.person_id == person_id, viewable_incidents(viewer))
            .order_by(Incident.occurred_at.desc(), Incident.id.desc())
        )
    )


def strand_summaries(db: Session, incidents: list[Incident]) -> dict[int, list[str]]:
    """Each incident's strands in words, local strands included (one query)."""
    local_names = local_strand_names(db, incidents)
    return {i.id: strand_summary(i, local_names) for i in incidents}


def history_counts(db: Session, person_ids: list[int]) -> dict[int, dict[str, int]]:
    """Incidents and referrals of each person (two grouped queries), to compare records."""
    counts: dict[int, dict[str, int]] = {p: {"incidents": 0, "referrals": 0} for p in person_ids}
    for model, key in ((Incident, "incidents"), (Referral, "referrals")):
        rows = db.execute(
            select(model.person_id, func.count())
            .where(model.person_id.in_(person_ids))
            .group_by(model.person_id)
        )
        for person_id, count in rows:
            counts[person_id][key] = count
    return counts


def repeat_settings_of(
    db: Session, area_id: int
) -> tuple[Area, RepeatSettings | None, RepeatRules]:
    """The area, its saved repeat definitions (None until saved) and the rules in force."""
    area = db.get(Area, area_id)
    if area is None:
        raise NotFound()
    settings = db.get(RepeatSettings, area.id)
    return area, settings, RepeatRules.from_settings(settings)
