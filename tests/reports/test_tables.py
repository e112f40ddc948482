"""Small-number suppression, quick periods and the chart geometry: pure functions."""

from __future__ import annotations

from datetime import date

from marac.reports.charts import bar_chart
from marac.reports.queries import Scope
from marac.reports.tables import Table, last_12_months, last_quarter, suppress


def test_suppression_hides_one_to_four_only() -> None:
    assert suppress(0) == "0"
    assert [suppress(n) for n in (1, 2, 3, 4)] == ["fewer than 5"] * 4
    assert suppress(5) == "5"
    assert suppress(120) == "120"


def test_last_quarter_is_the_last_complete_quarter() -> None:
    assert last_quarter(date(2026, 4, 15)) == (date(2026, 1, 1), date(2026, 3, 31))
    assert last_quarter(date(2026, 1, 1)) == (date(2025, 10, 1), date(2025, 12, 31))
    assert last_quarter(date(2026, 3, 31)) == (date(2025, 10, 1), date(2025, 12, 31))


def test_last_12_months_are_whole_months() -> None:
    assert last_12_months(date(2026, 4, 15)) == (date(2025, 4, 1), date(2026, 3, 31))
    assert last_12_months(date(2026, 1, 10)) == (date(2025, 1, 1), date(2025, 12, 31))


SCOPE = Scope(date(2026, 1, 1), date(2026, 3, 31), (1,), "Northfield", date(2026, 4, 15))


def test_table_csv_states_scope_and_can_suppress() -> None:
    table = Table("areas", "Referrals by area", SCOPE, ["Area", "Referrals"], [["Northfield", 3]])
    plain = table.csv()
    assert "Area,Northfield" in plain and "Period complete,yes" in plain
    assert "Northfield,3" in plain
    assert "Northfield,fewer than 5" in table.csv(suppressed=True)


def test_bar_chart_scales_to_the_largest_value_and_names_itself() -> None:
    table = Table("t", "Referrals by area", SCOPE, ["Area", "Referrals"], [["A", 10], ["B", 5]])
    chart = bar_chart(table)
    assert chart is not None
    assert chart.bars[0].width == 2 * chart.bars[1].width
    assert "A: 10; B: 5" in chart.description
    assert "Northfield" in chart.description and "1 January 2026" in chart.description
    assert bar_chart(Table("t", "x", SCOPE, ["a", "b"], [])) is None
