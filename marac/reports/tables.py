"""The dashboard's figures as plain tables: one shape for the page, the CSV and the pack.

Tables hold counts and their labels only, never names or addresses, so any of them can
leave the system; `suppress` hides small numbers in what goes to the partnership.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from marac.referrals.models import SOURCE_LABELS
from marac.reports.queries import Dashboard, Scope
from marac.spreadsheet import csv_text

SMALL_NUMBER = "fewer than 5"


def suppress(count: int) -> str:
    """A count fit to publish: 1 to 4 become "fewer than 5" so nobody can be picked out.

    Zero stays 0 (it identifies nobody) and 5 or more are shown as they are.
    """
    if 0 < count < 5:
        return SMALL_NUMBER
    return str(count)


def last_quarter(today: date) -> tuple[date, date]:
    """The last complete calendar quarter before `today`."""
    first_of_this = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    end = first_of_this - timedelta(days=1)
    return date(end.year, end.month - 2, 1), end


def last_12_months(today: date) -> tuple[date, date]:
    """The twelve complete calendar months before `today`'s month."""
    end = today.replace(day=1) - timedelta(days=1)
    start = date(end.year, 1, 1) if end.month == 12 else date(end.year - 1, end.month + 1, 1)
    return start, end


@dataclass(frozen=True)
class Table:
    """One figure as rows of cells; numbers are kept as int so they can be suppressed."""

    key: str
    title: str
    scope: Scope
    headings: list[str]
    rows: list[list[str | int]]
    note: str = ""
    chart: bool = True  # a bar chart of the last column makes sense

    def csv(self, suppressed: bool = False) -> str:
        """The table as CSV; names typed by users cannot become spreadsheet formulas."""
        rows: list[list[str | int]] = [
            [self.title],
            ["Area", self.scope.area_label],
            ["Period", self.scope.period_label],
            ["Period complete", "yes" if self.scope.complete else "no"],
        ]
        if self.note:
            rows.append(["Note", self.note])
        rows.append(list(self.headings))
        rows.extend(_cells(row, suppressed) for row in self.rows)
        return csv_text(rows)


def _cells(row: list[str | int], suppressed: bool) -> list[str | int]:
    return [suppress(c) if suppressed and isinstance(c, int) else c for c in row]


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "no referrals"


def tables(board: Dashboard) -> list[Table]:
    """Every table of the dashboard, in page order."""
    s = board.scope
    m = board.monthly
    result = [
        Table(
            "monthly",
            "Referrals per month by source",
            s,
            ["Month", *(SOURCE_LABELS.get(x, x) for x in m.sources), "All sources"],
            [
                [f"{month:%B %Y}", *(m.count(month, x) for x in m.sources), m.month_total(month)]
                for month in m.months
            ],
        ),
        Table(
            "strands",
            "Referrals by monitored strand",
            s,
            ["Strand", "Referrals"],
            [[c.label, c.count] for c in board.strands.monitored],
            note="A referral with more than one strand counts under each of them.",
        ),
        Table(
            "local_strands",
            "Referrals by locally-defined strand",
            s,
            ["Strand", "Referrals"],
            [[c.label, c.count] for c in board.strands.local],
            note="A referral with more than one strand counts under each of them.",
        ),
        Table(
            "subcategories",
            "Referrals by sub-category",
            s,
            ["Sub-category", "Referrals"],
            [[c.label, c.count] for c in board.strands.subcategories],
            note="A referral with more than one sub-category counts under each of them.",
        ),
        Table(
            "agencies",
            "Referrals by referring agency",
            s,
            ["Agency", "Referrals"],
            [[c.label, c.count] for c in board.agencies.rows],
        ),
        Table(
            "areas",
            "Referrals by area",
            s,
            ["Area", "Referrals"],
            [[c.label, c.count] for c in board.areas.rows],
        ),
        Table(
            "repeats",
            "Repeat referrals",
            s,
            ["Measure", "Value"],
            [
                ["Referrals", board.repeats.total],
                ["Repeat referrals (within the area's repeat window)", board.repeats.repeats],
                ["Repeat rate", _pct(board.repeats.repeats, board.repeats.total)],
            ],
            chart=False,
        ),
        Table(
            "hearing",
            "Time from endorsement or partner referral to first hearing",
            s,
            ["Measure", "Value"],
            [
                ["Cases first heard in the period", board.hearing.heard],
                ["Median wait (days)", _days(board.hearing.median_days)],
                ["90th percentile wait (days)", _days(board.hearing.p90_days)],
                ["High-risk cases waiting for a hearing now", board.hearing.high_risk_waiting],
                ["Longest high-risk wait now (days)", _days(board.hearing.oldest_waiting_days)],
            ],
            note="Waiting cases are counted today, whatever the period.",
            chart=False,
        ),
        Table(
            "actions",
            "Actions due in the period by agency",
            s,
            ["Agency", "Completed on time", "Completed late", "Overdue now"],
            [[r.label, r.on_time, r.late, r.overdue] for r in board.actions.rows],
            chart=False,
        ),
        Table(
            "outcomes",
            "Outcomes of cases closed in the period",
            s,
            ["Outcome", "Cases"],
            [[c.label, c.count] for c in board.outcomes.rows],
        ),
        Table(
            "assessments",
            "Risk-assessment completion",
            s,
            ["Measure", "Referrals", "Share"],
            [
                ["Referrals in the period", board.assessments.referrals, "100%"],
                [
                    "With an endorsed risk assessment",
                    board.assessments.endorsed_assessment,
                    _pct(board.assessments.endorsed_assessment, board.assessments.referrals),
                ],
                [
                    "With a risk management plan",
                    board.assessments.risk_plan,
                    _pct(board.assessments.risk_plan, board.assessments.referrals),
                ],
            ],
            chart=False,
        ),
    ]
    return result


def _days(value: float | int | None) -> str:
    if value is None:
        return "none"
    return f"{value:g}"


def pack_csv(all_tables: list[Table]) -> str:
    """The partnership pack as one CSV: every table, small numbers suppressed."""
    return "\n".join(t.csv(suppressed=True) for t in all_tables)
