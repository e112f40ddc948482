"""Recognising a person already known when someone enters them again (issue 5, §3.6).

Plain functions taking a session and values; no Flask.

* **Exact**: the same normalised name and the same date of birth. Exactly one such person
  links automatically (the page says so). A name alone never links automatically.
* **Similar** (offered for a person to choose "same person" or "new person", never linked
  on its own): a close name (rapidfuzz) with the same date of birth, or the same
  normalised name at the same postcode. A named perpetrator entered without a date of
  birth is also offered people of the same normalised name who are already recorded as a
  perpetrator.

Candidates are narrowed in SQL by indexed keys (date of birth, postcode, normalised name)
and only that handful is scored in Python, so the cost does not grow with the register.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from rapidfuzz import fuzz
from sqlalchemy import ColumnElement, and_, exists, false, or_, select
from sqlalchemy.orm import Session

from marac.people.models import (
    DuplicateDismissal,
    Person,
    PossibleMatch,
    normalise_name,
    normalise_postcode,
)

# A rapidfuzz score (0-100) at or above this is a "close name".
CLOSE_NAME_SCORE = 85.0
# Safety cap on rows fetched for scoring (a date of birth shared by hundreds of people).
CANDIDATE_ROWS = 500
MAX_OFFERED = 10

# Where a person is named as a perpetrator: a column of person ids, registered by the
# incidents capability (`marac.incidents.people_access`), since identity knows no incident.
_PERPETRATOR_LINKS: list[ColumnElement[int]] = []


def register_perpetrator_link(column: ColumnElement[int]) -> None:
    """Name the column holding the person id of each perpetrator (once is enough)."""
    if not any(column is known for known in _PERPETRATOR_LINKS):
        _PERPETRATOR_LINKS.append(column)


def _is_perpetrator() -> ColumnElement[bool]:
    """A WHERE clause on Person: named as a perpetrator somewhere (false if none known)."""
    if not _PERPETRATOR_LINKS:
        return false()
    return or_(*(exists().where(column == Person.id) for column in _PERPETRATOR_LINKS))


SAME_NAME_AND_DOB = "Same name and date of birth"
CLOSE_NAME_SAME_DOB = "Similar name, same date of birth"
SAME_NAME_AND_POSTCODE = "Same name at the same postcode"
SAME_NAME_PERPETRATOR = "Same name, already recorded as a perpetrator"


def name_score(a: str, b: str) -> float:
    """How alike two normalised names are (0-100): spelling slips and swapped word order."""
    return max(fuzz.ratio(a, b), fuzz.token_sort_ratio(a, b))


@dataclass(frozen=True)
class Candidate:
    """A person who may be the one being entered, and why they were offered."""

    person: Person
    score: float
    reason: str


@dataclass(frozen=True)
class MatchResult:
    """`exact` links automatically; `candidates` need a person to choose.

    After `for_viewer`, `candidates` holds only people the user may see and `withheld`
    the others; `exact_withheld` says the exact match is someone the user may not see
    (linked silently, never shown).
    """

    exact: Person | None = None
    candidates: list[Candidate] = field(default_factory=list)
    withheld: list[Candidate] = field(default_factory=list)
    exact_withheld: bool = False

    @property
    def undisclosed(self) -> bool:
        """Matching found someone the user may not see: say only that a coordinator checks."""
        return self.exact_withheld or bool(self.withheld)

    @property
    def needs_choice(self) -> bool:
        return self.exact is None and bool(self.candidates)

    def candidate(self, person_id: int) -> Person | None:
        return next((c.person for c in self.candidates if c.person.id == person_id), None)


def _reason(
    person: Person, name: str, dob: date | None, postcode: str, perpetrator_ids: set[int]
) -> tuple[float, str] | None:
    """Why `person` is similar to the values entered, with its score, or None."""
    score = name_score(name, person.normalised_name)
    if dob is not None and person.date_of_birth == dob:
        if person.normalised_name == name:
            return 100.0, SAME_NAME_AND_DOB
        if score >= CLOSE_NAME_SCORE:
            return score, CLOSE_NAME_SAME_DOB
    if person.normalised_name == name:
        if postcode and person.postcode == postcode:
            return 100.0, SAME_NAME_AND_POSTCODE
        if person.id in perpetrator_ids:
            return 100.0, SAME_NAME_PERPETRATOR
    return None


def find_matches(
    session: Session,
    full_name: str,
    date_of_birth: date | None = None,
    postcode: str | None = None,
    *,
    perpetrator: bool = False,
    exclude_ids: Iterable[int] = (),
) -> MatchResult:
    """People who may be the one entered: one exact match, or candidates to choose from.

    Two queries at most: the indexed candidates, and (for a perpetrator with no date of
    birth) which of the same-name people are already perpetrators.
    """
    name = normalise_name(full_name or "")
    if not name:
        return MatchResult()
    postcode = normalise_postcode(postcode)
    keys = [and_(Person.normalised_name == name, Person.postcode == postcode)] if postcode else []
    if date_of_birth is not None:
        keys.append(Person.date_of_birth == date_of_birth)
    perpetrator_by_name = perpetrator and date_of_birth is None
    if perpetrator_by_name:
        keys.append(
            and_(
                Person.normalised_name == name,
                _is_perpetrator(),
            )
        )
    if not keys:
        return MatchResult()
    query = select(Person).where(or_(*keys)).order_by(Person.id).limit(CANDIDATE_ROWS)
    excluded = set(exclude_ids)
    people = [p for p in session.scalars(query) if p.id not in excluded]
    perpetrator_ids = (
        {p.id for p in people if p.normalised_name == name} if perpetrator_by_name else set()
    )
    if perpetrator_by_name and perpetrator_ids:
        # The OR above may have brought same-name people at the postcode: check who offended.
        perpetrator_ids = set(
            session.scalars(
                select(Person.id).where(Person.id.in_(perpetrator_ids), _is_perpetrator())
            )
        )
    candidates = []
    for person in people:
        found = _reason(person, name, date_of_birth, postcode, perpetrator_ids)
        if found is not None:
            candidates.append(Candidate(person, found[0], found[1]))
    candidates.sort(key=lambda c: (-c.score, c.person.id))
    exact = [c for c in candidates if c.reason == SAME_NAME_AND_DOB]
    if len(exact) == 1:
        return MatchResult(exact=exact[0].person)
    return MatchResult(candidates=candidates[:MAX_OFFERED])


def for_viewer(result: MatchResult, visible_ids: set[int]) -> MatchResult:
    """What the user may be told: people outside `visible_ids` are never offered.

    Matching must not disclose anyone the user could not already find: an exact match
    they may not see still links (so the record stays whole) but is flagged, and similar
    people they may not see are set aside for a coordinator to check.
    """
    if result.exact is not None:
        return MatchResult(exact=result.exact, exact_withheld=result.exact.id not in visible_ids)
    return MatchResult(
        candidates=[c for c in result.candidates if c.person.id in visible_ids],
        withheld=[c for c in result.candidates if c.person.id not in visible_ids],
    )


NEW_PERSON = "new"


def choice_problem(result: MatchResult, choice: str | None) -> str | None:
    """Why a "same person / new person" answer cannot be used, or None when it can."""
    if not result.needs_choice:
        return None
    if not choice:
        return "Select whether this is one of the people already known, or a new person"
    if choice == NEW_PERSON:
        return None
    if not choice.isdigit() or result.candidate(int(choice)) is None:
        return "Select one of the people listed, or that this is a new person"
    return None


def chosen_person(result: MatchResult, choice: str | None) -> Person | None:
    """The existing person to link: the exact match, or the one chosen; None for a new one."""
    if result.exact is not None:
        return result.exact
    if choice and choice.isdigit():
        return result.candidate(int(choice))
    return None


def ordered(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def queue_possible_matches(
    session: Session, person_id: int, candidates: Iterable[Candidate], raised_by_id: int | None
) -> int:
    """Queue similar people the user could not see, for a coordinator to merge or dismiss.

    Pairs already queued or dismissed are skipped; returns how many were added.
    """
    added = 0
    for candidate in candidates:
        if candidate.person.id == person_id:
            continue
        pair = ordered(person_id, candidate.person.id)
        if session.get(PossibleMatch, pair) or session.get(DuplicateDismissal, pair):
            continue
        session.add(
            PossibleMatch(
                person_a_id=pair[0],
                person_b_id=pair[1],
                reason=candidate.reason,
                raised_by_id=raised_by_id,
            )
        )
        added += 1
    if added:
        session.flush()
    return added
