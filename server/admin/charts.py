"""Chart geometry for the admin page: numbers in, bar positions out.

The page draws them as inline SVG (templates/admin/_charts.html) from these
plain values, so there is no chart library, no script and nothing fetched
from elsewhere. Every chart also has its data as a table beside it, which is
what screen readers and keyboard users read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

WIDTH = 640          # the SVG's viewBox width; it scales to the page
BAR_HEIGHT = 18
BAR_GAP = 8
LABEL_WIDTH = 250    # room for a rule id at 12px
COLUMN_CHART_HEIGHT = 180
AXIS_ROOM = 24


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    width: int
    height: int
    maximum: int
    # Column charts: a few x-axis labels (day, x, text-anchor) so they do not overlap.
    ticks: list[tuple[str, float, str]]


def horizontal(rows: list[tuple[str, int]], limit: int = 15) -> Chart:
    """One bar per row, longest first as given, at most `limit` bars."""
    rows = rows[:limit]
    top = max((v for _, v in rows), default=0)
    room = WIDTH - LABEL_WIDTH - 60  # the value is written after the bar
    bars = []
    for i, (label, value) in enumerate(rows):
        w = room * value / top if top else 0
        bars.append(Bar(label, value, LABEL_WIDTH, i * (BAR_HEIGHT + BAR_GAP), max(w, 1 if value else 0), BAR_HEIGHT))
    height = max(len(rows) * (BAR_HEIGHT + BAR_GAP), BAR_HEIGHT)
    return Chart(bars, WIDTH, height, top, [])


def every_day(since: date, until: date, counts: dict[str, int]) -> list[tuple[str, int]]:
    """(day, count) for each day of the range, 0 where nothing was counted."""
    days, d = [], since
    while d <= until:
        days.append((d.isoformat(), counts.get(d.isoformat(), 0)))
        d += timedelta(days=1)
    return days


def columns(days: list[tuple[str, int]]) -> Chart:
    """One column per day, in order, with about six day labels under them."""
    top = max((v for _, v in days), default=0)
    n = max(len(days), 1)
    slot = WIDTH / n
    plot = COLUMN_CHART_HEIGHT - AXIS_ROOM
    bars = []
    for i, (day, value) in enumerate(days):
        h = plot * value / top if top else 0
        h = max(h, 1 if value else 0)
        bars.append(Bar(day, value, i * slot + slot * 0.1, plot - h, slot * 0.8, h))
    step = max(1, round(n / 6))
    ticks = [(day, _tick_x(i * slot + slot / 2), _anchor(i * slot + slot / 2))
             for i, (day, _) in enumerate(days) if i % step == 0]
    return Chart(bars, WIDTH, COLUMN_CHART_HEIGHT, top, ticks)


TICK_ROOM = 20  # half a "11-30" label at 11px


def _anchor(x: float) -> str:
    """Labels near an edge are anchored inside the chart, not cut off by it."""
    return "start" if x < TICK_ROOM else "end" if x > WIDTH - TICK_ROOM else "middle"


def _tick_x(x: float) -> float:
    return 0.0 if x < TICK_ROOM else float(WIDTH) if x > WIDTH - TICK_ROOM else x
