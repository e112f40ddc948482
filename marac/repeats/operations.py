"""Writes of the repeats capability: merging people, "not the same person", the flag rules.

Also the audited reads of a person's page and history: opening them writes an audit row,
so they are operations too (one transaction, the same rules for the pages and the API).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from marac.accounts.models import Role, User
from marac.audit import record
from marac.incidents.models import Incident
from marac.operations import Invalid, allow, operation
from marac.people.access import viewable_people
from marac.people.models import Person, RepeatSettings
from marac.repeats import queries
from marac.repeats.flags import RULE_FIELDS
from marac.repeats.merge import (
    DuplicatePair,
    MergeSummary,
    dismiss_pair,
    likely_duplicates,
    referral_clash,
)
from marac.repeats.merge import (
    merge_people as move_records,
)
from marac.repeats.timeline import Timeline, build_timeline

# The bounds of each repeat definition (the settings form shows the same).
RULE_RANGES: dict[str, tuple[int, int]] = {
    "referral_window_days": (1, 3650),
    "victim_incidents": (2, 50),
    "victim_window_days": (1, 3650),
    "targeted_incidents": (2, 50),
    "targeted_window_days": (1, 3650),
    "perpetrator_victims": (2, 50),
    "perpetrator_referrals": (2, 50),
    "location_incidents": (2, 100),
    "location_window_days": (1, 3650),
}


@dataclass(frozen=True)
class PersonPage:
    person: Person
    incidents: list[Incident]
    strands: dict[int, list[str]]


@operation
def open_person(db: Session, actor: User, person_id: int) -> PersonPage:
    """The person with the incidents the actor may open; the viewing is audited."""
    person = queries.visible_person(db, actor, person_id)
    incidents = queries.person_incidents(db, actor, person.id)
    record(db, "person_viewed", "person", person.id, f"Viewed person {person.id}", user=actor)
    return PersonPage(person, incidents, queries.strand_summaries(db, incidents))


@operation
def open_timeline(
    db: Session, actor: User, person_id: int, *, today: date
) -> tuple[Person, Timeline]:
    """The person's history as the actor may see it; the viewing is audited."""
    person = queries.visible_person(db, actor, person_id)
    history = build_timeline(db, actor, person.id, today)
    record(
        db,
        "person_timeline_viewed",
        "person",
        person.id,
        f"Viewed timeline of person {person.id}",
        user=actor,
    )
    return person, history


@operation
def list_duplicates(db: Session, actor: User, *, limit: int = 50) -> list[DuplicatePair]:
    """Pairs of records the coordinator may see that may be one person (audited)."""
    allow(actor.has_role(Role.COORDINATOR))
    pairs = likely_duplicates(db, viewable_people(actor), limit=limit)
    record(
        db,
        "duplicates_listed",
        "person",
        None,
        f"Listed {len(pairs)} likely duplicates",
        user=actor,
    )
    return pairs


@operation
def compare_people(
    db: Session, actor: User, first_id: int, second_id: int
) -> tuple[Person, Person]:
    """Two records side by side for a coordinator (audited)."""
    allow(actor.has_role(Role.COORDINATOR))
    first, second = queries.visible_pair(db, actor, first_id, second_id)
    record(
        db,
        "duplicates_compared",
        "person",
        first.id,
        f"Compared person {first.id} with person {second.id}",
        user=actor,
    )
    return first, second


def clash_message(references: list[str]) -> str:
    return (
        f"Both records have a referral waiting to be heard ({' and '.join(references)}). "
        "A person can have only one: decline the one the panel should not hear, "
        "then merge the records"
    )


@operation
def merge_people(
    db: Session, actor: User, first_id: int, second_id: int, *, survivor_id: int, reason: str
) -> tuple[Person, MergeSummary]:
    """Merge two records a coordinator may both see into `survivor_id`, with a reason.

    Refused unless a coordinator; `Invalid` (on `survivor` or `reason`) when no reason is
    given, the survivor is neither record, or both have an automatic referral waiting.
    """
    allow(actor.has_role(Role.COORDINATOR))
    first, second = queries.visible_pair(db, actor, first_id, second_id)
    if survivor_id not in (first.id, second.id):
        raise Invalid({"survivor": "Select which record should stay"})
    if not (reason or "").strip():
        raise Invalid({"reason": "Enter why these records are the same person"})
    clash = referral_clash(db, first.id, second.id)
    if clash:
        raise Invalid({"survivor": clash_message(clash)})
    survivor, duplicate = (first, second) if survivor_id == first.id else (second, first)
    summary = move_records(db, survivor, duplicate, reason, merged_by_id=actor.id, actor=actor)
    return survivor, summary


@operation
def mark_not_duplicates(
    db: Session, actor: User, first_id: int, second_id: int, *, note: str = ""
) -> tuple[Person, Person]:
    """A coordinator says two similar records are different people; they leave the list."""
    allow(actor.has_role(Role.COORDINATOR))
    first, second = queries.visible_pair(db, actor, first_id, second_id)
    dismiss_pair(db, first, second, actor.id, note or "", actor=actor)
    return first, second


@operation
def save_repeat_settings(
    db: Session, actor: User, area_id: int, *, values: dict[str, int]
) -> RepeatSettings:
    """Save an area's repeat definitions (admins only); the changed fields are audited."""
    allow(actor.has_role(Role.ADMIN))
    area, settings, rules = queries.repeat_settings_of(db, area_id)
    unknown = set(values) - set(RULE_FIELDS)
    if unknown:
        raise Invalid({name: "Not a repeat definition" for name in sorted(unknown)})
    problems = {
        name: f"Enter a whole number between {low} and {high}"
        for name, (low, high) in RULE_RANGES.items()
        if not isinstance(values.get(name), int) or not low <= values[name] <= high
    }
    if problems:
        raise Invalid(problems)
    current = {name: getattr(rules, name) for name in RULE_FIELDS}
    changed = [name for name in RULE_FIELDS if current[name] != values[name]]
    if settings is None:
        settings = RepeatSettings(area_id=area.id)
        db.add(settings)
    for name in RULE_FIELDS:
        setattr(settings, name, values[name])
    details = ", ".join(f"{name}={values[name]}" for name in changed) or "nothing"
    record(db, "repeat_settings_updated", "area", area.id, f"Changed {details}", user=actor)
    return settings
