"""The self-building agenda: which cases a meeting hears, in what order, and when.

Three layers, so the rules can be tested without a request:
- `order_candidates` and `start_times` are pure functions of plain values;
- `gather_candidates` reads the database in a fixed number of queries;
- `build_agenda` adds the missing items to a meeting, keeping the chair's work.

Order (issue 18, item 2; the chair can change it afterwards): risk comes first across every
kind of case — high, then medium, then low or not known — so a low-risk repeat never sits
above a high-risk review. Within one risk level: new and repeat referrals, then reviews
(a review due or overdue, or actions still outstanding), then cases deferred from the
panel's previous meeting; repeats before other new cases; then the longest waiting.
Equal cases keep the order they came in (the sort is stable).

An agenda lists a person once (`one_per_person`): two referrals of one person become one
agenda item, led by the referral that ranks first; the others are heard with it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, insert, or_, select
from sqlalchemy.orm import Session, aliased

from marac.accounts.models import Agency
from marac.actions.models import OUTSTANDING_STATUSES, Action
from marac.audit import record
from marac.formatting import plural
from marac.meetings.models import AgendaItem, CaseResearch, Decision, ItemKind, ItemStatus
from marac.panels.access import runs_panel, sits_on_panel
from marac.panels.models import AgendaStatus, Meeting, MeetingStatus
from marac.people.models import Person
from marac.referrals.models import Referral, ReferralStatus

MIN_SLOT_MINUTES = 12
MAX_SLOT_MINUTES = 15

RISK_RANK = {"high": 0, "medium": 1}
"""Lower ranks are heard first; low and not known share the last rank."""
LAST_RISK_RANK = 2

ORDER_EXPLAINED = (
    "Cases are in order of risk, high first, whatever their kind; within a risk level new "
    "and repeat referrals come before reviews and deferred cases, repeats first, then the "
    "longest waiting."
)

SECTION = {
    ItemKind.NEW.value: 0,
    ItemKind.REPEAT.value: 0,
    ItemKind.REVIEW.value: 1,
    ItemKind.DEFERRED.value: 2,
}

KIND_LABELS: dict[str, str] = {
    ItemKind.NEW.value: "New",
    ItemKind.REPEAT.value: "Repeat",
    ItemKind.REVIEW.value: "Review",
    ItemKind.DEFERRED.value: "Deferred",
}


class AgendaLocked(Exception):
    """The agenda of a cancelled or held meeting cannot change."""


# ---- pure rules -------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """A case that could be heard, as plain values."""

    referral_id: int
    kind: str
    risk_level: str | None
    is_repeat: bool
    referred_at: datetime
    person_id: int | None = None  # None for a location: never merged with another case
    also: tuple[int, ...] = ()  # other referrals of the same person heard with this one


def sort_key(candidate: Candidate) -> tuple[int, int, int, datetime]:
    """The agenda order as a key: risk, section, repeat (new cases only), date."""
    risk = RISK_RANK.get(candidate.risk_level or "", LAST_RISK_RANK)
    section = SECTION.get(candidate.kind, len(SECTION))
    repeat = 0 if (section == 0 and candidate.is_repeat) else 1
    return (risk, section, repeat, candidate.referred_at)


def order_candidates(candidates: Iterable[Candidate]) -> list[Candidate]:
    """The cases in agenda order (stable: equal cases keep their incoming order)."""
    return sorted(candidates, key=sort_key)


def one_per_person(
    candidates: Iterable[Candidate], listed_people: Iterable[int] = ()
) -> list[Candidate]:
    """One candidate per person: the best-ranked referral leads, the others ride along.

    The panel hears the person, not one form: the lead is the referral the agenda order
    ranks first (so the highest risk), the others are recorded in `also`. People in
    `listed_people` are already on the agenda, so their other referrals are not listed
    again. Subjects that are not a person (a location) are never merged.
    """
    already = set(listed_people)
    people: dict[int, list[Candidate]] = {}
    result: list[Candidate | int] = []
    for candidate in candidates:
        if candidate.person_id is None:
            result.append(candidate)
        elif candidate.person_id in already:
            continue
        else:
            if candidate.person_id not in people:
                result.append(candidate.person_id)
            people.setdefault(candidate.person_id, []).append(candidate)
    merged: list[Candidate] = []
    for entry in result:
        if isinstance(entry, Candidate):
            merged.append(entry)
            continue
        lead, *others = order_candidates(people[entry])
        if others:
            lead = replace(lead, also=tuple(c.referral_id for c in others))
        merged.append(lead)
    return merged


def merge_into(existing: Sequence[Candidate], new: Iterable[Candidate]) -> list[Candidate]:
    """Add `new` cases to an agenda the chair may have reordered, keeping that order.

    Each new case goes just before the first listed case the standard order puts after
    it, so a new high-risk case still lands near the top of a rebuilt agenda.
    """
    result = list(existing)
    for candidate in order_candidates(new):
        key = sort_key(candidate)
        at = next((i for i, c in enumerate(result) if sort_key(c) > key), len(result))
        result.insert(at, candidate)
    return result


def slot_length(minutes: int | None) -> int:
    """A case's slot: the panel's setting kept within practice (12 to 15 minutes)."""
    if minutes is None:
        return MAX_SLOT_MINUTES
    return max(MIN_SLOT_MINUTES, min(MAX_SLOT_MINUTES, minutes))


def start_times(start: time, slots: Sequence[int], on: date | None = None) -> list[time]:
    """The running start time of each case from the meeting's start and the slots."""
    moment = datetime.combine(on or date(2000, 1, 1), start)
    times: list[time] = []
    for minutes in slots:
        times.append(moment.time())
        moment += timedelta(minutes=minutes)
    return times


def end_time(start: time, slots: Sequence[int]) -> time:
    """When the last case should finish."""
    moment = datetime.combine(date(2000, 1, 1), start) + timedelta(minutes=sum(slots))
    return moment.time()


# ---- candidates from the database ---------------------------------------------------------


def _candidate(referral: Referral, kind: str) -> Candidate:
    return Candidate(
        referral_id=referral.id,
        kind=kind,
        risk_level=referral.risk_level,
        is_repeat=referral.is_repeat,
        referred_at=referral.created_at,
        person_id=referral.person_id,
    )


def _is_earlier(meeting: Meeting, than: Meeting) -> bool:
    return (meeting.meeting_date, meeting.id) < (than.meeting_date, than.id)


def gather_candidates(session: Session, meeting: Meeting) -> list[Candidate]:
    """Every case this meeting should hear, unordered, in a fixed number of queries.

    Cases already listed on another scheduled meeting are left to that meeting; a
    case found by several rules takes one kind (deferred, then review, then new).
    """
    area_ids = [a.id for a in meeting.panel.areas]
    if not area_ids:
        return []
    in_areas = and_(
        Referral.area_id.in_(area_ids),
        Referral.status.notin_([ReferralStatus.CLOSED.value, ReferralStatus.DECLINED.value]),
    )
    found: dict[int, Candidate] = {}

    # New and repeat referrals accepted by screening.
    accepted = session.scalars(
        select(Referral).where(in_areas, Referral.status == ReferralStatus.ACCEPTED.value)
    )
    for referral in accepted:
        kind = ItemKind.REPEAT.value if referral.is_repeat else ItemKind.NEW.value
        found[referral.id] = _candidate(referral, kind)

    # Heard cases: a review due or overdue, or actions outstanding from earlier meetings.
    heard = {
        r.id: r
        for r in session.scalars(
            select(Referral).where(in_areas, Referral.status == ReferralStatus.HEARD.value)
        )
    }
    if heard:
        for referral_id in _reviews_due(session, meeting, list(heard)):
            found[referral_id] = _candidate(heard[referral_id], ItemKind.REVIEW.value)

    # Deferred from the panel's previous meeting (the last one before it not cancelled).
    previous = (
        select(Meeting.id)
        .where(
            Meeting.panel_id == meeting.panel_id,
            Meeting.id != meeting.id,
            Meeting.status != MeetingStatus.CANCELLED.value,
            or_(
                Meeting.meeting_date < meeting.meeting_date,
                and_(Meeting.meeting_date == meeting.meeting_date, Meeting.id < meeting.id),
            ),
        )
        .order_by(Meeting.meeting_date.desc(), Meeting.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    deferred = session.scalars(
        select(Referral)
        .join(AgendaItem, AgendaItem.referral_id == Referral.id)
        .where(
            in_areas,
            AgendaItem.meeting_id == previous,
            AgendaItem.status == ItemStatus.DEFERRED.value,
        )
    )
    for referral in deferred:
        found[referral.id] = _candidate(referral, ItemKind.DEFERRED.value)

    if not found:
        return []
    # A case the panel has heard comes back at the risk level it last agreed.
    for referral_id, level in latest_panel_risk(session, list(found)).items():
        found[referral_id] = replace(found[referral_id], risk_level=level)
    elsewhere = set(
        session.scalars(
            select(AgendaItem.referral_id)
            .join(Meeting, Meeting.id == AgendaItem.meeting_id)
            .where(
                AgendaItem.referral_id.in_(list(found)),
                AgendaItem.status == ItemStatus.LISTED.value,
                Meeting.id != meeting.id,
                Meeting.status == MeetingStatus.SCHEDULED.value,
            )
        )
    )
    return [c for rid, c in found.items() if rid not in elsewhere]


def latest_panel_risk(session: Session, referral_ids: Sequence[int]) -> dict[int, str]:
    """Each case's risk level as the panel last agreed it after discussion (one query).

    The referral keeps the level it arrived with (reports count on it); a review starts
    from the panel's latest view instead.
    """
    if not referral_ids:
        return {}
    held_at = aliased(Meeting)
    rows = session.execute(
        select(AgendaItem.referral_id, AgendaItem.risk_level_after)
        .join(held_at, held_at.id == AgendaItem.meeting_id)
        .where(
            AgendaItem.referral_id.in_(list(referral_ids)),
            AgendaItem.risk_level_after.is_not(None),
        )
        .order_by(held_at.meeting_date, held_at.id)
    )
    return {referral_id: level for referral_id, level in rows}  # the last one wins


def _reviews_due(session: Session, meeting: Meeting, referral_ids: list[int]) -> set[int]:
    """Heard cases whose latest decision sets a review due by this meeting, or overdue,
    or that still have actions open from earlier meetings (two queries)."""
    review_meeting = aliased(Meeting)
    held_at = aliased(Meeting)
    rows = session.execute(
        select(
            AgendaItem.referral_id,
            AgendaItem.decision,
            AgendaItem.review_meeting_id,
            review_meeting.meeting_date,
            review_meeting.status,
        )
        .join(held_at, held_at.id == AgendaItem.meeting_id)
        .outerjoin(review_meeting, review_meeting.id == AgendaItem.review_meeting_id)
        .where(AgendaItem.referral_id.in_(referral_ids), AgendaItem.decision.is_not(None))
        .order_by(held_at.meeting_date, held_at.id, AgendaItem.discussed_at)
    ).all()
    latest: dict[int, Any] = {}
    for row in rows:  # ordered oldest first, so the last one per case wins
        latest[row.referral_id] = row
    due: set[int] = set()
    for referral_id, row in latest.items():
        if row.decision != Decision.REVIEW.value:
            continue
        if (
            row.review_meeting_id is None
            or row.review_meeting_id == meeting.id
            or row.status == MeetingStatus.CANCELLED.value
            or (row.meeting_date is not None and row.meeting_date < meeting.meeting_date)
        ):
            due.add(referral_id)
    outstanding = session.scalars(
        select(Action.referral_id)
        .where(
            Action.referral_id.in_(referral_ids),
            Action.status.in_(OUTSTANDING_STATUSES),
            or_(Action.meeting_id.is_(None), Action.meeting_id != meeting.id),
        )
        .distinct()
    )
    due.update(outstanding)
    return due


# ---- building --------------------------------------------------------------------------


def ensure_changeable(meeting: Meeting) -> None:
    """Refuse changes to the agenda of a meeting that was cancelled or has been held."""
    if meeting.status != MeetingStatus.SCHEDULED.value:
        raise AgendaLocked(f"The meeting is {meeting.status}: its agenda cannot change.")


def build_agenda(session: Session, meeting: Meeting, user: Any) -> list[AgendaItem]:
    """Add the cases this meeting should hear; return the items added (none on a rerun).

    Idempotent: cases already on the agenda — listed, deferred or removed by the chair —
    are left as they are, and the chair's order is kept: new cases are merged in by the
    standard order. The caller commits (and records an amendment after publication).
    """
    ensure_changeable(meeting)
    existing = list(
        session.execute(
            select(AgendaItem, Referral)
            .join(Referral, Referral.id == AgendaItem.referral_id)
            .where(AgendaItem.meeting_id == meeting.id)
            .order_by(AgendaItem.position, AgendaItem.id)
        )
    )
    present = {item.referral_id for item, _ in existing}
    listed = [(item, ref) for item, ref in existing if item.status == ItemStatus.LISTED.value]
    people = {ref.person_id for _, ref in existing if ref.person_id is not None}
    fresh = one_per_person(
        (c for c in gather_candidates(session, meeting) if c.referral_id not in present),
        people,
    )
    if meeting.agenda_status == AgendaStatus.NOT_BUILT.value:
        meeting.agenda_status = AgendaStatus.DRAFT.value
    if not fresh:
        return []
    current = [
        Candidate(
            referral_id=ref.id,
            kind=item.kind,
            risk_level=item.risk_level_before,
            is_repeat=ref.is_repeat,
            referred_at=ref.created_at,
        )
        for item, ref in listed
    ]
    by_referral = {item.referral_id: item for item, _ in listed}
    slot = slot_length(meeting.panel.slot_minutes)
    fresh_by_id = {c.referral_id: c for c in fresh}
    rows: list[dict[str, Any]] = []
    for position, candidate in enumerate(merge_into(current, fresh), start=1):
        item = by_referral.get(candidate.referral_id)
        if item is None:
            rows.append(
                {
                    "meeting_id": meeting.id,
                    "referral_id": candidate.referral_id,
                    "kind": fresh_by_id[candidate.referral_id].kind,
                    "slot_minutes": slot,
                    "status": ItemStatus.LISTED.value,
                    "risk_level_before": candidate.risk_level,
                    "position": position,
                }
            )
        elif item.position != position:
            item.position = position
    # One bulk INSERT, so building a long agenda costs no more queries than a short one.
    added = list(session.scalars(insert(AgendaItem).returning(AgendaItem), rows))
    _renumber_others(existing, len(current) + len(fresh))
    record(
        session,
        "agenda_built",
        "meeting",
        meeting.id,
        f"Agenda built: {plural(len(added), 'case')} added",
        user=user,
    )
    return added


def _renumber_others(existing: Sequence[tuple[AgendaItem, Referral]], listed_count: int) -> None:
    """Deferred and removed items sit after the listed ones, keeping their order."""
    position = listed_count
    for item, _ in existing:
        if item.status != ItemStatus.LISTED.value:
            position += 1
            if item.position != position:
                item.position = position


def renumber(items: Sequence[AgendaItem]) -> None:
    """Positions 1..n for the listed items in the given order, then the others."""
    listed = [i for i in items if i.status == ItemStatus.LISTED.value]
    others = [i for i in items if i.status != ItemStatus.LISTED.value]
    for position, item in enumerate(listed + others, start=1):
        if item.position != position:
            item.position = position


# ---- reading the agenda -------------------------------------------------------------------


@dataclass
class AgendaRow:
    """One item of the agenda with what the meeting page shows about it."""

    item: AgendaItem
    referral: Referral
    person: Person | None
    start: time | None = None
    restricted: int | None = None  # the restriction id when the viewer sees a placeholder


def agenda_rows(session: Session, meeting: Meeting) -> list[AgendaRow]:
    """Every item of the agenda with its case and subject, in position order (one query)."""
    rows = session.execute(
        select(AgendaItem, Referral, Person)
        .join(Referral, Referral.id == AgendaItem.referral_id)
        .outerjoin(Person, Person.id == Referral.person_id)
        .where(AgendaItem.meeting_id == meeting.id)
        .order_by(AgendaItem.position, AgendaItem.id)
    )
    result = [AgendaRow(item, referral, person) for item, referral, person in rows]
    listed = [r for r in result if r.item.status == ItemStatus.LISTED.value]
    times = start_times(meeting.start_time, [r.item.slot_minutes for r in listed])
    for row, start in zip(listed, times, strict=True):
        row.start = start
    return result


def joined_referrals(
    session: Session, meeting: Meeting, rows: Sequence[AgendaRow]
) -> dict[int, list[Referral]]:
    """For each listed case, the same person's other open referrals heard with it (one query).

    An agenda lists a person once, so a second waiting referral is not an item of its own:
    the builder shows it beside the person's item instead.
    """
    listed = [r for r in rows if r.item.status == ItemStatus.LISTED.value]
    by_person = {r.referral.person_id: r.referral.id for r in listed if r.referral.person_id}
    if not by_person:
        return {}
    on_agenda = {r.referral.id for r in rows}
    area_ids = [a.id for a in meeting.panel.areas]
    others = session.scalars(
        select(Referral)
        .where(
            Referral.person_id.in_(list(by_person)),
            Referral.area_id.in_(area_ids),
            Referral.status.in_([ReferralStatus.ACCEPTED.value, ReferralStatus.HEARD.value]),
        )
        .order_by(Referral.created_at, Referral.id)
    )
    joined: dict[int, list[Referral]] = {}
    for referral in others:
        if referral.id not in on_agenda and referral.person_id is not None:
            joined.setdefault(by_person[referral.person_id], []).append(referral)
    return joined


def research_responses(session: Session, meeting: Meeting) -> dict[int, set[int]]:
    """For each case on the agenda, the agencies that have added research (one query)."""
    responded: dict[int, set[int]] = {}
    rows = session.execute(
        select(CaseResearch.referral_id, CaseResearch.agency_id).where(
            CaseResearch.meeting_id == meeting.id
        )
    )
    for referral_id, agency_id in rows:
        responded.setdefault(referral_id, set()).add(agency_id)
    return responded


def current_listing(session: Session, referral_id: int) -> tuple[AgendaItem, Meeting] | None:
    """The next scheduled meeting that lists the case, and its item (one query)."""
    row = session.execute(
        select(AgendaItem, Meeting)
        .join(Meeting, Meeting.id == AgendaItem.meeting_id)
        .where(
            AgendaItem.referral_id == referral_id,
            AgendaItem.status == ItemStatus.LISTED.value,
            Meeting.status == MeetingStatus.SCHEDULED.value,
        )
        .order_by(Meeting.meeting_date, Meeting.id)
        .limit(1)
    ).first()
    return (row[0], row[1]) if row else None


def case_research(
    session: Session, meeting_id: int, referral_id: int
) -> list[tuple[CaseResearch, str]]:
    """Each agency's research on one case for one meeting, with the agency's name."""
    return list(
        session.execute(
            select(CaseResearch, Agency.name)
            .join(Agency, Agency.id == CaseResearch.agency_id)
            .where(CaseResearch.meeting_id == meeting_id, CaseResearch.referral_id == referral_id)
            .order_by(Agency.name)
        )
    )


@dataclass
class PanelResearch:
    """The research section of a referral page: the case's current meeting and findings."""

    meeting: Meeting
    research: list[tuple[CaseResearch, str]]
    agencies: int
    can_add: bool


def panel_research_for(session: Session, user: Any, referral_id: int) -> PanelResearch | None:
    """What the panel's agencies found about a case for its next meeting, if the user may see
    it: the coordinators running the panel, and members once the agenda is published."""
    listing = current_listing(session, referral_id)
    if listing is None:
        return None
    _item, meeting = listing
    published = meeting.agenda_status == AgendaStatus.PUBLISHED.value
    member = sits_on_panel(user, meeting.panel) and published
    if not (member or runs_panel(user, meeting.panel)):
        return None
    return PanelResearch(
        meeting=meeting,
        research=case_research(session, meeting.id, referral_id),
        agencies=len(meeting.panel.agencies),
        can_add=member,
    )


AGENDA_STATUS_LABELS: dict[str, str] = {
    AgendaStatus.NOT_BUILT.value: "Not built",
    AgendaStatus.DRAFT.value: "Draft: not yet published",
    AgendaStatus.PUBLISHED.value: "Published to members",
}
