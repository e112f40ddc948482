"""The automatic referral rules (DESIGN.md §3.2): the heart of the product.

Two layers:

* `evaluate(...)` and its three rules are pure functions of plain values, so every
  boundary is tested without a database.
* `on_assessment_endorsed` and `on_incident_recorded` gather the facts with a fixed
  number of queries, evaluate, and make (or add to) one referral. They are called by the
  assessment and incident views inside the same transaction, before commit.

Boundaries (all measured back from `now`):

* **High risk** fires when the endorsed final level is ``high`` and the area has not
  switched the rule off.
* **Repeat** fires when an earlier referral of the person was created on or after
  ``now - repeat_window_days``: with the default 365 days, a referral exactly 365 days
  earlier counts and one 366 days earlier does not. Any status and any risk level count,
  including declined and closed referrals.
* **Escalation** counts the person's incidents whose ``occurred_at`` is on or after
  ``now - escalation_window_days`` (the new incident included) and fires when the count
  is at least ``escalation_incidents``: 3 incidents fire by default, 2 do not.

A trigger fires once. The same assessment or incident never makes a second referral;
triggers that fire together make one referral listing every reason, with the source of
the highest-priority trigger (high risk, then repeat, then escalation). When the person
already has a referral that is open and not yet heard (new, more information requested,
or accepted), the new reasons are added to it instead of opening a second case.

Concurrency: both entry points lock the person first (`lock_person`), so two requests for
one person run the rules one after the other and the second adds to the first's referral.
The partial unique index `uq_referral_person_open` makes the database refuse a second
automatic referral waiting to be heard, whatever the caller.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marac.accounts.models import Area
from marac.assessments.models import RISK_RANK, RiskAssessment, RiskLevel
from marac.audit import record
from marac.incidents.models import Incident
from marac.people.models import Person
from marac.people.service import lock_person
from marac.referrals.areas import area_for_postcode
from marac.referrals.models import (
    UNHEARD_STATUSES,
    Referral,
    ReferralIncident,
    ReferralSource,
    ReferralStatus,
    SubjectType,
    TriggerSettings,
)
from marac.referrals.needs import needs_from_person
from marac.referrals.notices import referral_created

UK = ZoneInfo("Europe/London")

# The source of a referral is its highest-priority trigger.
PRIORITY = (
    ReferralSource.AUTOMATIC_HIGH_RISK,
    ReferralSource.AUTOMATIC_REPEAT,
    ReferralSource.AUTOMATIC_ESCALATION,
)

HIGH_RISK_REASON = "Endorsed risk level is high"


@dataclass(frozen=True)
class TriggerRules:
    """The thresholds of one area (defaults from DESIGN.md §3.2)."""

    high_risk_enabled: bool = True
    repeat_window_days: int = 365
    escalation_incidents: int = 3
    escalation_window_days: int = 365

    @classmethod
    def from_settings(cls, settings: TriggerSettings | None) -> TriggerRules:
        """The area's saved settings, or the defaults when it has never saved any."""
        if settings is None:
            return cls()
        return cls(
            high_risk_enabled=bool(settings.high_risk_enabled),
            repeat_window_days=settings.repeat_window_days,
            escalation_incidents=settings.escalation_incidents,
            escalation_window_days=settings.escalation_window_days,
        )


@dataclass(frozen=True)
class EarlierReferral:
    """What the repeat rule needs to know about one of the person's earlier referrals."""

    id: int
    reference: str
    created_at: datetime


@dataclass(frozen=True)
class FiredTrigger:
    source: ReferralSource
    reason: str


# ---- the pure rules ---------------------------------------------------------------------


def window_text(days: int) -> str:
    """How a window reads in a reason: 365 days is "12 months", 730 "24 months"."""
    if days % 365 == 0:
        return f"{12 * (days // 365)} months"
    return f"{days} day" if days == 1 else f"{days} days"


def _uk_date(value: datetime) -> str:
    local = value.astimezone(UK)
    return f"{local.day} {local:%B %Y}"


def high_risk_fires(rules: TriggerRules, endorsed_level: str | None) -> bool:
    return rules.high_risk_enabled and endorsed_level == RiskLevel.HIGH.value


def repeat_of(
    rules: TriggerRules, now: datetime, earlier: Iterable[EarlierReferral]
) -> EarlierReferral | None:
    """The most recent earlier referral created on or after `now - repeat window`."""
    cutoff = now - timedelta(days=rules.repeat_window_days)
    recent = [r for r in earlier if r.created_at >= cutoff]
    return max(recent, key=lambda r: (r.created_at, r.id), default=None)


def repeat_reason(rules: TriggerRules, previous: EarlierReferral) -> str:
    return (
        f"Repeat: previous MARAC referral {previous.reference} on "
        f"{_uk_date(previous.created_at)}, within {window_text(rules.repeat_window_days)}"
    )


def incidents_in_window(rules: TriggerRules, now: datetime, occurred: Iterable[datetime]) -> int:
    """Incidents that occurred on or after `now - escalation window`."""
    cutoff = now - timedelta(days=rules.escalation_window_days)
    return sum(1 for when in occurred if when >= cutoff)


def escalation_reason(rules: TriggerRules, count: int) -> str:
    return f"Escalation: {count} incidents in the last {window_text(rules.escalation_window_days)}"


def evaluate(
    rules: TriggerRules,
    now: datetime,
    *,
    endorsed_level: str | None = None,
    earlier_referrals: Sequence[EarlierReferral] = (),
    incident_times: Sequence[datetime] = (),
) -> list[FiredTrigger]:
    """Every trigger that fires, highest priority first, each with a reason a person reads."""
    fired: list[FiredTrigger] = []
    if high_risk_fires(rules, endorsed_level):
        fired.append(FiredTrigger(ReferralSource.AUTOMATIC_HIGH_RISK, HIGH_RISK_REASON))
    previous = repeat_of(rules, now, earlier_referrals)
    if previous is not None:
        fired.append(FiredTrigger(ReferralSource.AUTOMATIC_REPEAT, repeat_reason(rules, previous)))
    count = incidents_in_window(rules, now, incident_times)
    if count >= rules.escalation_incidents:
        fired.append(
            FiredTrigger(ReferralSource.AUTOMATIC_ESCALATION, escalation_reason(rules, count))
        )
    return fired


def higher_level(current: str | None, new: str | None) -> str | None:
    """The higher of two risk levels (None counts as unknown, below low)."""
    if new is None or new not in RISK_RANK:
        return current
    if current is None or current not in RISK_RANK:
        return new
    return new if RISK_RANK[RiskLevel(new)] > RISK_RANK[RiskLevel(current)] else current


# ---- references -------------------------------------------------------------------------


def next_reference(session: Session, year: int) -> str:
    """ "CM-<year>-<sequence>": one more than the highest of that year (4 digits or more)."""
    prefix = f"CM-{year}-"
    last = session.scalar(
        select(Referral.reference)
        .where(Referral.reference.like(f"{prefix}%"))
        .order_by(func.length(Referral.reference).desc(), Referral.reference.desc())
        .limit(1)
    )
    number = 1
    if last:
        try:
            number = int(last[len(prefix) :]) + 1
        except ValueError:
            number = 1
    return f"{prefix}{number:04d}"


def save_with_reference(session: Session, referral: Referral, now: datetime) -> None:
    """Give `referral` the next reference and flush it, retrying if another request won.

    Each attempt runs in a savepoint, so a clash on the unique reference rolls back only
    that insert. Any other integrity error (say, a second referral for the same
    assessment) is raised for the caller.
    """
    attempts = 5
    for attempt in range(attempts):
        referral.reference = next_reference(session, now.year)
        try:
            with session.begin_nested():
                session.add(referral)
                session.flush()
            return
        except IntegrityError:
            taken = session.scalar(
                select(Referral.id).where(Referral.reference == referral.reference)
            )
            if taken is None or attempt == attempts - 1:
                raise


def rules_for_area(session: Session, area_id: int | None) -> TriggerRules:
    settings = session.get(TriggerSettings, area_id) if area_id is not None else None
    return TriggerRules.from_settings(settings)


def earlier_referrals_of(session: Session, person_id: int) -> list[Referral]:
    """The person's referrals, newest first (one query)."""
    return list(
        session.scalars(
            select(Referral)
            .where(Referral.person_id == person_id)
            .order_by(Referral.created_at.desc(), Referral.id.desc())
        )
    )


def locked_referrals_of(session: Session, person_id: int) -> list[Referral]:
    """The person's referrals as committed now, newest first, locked against other writers.

    `populate_existing` refreshes referrals this session loaded before the lock, and the
    row locks make a concurrent screening decision wait for this transaction (its own
    version check then tells the coordinator), so the absorbing update is never stale.
    """
    return list(
        session.scalars(
            select(Referral)
            .where(Referral.person_id == person_id)
            .order_by(Referral.created_at.desc(), Referral.id.desc())
            .with_for_update(key_share=True)
            .execution_options(populate_existing=True)
        )
    )


def as_earlier(referrals: Iterable[Referral]) -> list[EarlierReferral]:
    return [EarlierReferral(r.id, r.reference, r.created_at) for r in referrals]


# ---- the database-facing entry points ---------------------------------------------------


@dataclass
class _Facts:
    person: Person
    area: Area | None
    rules: TriggerRules
    referrals: list[Referral]  # the person's, newest first
    open_referral: Referral | None
    incident_times: list[datetime]


def _gather(session: Session, person: Person, incident: Incident | None, now: datetime) -> _Facts:
    """Everything the rules need, in at most five queries whatever the person's history."""
    area: Area | None = None
    if incident is not None and incident.area_id is not None:
        area = session.get(Area, incident.area_id)
    if area is None:
        postcode = (incident.postcode if incident else "") or person.postcode
        area = area_for_postcode(session, postcode)
    rules = rules_for_area(session, area.id if area else None)
    referrals = locked_referrals_of(session, person.id)
    open_referral = next((r for r in referrals if r.status in UNHEARD_STATUSES), None)
    cutoff = now - timedelta(days=rules.escalation_window_days)
    rows = session.execute(
        select(Incident.id, Incident.occurred_at).where(
            Incident.person_id == person.id, Incident.occurred_at >= cutoff
        )
    ).all()
    # The new incident is flushed already, so it is counted when it falls in the window.
    times = [row.occurred_at for row in rows]
    return _Facts(person, area, rules, referrals, open_referral, times)


def _fire(
    session: Session,
    facts: _Facts,
    now: datetime,
    *,
    endorsed_level: str | None,
    incident: Incident | None,
    assessment: RiskAssessment | None,
    referrer_id: int | None,
    agency_id: int | None,
) -> Referral | None:
    """Evaluate; add to the open referral or create one. None when nothing fires or changes."""
    absorbing = facts.open_referral
    earlier = [r for r in facts.referrals if r is not absorbing]
    fired = evaluate(
        facts.rules,
        now,
        endorsed_level=endorsed_level,
        earlier_referrals=as_earlier(earlier),
        incident_times=facts.incident_times,
    )
    if not fired:
        return None
    if absorbing is not None:
        return _absorb(session, absorbing, fired, incident, assessment, endorsed_level)

    previous = earlier[0] if earlier else None
    is_repeat = any(f.source == ReferralSource.AUTOMATIC_REPEAT for f in fired)
    referral = Referral(
        subject_type=SubjectType.VICTIM.value,
        person_id=facts.person.id,
        area_id=facts.area.id if facts.area else None,
        source=fired[0].source.value,
        status=ReferralStatus.NEW.value,
        risk_level=endorsed_level,
        assessment_id=assessment.id if assessment else None,
        trigger_incident_id=incident.id if incident and assessment is None else None,
        previous_referral_id=previous.id if previous else None,
        is_repeat=is_repeat,
        trigger_reasons=[f.reason for f in fired],
        referrer_id=referrer_id,
        referring_agency_id=agency_id,
        needs=needs_from_person(facts.person),
        created_at=now,
        updated_at=now,
    )
    save_with_reference(session, referral, now)
    if incident is not None:
        session.add(ReferralIncident(referral_id=referral.id, incident_id=incident.id))
    record(
        session,
        "referral_created_automatically",
        "referral",
        referral.id,
        f"{referral.reference}: " + "; ".join(referral.trigger_reasons),
    )
    session.flush()
    referral_created(session, referral)  # the area's coordinators, in this transaction
    return referral


def _absorb(
    session: Session,
    referral: Referral,
    fired: list[FiredTrigger],
    incident: Incident | None,
    assessment: RiskAssessment | None,
    endorsed_level: str | None,
) -> Referral | None:
    """Add the new reasons (and the incident) to the person's open referral."""
    known = set(referral.trigger_reasons or [])
    new_reasons = [f.reason for f in fired if f.reason not in known]
    changed = bool(new_reasons)
    if (
        incident is not None
        and incident.id is not None
        and session.get(ReferralIncident, (referral.id, incident.id)) is None
    ):
        session.add(ReferralIncident(referral_id=referral.id, incident_id=incident.id))
        changed = True
    if assessment is not None and referral.assessment_id is None:
        referral.assessment_id = assessment.id
        changed = True
    level = higher_level(referral.risk_level, endorsed_level)
    if level != referral.risk_level:
        referral.risk_level = level
        changed = True
    if not changed:
        return None
    if new_reasons:
        referral.trigger_reasons = [*(referral.trigger_reasons or []), *new_reasons]
    if any(f.source == ReferralSource.AUTOMATIC_REPEAT for f in fired):
        referral.is_repeat = True
    record(
        session,
        "referral_trigger_added",
        "referral",
        referral.id,
        f"{referral.reference} already open; added: "
        + ("; ".join(new_reasons) or "the new incident or assessment"),
    )
    session.flush()
    return referral


def _guarded(run: Callable[[], Referral | None], already: Callable[[], bool]) -> Referral | None:
    """Run the trigger; if a concurrent request made the referral first, make nothing."""
    try:
        return run()
    except IntegrityError:
        if already():
            return None
        raise


def on_assessment_endorsed(
    session: Session, assessment: RiskAssessment, now: datetime
) -> Referral | None:
    """Called when a supervisor endorses `assessment` (same transaction, before commit)."""
    if assessment.person_id is None:
        return None
    lock_person(session, assessment.person_id)  # before any read the rules depend on

    def already() -> bool:
        query = select(Referral.id).where(Referral.assessment_id == assessment.id)
        return session.scalar(query) is not None

    if assessment.id is not None and already():
        return None
    person = session.get(Person, assessment.person_id)
    if person is None:
        return None
    incident = session.get(Incident, assessment.incident_id) if assessment.incident_id else None
    facts = _gather(session, person, incident, now)
    return _guarded(
        lambda: _fire(
            session,
            facts,
            now,
            endorsed_level=assessment.final_level,
            incident=incident,
            assessment=assessment,
            referrer_id=assessment.assessor_id,
            agency_id=assessment.agency_id,
        ),
        already,
    )


def on_incident_recorded(session: Session, incident: Incident, now: datetime) -> Referral | None:
    """Called when an incident is recorded against a person (same transaction, before commit)."""
    session.flush()  # the incident needs its id for the links
    lock_person(session, incident.person_id)  # before any read the rules depend on

    def already() -> bool:
        made = select(Referral.id).where(Referral.trigger_incident_id == incident.id)
        linked = select(ReferralIncident.referral_id).where(
            ReferralIncident.incident_id == incident.id
        )
        return session.scalar(made.union(linked).limit(1)) is not None

    if already():
        return None
    person = session.get(Person, incident.person_id)
    if person is None:
        return None
    facts = _gather(session, person, incident, now)
    return _guarded(
        lambda: _fire(
            session,
            facts,
            now,
            endorsed_level=None,
            incident=incident,
            assessment=None,
            # A recorder who may not see the person (linked by matching) is not made the
            # referrer: the referral would show them the person's history and details.
            referrer_id=None if incident.person_withheld else incident.created_by_id,
            agency_id=incident.agency_id,
        ),
        already,
    )
