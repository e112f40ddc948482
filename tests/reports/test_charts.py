"""The by-source chart: stacked by source, with its key, and nothing withheld measurable."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

from flask import Flask

from marac.reports.charts import WITHHELD_WIDTH, stacked_chart
from marac.reports.queries import Scope
from marac.reports.tables import Table, published

SCOPE = Scope(date(2026, 1, 1), date(2026, 3, 31), (1,), "Northfield", date(2026, 4, 15))
SOURCES = ["Automatic: endorsed high risk", "Partner referral", "Automatic: escalation"]


def _monthly(rows: list[list[object]]) -> Table:
    return Table(
        "monthly",
        "Referrals per month by source",
        SCOPE,
        ["Month", *SOURCES, "All sources"],
        rows,  # type: ignore[arg-type]
    )


RAW = _monthly(
    [
        ["January 2026", 20, 10, 0, 30],
        ["February 2026", 10, 3, 8, 21],
        ["March 2026", 0, 0, 0, 0],
    ]
)
# As disclosure control might print it: the 3 hidden, and the total that gives it away.
SHOWN = _monthly(
    [
        ["January 2026", "20", "10", "0", "30"],
        ["February 2026", "10", "fewer than 5", "8", "withheld"],
        ["March 2026", "0", "0", "0", "0"],
    ]
)


def test_a_segment_per_source_shown_scaled_to_the_printed_counts() -> None:
    chart = stacked_chart(RAW, SHOWN)
    assert chart is not None
    january, _february, march = chart.bars
    assert [s.source for s in january.segments] == SOURCES[:2]  # a zero draws nothing
    assert abs(january.segments[0].width - 2 * january.segments[1].width) <= 1  # rounding
    assert january.segments[1].x == january.segments[0].x + january.segments[0].width
    assert march.segments == [] and march.total_text == "0"
    assert [k.source for k in chart.key] == SOURCES
    assert len({k.colour for k in chart.key}) == len(SOURCES)
    assert "Referrals per month by source" in chart.description
    assert "table below" in chart.description


def test_a_withheld_count_is_drawn_at_a_fixed_size_whatever_it_is() -> None:
    chart = stacked_chart(RAW, SHOWN)
    assert chart is not None and chart.has_withheld
    held = [s for s in chart.bars[1].segments if s.withheld]
    assert [(s.source, s.text, s.width) for s in held] == [
        (SOURCES[1], "fewer than 5", WITHHELD_WIDTH)
    ]
    assert chart.bars[1].total_text == "withheld"
    # The same picture for a hidden 1 as for a hidden 4: nothing to measure.
    one = stacked_chart(
        replace(RAW, rows=[[*RAW.rows[1][:2], 1, 8, 19]]), replace(SHOWN, rows=[SHOWN.rows[1]])
    )
    four = stacked_chart(
        replace(RAW, rows=[[*RAW.rows[1][:2], 4, 8, 22]]), replace(SHOWN, rows=[SHOWN.rows[1]])
    )
    assert one is not None and four is not None
    assert one.bars == four.bars


def test_the_chart_draws_what_disclosure_control_prints() -> None:
    raw = _monthly([["January 2026", 20, 2, 9, 31], ["February 2026", 6, 0, 7, 13]])
    chart = stacked_chart(raw, published([raw])[0])
    assert chart is not None
    held = [s for bar in chart.bars for s in bar.segments if s.withheld]
    assert held and all(s.width == WITHHELD_WIDTH for s in held)
    assert all(s.text in ("fewer than 5", "withheld") for s in held)
    assert not any(s.text == "2" for bar in chart.bars for s in bar.segments)


def test_nothing_to_draw() -> None:
    assert stacked_chart(_monthly([]), _monthly([])) is None


def test_the_rendered_chart_has_its_segments_marks_and_key(app: Flask) -> None:
    chart = stacked_chart(RAW, SHOWN)
    macros = app.jinja_env.get_template("reports/_chart.html").module
    html = str(macros.stacked_chart(chart, "chart-monthly"))  # type: ignore[attr-defined]
    segments = re.findall(
        r'<rect class="app-report-chart__segment[^"]*" data-source="([^"]+)"', html
    )
    assert segments == [SOURCES[0], SOURCES[1], SOURCES[0], SOURCES[1], SOURCES[2]]
    assert html.count("app-report-chart__segment--withheld") == 1
    assert 'fill="url(#chart-monthly-withheld-1)"' in html  # hatched in its source's colour
    assert "<title>Partner referral: fewer than 5</title>" in html
    assert 'role="img"' in html and 'aria-labelledby="chart-monthly-title"' in html
    for source in SOURCES:
        assert f"</svg> {source}</li>" in html
    assert "fewer than 5 or withheld" in html
    plain = stacked_chart(RAW, replace(SHOWN, rows=[SHOWN.rows[0]]))
    assert "fewer than 5 or withheld" not in str(macros.stacked_chart(plain, "c"))  # type: ignore[attr-defined]
