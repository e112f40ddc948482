"""Small server-rendered bar charts: geometry worked out here, drawn by a Jinja macro.

No JavaScript and no chart library: a horizontal bar per row, scaled to the largest value,
so the chart reads the same as the table beside it. Referrals by source is stacked (a
segment per source, with a key) and drawn from the published figures, so a count withheld
by small-number disclosure control is hatched at a fixed size, never drawn to scale.
"""

from __future__ import annotations

from dataclasses import dataclass

from marac.reports.tables import Table, published

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


# The by-source chart: one stacked bar per month, a segment per source.
# Colours from the GOV.UK palette, each at least 3:1 against white (WCAG 1.4.11); the key
# names them, so colour is never the only way to tell the sources apart.
SOURCE_COLOURS = ("#1d70b8", "#00703c", "#4c2c92", "#d4351c", "#505a5f", "#0b0c0c")
# A withheld count is drawn this wide whatever it is, hatched, so it cannot be measured.
WITHHELD_WIDTH = 28
TOTAL_ROOM = 90


@dataclass(frozen=True)
class Segment:
    source: str
    colour: str
    index: int  # the source's place in the key
    x: int
    width: int
    text: str  # the count as published: "7", "fewer than 5" or "withheld"
    withheld: bool


@dataclass(frozen=True)
class StackedBar:
    label: str
    y: int
    segments: list[Segment]
    total_text: str
    text_x: int


@dataclass(frozen=True)
class KeyEntry:
    source: str
    colour: str


@dataclass(frozen=True)
class StackedChart:
    title: str
    width: int
    height: int
    label_width: int
    bar_height: int
    bars: list[StackedBar]
    key: list[KeyEntry]
    withheld_width: int = WITHHELD_WIDTH

    @property
    def has_withheld(self) -> bool:
        return any(s.withheld for b in self.bars for s in b.segments)

    @property
    def description(self) -> str:
        """A short accessible name: the figures are in the table that follows the chart."""
        return f"Stacked bar chart, {self.title}. The figures are in the table below."


def _number(cell: object) -> int | None:
    """A count as published, or None when it is words ("fewer than 5", "withheld")."""
    if isinstance(cell, int):
        return cell
    text = str(cell)
    return int(text) if text.isdigit() else None


def stacked_chart(table: Table, published: Table) -> StackedChart | None:
    """A stacked bar per row of `table` (label, a count per source, then the total).

    It draws `published` (the same table after small-number disclosure control), never
    the raw counts: a printed count at its size, a hidden one hatched at a fixed width, so
    no withheld count can be measured off the picture.
    """
    if not table.rows or len(table.headings) < 3:
        return None
    sources = table.headings[1:-1]
    key = [KeyEntry(s, SOURCE_COLOURS[i % len(SOURCE_COLOURS)]) for i, s in enumerate(sources)]
    rows = [row[1:-1] for row in published.rows]
    drawn_max = max((sum(_number(c) or 0 for c in row) for row in rows), default=0) or 1
    most_withheld = max(sum(_number(c) is None for c in row) for row in rows)
    room = WIDTH - LABEL_WIDTH - TOTAL_ROOM - most_withheld * WITHHELD_WIDTH
    bars = []
    for i, row in enumerate(published.rows):
        x = LABEL_WIDTH
        segments = []
        for index, (entry, cell) in enumerate(zip(key, row[1:-1], strict=True)):
            value = _number(cell)
            if value == 0:
                continue
            width = WITHHELD_WIDTH if value is None else max(1, round(room * value / drawn_max))
            segment = Segment(entry.source, entry.colour, index, x, width, str(cell), value is None)
            segments.append(segment)
            x += width
        bars.append(
            StackedBar(
                label=str(row[0]),
                y=TOP + i * (BAR_HEIGHT + GAP),
                segments=segments,
                total_text=str(row[-1]),
                text_x=x + 6,
            )
        )
    return StackedChart(
        title=f"{table.title}, {table.scope.area_label}, {table.scope.period_label}",
        width=WIDTH,
        height=TOP * 2 + len(bars) * (BAR_HEIGHT + GAP),
        label_width=LABEL_WIDTH,
        bar_height=BAR_HEIGHT,
        bars=bars,
        key=key,
    )


# Tables drawn as stacked bars (a segment per column) rather than a bar per row.
STACKED = ("monthly",)


def stacked_charts(all_tables: list[Table]) -> dict[str, StackedChart | None]:
    """The dashboard's stacked charts, drawn from the figures as they may be published
    (disclosure control needs every table: a count can be worked back across tables)."""
    shown = {t.key: t for t in published(all_tables)}
    return {t.key: stacked_chart(t, shown[t.key]) for t in all_tables if t.key in STACKED}
