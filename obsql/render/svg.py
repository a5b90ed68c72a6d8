"""History results as an inline SVG chart: metrics over time, drawn as plain text with no browser and no network.

- Panels by scale: metrics whose largest absolute values are within a factor of ten share a panel, with one y axis,
  a line and colour each and a legend on top (accuracy and estimated_accuracy side by side); metrics of other scales
  get panels of their own (accuracy near 0.8 and row counts near 6,000). All panels share the time axis.
- Only the metrics asked for: a `history` statement that names its metrics plots those, not the `labeled` count
  history adds to weigh bucketed accuracy; `run_id` and `runs` are never metrics. `metric_series` is the data behind
  the chart, and the shell's sparklines read it too.
- Time ticks at round calendar points (whole hours, midnights, firsts of months, new years), labelled by the step's
  unit (`14:00`, `Mar 8`, `Mar`), with the date or year under the first tick and wherever it changes.
- Dark and light themes: the chart draws its own background, light unless the reader prefers dark (the
  `prefers-color-scheme` media query, or a dark JupyterLab or VS Code theme), with text and axes in the theme's ink
  (`currentColor`) and line colours of at least 3:1 contrast on both backgrounds.

SLA bounds (`result.bounds`, metric name to value) are dashed lines in their metric's panel and colour.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from html import escape
from itertools import groupby
from pathlib import Path

from obsql.compiler.pipes import describe
from obsql.errors import ObsqlError
from obsql.grammar import ast, parse
from obsql.result import Result, as_utc

TIME_COLUMNS = ("bucket", "start_time")  # the time axis of a history result, per bucket or per run
NOT_METRICS = ("run_id", "runs")  # numbers in every history result that are bookkeeping, not metrics
SAME_SCALE = 10  # metrics share a panel when their largest absolute values are within this factor
COLORS = ("#1f77b4", "#d9730d", "#2ca02c", "#d62728", "#9467bd", "#a0695a", "#cc5aa8", "#138d90")
LIGHT, DARK = ("#222222", "#ffffff"), ("#dddddd", "#1e1e1e")  # (ink, paper) of each theme
WIDTH, PANEL, GAP, LEFT, RIGHT, TOP, BOTTOM, ROW = 640, 110, 16, 60, 40, 6, 42, 14
Y_TICKS, MAX_TIME_TICKS = 4, 7
SECONDS = {"second": 1, "minute": 60, "hour": 3600}
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MONTH_DAYS = {1: range(1, 32), 2: range(1, 30, 2), 7: range(1, 29, 7), 14: range(1, 29, 14)}  # days marked per step
DAY, MONTH, YEAR = 86400, 30.44 * 86400, 365.25 * 86400
# The steps the time axis may take, finest first: unit, amount, and about how many seconds lie between ticks.
TIME_STEPS = (*(("second", n, n) for n in (1, 5, 10, 15, 30)), *(("minute", n, 60 * n) for n in (1, 5, 10, 15, 30)),
              *(("hour", n, 3600 * n) for n in (1, 2, 3, 6, 12)),
              ("day", 1, DAY), ("day", 2, 2 * DAY), ("day", 7, MONTH / 4), ("day", 14, MONTH / 2),
              *(("month", n, n * MONTH) for n in (1, 2, 3, 6)),
              *(("year", n, n * YEAR) for n in (1, 2, 5, 10, 20, 50, 100)))


def _theme(scope: str, ink: str, paper: str) -> str:
    """CSS giving charts within `scope` a theme's ink (currentColor), background and halo behind labels on lines."""
    return (f"{scope}.obsql-chart{{color:{ink}}}{scope}.obsql-chart .paper{{fill:{paper}}}"
            f"{scope}.obsql-chart .halo{{stroke:{paper}}}")


STYLE = (f"<style>{_theme('', *LIGHT)}@media (prefers-color-scheme: dark){{{_theme('', *DARK)}}}"
         f"{_theme('[data-jp-theme-light=false] ', *DARK)}{_theme('.vscode-dark ', *DARK)}</style>")


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
    """The times of a history result, oldest first, and each numeric metric asked for as a series over them."""
    time_column = next((c for c in TIME_COLUMNS if c in result.columns), None)
    if time_column is None:
        raise ObsqlError("input", "nothing to plot: the result has no start_time or bucket column",
                         suggestion="plot a history result, e.g. history inference metric accuracy every 1 day")
    at = result.columns.index(time_column)
    rows = sorted((row for row in result.rows if isinstance(row[at], datetime)), key=lambda row: row[at])
    asked = asked_metrics(result.statement)
    series = []
    for i, name in enumerate(result.columns):
        if name in TIME_COLUMNS or name in NOT_METRICS or (asked is not None and name not in asked):
            continue
        values = [_number(row[i]) for row in rows]
        if any(v is not None for v in values) and all(_is_number(row[i]) for row in rows):
            series.append(Series(name, values))
    return [as_utc(row[at]) for row in rows], series


def asked_metrics(statement: str) -> set[str] | None:
    """The metric columns a `history` statement names, or None for all (it names none, a pipe picks the columns, or
    it is not a history statement)."""
    try:
        [query] = parse(statement).statements
    except (ObsqlError, ValueError):
        return None
    if not isinstance(query, ast.Query) or not isinstance(query.source, ast.History) or not query.source.metrics \
            or any(isinstance(pipe, (ast.Select, ast.GroupBy)) for pipe in query.pipes):
        return None
    return {describe(metric) for metric in query.source.metrics}


def _is_number(value: object) -> bool:
    return value is None or (isinstance(value, (int, float, Decimal)) and not isinstance(value, bool))


def _number(value: object) -> float | None:
    if not _is_number(value) or value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def panels(series: list[Series]) -> list[list[int]]:
    """The series (by index) grouped by scale: taken by their largest absolute value, each joins the panel before it
    when that value is at most SAME_SCALE times the panel's smallest. Panels and series keep the columns' order."""
    groups: list[list[int]] = []
    for i in sorted(range(len(series)), key=lambda i: _magnitude(series[i])):
        if groups and _magnitude(series[i]) <= SAME_SCALE * _magnitude(series[groups[-1][0]]):
            groups[-1].append(i)
        else:
            groups.append([i])
    return sorted(sorted(group) for group in groups)


def _magnitude(one: Series) -> float:
    return max(abs(v) for v in one.values if v is not None)


def history_svg(result: Result) -> str:
    """An SVG chart of a history result: a panel per scale of metrics over time, with any SLA bound dashed."""
    times, series = metric_series(result)
    if not series:
        raise ObsqlError("input", "nothing to plot: the result has no numeric columns besides times and ids")
    bounds = getattr(result, "bounds", None) or {}
    x_of = _x_scale(times[0].timestamp(), times[-1].timestamp())
    xs = [x_of(t.timestamp()) for t in times]
    drawn, top = [], TOP
    for group in panels(series):
        panel, top = _panel([(series[i], COLORS[i % len(COLORS)]) for i in group], xs, top, bounds)
        drawn.append(panel)
    bottom = top - GAP
    height = bottom + BOTTOM
    return "\n".join([
        f'<svg xmlns="http://www.w3.org/2000/svg" class="obsql-chart" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" role="img" font-family="sans-serif" font-size="11" fill="currentColor">',
        STYLE, f"<title>{escape(result.statement or 'history')}</title>",
        f'<rect class="paper" width="{WIDTH}" height="{height}" rx="4" fill="{LIGHT[1]}"/>',
        *drawn, _time_axis(times, x_of, bottom), "</svg>"])


def _legend(entries: list[tuple[Series, str]], top: float) -> tuple[str, int]:
    """A panel's legend, a swatch and name per series wrapped into rows across the width, and how many rows it took."""
    items, x, row = [], LEFT, 0
    for one, color in entries:
        width = 30 + 7 * len(one.name)
        if x > LEFT and x + width > WIDTH - RIGHT:
            x, row = LEFT, row + 1
        y = top + 12 + row * ROW
        items.append(f'<line x1="{x}" y1="{y - 4}" x2="{x + 18}" y2="{y - 4}" stroke="{color}" stroke-width="2"/>'
                     f'<text x="{x + 22}" y="{y}">{escape(one.name)}</text>')
        x += width
    return f'<g class="legend">{"".join(items)}</g>', row + 1


def _panel(entries: list[tuple[Series, str]], xs: list[float], top: float,
           bounds: dict[str, float]) -> tuple[str, float]:
    """One panel: its legend, y ticks and grid, a line per series and their bounds; and where the next panel starts."""
    legend, rows = _legend(entries, top)
    top += rows * ROW + 8
    own = {one.name: bounds[one.name] for one, _ in entries if one.name in bounds}
    present = [v for one, _ in entries for v in one.values if v is not None] + list(own.values())
    ticks = nice_ticks(min(present), max(present), Y_TICKS)
    lo, hi = ticks[0], ticks[-1]

    def y_of(value: float) -> float:
        return top + PANEL - (value - lo) / (hi - lo) * PANEL

    names = " ".join(escape(one.name) for one, _ in entries)
    parts = [f'<g class="panel" data-metrics="{names}">', legend]
    for tick in ticks:
        y = _fmt(y_of(tick))
        parts.append(f'<line class="grid" x1="{LEFT}" y1="{y}" x2="{WIDTH - RIGHT}" y2="{y}" stroke="currentColor" '
                     f'stroke-opacity="0.15"/><text class="tick" x="{LEFT - 6}" y="{y}" text-anchor="end" '
                     f'dominant-baseline="middle">{tick:g}</text>')
    for one, color in entries:
        path = _path([(x, y_of(v)) if v is not None else None for x, v in zip(xs, one.values)])
        parts.append(f'<path class="series" data-metric="{escape(one.name)}" d="{path}" fill="none" stroke="{color}" '
                     f'stroke-width="1.6" stroke-linejoin="round" stroke-linecap="round">'
                     f'<title>{escape(one.name)}</title></path>')
        if one.name in own:
            y = y_of(own[one.name])
            parts.append(f'<line class="bound" data-metric="{escape(one.name)}" x1="{LEFT}" y1="{_fmt(y)}" '
                         f'x2="{WIDTH - RIGHT}" y2="{_fmt(y)}" stroke="{color}" stroke-dasharray="5 3"/>'
                         f'<text class="halo" x="{WIDTH - RIGHT}" y="{_fmt(y - 3)}" text-anchor="end" '
                         f'stroke="{LIGHT[1]}" stroke-width="3" paint-order="stroke">'
                         f'{escape(one.name)} bound {own[one.name]:g}</text>')
    parts.append("</g>")
    return "".join(parts), top + PANEL + GAP


def _path(points: list[tuple[float, float] | None]) -> str:
    """Path data through the points, broken where one is missing; a point alone is a small ring."""
    commands = []
    for present, group in groupby(points, key=lambda point: point is not None):
        run = list(group)
        if present and len(run) == 1:
            commands.append(f"M{_fmt(run[0][0] - 2)},{_fmt(run[0][1])} a2,2 0 1,0 4,0 a2,2 0 1,0 -4,0")
        elif present:
            commands.append("M" + " L".join(f"{_fmt(x)},{_fmt(y)}" for x, y in run))
    return " ".join(commands)


def _x_scale(lo: float, hi: float):
    """x for a time in epoch seconds: lo..hi spread over the plot's width (a single time sits in the middle)."""
    def x_of(seconds: float) -> float:
        if hi == lo:
            return (LEFT + WIDTH - RIGHT) / 2
        return LEFT + (seconds - lo) / (hi - lo) * (WIDTH - LEFT - RIGHT)

    return x_of


def _time_axis(times: list[datetime], x_of, bottom: float) -> str:
    """The shared time axis under the panels: a mark and label per tick, the date or year under the first and where
    it changes."""
    ticks, unit = time_ticks(times[0], times[-1])
    parts = [f'<g class="time-axis"><line x1="{LEFT}" y1="{bottom}" x2="{WIDTH - RIGHT}" y2="{bottom}" '
             f'stroke="currentColor" stroke-opacity="0.5"/>']
    shown = ""
    for tick in ticks:
        x = _fmt(x_of(tick.timestamp()))
        text, context = tick_label(tick, unit)
        parts.append(f'<line x1="{x}" y1="{bottom}" x2="{x}" y2="{bottom + 4}" stroke="currentColor"/>'
                     f'<text class="tick" x="{x}" y="{bottom + 16}" text-anchor="middle">{text}</text>')
        if context != shown:
            parts.append(f'<text class="tick-context" x="{x}" y="{bottom + 30}" text-anchor="middle">{context}</text>')
            shown = context
    parts.append("</g>")
    return "".join(parts)


def time_ticks(lo: datetime, hi: datetime) -> tuple[list[datetime], str]:
    """Round times from lo to hi (UTC), at most MAX_TIME_TICKS at the finest step that allows, and the step's unit;
    a single time (or a span too short for any round time) marks itself."""
    if lo < hi:
        span = (hi - lo).total_seconds()
        for unit, amount, seconds in TIME_STEPS:
            ticks = _ticks_at(lo, hi, unit, amount) if span <= seconds * MAX_TIME_TICKS else []
            if 0 < len(ticks) <= MAX_TIME_TICKS:
                return ticks, unit
    return [lo], "second" if lo.second else "minute" if lo.hour or lo.minute else "day"


def _ticks_at(lo: datetime, hi: datetime, unit: str, amount: int) -> list[datetime]:
    """The times from lo to hi at a round step: multiples of it since midnight (seconds, minutes, hours), the days
    of MONTH_DAYS, the first of every amount-th month, or new year of years divisible by amount."""
    if unit in SECONDS:
        step = amount * SECONDS[unit]
        return [datetime.fromtimestamp(k * step, timezone.utc)
                for k in range(math.ceil(lo.timestamp() / step), math.floor(hi.timestamp() / step) + 1)]
    if unit == "day":
        midnight = datetime(lo.year, lo.month, lo.day, tzinfo=timezone.utc)
        days = (midnight + timedelta(days=k) for k in range((hi - midnight).days + 1))
        return [day for day in days if day >= lo and day.day in MONTH_DAYS[amount]]
    firsts = (datetime(m // 12, m % 12 + 1, 1, tzinfo=timezone.utc)
              for m in range(lo.year * 12 + lo.month - 1, hi.year * 12 + hi.month))
    return [t for t in firsts if t >= lo and ((t.month - 1) % amount == 0 if unit == "month"
                                              else t.month == 1 and t.year % amount == 0)]


def tick_label(tick: datetime, unit: str) -> tuple[str, str]:
    """A time tick's label at its step's unit, and its context: the date under hours, the year under days and months."""
    day = f"{MONTHS[tick.month - 1]} {tick.day}"
    if unit == "year":
        return str(tick.year), ""
    if unit in ("month", "day"):
        return (MONTHS[tick.month - 1] if unit == "month" else day), str(tick.year)
    return tick.strftime("%H:%M:%S" if unit == "second" else "%H:%M"), f"{day} {tick.year}"


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
