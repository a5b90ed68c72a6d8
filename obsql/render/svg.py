"""History results as an inline SVG chart: metrics over time, drawn as plain text with no browser and no network.

Each metric gets a panel of its own with its own y axis (accuracy near 0.8 and row counts near 6,000 stay readable
side by side), all panels sharing the time axis, with a legend on top. When the result carries SLA bounds
(`result.bounds`, metric name to value) the bound is drawn as a dashed line in its metric's panel.
`metric_series` is the data behind the chart; the shell's sparklines read it too.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from html import escape
from pathlib import Path

from obsql.result import Result
from obsql.errors import ObsqlError

TIME_COLUMNS = ("bucket", "start_time")  # the time axis of a history result, per bucket or per run
NOT_METRICS = ("run_id", "runs")  # numbers in a history result that are bookkeeping, not metrics
COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf")
WIDTH, PANEL, GAP, LEFT, RIGHT, TOP, BOTTOM = 640, 110, 34, 60, 40, 46, 26
Y_TICKS, X_TICKS = 4, 5
# Steps the time axis may use, in seconds, and how a tick at that step is labelled.
TIME_STEPS = ((1, "%H:%M:%S"), (10, "%H:%M:%S"), (60, "%H:%M"), (300, "%H:%M"), (900, "%H:%M"), (3600, "%H:%M"),
              (3 * 3600, "%m-%d %H:%M"), (6 * 3600, "%m-%d %H:%M"), (12 * 3600, "%m-%d %H:%M"), (86400, "%Y-%m-%d"),
              (2 * 86400, "%Y-%m-%d"), (7 * 86400, "%Y-%m-%d"), (14 * 86400, "%Y-%m-%d"), (30 * 86400, "%Y-%m-%d"),
              (91 * 86400, "%Y-%m-%d"), (365 * 86400, "%Y"))


@dataclass(frozen=True)
class Series:
    """One metric over time: a value per time of the chart, None where it is missing."""

    name: str
    values: list[float | None]


@dataclass(frozen=True)
class Chart:
    """A chart as SVG text; notebooks show it inline, `save` writes it to a file."""

    svg: str

    def _repr_svg_(self) -> str:
        return self.svg

    def __str__(self) -> str:
        return self.svg

    def save(self, path: str | Path) -> None:
        Path(path).write_text(self.svg, encoding="utf-8")


def chart(result: Result) -> Chart:
    """The result as a chart (what `Result.plot()` returns)."""
    return Chart(history_svg(result))


def metric_series(result: Result) -> tuple[list[datetime], list[Series]]:
    """The times of a history result, oldest first, and each numeric column as a series over them."""
    time_column = next((c for c in TIME_COLUMNS if c in result.columns), None)
    if time_column is None:
        raise ObsqlError("input", "nothing to plot: the result has no start_time or bucket column",
                         suggestion="plot a history result, e.g. history inference metric accuracy every 1 day")
    at = result.columns.index(time_column)
    rows = sorted((row for row in result.rows if isinstance(row[at], datetime)), key=lambda row: row[at])
    series = []
    for i, name in enumerate(result.columns):
        if name in TIME_COLUMNS or name in NOT_METRICS:
            continue
        values = [_number(row[i]) for row in rows]
        if any(v is not None for v in values) and all(_is_number(row[i]) for row in rows):
            series.append(Series(name, values))
    return [row[at] for row in rows], series


def _is_number(value: object) -> bool:
    return value is None or (isinstance(value, (int, float, Decimal)) and not isinstance(value, bool))


def _number(value: object) -> float | None:
    if not _is_number(value) or value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def history_svg(result: Result) -> str:
    """An SVG chart of a history result: one line per metric over time, with any SLA bound dashed."""
    times, series = metric_series(result)
    if not series:
        raise ObsqlError("input", "nothing to plot: the result has no numeric columns besides times and ids")
    bounds = getattr(result, "bounds", None) or {}
    height = TOP + len(series) * (PANEL + GAP) - GAP + BOTTOM
    x_of = _x_scale(times[0].timestamp(), times[-1].timestamp())
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="obsql-chart" width="{WIDTH}" height="{height}" '
             f'viewBox="0 0 {WIDTH} {height}" role="img" font-family="sans-serif" font-size="11" fill="currentColor">',
             f"<title>{escape(result.statement or 'history')}</title>",
             _legend([s.name for s in series], any(s.name in bounds for s in series))]
    for i, one in enumerate(series):
        top = TOP + i * (PANEL + GAP)
        points = [(x_of(t.timestamp()), v) for t, v in zip(times, one.values)]
        parts.append(_panel(one.name, points, COLORS[i % len(COLORS)], top, bounds.get(one.name)))
    parts.append(_time_axis(times, x_of, TOP + len(series) * (PANEL + GAP) - GAP))
    parts.append("</svg>")
    return "\n".join(parts)


def _legend(names: list[str], with_bound: bool) -> str:
    items, x = [], LEFT
    for i, name in enumerate(names):
        color = COLORS[i % len(COLORS)]
        items.append(f'<line x1="{x}" y1="12" x2="{x + 18}" y2="12" stroke="{color}" stroke-width="2"/>'
                     f'<text x="{x + 22}" y="16">{escape(name)}</text>')
        x += 34 + 7 * len(name)
    if with_bound:
        items.append(f'<line x1="{x}" y1="12" x2="{x + 18}" y2="12" stroke="currentColor" stroke-dasharray="5 3"/>'
                     f'<text x="{x + 22}" y="16">bound</text>')
    return f'<g class="legend">{"".join(items)}</g>'


def _panel(name: str, points: list[tuple[float, float | None]], color: str, top: float, bound: float | None) -> str:
    """One metric's panel: its y ticks and grid, its line through (x, value) points, and its bound."""
    present = [v for _, v in points if v is not None] + ([bound] if bound is not None else [])
    ticks = nice_ticks(min(present), max(present), Y_TICKS)
    lo, hi = ticks[0], ticks[-1]

    def y_of(value: float) -> float:
        return top + PANEL - (value - lo) / (hi - lo) * PANEL

    parts = [f'<g class="panel" data-metric="{escape(name)}">',
             f'<text x="{LEFT}" y="{top - 12}" fill="{color}" font-weight="bold">{escape(name)}</text>']
    for tick in ticks:
        y = _fmt(y_of(tick))
        parts.append(f'<line class="grid" x1="{LEFT}" y1="{y}" x2="{WIDTH - RIGHT}" y2="{y}" stroke="currentColor" '
                     f'stroke-opacity="0.15"/><text class="tick" x="{LEFT - 6}" y="{y}" text-anchor="end" '
                     f'dominant-baseline="middle">{tick:g}</text>')
    path = _path([(x, y_of(v)) if v is not None else None for x, v in points])
    parts.append(f'<path class="series" d="{path}" fill="none" stroke="{color}" stroke-width="1.6" '
                 f'stroke-linejoin="round" stroke-linecap="round"><title>{escape(name)}</title></path>')
    if bound is not None:
        y = _fmt(y_of(bound))
        parts.append(f'<line class="bound" x1="{LEFT}" y1="{y}" x2="{WIDTH - RIGHT}" y2="{y}" stroke="currentColor" '
                     f'stroke-dasharray="5 3"/><text x="{WIDTH - RIGHT}" y="{_fmt(y_of(bound) - 3)}" '
                     f'text-anchor="end">bound {bound:g}</text>')
    parts.append("</g>")
    return "".join(parts)


def _path(points: list[tuple[float, float] | None]) -> str:
    """Path data through the points, broken where one is missing (a lone point shows as a dot)."""
    commands, drawing = [], False
    for point in points:
        if point is None:
            drawing = False
            continue
        x, y = _fmt(point[0]), _fmt(point[1])
        commands.append(f"L{x},{y}" if drawing else f"M{x},{y} L{x},{y}")
        drawing = True
    return " ".join(commands)


def _x_scale(lo: float, hi: float):
    """x for a time in epoch seconds: lo..hi spread over the plot's width (a single time sits in the middle)."""
    def x_of(seconds: float) -> float:
        if hi == lo:
            return (LEFT + WIDTH - RIGHT) / 2
        return LEFT + (seconds - lo) / (hi - lo) * (WIDTH - LEFT - RIGHT)

    return x_of


def _time_axis(times: list[datetime], x_of, bottom: float) -> str:
    lo, hi = times[0].timestamp(), times[-1].timestamp()
    step, label = next(((s, f) for s, f in TIME_STEPS if s * X_TICKS >= hi - lo), TIME_STEPS[-1])
    parts = [f'<g class="time-axis"><line x1="{LEFT}" y1="{bottom}" x2="{WIDTH - RIGHT}" y2="{bottom}" '
             f'stroke="currentColor" stroke-opacity="0.5"/>']
    for tick in [lo] if hi == lo else _multiples(lo, hi, step):
        x = _fmt(x_of(tick))
        text = datetime.fromtimestamp(tick, timezone.utc).strftime(label)
        parts.append(f'<line x1="{x}" y1="{bottom}" x2="{x}" y2="{bottom + 4}" stroke="currentColor"/>'
                     f'<text class="tick" x="{x}" y="{bottom + 16}" text-anchor="middle">{text}</text>')
    parts.append("</g>")
    return "".join(parts)


def _multiples(lo: float, hi: float, step: float) -> list[float]:
    first = math.ceil(lo / step)
    return [k * step for k in range(first, math.floor(hi / step) + 1)]


def nice_ticks(lo: float, hi: float, count: int) -> list[float]:
    """About `count` round tick values (steps of 1, 2, 2.5 or 5 times a power of ten) covering lo..hi."""
    if hi == lo:  # a flat line: give it room, keeping zero as the floor of a flat zero
        lo, hi = (0, 1) if lo == 0 else (lo - abs(lo) * 0.1, hi + abs(hi) * 0.1)
    raw = (hi - lo) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first, last = math.floor(lo / step), math.ceil(hi / step)
    return [round(k * step, 12) for k in range(first, last + 1)]


def _fmt(number: float) -> str:
    return f"{number:.1f}"
