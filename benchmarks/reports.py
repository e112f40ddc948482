"""Benchmark of the reports dashboard (issue 7): not a test, a measurement.

Builds throwaway databases (a temporary SQLite file, and a new PostgreSQL database when
one answers), migrates them and bulk-inserts ten years of a large borough: 50,000
referrals with their incidents, strands, assessments, hearings and 200,000 actions.
Then it times the dashboard's queries for the last 12 months (borough-wide and for one
panel) and one full request through the Flask test client.

Run:  .venv/bin/python -m benchmarks.reports [--referrals 50000] [--actions 200000]
      [--runs 10] [--sqlite-only] [--postgres-url postgresql+psycopg://...]

The throwaway databases are removed afterwards. Figures go in docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, text
from sqlalchemy.orm import Session

from marac import migrate
from marac.accounts.models import Agency, Area, User, user_area
from marac.actions.models import Action
from marac.assessments.models import RiskAssessment, RiskMeasure
from marac.db import create_postgres_database, drop_postgres_database, make_engine
from marac.incidents.models import Incident, IncidentStrand
from marac.meetings.models import AgendaItem
from marac.panels.models import Meeting, Panel, panel_area
from marac.people.models import Person
from marac.referrals.models import UNHEARD_STATUSES, Referral, ReferralIncident
from marac.reports.access import borough
from marac.reports.models import PartnershipTarget
from marac.reports.queries import Scope, dashboard, panel_areas
from marac.reports.tables import last_12_months
from marac.reports.targets import target_progress

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
SOURCES = ["automatic_high_risk", "automatic_repeat", "automatic_escalation", "partner"]
STRANDS = ["race", "religion", "sexual_orientation", "disability", "transgender"]
SUBS = {"race": "anti_black", "religion": "anti_muslim", "disability": "learning_disability"}
OUTCOMES = ["risk_reduced", "risk_unchanged", "risk_increased"]
BATCH = 10_000


def _bulk(session: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    for first in range(0, len(rows), BATCH):
        session.execute(insert(model), rows[first : first + BATCH])


def _fill(engine: Engine, referrals: int, actions: int, today: date) -> int:
    """Insert the borough; returns the coordinator's user id."""
    rng = random.Random(7)
    start = datetime.combine(today - timedelta(days=3650), datetime.min.time(), tzinfo=UTC)
    with Session(engine) as s:
        _bulk(s, Agency, [{"id": i, "name": f"Agency {i}", "type": "police"} for i in range(1, 13)])
        _bulk(s, Area, [{"id": i, "name": f"Area {i}"} for i in range(1, 7)])
        users = [
            {
                "id": i,
                "name": f"Officer {i}",
                "email": f"officer{i}@bench.example",
                "password_hash": "x",
                "agency_id": i,
                "role": "referrer",
            }
            for i in range(1, 13)
        ]
        users.append(
            {
                "id": 100,
                "name": "Coordinator",
                "email": "coordinator@bench.example",
                "password_hash": "x",
                "agency_id": 1,
                "role": "coordinator",
            }
        )
        _bulk(s, User, users)
        s.execute(insert(user_area), [{"user_id": 100, "area_id": a} for a in range(1, 7)])
        _bulk(s, Panel, [{"id": p, "name": f"Panel {p}"} for p in range(1, 4)])
        s.execute(
            insert(panel_area), [{"panel_id": (a + 1) // 2, "area_id": a} for a in range(1, 7)]
        )
        meetings = []
        for p in range(1, 4):
            day = start.date() + timedelta(days=7 * p)
            while day < today + timedelta(days=60):
                meetings.append(
                    {
                        "id": len(meetings) + 1,
                        "panel_id": p,
                        "meeting_date": day,
                        "start_time": datetime.min.time().replace(hour=10),
                    }
                )
                day += timedelta(weeks=6)
        _bulk(s, Meeting, meetings)
        by_panel: dict[int, list[dict[str, Any]]] = {1: [], 2: [], 3: []}
        for m in meetings:
            by_panel[m["panel_id"]].append(m)

        people = [
            {"id": i, "full_name": f"Person {i}", "normalised_name": f"person {i}"}
            for i in range(1, referrals * 7 // 10 + 1)
        ]
        _bulk(s, Person, people)
        incidents, strands, assessments, measures, refs, links, items, acts = (
            [],
            [],
            [],
            [],
            [],
            [],
            [],
            [],
        )
        span = (today - start.date()).days * 86400
        waiting: set[int] = set()
        for r in range(1, referrals + 1):
            created = start + timedelta(seconds=rng.randrange(span))
            area = rng.randint(1, 6)
            agency = rng.randint(1, 12)
            source = rng.choice(SOURCES)
            person = rng.randint(1, len(people))
            incidents.append(
                {
                    "id": r,
                    "person_id": person,
                    "area_id": area,
                    "occurred_at": created - timedelta(days=2),
                    "incident_type": "threats",
                    "recorded_as": "crime",
                    "reported_via": "police",
                    "agency_id": agency,
                    "created_by_id": agency,
                }
            )
            for code in rng.sample(STRANDS, rng.choice((1, 1, 1, 2))):
                strands.append({"incident_id": r, "code": code, "subcategory": ""})
                if code in SUBS and rng.random() < 0.5:
                    strands.append({"incident_id": r, "code": code, "subcategory": SUBS[code]})
            assessment_id = None
            if source != "partner" or rng.random() < 0.3:
                assessment_id = len(assessments) + 1
                assessments.append(
                    {
                        "id": assessment_id,
                        "person_id": person,
                        "incident_id": r,
                        "agency_id": agency,
                        "assessor_id": agency,
                        "instrument_version": "2026.1",
                        "status": "endorsed",
                        "final_level": "high",
                        "endorsed_at": created - timedelta(hours=3),
                    }
                )
                if rng.random() < 0.6:
                    measures.append(
                        {"assessment_id": assessment_id, "description": "Measure", "rara": "reduce"}
                    )
            age = (today - created.date()).days
            heard = age > 60 or rng.random() < 0.3
            closed = heard and age > 200 and rng.random() < 0.8
            status = (
                "closed"
                if closed
                else "heard"
                if heard
                else rng.choice(["new", "more_info", "accepted"])
            )
            if status in UNHEARD_STATUSES and source != "partner":
                if person in waiting:  # one automatic referral waits per person (the index)
                    status = "declined"
                waiting.add(person)
            refs.append(
                {
                    "id": r,
                    "reference": f"CM-{r:06d}",
                    "person_id": person,
                    "area_id": area,
                    "source": source,
                    "status": status,
                    "risk_level": rng.choice(["high", "high", "medium"]),
                    "assessment_id": assessment_id,
                    "trigger_incident_id": r if source != "partner" else None,
                    "is_repeat": source == "automatic_repeat",
                    "referrer_id": agency,
                    "referring_agency_id": agency,
                    "created_at": created,
                    "closed_at": created + timedelta(days=180) if closed else None,
                    "outcome": rng.choice(OUTCOMES) if closed else "",
                }
            )
            if source == "partner":
                links.append({"referral_id": r, "incident_id": r})
            if heard:
                panel_meetings = by_panel[(area + 1) // 2]
                after = [m for m in panel_meetings[-90:] if m["meeting_date"] > created.date()]
                meeting = (
                    after[0]
                    if after and age < 500
                    else next(
                        (m for m in panel_meetings if m["meeting_date"] > created.date()),
                        panel_meetings[-1],
                    )
                )
                items.append(
                    {
                        "id": len(items) + 1,
                        "meeting_id": meeting["id"],
                        "referral_id": r,
                        "kind": "new",
                        "position": 1,
                        "discussed_at": datetime.combine(
                            meeting["meeting_date"], datetime.min.time(), tzinfo=UTC
                        ),
                    }
                )
        _bulk(s, Incident, incidents)
        _bulk(s, IncidentStrand, strands)
        _bulk(s, RiskAssessment, assessments)
        _bulk(s, RiskMeasure, measures)
        _bulk(s, Referral, refs)
        _bulk(s, ReferralIncident, links)
        _bulk(s, AgendaItem, items)
        meeting_dates = {m["id"]: m["meeting_date"] for m in meetings}
        for n in range(actions):
            item = items[n % len(items)]
            due = meeting_dates[item["meeting_id"]] + timedelta(days=rng.randint(14, 60))
            roll = rng.random()
            if due < today and roll < 0.85:
                status = "completed"
                done = datetime.combine(due, datetime.min.time(), tzinfo=UTC) + timedelta(
                    days=rng.randint(-10, 12)
                )
            else:
                status, done = ("open" if roll < 0.95 else "cancelled"), None
            acts.append(
                {
                    "referral_id": item["referral_id"],
                    "meeting_id": item["meeting_id"],
                    "description": "Action",
                    "kind": "victim_safety",
                    "rara": "reduce",
                    "agency_id": rng.randint(1, 12),
                    "due_date": due,
                    "status": status,
                    "completed_at": done,
                }
            )
        _bulk(s, Action, acts)
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
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    return 100


def _time(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    """(median, max) in milliseconds, after one warm-up run."""
    fn()
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - began) * 1000)
    return statistics.median(samples), max(samples)


def measure(label: str, url: str, referrals: int, actions: int, runs: int) -> dict[str, Any]:
    from marac import create_app
    from marac.config import Settings

    migrate.upgrade(url)
    engine = make_engine(url)
    today = date.today()
    try:
        began = time.perf_counter()
        coordinator_id = _fill(engine, referrals, actions, today)
        filled = time.perf_counter() - began
        start, end = last_12_months(today)
        timings: dict[str, tuple[float, float]] = {}
        with Session(engine) as session:
            user = session.get(User, coordinator_id)
            area_ids, area_label = borough(session, user)
            whole = Scope(start, end, area_ids, area_label, today)
            one = Scope(start, end, panel_areas(session, 1), "Panel 1", today)
            timings["borough"] = _time(lambda: dashboard(session, whole), runs)
            timings["panel"] = _time(lambda: dashboard(session, one), runs)
            timings["ten_years"] = _time(
                lambda: dashboard(
                    session, Scope(today - timedelta(days=3650), today, area_ids, area_label, today)
                ),
                max(1, runs // 3),
            )
            timings["targets"] = _time(lambda: target_progress(session, area_ids, today), runs)
        app = create_app(
            Settings(
                env="test",
                database_url=url,
                secret_key=secrets.token_hex(32),
                council_name="Benchmark Borough",
            )
        )
        client = app.test_client()
        with client.session_transaction() as flask_session:
            flask_session["_user_id"] = f"{coordinator_id}:1"
            flask_session["_fresh"] = True
        request = "/reports/?period=last_12_months"

        def get() -> None:
            response = client.get(request)
            assert response.status_code == 200, response.status_code

        timings["request"] = _time(get, runs)
        return {
            "backend": label,
            "insert_s": filled,
            "timings": timings,
            "referrals": referrals,
            "actions": actions,
        }
    finally:
        engine.dispose()


def _report(result: dict[str, Any]) -> None:
    print(
        f"\n{result['backend']}: {result['referrals']:,} referrals, {result['actions']:,} "
        f"actions, inserted in {result['insert_s']:.1f} s"
    )
    for key, what in (
        ("borough", "dashboard queries, borough, last 12 months"),
        ("panel", "dashboard queries, one panel, last 12 months"),
        ("ten_years", "dashboard queries, borough, all ten years"),
        ("targets", "target progress"),
        ("request", "GET /reports/ through the test client"),
    ):
        median, worst = result["timings"][key]
        print(f"  {what:<48} median {median:8.1f} ms   max {worst:8.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--referrals", type=int, default=50_000)
    parser.add_argument("--actions", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument(
        "--postgres-url", default=os.environ.get("MARAC_TEST_POSTGRES_URL") or DEFAULT_PG
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        _report(measure("SQLite", url, args.referrals, args.actions, args.runs))
    if args.sqlite_only:
        return
    try:
        pg_url = create_postgres_database(args.postgres_url, "marac_bench")
    except Exception as exc:
        print(f"\nPostgreSQL skipped: {exc}")
        return
    try:
        _report(measure("PostgreSQL", pg_url, args.referrals, args.actions, args.runs))
    finally:
        drop_postgres_database(args.postgres_url, pg_url)


if __name__ == "__main__":
    main()
