"""Each dashboard figure against the hand-built borough, where the right answer is known."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from marac.reports import queries
from marac.reports.queries import Scope, percentile
from tests.reports.helpers import TODAY, Borough


def _counts(rows: list[queries.Count]) -> dict[str, int]:
    return {r.key: r.count for r in rows}


def test_scope_knows_whether_its_period_is_complete() -> None:
    done = Scope(date(2026, 1, 1), date(2026, 3, 31), (1,), "A", TODAY)
    running = Scope(date(2026, 4, 1), date(2026, 6, 30), (1,), "A", TODAY)
    assert done.complete and not running.complete
    assert done.period_label == "1 January 2026 to 31 March 2026"


def test_referrals_per_month_by_source(db: Session) -> None:
    world = Borough(db)
    monthly = queries.referrals_by_month(db, world.scope())
    jan, feb, mar = date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)
    assert monthly.months == [jan, feb, mar]
    assert monthly.count(jan, "partner") == 1
    assert monthly.count(jan, "automatic_high_risk") == 1
    assert monthly.count(feb, "automatic_repeat") == 1
    assert [monthly.month_total(m) for m in monthly.months] == [2, 1, 0]


def test_referrals_by_strand_count_a_referral_under_each_strand(db: Session) -> None:
    world = Borough(db)
    strands = queries.referrals_by_strand(db, world.scope())
    assert _counts(strands.monitored) == {
        "race": 3,
        "religion": 1,
        "sexual_orientation": 0,
        "disability": 0,
        "transgender": 0,
    }
    assert [(c.label, c.count) for c in strands.local] == [("Alternative subcultures", 1)]
    assert [(c.key, c.count) for c in strands.subcategories] == [("antisemitic", 1)]


def test_referrals_by_agency_and_area(db: Session) -> None:
    world = Borough(db)
    assert {r.label: r.count for r in queries.referrals_by_agency(db, world.scope()).rows} == {
        "Police": 2,
        "Housing": 1,
    }
    areas = queries.referrals_by_area(db, world.scope())
    assert [(r.label, r.count) for r in areas.rows] == [("Northfield", 3), ("Southgate", 0)]
    assert areas.total == 3


def test_repeat_rate_comes_from_repeat_tracking(db: Session) -> None:
    world = Borough(db)
    rate = queries.repeats(db, world.scope())
    assert (rate.repeats, rate.total) == (1, 3)
    assert abs(rate.rate - 1 / 3) < 1e-9


def test_time_to_first_hearing_and_high_risk_waiting(db: Session) -> None:
    world = Borough(db)
    wait = queries.time_to_hearing(db, world.scope())
    # First hearings in the period: 35 (r4), 30 (r1), 42 days (r2, from endorsement).
    assert wait.heard == 3
    assert wait.median_days == 35
    assert wait.p90_days == 42
    # r3 is high risk and waiting since 5 February; r5 waits in another area.
    assert wait.high_risk_waiting == 1
    assert wait.oldest_waiting_days == (TODAY - date(2026, 2, 5)).days


def test_percentile_is_nearest_rank() -> None:
    assert percentile([], 0.9) is None
    assert percentile([5], 0.9) == 5
    assert percentile(list(range(1, 11)), 0.9) == 9
    assert percentile(list(range(1, 11)), 0.5) == 5


def test_actions_on_time_late_and_overdue_by_agency(db: Session) -> None:
    world = Borough(db)
    rows = queries.actions_by_agency(db, world.scope()).rows
    assert [(r.label, r.on_time, r.late, r.overdue) for r in rows] == [
        ("Housing", 0, 0, 1),
        ("Police", 2, 1, 0),
    ]


def test_outcomes_at_closure(db: Session) -> None:
    world = Borough(db)
    found = _counts(queries.outcomes(db, world.scope()).rows)
    assert found == {"risk_reduced": 1, "risk_unchanged": 1, "risk_increased": 0, "": 0}


def test_assessment_completion(db: Session) -> None:
    world = Borough(db)
    done = queries.assessment_completion(db, world.scope())
    assert (done.referrals, done.endorsed_assessment, done.risk_plan) == (3, 2, 1)


def test_panel_scope_uses_the_panels_areas(db: Session) -> None:
    world = Borough(db)
    assert queries.panel_areas(db, world.panel.id) == world.scope().area_ids


def test_empty_scope_gives_zeros_not_errors(db: Session) -> None:
    world = Borough(db)
    scope = Scope(date(2020, 1, 1), date(2020, 12, 31), (world.area.id,), "Northfield", TODAY)
    board = queries.dashboard(db, scope)
    assert board.areas.total == 0
    assert board.hearing.median_days is None and board.hearing.p90_days is None
    assert board.assessments.referrals == 0
    assert board.actions.rows == []
