"""Recording an incident: the one write of the incident page, for pages, the API and jobs.

`record_incident` takes plain values (the dataclasses below hold exactly what the form
asks), checks the actor may record, re-checks every rule the form checks (the caller is
not trusted), places the incident in an area by postcode, finds or creates the victim
and named perpetrators (matching discloses nothing the actor may not open), writes the
audit rows and sends `incident_recorded` (the referral rules) in one transaction.

Matching has two modes. `similar="ask"` (the pages): when similar people the actor may
see are found, `ChoiceNeeded` carries them so the page can ask "same person?"; the answer
comes back in `victim_match` / `PerpetratorDetails.match`. `similar="queue"` (a records
system, which cannot answer): similar people are never shown; a new person is recorded
and the similar ones are queued for a coordinator as possible matches.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time
from typing import Literal

from sqlalchemy.orm import Session

from marac.accounts.models import Role, User
from marac.audit import record
from marac.db import utcnow
from marac.incidents import rules
from marac.incidents.models import (
    AGE_BAND_LABELS,
    INCIDENT_TYPE_LABELS,
    PERCEIVED_BY_LABELS,
    RECORDING_LABELS,
    RELATIONSHIP_LABELS,
    REPORTED_VIA_LABELS,
    Incident,
    IncidentStrand,
    Perpetrator,
)
from marac.incidents.placing import area_for_postcode, resolve_local_strands
from marac.incidents.signals import incident_recorded
from marac.incidents.strands import STRAND_LABELS, SUBCATEGORY_STRAND
from marac.inputs import year_error
from marac.operations import Invalid, NotFound, allow, operation
from marac.people.access import can_view_person, viewable_person_ids
from marac.people.forms import valid_postcode
from marac.people.matching import (
    NEW_PERSON,
    MatchResult,
    choice_problem,
    chosen_person,
    find_matches,
    for_viewer,
)
from marac.people.merge import queue_possible_matches
from marac.people.models import Person, normalise_postcode
from marac.people.service import fill_blanks, save_person

# Who records incidents: the case workers. Admins run the system and never see case data.
CASE_ROLES = (Role.REFERRER, Role.MEMBER, Role.COORDINATOR)
MAX_PERPETRATORS = 3
Similar = Literal["ask", "queue"]


@dataclass(frozen=True)
class VictimDetails:
    """A new victim, as the "The victim" fieldset asks (field names as on the form)."""

    full_name: str
    date_of_birth: date | None = None
    gender_identity: str = ""
    address: str = ""
    postcode: str = ""
    phone: str = ""
    safe_contact_notes: str = ""
    communication_needs: str = ""
    interpreter_language: str = ""
    disability_adjustments: str = ""


@dataclass(frozen=True)
class PerpetratorDetails:
    """One perpetrator; an all-blank one is skipped, as on the form.

    `match` answers "is this perpetrator one of these people?" after `ChoiceNeeded`:
    a person id offered, or `NEW_PERSON`.
    """

    known: bool | None = None
    name: str = ""
    relationship: str = ""
    age_band: str = "unknown"
    description: str = ""
    date_of_birth: date | None = None
    match: str | None = None

    @property
    def is_blank(self) -> bool:
        return rules.perpetrator_is_blank(
            _yes_no(self.known), self.name, self.relationship, self.age_band, self.description
        )


@dataclass(frozen=True)
class IncidentDetails:
    """Everything the incident form asks. `victim` is None when the victim is already
    known (`person_id` of `record_incident`); `victim_match` answers "is the victim one of
    these people?" after `ChoiceNeeded`. Times are UK local, as staff type them."""

    occurred_on: date | None
    occurred_time: time | None
    online: bool
    incident_type: str
    recorded_as: str
    reported_via: str
    perceived_by: tuple[str, ...]
    description: str
    place: str = ""
    postcode: str = ""
    aggravated_offence: bool | None = None
    crime_reference: str = ""
    strands: tuple[str, ...] = ()
    subcategories: tuple[str, ...] = ()
    local_strands: tuple[str, ...] = ()
    victim: VictimDetails | None = None
    victim_match: str | None = None
    perpetrators: tuple[PerpetratorDetails, ...] = ()


@dataclass(frozen=True)
class Offer:
    """A person the actor may see who may be the one entered (shown on the question)."""

    person_id: int
    full_name: str
    date_of_birth: date | None
    postcode: str
    reason: str


@dataclass(frozen=True)
class Question:
    """A "same person?" question due on `field` ("victim_match", "perpetrators.1.match")."""

    field: str
    who: str
    offers: list[Offer]


class ChoiceNeeded(Invalid):
    """Similar people the actor may see were found: say which (or a new person) first.

    Raised only with `similar="ask"`. `errors` holds the unanswered (or wrongly answered)
    questions' messages by field; `questions` every question due, answered or not, so
    the page asks them all again. Nothing is saved; the offer itself is audited.
    """

    def __init__(self, errors: dict[str, str], questions: list[Question]) -> None:
        super().__init__(errors, "Say whether these are people already known.")
        self.questions = questions


@dataclass(frozen=True)
class RecordedIncident:
    """What the actor may be told about what was recorded.

    `victim_id` is None when the victim was linked to a record the actor may not open
    (an exact match outside their view): show them the incident, never that person.
    `already_known` names the visible person an exact match linked the victim to.
    `coordinator_will_check` (ask mode only) says that matching found people the actor
    may not be shown; with `similar="queue"` nothing about similar people is returned.
    """

    incident: Incident
    victim_id: int | None
    already_known: str | None = None
    coordinator_will_check: bool = False


@dataclass
class _Matches:
    victim: MatchResult | None
    perpetrators: dict[int, MatchResult] = field(default_factory=dict)
    questions: list[Question] = field(default_factory=list)


def record_incident(
    db: Session,
    actor: User,
    details: IncidentDetails,
    *,
    person_id: int | None = None,
    similar: Similar = "ask",
) -> RecordedIncident:
    """Record an incident against a new victim (`details.victim`) or a known person.

    Raises `Refused` (not a case worker, or a known person the actor may not see),
    `NotFound` (no such person), `Invalid` (a rule broken, by form field name) and, in
    ask mode, `ChoiceNeeded`. When a choice is due nothing is saved, but the offer (it
    shows other people's names and dates of birth) is audited in its own transaction.
    """
    try:
        return _record_incident(db, actor, details, person_id=person_id, similar=similar)
    except ChoiceNeeded as needed:
        _audit_offers(db, actor, needed.questions)
        raise


@operation
def _audit_offers(db: Session, actor: User, questions: list[Question]) -> None:
    for question in questions:
        _audit_offer(db, actor, question)


def _audit_offer(db: Session, actor: User, question: Question) -> None:
    who = question.who
    ids = ", ".join(str(o.person_id) for o in question.offers)
    record(db, "person_match_offered", "person", None, f"{who}: offered people {ids}", user=actor)


@operation
def _record_incident(
    db: Session, actor: User, details: IncidentDetails, *, person_id: int | None, similar: Similar
) -> RecordedIncident:
    allow(bool(actor.active) and actor.has_role(*CASE_ROLES))
    now = utcnow()
    person = _known_person(db, actor, person_id)
    if person is None and details.victim is None:
        raise Invalid({"victim.full_name": "Enter the person's full name"})
    if person is not None and details.victim is not None:
        raise Invalid({"victim": "Record a new victim or choose a known person, not both"})
    problems = incident_problems(details, now, new_victim=person is None)
    if problems:
        raise Invalid(problems)

    postcode = normalise_postcode(details.postcode)
    if person is not None:
        victim_postcode = person.postcode
    else:
        assert details.victim is not None
        victim_postcode = normalise_postcode(details.victim.postcode)
    area = area_for_postcode(db, postcode or victim_postcode)
    local_codes, problem = resolve_local_strands(db, area, details.local_strands)
    if problem:
        raise Invalid({"local_strands": problem})

    matches = _match(db, actor, details, person, similar)
    for question in matches.questions:
        _audit_offer(db, actor, question)  # what the choice was made from

    day, at = details.occurred_on, details.occurred_time
    assert day is not None and at is not None  # checked by incident_problems
    withheld = False
    already_known = None
    if person is None:
        assert details.victim is not None and matches.victim is not None
        person, already_known = _victim(db, actor, details, matches.victim, similar)
        withheld = matches.victim.exact_withheld
    incident = Incident(
        person_id=person.id,
        area_id=area.id if area else None,
        occurred_at=rules.occurred_at(day, at),
        place=details.place.strip(),
        postcode=postcode,
        incident_type=details.incident_type,
        online=details.online,
        recorded_as=details.recorded_as,
        # Only a crime can be an aggravated offence (the question says so).
        aggravated_offence=details.recorded_as == "crime" and bool(details.aggravated_offence),
        crime_reference=details.crime_reference.strip(),
        reported_via=details.reported_via,
        perceived_by=",".join(code for code in PERCEIVED_BY_LABELS if code in details.perceived_by),
        description=details.description.strip(),
        agency_id=actor.agency_id,
        created_by_id=actor.id,
        person_withheld=withheld,
    )
    for code in dict.fromkeys(details.strands):
        incident.strands.append(IncidentStrand(code=code, subcategory=""))
    for sub in dict.fromkeys(details.subcategories):
        incident.strands.append(IncidentStrand(code=SUBCATEGORY_STRAND[sub], subcategory=sub))
    for code in local_codes:
        incident.strands.append(IncidentStrand(code=code, subcategory=""))
    for index, row in enumerate(details.perpetrators):
        if row.is_blank:
            continue
        found = matches.perpetrators.get(index)
        incident.perpetrators.append(
            Perpetrator(
                known=row.known is True,
                person_id=(
                    _link_perpetrator(db, actor, row, found, similar) if found is not None else None
                ),
                name=row.name.strip(),
                relationship_to_victim=row.relationship,
                age_band=row.age_band or "unknown",
                description=row.description.strip(),
            )
        )
    db.add(incident)
    db.flush()
    incident_recorded.send(db, incident=incident, actor=actor, now=now)
    strands = ", ".join(
        sorted(s.code + (f"/{s.subcategory}" if s.subcategory else "") for s in incident.strands)
    )
    record(
        db,
        "incident_recorded",
        "incident",
        incident.id,
        f"Recorded incident {incident.id} for person {person.id} ({strands})",
        user=actor,
    )
    results = [matches.victim, *matches.perpetrators.values()]
    return RecordedIncident(
        incident=incident,
        victim_id=None if withheld else person.id,
        already_known=already_known,
        coordinator_will_check=similar == "ask"
        and any(r is not None and r.undisclosed for r in results),
    )


def _known_person(db: Session, actor: User, person_id: int | None) -> Person | None:
    if person_id is None:
        return None
    person = db.get(Person, person_id)
    if person is None:
        raise NotFound()
    allow(can_view_person(db, actor, person))
    return person


def _yes_no(value: bool | None) -> str | None:
    return None if value is None else ("yes" if value else "no")


# Longest text each field takes (the form's limits; the columns' too).
VICTIM_LIMITS = {
    "full_name": 200,
    "gender_identity": 100,
    "address": 1000,
    "phone": 40,
    "safe_contact_notes": 2000,
    "communication_needs": 2000,
    "interpreter_language": 80,
    "disability_adjustments": 2000,
}
POSTCODE_MESSAGE = "Enter a real postcode, like AK1 2BX"


def _too_long(value: str, limit: int) -> str | None:
    return f"Enter {limit} characters or fewer" if len(value) > limit else None


def _postcode_problem(value: str) -> str | None:
    if not value:
        return None
    if len(value) > 10 or not valid_postcode(value):
        return POSTCODE_MESSAGE
    return None


def _year_problem(day: date | None, label: str) -> str | None:
    return year_error(day.year, label) if day is not None else None


def incident_problems(
    details: IncidentDetails, now: datetime, *, new_victim: bool
) -> dict[str, str]:
    """Every rule the incident form checks, by form field name (dotted when nested).

    The form shows these before the operation runs; the operation checks them again
    because the API (and any other caller) sends values no form has checked.
    """
    problems: dict[str, str] = {}

    def fail(name: str, message: str | None) -> None:
        if message and name not in problems:
            problems[name] = message

    if new_victim and details.victim is not None:
        victim = details.victim
        if not victim.full_name.strip():
            fail("victim.full_name", "Enter the person's full name")
        for name, limit in VICTIM_LIMITS.items():
            fail(f"victim.{name}", _too_long(getattr(victim, name), limit))
        fail("victim.postcode", _postcode_problem(victim.postcode))
        fail("victim.date_of_birth", _year_problem(victim.date_of_birth, "Date of birth"))

    if details.occurred_on is None:
        fail("occurred_on", "Enter the date of the incident")
    else:
        fail("occurred_on", _year_problem(details.occurred_on, "Date of the incident"))
    if details.occurred_time is None:
        fail("occurred_time", "Enter the time of the incident")
    if details.occurred_on is not None and details.occurred_time is not None:
        when = rules.when_problem(details.occurred_on, details.occurred_time, now)
        if when:
            fail(*when)
    fail("place", _too_long(details.place, 500))
    fail("postcode", _postcode_problem(details.postcode))
    if not details.online and not details.postcode:
        fail("postcode", "Enter the postcode of where it happened")
    if details.incident_type not in INCIDENT_TYPE_LABELS:
        fail("incident_type", "Select the type of incident")
    if details.recorded_as not in RECORDING_LABELS:
        fail("recorded_as", "Select whether it is a hate crime or a non-crime hate incident")
    if details.reported_via not in REPORTED_VIA_LABELS:
        fail("reported_via", "Select how it was reported")
    perceived = set(details.perceived_by)
    if not perceived or not perceived <= set(PERCEIVED_BY_LABELS):
        fail("perceived_by", "Select who perceived the hostility")
    fail("crime_reference", _too_long(details.crime_reference, 40))
    if not details.description.strip():
        fail("description", "Describe what happened")
    fail("description", _too_long(details.description, 10000))

    if not set(details.strands) <= set(STRAND_LABELS):
        fail("strands", "Select hate strands from the list")
    fail(
        "strands",
        rules.strand_problem(details.strands, details.subcategories, details.local_strands),
    )
    if details.recorded_as == "crime" and details.aggravated_offence is None:
        fail(
            "aggravated_offence",
            "Select whether it is a racially or religiously aggravated offence",
        )
    elif details.recorded_as in RECORDING_LABELS:
        fail(
            "aggravated_offence",
            rules.aggravated_problem(
                details.recorded_as, bool(details.aggravated_offence), details.strands
            ),
        )

    if len(details.perpetrators) > MAX_PERPETRATORS:
        fail("perpetrators", f"Record {MAX_PERPETRATORS} perpetrators or fewer")
    for index, row in enumerate(details.perpetrators):
        where = f"perpetrators.{index}"
        problem = rules.perpetrator_problem(
            index + 1,
            _yes_no(row.known),
            row.name,
            row.relationship,
            row.age_band,
            row.description,
        )
        if problem:
            fail(f"{where}.{problem[0]}", problem[1])
        fail(f"{where}.name", _too_long(row.name, 200))
        fail(f"{where}.description", _too_long(row.description, 2000))
        if row.relationship and row.relationship not in RELATIONSHIP_LABELS:
            fail(f"{where}.relationship", "Select the relationship from the list")
        if row.age_band not in AGE_BAND_LABELS:
            fail(f"{where}.age_band", "Select the age from the list")
        fail(f"{where}.date_of_birth", _year_problem(row.date_of_birth, "Date of birth"))
    return problems


def _find(
    db: Session,
    actor: User,
    similar: Similar,
    name: str,
    dob: date | None,
    postcode: str | None = None,
    **kw: object,
) -> MatchResult:
    """`find_matches` narrowed to what the actor may be shown (`matching.for_viewer`).

    In queue mode even the similar people the actor may see are set aside (withheld):
    a records system cannot answer "same person?", so a coordinator decides.
    """
    found = find_matches(db, name, dob, postcode, **kw)  # type: ignore[arg-type]
    people = {c.person.id for c in found.candidates}
    if found.exact is not None:
        people.add(found.exact.id)
    shown = for_viewer(found, viewable_person_ids(db, actor, people))
    if similar == "queue" and shown.candidates:
        return MatchResult(withheld=[*shown.candidates, *shown.withheld])
    return shown


def _question(result: MatchResult, name: str, who: str) -> Question:
    offers = [
        Offer(
            person_id=c.person.id,
            full_name=c.person.full_name,
            date_of_birth=c.person.date_of_birth,
            postcode=c.person.postcode or "",
            reason=c.reason,
        )
        for c in result.candidates
    ]
    return Question(field=name, who=who, offers=offers)


def _match(
    db: Session, actor: User, details: IncidentDetails, person: Person | None, similar: Similar
) -> _Matches:
    """Match the victim and named perpetrators; `ChoiceNeeded` while a choice is due."""
    errors: dict[str, str] = {}
    matches = _Matches(victim=None)
    if person is None:
        victim = details.victim
        assert victim is not None
        matches.victim = _find(
            db, actor, similar, victim.full_name, victim.date_of_birth, victim.postcode
        )
        if matches.victim.needs_choice:
            matches.questions.append(_question(matches.victim, "victim_match", "Victim"))
            problem = choice_problem(matches.victim, details.victim_match)
            if problem:
                errors["victim_match"] = problem
    for index, row in enumerate(details.perpetrators):
        if row.is_blank or row.known is not True or not row.name.strip():
            continue
        found = _find(
            db,
            actor,
            similar,
            row.name,
            row.date_of_birth,
            perpetrator=True,
            exclude_ids=[person.id] if person else [],
        )
        matches.perpetrators[index] = found
        if found.needs_choice:
            name = f"perpetrators.{index}.match"
            matches.questions.append(_question(found, name, f"Perpetrator {index + 1}"))
            problem = choice_problem(found, row.match)
            if problem:
                errors[name] = problem
    if errors:
        raise ChoiceNeeded(errors, matches.questions)
    return matches


def _note_undisclosed(
    db: Session, actor: User, person_id: int, found: MatchResult, who: str, similar: Similar
) -> None:
    """Queue the similar people not shown for a coordinator; audit what was not shown."""
    ids = [c.person.id for c in found.withheld] + ([person_id] if found.exact_withheld else [])
    queue_possible_matches(db, person_id, found.withheld, actor.id)
    why = "outside the user's view" if similar == "ask" else "not asked: queued for a coordinator"
    record(
        db,
        "person_match_withheld",
        "person",
        person_id,
        f"{who}: not shown people {', '.join(str(i) for i in ids)} ({why})",
        user=actor,
    )


def _victim(
    db: Session, actor: User, details: IncidentDetails, found: MatchResult, similar: Similar
) -> tuple[Person, str | None]:
    """The victim's record (matched or chosen, blanks filled; or new) and, for an exact
    match the actor may see, the name to tell them it was linked."""
    assert details.victim is not None
    data = asdict(details.victim)
    choice = details.victim_match if found.needs_choice else None
    existing = chosen_person(found, choice)
    if existing is None:
        person = save_person(db, data, created_by_id=actor.id)
        record(
            db, "person_created", "person", person.id, f"Recorded person {person.id}", user=actor
        )
        if found.withheld:
            _note_undisclosed(db, actor, person.id, found, "Victim", similar)
        return person, None
    already_known = None
    if found.exact_withheld:
        # Linked for a whole record, told nothing: the incident will not show the person.
        how = "exact match on name and date of birth, outside the user's view"
        _note_undisclosed(db, actor, existing.id, found, "Victim", similar)
    elif found.exact is not None:
        how = "exact match on name and date of birth"
        already_known = existing.full_name
    else:
        how = "chosen by the user from similar records"
        if found.withheld:
            _note_undisclosed(db, actor, existing.id, found, "Victim", similar)
    filled = fill_blanks(existing, data)
    extra = f"; filled blank {', '.join(filled)}" if filled else ""
    record(
        db,
        "person_matched",
        "person",
        existing.id,
        f"Victim linked to person ({how}{extra})",
        user=actor,
    )
    return existing, already_known


def _link_perpetrator(
    db: Session, actor: User, row: PerpetratorDetails, found: MatchResult, similar: Similar
) -> int | None:
    """The person a named perpetrator is: the one matched or chosen, or a new record.

    A name alone is too weak to start a person record (many people share a name), so a
    perpetrator with no date of birth who matches nobody stays unlinked.
    """
    choice = row.match if found.needs_choice else None
    existing = chosen_person(found, choice)
    if existing is not None:
        how = "exact match" if found.exact else "chosen by the user"
        record(
            db, "person_matched", "person", existing.id, f"Perpetrator linked ({how})", user=actor
        )
        person = existing
    elif row.date_of_birth is None:
        return None
    else:
        person = save_person(
            db,
            {"full_name": row.name.strip(), "date_of_birth": row.date_of_birth},
            created_by_id=actor.id,
        )
        record(
            db,
            "person_created",
            "person",
            person.id,
            f"Recorded perpetrator {person.id}",
            user=actor,
        )
    if found.undisclosed:
        _note_undisclosed(db, actor, person.id, found, "Perpetrator", similar)
    return person.id


__all__ = [
    "CASE_ROLES",
    "NEW_PERSON",
    "ChoiceNeeded",
    "IncidentDetails",
    "Offer",
    "PerpetratorDetails",
    "Question",
    "RecordedIncident",
    "VictimDetails",
    "incident_problems",
    "record_incident",
]
