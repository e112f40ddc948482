"""The benchmark's borough: `years` of history at a steady yearly rate, bulk-inserted.

One year at scale 1 is what a large borough records: 10,000 people, 5,000 referrals
(one incident each, plus an incident of another person nobody referred), 4,900 hearings
and 20,000 actions. Older history is finished work (cases closed, actions completed), so
the open work (screening queue, cases waiting, open actions, the next meeting's 40
cases) is the same at one year and at ten: a page that reads only what it shows costs
the same at both sizes. `scale` shrinks or grows the yearly rate (`BENCH_SCALE`).

Rows go in with `COPY` on PostgreSQL (`insert()` executemany on SQLite), explicit ids,
then the PostgreSQL sequences are moved past them and the tables analysed.
"""

from __future__ import annotations

import json
import random
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from typing import Any

from sqlalchemy import Engine, insert, text
from sqlalchemy.orm import Session

from marac.accounts.models import Agency, Area, User, user_area
from marac.actions.models import Action
from marac.assessments.models import RiskAssessment, RiskMeasure
from marac.db import Base
from marac.incidents.models import Incident, IncidentStrand
from marac.meetings.models import AgendaItem
from marac.panels.models import Meeting, Panel, panel_agency, panel_area
from marac.people.models import Person
from marac.referrals.models import Referral, ReferralIncident
from marac.reports.models import PartnershipTarget

BATCH = 5_000
PEOPLE_A_YEAR = 10_000
REFERRALS_A_YEAR = 5_000
ACTIONS_PER_HEARING = 4
AGENCIES = [
    ("Ashbrook Police", "police"),
    ("Ashbrook Homes", "housing"),
    ("Victim Support", "victim_support"),
    ("Adult social care", "adult_social_care"),
    ("Children's services", "childrens_services"),
    ("ASB team", "asb"),
    ("Community mental health", "health"),
    ("Probation", "probation"),
    ("Schools", "education"),
    ("Fire and rescue", "fire"),
    ("Hate crime charity", "voluntary"),
    ("Ambulance service", "health"),
]
HOUSING = 2  # the agency of the housing officer whose "my actions" is measured
SOURCES = ["automatic_high_risk", "automatic_repeat", "automatic_escalation", "partner"]
STRANDS = ["race", "religion", "sexual_orientation", "disability", "transgender"]
SUBS = {"race": "anti_black", "religion": "anti_muslim", "disability": "learning_disability"}
OUTCOMES = ["risk_reduced", "risk_unchanged", "risk_increased"]
PASSWORD_HASH = "!benchmark"  # no password matches: the benchmark mints sessions instead


@dataclass(frozen=True)
class Cast:
    """Who and what the benchmark's pages are about."""

    coordinator_id: int
    officer_id: int  # the housing officer of "my actions"
    meeting_id: int  # the next meeting of panel 1: 40 cases listed, agenda published
    person_id: int  # a person with a year of history, for the timeline
    counts: dict[str, int]


def _batches(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for first in range(0, len(rows), BATCH):
        yield rows[first : first + BATCH]


def _bulk(session: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    """Insert the rows: `COPY` on PostgreSQL (ten times faster), executemany elsewhere."""
    if not rows:
        return
    if session.get_bind().dialect.name != "postgresql":
        for batch in _batches(rows):
            session.execute(insert(model), batch)
        return
    table = getattr(model, "__table__", model)
    given = {key for row in rows for key in row}
    # Python-side defaults are not applied by COPY: fill them in as the ORM would.
    defaults = {
        c.name: c.default
        for c in table.c
        if c.name not in given and c.default is not None and not c.primary_key
    }
    names = [c.name for c in table.c if c.name in given or c.name in defaults]
    statement = f"COPY {table.name} ({', '.join(names)}) FROM STDIN"
    raw = session.connection().connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            values = []
            for name in names:
                default = defaults.get(name)
                if name in row or default is None:
                    value = row.get(name)
                else:
                    value = default.arg(None) if default.is_callable else default.arg
                if isinstance(value, (list, dict)):
                    value = json.dumps(value)
                values.append(value)
            copy.write_row(values)


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, clock(hour), tzinfo=UTC)


def fill(engine: Engine, years: int, scale: float = 1.0, today: date | None = None) -> Cast:
    """Insert `years` of the borough ending `today`; deterministic for given arguments."""
    today = today or date.today()
    rng = random.Random(16)
    start = today - timedelta(days=365 * years)
    n_referrals = max(60, int(REFERRALS_A_YEAR * scale * years))
    # At least two new people a referral: its victim and the person of the other incident.
    n_people = max(2 * n_referrals, int(PEOPLE_A_YEAR * scale * years))
    with Session(engine) as s:
        _bulk(
            s,
            Agency,
            [{"id": i, "name": n, "type": t} for i, (n, t) in enumerate(AGENCIES, start=1)],
        )
        _bulk(
            s,
            Area,
            [{"id": i, "name": f"Area {i}", "postcode_districts": f"AK{i}"} for i in range(1, 7)],
        )
        users = [
            {
                "id": i,
                "name": f"Officer {i}",
                "email": f"officer{i}@bench.example",
                "password_hash": PASSWORD_HASH,
                "agency_id": i,
                "role": "referrer",
            }
            for i in range(1, len(AGENCIES) + 1)
        ]
        coordinator = 100
        users.append(
            {
                "id": coordinator,
                "name": "Casey Coordinator",
                "email": "coordinator@bench.example",
                "password_hash": PASSWORD_HASH,
                "agency_id": 1,
                "role": "coordinator",
            }
        )
        _bulk(s, User, users)
        s.execute(insert(user_area), [{"user_id": coordinator, "area_id": a} for a in range(1, 7)])
        _bulk(
            s,
            Panel,
            [{"id": p, "name": f"Panel {p}", "chair_id": coordinator} for p in range(1, 4)],
        )
        s.execute(
            insert(panel_area), [{"panel_id": (a + 1) // 2, "area_id": a} for a in range(1, 7)]
        )
        s.execute(
            insert(panel_agency),
            [{"panel_id": p, "agency_id": a} for p in range(1, 4) for a in range(1, 13)],
        )

        # Weekly meetings per panel, from the start to two months ahead.
        meetings: list[dict[str, Any]] = []
        by_panel: dict[int, list[dict[str, Any]]] = {1: [], 2: [], 3: []}
        for p in range(1, 4):
            day = start + timedelta(days=p)
            while day < today + timedelta(days=60):
                held = day < today
                row = {
                    "id": len(meetings) + 1,
                    "panel_id": p,
                    "meeting_date": day,
                    "start_time": clock(10),
                    "status": "held" if held else "scheduled",
                    "agenda_status": "published" if held else "not_built",
                    "agenda_published_at": _at(day - timedelta(days=7)) if held else None,
                }
                meetings.append(row)
                by_panel[p].append(row)
                day += timedelta(weeks=1)
        meeting_days = {p: [m["meeting_date"] for m in rows] for p, rows in by_panel.items()}
        upcoming = next(m for m in by_panel[1] if m["meeting_date"] >= today + timedelta(days=3))
        upcoming.update(agenda_status="published", agenda_published_at=_at(today))
        _bulk(s, Meeting, meetings)

        people = [
            {
                "id": i,
                "full_name": f"Person {i}",
                "normalised_name": f"person {i}",
                "date_of_birth": date(1950 + i % 50, 1 + i % 12, 1 + i % 28),
                "postcode": f"AK{1 + i % 6} {1 + i % 9}AB",
            }
            for i in range(1, n_people + 1)
        ]
        _bulk(s, Person, people)

        span = (today - start).days * 86400
        created_times = sorted(
            _at(start, 0) + timedelta(seconds=rng.randrange(span)) for _ in range(n_referrals)
        )
        incidents: list[dict[str, Any]] = []
        strands: list[dict[str, Any]] = []
        assessments: list[dict[str, Any]] = []
        measures: list[dict[str, Any]] = []
        refs: list[dict[str, Any]] = []
        links: list[dict[str, Any]] = []
        items: list[dict[str, Any]] = []
        actions: list[dict[str, Any]] = []
        fresh_people = iter(range(1, n_people + 1))
        last_referred: list[tuple[int, datetime]] = []  # (person, when), oldest first
        waiting_for_upcoming: list[int] = []
        positions: dict[int, int] = {}  # the last agenda position used at each meeting
        first_timers: list[int] = []  # people on their first referral, newest last

        def incident(person: int, area: int, agency: int, when: datetime) -> int:
            incident_id = len(incidents) + 1
            incidents.append(
                {
                    "id": incident_id,
                    "person_id": person,
                    "area_id": area,
                    "occurred_at": when - timedelta(days=2),
                    "postcode": f"AK{area} 1AB",
                    "incident_type": "threats",
                    "recorded_as": "crime",
                    "reported_via": "police",
                    "agency_id": agency,
                    "created_by_id": agency,
                    "created_at": when - timedelta(days=1),
                }
            )
            for code in rng.sample(STRANDS, rng.choice((1, 1, 1, 2))):
                strands.append({"incident_id": incident_id, "code": code, "subcategory": ""})
                if code in SUBS and rng.random() < 0.5:
                    strands.append(
                        {"incident_id": incident_id, "code": code, "subcategory": SUBS[code]}
                    )
            return incident_id

        for r, created in enumerate(created_times, start=1):
            area = rng.randint(1, 6)
            agency = rng.randint(1, 12)
            source = rng.choice(SOURCES)
            age = (today - created.date()).days
            # A third are people referred before, long enough ago for that case to be over.
            person = None
            if last_referred and rng.random() < 0.3:
                pick = rng.randrange(len(last_referred))
                if (created - last_referred[pick][1]).days > 200:
                    person = last_referred.pop(pick)[0]
            if person is None:
                person = next(fresh_people)
                first_timers.append(person)
            last_referred.append((person, created))
            trigger = incident(person, area, agency, created)
            other = next(fresh_people, None)
            if other is not None:  # an incident nobody referred: the register grows too
                incident(other, area, agency, created)
            assessment_id = None
            if source != "partner" or rng.random() < 0.3:
                assessment_id = len(assessments) + 1
                assessments.append(
                    {
                        "id": assessment_id,
                        "person_id": person,
                        "incident_id": trigger,
                        "agency_id": agency,
                        "assessor_id": agency,
                        "instrument_version": "2026.1",
                        "status": "endorsed",
                        "final_level": "high",
                        "endorsed_at": created - timedelta(hours=3),
                        "created_at": created - timedelta(days=1),
                    }
                )
                if rng.random() < 0.6:
                    measures.append(
                        {"assessment_id": assessment_id, "description": "Measure", "rara": "reduce"}
                    )
            panel = (area + 1) // 2
            heard_at = None
            if age < 28:
                status = rng.choice(["new", "new", "new", "more_info"])
            elif age < 60:
                status = "accepted"
                if panel == 1 and len(waiting_for_upcoming) < 40:
                    waiting_for_upcoming.append(r)
            else:
                status = "heard"
                days = meeting_days[panel]
                heard_at = by_panel[panel][bisect_left(days, created.date() + timedelta(days=21))]
            closed = heard_at is not None and (age > 365 or (age > 200 and rng.random() < 0.6))
            if closed:
                status = "closed"
            refs.append(
                {
                    "id": r,
                    "reference": f"CM-{r:07d}",
                    "person_id": person,
                    "area_id": area,
                    "source": source,
                    "status": status,
                    "risk_level": rng.choice(["high", "high", "medium"]),
                    "assessment_id": assessment_id,
                    "trigger_incident_id": trigger if source != "partner" else None,
                    "is_repeat": source == "automatic_repeat",
                    "referrer_id": agency,
                    "referring_agency_id": agency,
                    "created_at": created,
                    "updated_at": created,
                    "closed_at": created + timedelta(days=180) if closed else None,
                    "outcome": rng.choice(OUTCOMES) if closed else "",
                }
            )
            if source == "partner":
                links.append({"referral_id": r, "incident_id": trigger})
            if heard_at is not None:
                item_id = len(items) + 1
                positions[heard_at["id"]] = positions.get(heard_at["id"], 0) + 1
                items.append(
                    {
                        "id": item_id,
                        "meeting_id": heard_at["id"],
                        "referral_id": r,
                        "kind": "new",
                        "position": positions[heard_at["id"]],
                        "status": "listed",
                        "risk_level_before": "high",
                        "risk_level_after": "medium",
                        "decision": "close" if closed else "review",
                        "discussed_at": _at(heard_at["meeting_date"]),
                    }
                )
                _actions_for(rng, actions, r, heard_at, item_id, today)
        for position, referral_id in enumerate(waiting_for_upcoming, start=1):
            items.append(
                {
                    "id": len(items) + 1,
                    "meeting_id": upcoming["id"],
                    "referral_id": referral_id,
                    "kind": "new",
                    "position": position,
                    "status": "listed",
                    "risk_level_before": "high",
                }
            )
        timeline_person = first_timers[-1]  # referred once, lately: the same at any size

        for model, rows in (
            (Incident, incidents),
            (IncidentStrand, strands),
            (RiskAssessment, assessments),
            (RiskMeasure, measures),
            (Referral, refs),
            (ReferralIncident, links),
            (AgendaItem, items),
            (Action, actions),
        ):
            _bulk(s, model, rows)
        year = today.replace(day=1) - timedelta(days=365)
        _bulk(
            s,
            PartnershipTarget,
            [
                {
                    "name": "Increase referrals by 50%",
                    "area_id": area,
                    "change_percent": 50,
                    "baseline_start": year - timedelta(days=365),
                    "baseline_end": year,
                    "measured_start": year + timedelta(days=1),
                    "measured_end": today,
                }
                for area in (None, 1, 2)
            ],
        )
        s.commit()
    _after_bulk(engine)
    return Cast(
        coordinator_id=coordinator,
        officer_id=HOUSING,
        meeting_id=upcoming["id"],
        person_id=timeline_person,
        counts={
            "people": n_people,
            "referrals": len(refs),
            "incidents": len(incidents),
            "hearings": sum(1 for i in items if i.get("discussed_at")),
            "actions": len(actions),
            "open_actions_housing": sum(
                1 for a in actions if a["agency_id"] == HOUSING and a["status"] == "open"
            ),
            "screening": sum(1 for x in refs if x["status"] in ("new", "more_info")),
            "agenda_cases": len(waiting_for_upcoming),
        },
    )


def _actions_for(
    rng: random.Random,
    actions: list[dict[str, Any]],
    referral_id: int,
    meeting: dict[str, Any],
    item_id: int,
    today: date,
) -> None:
    """A hearing's actions: finished when due over six months ago, else some still open."""
    for _ in range(ACTIONS_PER_HEARING):
        due = meeting["meeting_date"] + timedelta(days=rng.randint(14, 60))
        roll = rng.random()
        if (today - due).days > 180 or (due < today and roll < 0.5):
            status = "completed" if roll < 0.95 else "cancelled"
        else:
            status = "open"
        done = _at(due) + timedelta(days=rng.randint(-10, 12)) if status == "completed" else None
        actions.append(
            {
                "referral_id": referral_id,
                "meeting_id": meeting["id"],
                "agenda_item_id": item_id,
                "description": "Visit, review home security and report back",
                "kind": "victim_safety",
                "rara": "reduce",
                "agency_id": HOUSING if rng.random() < 0.3 else rng.randint(1, 12),
                "due_date": due,
                "status": status,
                "completed_at": done,
                "created_at": _at(meeting["meeting_date"]),
            }
        )


def _after_bulk(engine: Engine) -> None:
    """Move PostgreSQL's id sequences past the explicit ids, then refresh the statistics."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            for table in Base.metadata.sorted_tables:
                if "id" in table.c and table.c.id.autoincrement is not False:
                    conn.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                            f"COALESCE((SELECT max(id) FROM {table.name}), 0) + 1, false) "
                            f"WHERE pg_get_serial_sequence('{table.name}', 'id') IS NOT NULL"
                        )
                    )
        conn.execute(text("ANALYZE"))
