"""Writes about identity alone: today, a search of the people register (it is audited)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from marac.accounts.models import User
from marac.audit import record
from marac.operations import operation
from marac.people.access import viewable_people
from marac.people.matching import find_matches
from marac.people.models import Person, normalise_name

SEARCH_LIMIT = 50


def _close_names(db: Session, actor: User, name: str, dob: date, seen: set[int]) -> list[Person]:
    """People the actor may see with a close name and the same date of birth.

    Always two queries (even when nothing is close), so the search's count stays fixed.
    """
    found = find_matches(db, name, dob, exclude_ids=seen)
    close = [c.person for c in ([] if found.exact else found.candidates)]
    if found.exact is not None and found.exact.id not in seen:
        close = [found.exact]
    allowed = set(
        db.scalars(
            select(Person.id).where(Person.id.in_([p.id for p in close]), viewable_people(actor))
        )
    )
    return [p for p in close if p.id in allowed]


@operation
def search_people(
    db: Session, actor: User, *, name: str, dob: date | None, limit: int = SEARCH_LIMIT
) -> list[Person]:
    """People the actor may see by name and/or date of birth: up to `limit` + 1 rows.

    Exact normalised name first, then names containing the words typed. With both a name
    and a date of birth, close spellings with that date of birth are added. The search
    (what was searched by, never the words) is audited.
    """
    wanted = normalise_name(name or "")
    query = select(Person).where(viewable_people(actor))
    order = [Person.normalised_name, Person.id]
    if wanted:
        exact = Person.normalised_name == wanted
        query = query.where(exact | Person.normalised_name.like(f"%{wanted}%"))
        order.insert(0, case((exact, 0), else_=1))
    if dob is not None:
        query = query.where(Person.date_of_birth == dob)
    results = list(db.scalars(query.order_by(*order).limit(limit + 1)))
    if wanted and dob is not None:
        results += _close_names(db, actor, wanted, dob, {p.id for p in results})
    record(
        db,
        "people_searched",
        "person",
        None,
        f"Searched people by {'name' if wanted else ''}"
        f"{' and ' if wanted and dob else ''}"
        f"{'date of birth' if dob else ''}: {min(len(results), limit)} shown",
        user=actor,
    )
    return results
