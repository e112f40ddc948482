"""Repeat flags on referrals, and the repeat rate (issue 5, DESIGN.md §3.6).

Plain functions taking a session and values; no Flask.

Definitions, per area (`RepeatSettings`, defaults in brackets). Every count is by person
or by postcode across the whole borough, so a victim first referred in another area or
panel is still a repeat.

* **Repeat referral** (SafeLives): the person had another referral created within the
  window [365 days] before this one. Exactly 365 days before counts; 366 does not.
* **Repeat victim**: the person has at least [2] incidents that occurred within the window
  [365 days] back from `today` (the start day counts).
* **Persistently targeted**: at least [3] incidents within [183 days, about 6 months].
* **Repeat perpetrator**: a person named as a perpetrator of the case (or the subject of a
  perpetrator referral) is linked to incidents against at least [2] different people, or
  to at least [2] referrals.
* **Repeat location**: a postcode of the case (its incidents, or a location referral's
  postcode) has at least [3] incidents within [365 days] back from `today`.

A referral with no area uses the defaults. Everything is computed for a whole list of
referrals in a fixed number of aggregate queries, never a query per referral.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Interval,
    Row,
    and_,
    case,
    exists,
    func,
    literal,
    or_,
    select,
    true,
    union,
)
from sqlalchemy.orm import Session

from marac.incidents.models import Incident, Perpetrator
from marac.people.models import Person, RepeatSettings
from marac.referrals.models import Referral, ReferralIncident, SubjectType


@dataclass(frozen=True)
class RepeatRules:
    """One area's repeat definitions."""

    referral_window_days: int = 365
    victim_incidents: int = 2
    victim_window_days: int = 365
    targeted_incidents: int = 3
    targeted_window_days: int = 183
    perpetrator_victims: int = 2
    perpetrator_referrals: int = 2
    location_incidents: int = 3
    location_window_days: int = 365

    @classmethod
    def from_settings(cls, settings: RepeatSettings | None) -> RepeatRules:
        if settings is None:
            return cls()
        return cls(**{f.name: getattr(settings, f.name) for f in fields(cls)})


RULE_FIELDS = tuple(f.name for f in fields(RepeatRules))


def rules_by_area(
    session: Session, area_ids: Iterable[int | None]
) -> dict[int | None, RepeatRules]:
    """The rules of each area (defaults for areas never saved, and for None), one query."""
    wanted = {a for a in area_ids if a is not None}
    # Always one query (even for no areas), so list pages keep a fixed query count.
    saved = {
        s.area_id: s
        for s in session.scalars(select(RepeatSettings).where(RepeatSettings.area_id.in_(wanted)))
    }
    rules: dict[int | None, RepeatRules] = {None: RepeatRules()}
    for area_id in wanted:
        rules[area_id] = RepeatRules.from_settings(saved.get(area_id))
    return rules


def window_text(days: int) -> str:
    """365 -> "12 months", 183 -> "6 months", 30 -> "30 days"."""
    if days % 365 == 0:
        return f"{12 * (days // 365)} months"
    if days in (182, 183):
        return "6 months"
    if days in (91, 92):
        return "3 months"
    return "1 day" if days == 1 else f"{days} days"


@dataclass(frozen=True)
class RepeatFlag:
    """One flag on a case: `code` for logic, `label` for the tag, `detail` to explain it."""

    code: str
    label: str
    detail: str
    colour: str  # a GOV.UK tag modifier, e.g. "red"


REPEAT_REFERRAL = "repeat_referral"
REPEAT_VICTIM = "repeat_victim"
PERSISTENTLY_TARGETED = "persistently_targeted"
REPEAT_PERPETRATOR = "repeat_perpetrator"
REPEAT_LOCATION = "repeat_location"


def _start(today: date, days: int) -> datetime:
    """The first moment inside a window of `days` ending today (midnight UTC, inclusive)."""
    return datetime.combine(today - timedelta(days=days), time.min, tzinfo=UTC)


def _counts_since(starts: Sequence[datetime]) -> list[ColumnElement[int]]:
    """One conditional count of incidents per window start: an aggregate, not a loop."""
    return [func.sum(case((Incident.occurred_at >= s, 1), else_=0)) for s in starts]


def _previous_referrals(session: Session, referral_ids: Sequence[int]) -> dict[int, datetime]:
    """For each referral, when the same person was last referred before it (one query)."""
    earlier = Referral.__table__.alias("earlier")
    this = Referral.__table__.alias("this")
    rows = session.execute(
        select(this.c.id, func.max(earlier.c.created_at))
        .join(
            earlier,
            and_(
                earlier.c.person_id == this.c.person_id,
                earlier.c.id != this.c.id,
                earlier.c.created_at <= this.c.created_at,
            ),
        )
        .where(this.c.id.in_(referral_ids))
        .group_by(this.c.id)
    )
    return {rid: at for rid, at in rows}


def _as_utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def flags_for_referrals(
    session: Session, referral_ids: list[int], today: date
) -> dict[int, list[RepeatFlag]]:
    """The repeat flags of each referral (every id is a key), in at most eight queries."""
    result: dict[int, list[RepeatFlag]] = {rid: [] for rid in referral_ids}
    if not referral_ids:
        return result
    referrals = session.execute(
        select(
            Referral.id,
            Referral.person_id,
            Referral.area_id,
            Referral.created_at,
            Referral.subject_type,
            Referral.location_postcode,
        ).where(Referral.id.in_(referral_ids))
    ).all()
    rules = rules_by_area(session, (r.area_id for r in referrals))

    def rules_of(row: Row[Any]) -> RepeatRules:
        return rules.get(row.area_id, rules[None])

    # Repeat referral: the person's last earlier referral, compared with the area's window.
    previous = _previous_referrals(session, referral_ids)
    for row in referrals:
        before = previous.get(row.id)
        window = rules_of(row).referral_window_days
        if before is not None and _as_utc(row.created_at) - _as_utc(before) <= timedelta(
            days=window
        ):
            result[row.id].append(
                RepeatFlag(
                    REPEAT_REFERRAL,
                    "Repeat referral",
                    f"Referred before within {window_text(window)}",
                    "orange",
                )
            )

    victim_rows = [
        r for r in referrals if r.person_id and r.subject_type != SubjectType.PERPETRATOR
    ]
    all_rules = list(rules.values())
    person_windows = sorted(
        {r.victim_window_days for r in all_rules} | {r.targeted_window_days for r in all_rules}
    )
    # Always run (even with no victims), so the query count never depends on the data.
    starts = [_start(today, d) for d in person_windows]
    counts = session.execute(
        select(Incident.person_id, *_counts_since(starts))
        .where(
            Incident.person_id.in_({r.person_id for r in victim_rows}),
            Incident.occurred_at >= min(starts),
        )
        .group_by(Incident.person_id)
    ).all()
    by_person = {row[0]: dict(zip(person_windows, row[1:], strict=True)) for row in counts}
    for row in victim_rows:
        rule = rules_of(row)
        seen = by_person.get(row.person_id, {})
        victim = int(seen.get(rule.victim_window_days) or 0)
        targeted = int(seen.get(rule.targeted_window_days) or 0)
        if targeted >= rule.targeted_incidents:
            result[row.id].append(
                RepeatFlag(
                    PERSISTENTLY_TARGETED,
                    "Persistently targeted",
                    f"{targeted} incidents in {window_text(rule.targeted_window_days)}",
                    "red",
                )
            )
        if victim >= rule.victim_incidents:
            result[row.id].append(
                RepeatFlag(
                    REPEAT_VICTIM,
                    "Repeat victim",
                    f"{victim} incidents in {window_text(rule.victim_window_days)}",
                    "pink",
                )
            )

    _perpetrator_flags(session, referrals, rules_of, result)
    _location_flags(session, referrals, rules_of, result, all_rules, today)
    return result


RulesOf = Callable[[Row[Any]], RepeatRules]
Flags = dict[int, list[RepeatFlag]]


def _perpetrator_flags(
    session: Session, referrals: Sequence[Row[Any]], rules_of: RulesOf, result: Flags
) -> None:
    """Repeat perpetrator: two queries (who offended in each case, and their reach)."""
    ids = [r.id for r in referrals]
    named = session.execute(
        select(ReferralIncident.referral_id, Perpetrator.person_id)
        .join(Perpetrator, Perpetrator.incident_id == ReferralIncident.incident_id)
        .where(ReferralIncident.referral_id.in_(ids), Perpetrator.person_id.is_not(None))
        .distinct()
    ).all()
    offenders: dict[int, set[int]] = defaultdict(set)
    for referral_id, person_id in named:
        offenders[referral_id].add(person_id)
    for row in referrals:
        if row.subject_type == SubjectType.PERPETRATOR and row.person_id:
            offenders[row.id].add(row.person_id)
    everyone = set().union(*offenders.values()) if offenders else set()
    victims = dict(
        session.execute(
            select(Perpetrator.person_id, func.count(func.distinct(Incident.person_id)))
            .join(Incident, Incident.id == Perpetrator.incident_id)
            .where(Perpetrator.person_id.in_(everyone))
            .group_by(Perpetrator.person_id)
        ).all()
    )
    pairs = union(
        select(Perpetrator.person_id.label("offender"), ReferralIncident.referral_id.label("rid"))
        .join(ReferralIncident, ReferralIncident.incident_id == Perpetrator.incident_id)
        .where(Perpetrator.person_id.in_(everyone)),
        select(Referral.person_id.label("offender"), Referral.id.label("rid")).where(
            Referral.subject_type == SubjectType.PERPETRATOR.value,
            Referral.person_id.in_(everyone),
        ),
    ).subquery()
    referral_counts = dict(
        session.execute(
            select(pairs.c.offender, func.count(func.distinct(pairs.c.rid))).group_by(
                pairs.c.offender
            )
        ).all()
    )
    for row in referrals:
        rule = rules_of(row)
        reach = [
            (victims.get(p, 0), referral_counts.get(p, 0))
            for p in sorted(offenders.get(row.id, ()))
        ]
        hits = [
            (v, n)
            for v, n in reach
            if v >= rule.perpetrator_victims or n >= rule.perpetrator_referrals
        ]
        if hits:
            v, n = max(hits)
            result[row.id].append(
                RepeatFlag(
                    REPEAT_PERPETRATOR,
                    "Repeat perpetrator",
                    f"A perpetrator linked to incidents against {v} "
                    f"{'person' if v == 1 else 'people'} and {n} "
                    f"{'referral' if n == 1 else 'referrals'}",
                    "purple",
                )
            )


def _location_flags(
    session: Session,
    referrals: Sequence[Row[Any]],
    rules_of: RulesOf,
    result: Flags,
    all_rules: list[RepeatRules],
    today: date,
) -> None:
    """Repeat location: two queries (each case's postcodes, and incidents per postcode)."""
    ids = [r.id for r in referrals]
    places: dict[int, set[str]] = defaultdict(set)
    for referral_id, postcode in session.execute(
        select(ReferralIncident.referral_id, Incident.postcode)
        .join(Incident, Incident.id == ReferralIncident.incident_id)
        .where(ReferralIncident.referral_id.in_(ids), Incident.postcode != "")
        .distinct()
    ):
        places[referral_id].add(postcode)
    for row in referrals:
        if row.location_postcode:
            places[row.id].add(row.location_postcode)
    postcodes = set().union(*places.values()) if places else set()
    windows = sorted({r.location_window_days for r in all_rules})
    starts = [_start(today, d) for d in windows]
    counts = {
        row[0]: dict(zip(windows, row[1:], strict=True))
        for row in session.execute(
            select(Incident.postcode, *_counts_since(starts))
            .where(Incident.postcode.in_(postcodes), Incident.occurred_at >= min(starts))
            .group_by(Incident.postcode)
        )
    }
    for row in referrals:
        rule = rules_of(row)
        busiest = max(
            (
                (int(counts.get(p, {}).get(rule.location_window_days) or 0), p)
                for p in places.get(row.id, ())
            ),
            default=(0, ""),
        )
        if busiest[0] >= rule.location_incidents:
            result[row.id].append(
                RepeatFlag(
                    REPEAT_LOCATION,
                    "Repeat location",
                    f"{busiest[0]} incidents at {busiest[1]} in "
                    f"{window_text(rule.location_window_days)}",
                    "yellow",
                )
            )


def _days_before(session: Session, moment: Any, days: int) -> Any:
    """`moment` minus whole days, in SQL, exact to the microsecond on both databases."""
    if session.get_bind().dialect.name == "sqlite":
        # Stored as "YYYY-MM-DD HH:MM:SS.ffffff": shift the seconds, keep the fraction.
        shifted = func.strftime("%Y-%m-%d %H:%M:%S", moment, f"-{days} days")
        return shifted.op("||")(func.substr(moment, 20))
    return moment - literal(timedelta(days=days), Interval())


def repeat_rate(
    session: Session,
    panel_id: int | None = None,
    area_ids: Iterable[int] | None = None,
    *,
    start: date,
    end: date,
) -> tuple[int, int, float]:
    """(repeats, total, rate) of the referrals created from `start` to `end` inclusive.

    The referrals are those of the panel's areas (or of `area_ids`); a repeat is one with
    the repeat referral flag, so an earlier referral in another area or panel counts.
    The rate is 0.0 when there are no referrals. Counted in SQL (one aggregate with an
    indexed EXISTS per referral of the period), so no ids travel: at most three queries.
    """
    from marac.panels.models import panel_area

    if panel_id is not None:
        areas = set(
            session.scalars(select(panel_area.c.area_id).where(panel_area.c.panel_id == panel_id))
        )
    else:
        areas = set(area_ids or ())
    if not areas:
        return 0, 0, 0.0
    rules = rules_by_area(session, areas)
    by_window: dict[int, list[int]] = defaultdict(list)
    for area_id in sorted(areas):
        by_window[rules[area_id].referral_window_days].append(area_id)
    this = Referral.__table__.alias("this")
    earlier = Referral.__table__.alias("earlier")
    # The same test as the flag: the person's last earlier referral within the area's window.
    within = or_(
        *(
            and_(
                this.c.area_id.in_(ids),
                earlier.c.created_at >= _days_before(session, this.c.created_at, days),
            )
            for days, ids in by_window.items()
        )
    )
    earlier_one = (
        exists()
        .where(
            earlier.c.person_id == this.c.person_id,
            earlier.c.id != this.c.id,
            earlier.c.created_at <= this.c.created_at,
            within,
        )
        .correlate(this)
    )
    total, repeats = session.execute(
        select(func.count(), func.coalesce(func.sum(case((earlier_one, 1), else_=0)), 0)).where(
            this.c.area_id.in_(areas),
            this.c.created_at >= datetime.combine(start, time.min, tzinfo=UTC),
            this.c.created_at < datetime.combine(end + timedelta(days=1), time.min, tzinfo=UTC),
        )
    ).one()
    if not total:
        return 0, 0, 0.0
    return int(repeats), int(total), int(repeats) / int(total)


@dataclass(frozen=True)
class LinkedCase:
    """Another referral sharing a perpetrator or a place with this one, and why."""

    referral_id: int
    reference: str
    status: str
    reason: str


def linked_cases(
    session: Session,
    referral_id: int,
    limit: int = 20,
    visible: ColumnElement[bool] | None = None,
) -> list[LinkedCase]:
    """Referrals sharing a named perpetrator (same person) or a postcode, in five queries.

    So the panel can act against a perpetrator who targets several victims, or a place
    where incidents gather. The referral itself is left out. `visible` is the viewer's
    rule as a WHERE clause on Referral: a case they may not open is not listed at all.
    """
    offenders = set(
        session.scalars(
            select(Perpetrator.person_id)
            .join(ReferralIncident, ReferralIncident.incident_id == Perpetrator.incident_id)
            .where(ReferralIncident.referral_id == referral_id, Perpetrator.person_id.is_not(None))
        )
    )
    this = session.execute(
        select(Referral.subject_type, Referral.person_id, Referral.location_postcode).where(
            Referral.id == referral_id
        )
    ).one_or_none()
    if this is None:
        return []
    if this.subject_type == SubjectType.PERPETRATOR and this.person_id:
        offenders.add(this.person_id)
    postcodes = set(
        session.scalars(
            select(Incident.postcode)
            .join(ReferralIncident, ReferralIncident.incident_id == Incident.id)
            .where(ReferralIncident.referral_id == referral_id, Incident.postcode != "")
        )
    )
    if this.location_postcode:
        postcodes.add(this.location_postcode)
    reasons: dict[int, set[str]] = defaultdict(set)
    by_offender = union(
        select(ReferralIncident.referral_id.label("rid"), Perpetrator.person_id.label("who"))
        .join(Perpetrator, Perpetrator.incident_id == ReferralIncident.incident_id)
        .where(Perpetrator.person_id.in_(offenders)),
        select(Referral.id.label("rid"), Referral.person_id.label("who")).where(
            Referral.subject_type == SubjectType.PERPETRATOR.value,
            Referral.person_id.in_(offenders),
        ),
    ).subquery()
    by_place = union(
        select(ReferralIncident.referral_id.label("rid"), Incident.postcode.label("place"))
        .join(Incident, Incident.id == ReferralIncident.incident_id)
        .where(Incident.postcode.in_(postcodes)),
        select(Referral.id.label("rid"), Referral.location_postcode.label("place")).where(
            Referral.location_postcode.in_(postcodes)
        ),
    ).subquery()
    for rid, name in session.execute(
        select(by_offender.c.rid, Person.full_name)
        .join(Person, Person.id == by_offender.c.who)
        .where(by_offender.c.rid != referral_id)
    ):
        reasons[rid].add(f"Same perpetrator: {name}")
    for rid, place in session.execute(
        select(by_place.c.rid, by_place.c.place).where(by_place.c.rid != referral_id)
    ):
        reasons[rid].add(f"Same postcode: {place}")
    if not reasons:
        return []
    rows = session.execute(
        select(Referral.id, Referral.reference, Referral.status)
        .where(Referral.id.in_(reasons), true() if visible is None else visible)
        .order_by(Referral.created_at.desc(), Referral.id.desc())
        .limit(limit)
    )
    return [LinkedCase(r.id, r.reference, r.status, "; ".join(sorted(reasons[r.id]))) for r in rows]
