"""Who may see a person: whoever recorded them, or whoever a higher capability vouches for.

Identity sits below cases, so this module knows no incident or referral. Each capability
that gives a reason to see a person (today: incidents, "anyone who may see one of their
incidents", in `marac.incidents.people_access`) registers a rule here: a function of the
user returning a WHERE clause on `Person`. The rules are ORed; with none registered only
the recorder sees a person, so a missing registration hides people, it never shows them.
`create_app` imports every registering module, so the rules are always in place.
One query at most, whatever the person's history. A restricted person
(marac.people.restriction) is shown only to the users their restriction lets through,
and the roles with no case content (admin, information governance) see nobody.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, or_, select
from sqlalchemy.orm import Session

from marac.people.models import Person
from marac.people.restriction import no_case_content, shown_person

PersonRule = Callable[[Any], ColumnElement[bool]]

_REASONS: list[PersonRule] = []


def register_reason(rule: PersonRule) -> PersonRule:
    """Add a reason a user may see people (a decorator); registering twice is harmless."""
    if rule not in _REASONS:
        _REASONS.append(rule)
    return rule


def _reasons(user: Any) -> list[ColumnElement[bool]]:
    return [rule(user) for rule in _REASONS]


def can_view_person(session: Session, user: Any, person: Person) -> bool:
    """A reason to see the person, and not shut out by a restriction: one query."""
    if no_case_content(user):
        return False
    query = select(exists().where(Person.id == person.id, viewable_people(user)))
    return bool(session.scalar(query))


def viewable_people(user: Any) -> ColumnElement[bool]:
    """`can_view_person` as a WHERE clause on Person, for searches and lists."""
    if no_case_content(user):
        return false()
    return and_(
        or_(Person.created_by_id == user.id, *_reasons(user)), shown_person(user, Person.id)
    )


def viewable_person_ids(session: Session, user: Any, ids: set[int]) -> set[int]:
    """Which of `ids` the user may see, in one query (for matching and lists)."""
    if not ids:
        return set()
    return set(session.scalars(select(Person.id).where(Person.id.in_(ids), viewable_people(user))))
