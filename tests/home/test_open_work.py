"""Pages whose cost follows the work on them, not the years of history behind it.

The header's counts and the home page read only open work: their statements filter on
status, and (PostgreSQL, EXPLAIN ANALYZE) the rows they examine stay at the open ones
however many finished ones pile up. The everyday pages' queries all run on an index
(EXPLAIN on both databases, with sequential scans priced out on PostgreSQL so the plan
shows a table scan only where no index could serve).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Session

from marac.actions.models import ActionStatus
from marac.assessments.models import AssessmentStatus
from marac.formatting import uk_today
from marac.referrals.models import ReferralStatus
from tests.actions.helpers import PanelWorld
from tests.assessments.helpers import make_assessment
from tests.conftest import BACKEND
from tests.home.test_dashboard import _line
from tests.referrals.helpers import make_person, make_referral

FINISHED = (ActionStatus.COMPLETED, ActionStatus.NOT_ACHIEVED, ActionStatus.CANCELLED)
# Tables that grow with the years; a page may not read them but through an index.
GROWING = {
    "action", "action_update", "agenda_item", "audit_event", "case_research", "incident",
    "notification", "person", "referral", "risk_assessment", "user_session",
}  # fmt: skip


@contextmanager
def captured(app: Flask) -> Iterator[list[tuple[str, Any]]]:
    """The SELECT statements the app runs inside, with their parameters."""
    engine = app.extensions["marac_db"].engine
    seen: list[tuple[str, Any]] = []

    def before(_conn, _cursor, statement, parameters, *_args):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


def _reading(statements: list[tuple[str, Any]], table: str) -> list[tuple[str, Any]]:
    return [(s, p) for s, p in statements if re.search(rf"\bFROM {table}\b", s)]


def _where(statement: str) -> str:
    parts = re.split(r"\sWHERE\s", statement, maxsplit=1)
    return parts[1] if len(parts) == 2 else ""


def _plan(app: Flask, statement: str, parameters: Any, *, analyze: bool = False) -> Any:
    """PostgreSQL: the JSON plan with sequential scans priced out. SQLite: the query plan."""
    engine = app.extensions["marac_db"].engine
    with engine.connect() as conn:
        if BACKEND == "postgresql":
            conn.exec_driver_sql("SET enable_seqscan = off")
            options = "ANALYZE, FORMAT JSON" if analyze else "FORMAT JSON"
            row = conn.exec_driver_sql(f"EXPLAIN ({options}) {statement}", parameters).scalar()
            conn.rollback()
            return (json.loads(row) if isinstance(row, str) else row)[0]["Plan"]
        return [r[-1] for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)]


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def _rows_examined(plan: dict[str, Any], table: str) -> int:
    """Rows of `table` the executor looked at: those kept plus those thrown away."""
    total = 0
    for node in _nodes(plan):
        if node.get("Relation Name") == table:
            total += int(node["Actual Rows"]) * int(node.get("Actual Loops", 1))
            total += int(node.get("Rows Removed by Filter", 0))
            total += int(node.get("Rows Removed by Index Recheck", 0))
    return total


def _full_scans(app: Flask, statements: list[tuple[str, Any]]) -> list[str]:
    """Each growing table some statement reads without an index, with the statement."""
    found = []
    for statement, parameters in statements:
        plan = _plan(app, statement, parameters)
        if BACKEND == "postgresql":
            scanned = {n["Relation Name"] for n in _nodes(plan) if n["Node Type"] == "Seq Scan"}
        else:
            scanned = {
                m.group(1)
                for line in plan
                if (m := re.match(r"SCAN (\w+)(?! USING)", line)) and " USING " not in line
            }
        found += [f"{table}: {statement}" for table in sorted(scanned & GROWING)]
    return found


def _history(w: PanelWorld, db: Session, years: int) -> None:
    """Finished work piling up: actions done, referrals closed, assessments endorsed."""
    long_ago = uk_today() - timedelta(days=400)
    for n in range(years * 6):
        w.action(status=FINISHED[n % 3].value, due_date=long_ago)
        w.action(officer_id=None, status=FINISHED[n % 3].value, due_date=long_ago)
        make_referral(
            db, make_person(db), w.area, status=ReferralStatus.CLOSED, referrer=w.housing_officer
        )
        make_assessment(db, w.housing_officer, status=AssessmentStatus.ENDORSED)


def test_the_header_and_home_page_read_only_open_work(db: Session, app: Flask, login) -> None:
    w = PanelWorld(db)
    today = uk_today()
    w.action(due_date=today - timedelta(days=3))  # overdue
    w.action(status=ActionStatus.IN_PROGRESS.value, due_date=today + timedelta(days=5))
    w.action(officer_id=None, due_date=today + timedelta(days=9))  # the agency's, unnamed
    make_referral(
        db, make_person(db), w.area, status=ReferralStatus.MORE_INFO, referrer=w.housing_officer
    )
    make_referral(db, make_person(db), w.area, status=ReferralStatus.NEW, risk_level="high")
    make_assessment(db, w.housing_officer, status=AssessmentStatus.DRAFT)
    officer, coordinator = login(w.housing_officer), login(w.coordinator)

    def home(client: Any) -> tuple[str, list[tuple[str, Any]]]:
        with captured(app) as statements:
            html = client.get("/").get_data(as_text=True)
        return html, statements

    examined: list[dict[str, int]] = []
    for years in (0, 3):
        _history(w, db, years)
        html, seen = home(officer)
        assert "1 overdue</span>" in html  # the header, and the home page's line
        assert _line(html, "Your open actions").startswith("3 ")
        html, coordinator_seen = home(coordinator)
        assert _line(html, "Referrals to screen").startswith("2 ")
        seen += coordinator_seen
        # Every statement on these tables says which open statuses it wants.
        for table in ("action", "referral", "risk_assessment"):
            statements = _reading(seen, table)
            assert statements, f"the home page no longer reads {table}?"
            for statement, _ in statements:
                assert f"{table}.status" in _where(statement), statement
        assert _full_scans(app, seen) == []
        if BACKEND == "postgresql":
            examined.append(
                {
                    table: sum(
                        _rows_examined(_plan(app, s, p, analyze=True), table)
                        for s, p in _reading(seen, table)
                    )
                    for table in ("action", "referral", "risk_assessment")
                }
            )
    if BACKEND == "postgresql":
        # 36 finished actions, 18 closed referrals, 18 endorsed assessments later: the
        # same rows looked at as with none of them.
        assert examined[1] == examined[0], examined


def test_the_everyday_pages_read_the_growing_tables_through_indexes(
    db: Session, app: Flask, login
) -> None:
    w = PanelWorld(db)
    _history(w, db, 1)
    w.action(due_date=uk_today() - timedelta(days=3))
    make_referral(db, make_person(db), w.area, status=ReferralStatus.NEW, risk_level="high")
    pages = {
        w.housing_officer: ["/accessibility", "/", "/actions/mine"],
        w.coordinator: [
            "/",
            "/referrals/screening",
            f"/people/{w.person.id}/timeline",
            f"/meetings/{w.meeting.id}",
        ],
    }
    scans = []
    for user, paths in pages.items():
        client = login(user)
        for path in paths:
            with captured(app) as seen:
                response = client.get(path)
            assert response.status_code == 200, path
            scans += [f"{path} {scan}" for scan in _full_scans(app, seen)]
    assert scans == []
