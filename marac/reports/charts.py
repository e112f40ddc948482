"""Small server-rendered bar charts: geometry worked out here, drawn by a Jinja macro.

No JavaScript and no chart library: a horizontal bar per row, scaled to the largest value,
so the chart reads the same as the table beside it.
"""

from __future__ import annotations

from dataclasses import dataclass

from marac.reports.tables import Table

WIDTH = 640
LABEL_WIDTH = 260
BAR_HEIGHT = 22
GAP = 8
TOP = 8


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    y: int
    width: int
    text_x: int


@dataclass(frozen=True)
class BarChart:
    title: str
    width: int
    height: int
    label_width: int
    bar_height: int
    bars: list[Bar]

    @property
    def description(self) -> str:
        """The accessible name: what the chart shows, with the figures."""
        figures = "; ".join(f"{b.label}: {b.value}" for b in self.bars)
        return f"Bar chart, {self.title}. {figures}." if figures else f"{self.title}: no data."


def bar_chart(table: Table) -> BarChart | None:
    """A bar per row, of the table's last column; None when there is nothing to draw."""
    rows = [(str(r[0]), r[-1]) for r in table.rows if isinstance(r[-1], int)]
    if not rows:
        return None
    largest = max(v for _, v in rows) or 1
    room = WIDTH - LABEL_WIDTH - 60
    bars = []
    for i, (label, value) in enumerate(rows):
        width = round(room * value / largest)
        bars.append(
            Bar(
                label=label,
                value=value,
                y=TOP + i * (BAR_HEIGHT + GAP),
                width=width,
                text_x=LABEL_WIDTH + width + 6,
            )
        )
    return BarChart(
        title=f"{table.title}, {table.scope.area_label}, {table.scope.period_label}",
        width=WIDTH,
        height=TOP * 2 + len(rows) * (BAR_HEIGHT + GAP),
        label_width=LABEL_WIDTH,
        bar_height=BAR_HEIGHT,
        bars=bars,
    )
