"""Likely duplicate people, merging two records, and "not the same person" (issue 5).

Plain functions; no Flask. A merge is always a coordinator's decision with a reason:
nothing here merges on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    delete,
    exists,
    func,
    literal,
    or_,
    select,
    union,
    update,
)
from sqlalchemy.orm import Session, aliased

from marac.assessments.models import RiskAssessment
from marac.audit import record
from marac.incidents.models import Incident, Perpetrator
from marac.people.matching import CLOSE_NAME_SCORE, name_score, ordered
from marac.people.models import DuplicateDismissal, Person, PersonMerge, PossibleMatch
from marac.people.service import DETAIL_FIELDS, lock_person
from marac.referrals.models import UNHEARD_STATUSES, Referral, ReferralSource

# Pairs fetched for scoring on one page; the newest records are looked at first.
PAIR_ROWS = 5000


@dataclass(frozen=True)
class DuplicatePair:
    first: Person
    second: Person
    score: float
    reason: str
    # Raised at intake by someone who could not see one of the two (a PossibleMatch).
    queued: bool = False


def likely_duplicates(
    session: Session, visible: ColumnElement[bool] | None = None, limit: int = 50
) -> list[DuplicatePair]:
    """Pairs that may be one person, best first, in two queries.

    Blocking in SQL, each half on an index: the same date of birth and the same first
    letter, or the same normalised name at the same postcode. Only ids, names and dates
    come back; rapidfuzz scores the same-birthday pairs, and the people of the pairs shown
    are loaded at the end. Dismissed pairs are left out. `visible` is a WHERE clause on
    Person (the viewer's access rule), applied to both people of a pair. Possible matches
    queued at intake come first, whatever their score.
    """
    a, b = aliased(Person, name="a"), aliased(Person, name="b")
    allowed = select(Person.id).where(visible) if visible is not None else None

    def pairs_on(*on: ColumnElement[bool]) -> Select[Any]:
        query = select(
            a.id.label("a_id"),
            b.id.label("b_id"),
            a.normalised_name.label("a_name"),
            b.normalised_name.label("b_name"),
            a.date_of_birth.label("a_dob"),
            b.date_of_birth.label("b_dob"),
            literal("").label("queued"),
        ).join(b, and_(b.id > a.id, *on))
        if allowed is not None:
            query = query.where(a.id.in_(allowed), b.id.in_(allowed))
        return query

    same_birthday = pairs_on(
        b.date_of_birth == a.date_of_birth,
        func.substr(b.normalised_name, 1, 1) == func.substr(a.normalised_name, 1, 1),
    ).where(a.date_of_birth.is_not(None))
    same_home = pairs_on(b.normalised_name == a.normalised_name, b.postcode == a.postcode).where(
        a.postcode != ""
    )
    queued = (
        select(
            a.id.label("a_id"),
            b.id.label("b_id"),
            a.normalised_name.label("a_name"),
            b.normalised_name.label("b_name"),
            a.date_of_birth.label("a_dob"),
            b.date_of_birth.label("b_dob"),
            PossibleMatch.reason.label("queued"),
        )
        .join_from(PossibleMatch, a, a.id == PossibleMatch.person_a_id)
        .join(b, b.id == PossibleMatch.person_b_id)
    )
    if allowed is not None:
        queued = queued.where(a.id.in_(allowed), b.id.in_(allowed))
    pairs = union(same_birthday, same_home, queued).subquery()
    query = (
        select(pairs)
        .where(
            ~exists().where(
                DuplicateDismissal.person_a_id == pairs.c.a_id,
                DuplicateDismissal.person_b_id == pairs.c.b_id,
            )
        )
        .order_by(pairs.c.b_id.desc(), pairs.c.a_id.desc())
        .limit(PAIR_ROWS)
    )
    found: dict[tuple[int, int], tuple[bool, float, str]] = {}
    for row in session.execute(query):
        same_dob = row.a_dob is not None and row.a_dob == row.b_dob
        if row.queued:
            found[(row.a_id, row.b_id)] = (True, name_score(row.a_name, row.b_name), row.queued)
            continue
        if row.a_name == row.b_name:
            score = 100.0
            reason = "Same name and date of birth" if same_dob else "Same name at the same postcode"
        elif same_dob and (score := name_score(row.a_name, row.b_name)) >= CLOSE_NAME_SCORE:
            reason = "Similar name, same date of birth"
        else:
            continue
        found.setdefault((row.a_id, row.b_id), (False, score, reason))
    shown = sorted(found.items(), key=lambda f: (not f[1][0], -f[1][1], -f[0][1]))[:limit]
    ids = {i for pair, _ in shown for i in pair}
    people = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(ids)))}
    return [
        DuplicatePair(people[x], people[y], score, why, queued)
        for (x, y), (queued, score, why) in shown
    ]


@dataclass(frozen=True)
class MergeSummary:
    incidents: int
    assessments: int
    referrals: int
    perpetrator_links: int

    def text(self) -> str:
        return (
            f"{self.incidents} incidents, {self.assessments} assessments, "
            f"{self.referrals} referrals, {self.perpetrator_links} perpetrator links"
        )


def referral_clash(session: Session, first_id: int, second_id: int) -> list[str]:
    """The references that stop a merge: each record has an automatic referral waiting.

    A person may have only one (the `uq_referral_person_open` index), and which one the
    panel should hear is the coordinator's decision, so the merge waits until one is
    declined. Empty when the merge may go ahead. Both people are locked first (in id
    order), so no trigger opens a referral for either between this check and the merge.
    """
    for person_id in sorted((first_id, second_id)):
        lock_person(session, person_id)
    rows = session.execute(
        select(Referral.person_id, Referral.reference).where(
            Referral.person_id.in_([first_id, second_id]),
            Referral.status.in_(UNHEARD_STATUSES),
            Referral.source != ReferralSource.PARTNER.value,
        )
    ).all()
    if len({row.person_id for row in rows}) < 2:
        return []
    return sorted(row.reference for row in rows)


def merge_people(
    session: Session,
    survivor: Person,
    duplicate: Person,
    reason: str,
    merged_by_id: int | None = None,
    actor: Any = None,
) -> MergeSummary:
    """Move everything of `duplicate` to `survivor`, fill the survivor's blanks, delete it.

    Actions belong to referrals, so they follow their referrals. Referrals are versioned:
    their version goes up so an open edit of a moved referral is refused, not lost. The
    caller commits. Who merged and why is kept as a `PersonMerge`; the audit entry made
    here names the records only.
    """
    if survivor.id == duplicate.id:
        raise ValueError("A person cannot be merged with themselves")
    if not reason.strip():
        raise ValueError("A merge needs a reason")
    if referral_clash(session, survivor.id, duplicate.id):
        raise ValueError("Both records have an automatic referral waiting to be heard")
    moved = list(session.scalars(select(Incident.id).where(Incident.person_id == duplicate.id)))
    moved_incidents = session.execute(
        update(Incident).where(Incident.person_id == duplicate.id).values(person_id=survivor.id)
    ).rowcount
    moved_assessments = session.execute(
        update(RiskAssessment)
        .where(RiskAssessment.person_id == duplicate.id)
        .values(person_id=survivor.id, version=RiskAssessment.version + 1)
    ).rowcount
    moved_referrals = session.execute(
        update(Referral)
        .where(Referral.person_id == duplicate.id)
        .values(person_id=survivor.id, version=Referral.version + 1)
    ).rowcount
    moved_links = session.execute(
        update(Perpetrator)
        .where(Perpetrator.person_id == duplicate.id)
        .values(person_id=survivor.id)
    ).rowcount
    if survivor.date_of_birth is None:
        survivor.date_of_birth = duplicate.date_of_birth
    if not survivor.postcode:
        survivor.postcode = duplicate.postcode
    for name in DETAIL_FIELDS:
        if not getattr(survivor, name):
            setattr(survivor, name, getattr(duplicate, name))
    # Incidents moved onto the survivor must not show it to recorders who could not see
    # it before (linking never widens access); the survivor's own incidents still do.
    session.execute(
        update(Incident)
        .where(
            Incident.id.in_(moved),
            Incident.created_by_id != func.coalesce(survivor.created_by_id, 0),
        )
        .values(person_withheld=True)
    )
    for model in (DuplicateDismissal, PossibleMatch):
        session.execute(
            delete(model).where(
                or_(model.person_a_id == duplicate.id, model.person_b_id == duplicate.id)
            )
        )
    summary = MergeSummary(moved_incidents, moved_assessments, moved_referrals, moved_links)
    duplicate_id = duplicate.id
    session.add(
        PersonMerge(
            survivor_person_id=survivor.id,
            duplicate_person_id=duplicate_id,
            merged_by_id=merged_by_id,
            reason=reason.strip(),
        )
    )
    session.delete(duplicate)
    session.flush()
    # Objects already loaded may still point at the deleted person.
    session.expire_all()
    record(
        session,
        "people_merged",
        "person",
        survivor.id,
        f"Merged person {duplicate_id} into person {survivor.id} ({summary.text()}), reason given",
        user=actor,
    )
    return summary


def dismiss_pair(
    session: Session,
    first: Person,
    second: Person,
    user_id: int,
    reason: str = "",
    actor: Any = None,
) -> None:
    """Record that two similar records are different people; they leave the list."""
    a, b = ordered(first.id, second.id)
    session.execute(
        delete(PossibleMatch).where(PossibleMatch.person_a_id == a, PossibleMatch.person_b_id == b)
    )
    if session.get(DuplicateDismissal, (a, b)) is None:
        session.add(
            DuplicateDismissal(
                person_a_id=a, person_b_id=b, dismissed_by_id=user_id, reason=reason.strip()
            )
        )
    record(
        session,
        "duplicate_dismissed",
        "person",
        a,
        f"Person {a} and person {b} are not the same person"
        + ("; reason given" if reason.strip() else ""),
        user=actor,
    )
