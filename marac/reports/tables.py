"""The dashboard's figures as plain tables: one shape for the page, the CSV and the pack.

Tables hold counts and their labels only, never names or addresses, so any of them can
leave the system; `published` applies small-number disclosure control
(`marac.reports.disclosure`) to what goes to the partnership.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from marac.referrals.models import SOURCE_LABELS
from marac.reports.disclosure import Sheet, protect, share_shown, shown
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


@dataclass(frozen=True)
class Share:
    """A percentage cell that remembers its part and whole, so publication can judge it."""

    part: int
    whole: int

    def __str__(self) -> str:
        return _pct(self.part, self.whole)


Cell = str | int | Share


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
    rows: list[list[Cell]]
    note: str = ""
    chart: bool = True  # a bar chart of the last column makes sense

    def csv(self, suppressed: bool = False) -> str:
        """The table as CSV; names typed by users cannot become spreadsheet formulas."""
        rows: list[list[Cell]] = [
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


def _cells(row: list[Cell], suppressed: bool) -> list[Cell]:
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
                ["Repeat rate", Share(board.repeats.repeats, board.repeats.total)],
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
                [
                    "Referrals in the period",
                    board.assessments.referrals,
                    Share(board.assessments.referrals, board.assessments.referrals),
                ],
                [
                    "With an endorsed risk assessment",
                    board.assessments.endorsed_assessment,
                    Share(board.assessments.endorsed_assessment, board.assessments.referrals),
                ],
                [
                    "With a risk management plan",
                    board.assessments.risk_plan,
                    Share(board.assessments.risk_plan, board.assessments.referrals),
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


# The count every table's referrals add up to: referrals made in the period.
REFERRALS = "referrals"
# Tables whose rows split the period's referrals (each referral in exactly one row).
_PARTITIONS = ("areas", "agencies")
# Tables whose rows are each a subset of the period's referrals (a referral may be in
# several), so each row's complement ("referrals not of this strand") is a count too.
_SUBSETS = ("strands", "local_strands", "subcategories")


def _sheet(all_tables: list[Table]) -> tuple[Sheet, dict[tuple[str, int, int], str]]:
    """Every count of the pack and the sums a reader could use to work one back."""
    sheet = Sheet()
    keys: dict[tuple[str, int, int], str] = {}

    def cell(table: Table, r: int, c: int, key: str | None = None) -> str:
        value = table.rows[r][c]
        assert isinstance(value, int)
        if key is not None and sheet.values.get(key, value) != value:
            key = None  # not the same count after all: its own key
        keys[(table.key, r, c)] = sheet.count(key or f"{table.key}:{r}:{c}", value)
        return keys[(table.key, r, c)]

    def unprinted(name: str, value: int) -> str:
        return sheet.count(name, value, printed=False)

    by_key = {t.key: t for t in all_tables}
    if "assessments" in by_key:
        referrals = cell(by_key["assessments"], 0, 1, REFERRALS)
    else:
        monthly = by_key.get("monthly")
        made = sum(int(row[-1]) for row in monthly.rows) if monthly else 0  # type: ignore[arg-type]
        referrals = unprinted(REFERRALS, made)
    g = sheet.values[referrals]

    for table in all_tables:
        numeric = [
            (r, c)
            for r, row in enumerate(table.rows)
            for c, value in enumerate(row)
            if isinstance(value, int) and (table.key, r, c) not in keys
        ]
        if table.key == "monthly":
            last = len(table.headings) - 1
            month_totals = [cell(table, r, last) for r in range(len(table.rows))]
            for r in range(len(table.rows)):
                sheet.group(month_totals[r], [cell(table, r, c) for c in range(1, last)])
            sheet.group(referrals, month_totals)
            for c in range(1, last):
                column = [keys[(table.key, r, c)] for r in range(len(table.rows))]
                name = unprinted(f"monthly:source:{c}", sum(sheet.values[k] for k in column))
                sheet.group(name, column)
        elif table.key in _PARTITIONS:
            sheet.group(referrals, [cell(table, r, 1) for r in range(len(table.rows))])
        elif table.key in _SUBSETS:
            for r in range(len(table.rows)):
                part = cell(table, r, 1)
                rest = unprinted(f"{part}:rest", g - sheet.values[part])
                sheet.group(referrals, [part, rest])
        elif table.key == "repeats":
            whole, part = cell(table, 0, 1, REFERRALS), cell(table, 1, 1)
            rest = sheet.values[whole] - sheet.values[part]
            sheet.group(whole, [part, unprinted("repeats:rest", rest)])
        elif table.key == "assessments":
            endorsed, planned = cell(table, 1, 1), cell(table, 2, 1)
            e, p = sheet.values[endorsed], sheet.values[planned]
            sheet.group(referrals, [endorsed, unprinted("assessments:not_endorsed", g - e)])
            sheet.group(endorsed, [planned, unprinted("assessments:no_plan", e - p)])
        else:  # counts beside each other in rows: each row's total is a count too
            rows: dict[int, list[str]] = {}
            for r, c in numeric:
                rows.setdefault(r, []).append(cell(table, r, c))
            if table.key in ("actions", "outcomes"):
                for r, parts in rows.items():
                    if len(parts) > 1:
                        name = f"{table.key}:{r}:all"
                        sheet.group(unprinted(name, sum(sheet.values[k] for k in parts)), parts)
                if table.key == "outcomes":
                    parts = [k for row in rows.values() for k in row]
                    name = unprinted("outcomes:all", sum(sheet.values[k] for k in parts))
                    sheet.group(name, parts)
        for r, c in numeric:
            if (table.key, r, c) not in keys:
                cell(table, r, c)
    return sheet, keys


def published(all_tables: list[Table]) -> list[Table]:
    """The tables as they may leave for the partnership: every cell text, with no count
    under 5 printed or able to be worked back from the totals and percentages around it."""
    sheet, keys = _sheet(all_tables)
    hidden = protect(sheet)
    share_keys = {
        ("repeats", 2, 1): ((("repeats", 1, 1)), ("repeats", 0, 1)),
        ("assessments", 0, 2): (("assessments", 0, 1), ("assessments", 0, 1)),
        ("assessments", 1, 2): (("assessments", 1, 1), ("assessments", 0, 1)),
        ("assessments", 2, 2): (("assessments", 2, 1), ("assessments", 0, 1)),
    }
    result = []
    for table in all_tables:
        rows: list[list[Cell]] = []
        for r, row in enumerate(table.rows):
            out: list[Cell] = []
            for c, value in enumerate(row):
                if isinstance(value, int):
                    out.append(shown(hidden, sheet, keys[(table.key, r, c)]))
                elif isinstance(value, Share):
                    part, whole = share_keys[(table.key, r, c)]
                    out.append(share_shown(hidden, keys[part], keys[whole], str(value)))
                else:
                    out.append(value)
            rows.append(out)
        result.append(replace(table, rows=rows))
    return result


def pack_csv(all_tables: list[Table]) -> str:
    """The partnership pack as one CSV: every table, as `published` lets it out."""
    return "\n".join(t.csv() for t in published(all_tables))
