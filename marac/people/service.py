"""Creating, updating and locking people. Identity always goes through `Person.set_identity`."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from marac.people.models import Person

DETAIL_FIELDS = (
    "gender_identity",
    "address",
    "phone",
    "safe_contact_notes",
    "communication_needs",
    "interpreter_language",
    "disability_adjustments",
)


def save_person(
    session: Session,
    data: dict[str, Any],
    person: Person | None = None,
    created_by_id: int | None = None,
) -> Person:
    """Create (person None) or update a person from form data; flushes so it has an id.

    The normalised name is what exact matching uses, so it is set here and nowhere else.
    """
    if person is None:
        person = Person(created_by_id=created_by_id)
        session.add(person)
    person.set_identity(data.get("full_name") or "", data.get("postcode"))
    dob = data.get("date_of_birth")
    person.date_of_birth = dob if isinstance(dob, date) else None
    for name in DETAIL_FIELDS:
        setattr(person, name, (data.get(name) or "").strip())
    session.flush()
    return person


def fill_blanks(person: Person, data: dict[str, Any]) -> list[str]:
    """Copy typed details into fields the known person has empty; returns what was filled.

    Used when a victim entered again is linked to their existing record: nothing already
    recorded is overwritten, but new facts (a phone number, needs) are not lost either.
    """
    filled = []
    if not person.postcode and data.get("postcode"):
        person.set_identity(person.full_name, data["postcode"])
        filled.append("postcode")
    if person.date_of_birth is None and isinstance(data.get("date_of_birth"), date):
        person.date_of_birth = data["date_of_birth"]
        filled.append("date_of_birth")
    for name in DETAIL_FIELDS:
        value = (data.get(name) or "").strip()
        if value and not getattr(person, name):
            setattr(person, name, value)
            filled.append(name)
    return filled


def lock_person(session: Session, person_id: int) -> None:
    """Hold the person until this transaction ends: their referral rules run one at a time.

    Taken by the trigger rules and by a merge, before they read the person's referrals.
    Two requests that both looked for an open referral before either saved one would open
    two cases, or update one referral from the same version (a stale write). PostgreSQL:
    a row lock on the person; the second request waits here until the first commits, then
    reads what it wrote (read committed). It is FOR NO KEY UPDATE, which does not clash
    with the key-share lock every insert referencing the person takes (a new incident):
    FOR UPDATE would deadlock two requests that had each inserted one. SQLite: a write to
    the person row takes the database's single write lock now, before the reads (the
    driver opens the transaction at the first write, so a read-only start would not hold
    it).
    """
    if session.get_bind().dialect.name == "sqlite":
        session.execute(
            update(Person)
            .where(Person.id == person_id)
            .values(full_name=Person.full_name)
            .execution_options(synchronize_session=False)
        )
    else:
        session.execute(
            select(Person.id).where(Person.id == person_id).with_for_update(key_share=True)
        )
