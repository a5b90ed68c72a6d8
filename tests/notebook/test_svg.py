"""History charts as SVG: parsed as XML and checked for their lines, axes, legend and SLA bounds."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone

import pytest

from obsql.result import Result
from obsql.errors import ObsqlError
from obsql.render.svg import (COLORS, DARK, LIGHT, STYLE, Chart, Series, asked_metrics, chart, history_svg,
                              metric_series, nice_ticks, panels, time_ticks, tick_label)
from obsql.repl.sparkline import sparklines

T0 = datetime(2020, 1, 1, tzinfo=timezone.utc)
SVG = "{http://www.w3.org/2000/svg}"


def history(rows, columns=("start_time", "run_id", "accuracy", "rows"), bounds=None) -> Result:
    result = Result(list(columns), rows, shape="history", statement="history infer")
    if bounds is not None:
        result.bounds = bounds
    return result


def daily(n: int = 10) -> list[tuple]:
    return [(T0 + timedelta(days=i), f"r{i}", 0.8 + (i % 3) / 100, 1000 + 10 * i) for i in range(n)]


def svg_of(result: Result) -> ET.Element:
    return ET.fromstring(history_svg(result))


def by_class(root: ET.Element, tag: str, name: str) -> list[ET.Element]:
    return [e for e in root.iter(SVG + tag) if e.get("class") == name]


def test_metrics_of_very_different_scale_keep_panels_of_their_own():
    root = svg_of(history(daily()))
    panels = by_class(root, "g", "panel")
    assert [p.get("data-metrics") for p in panels] == ["accuracy", "rows"]
    for panel in panels:
        [line] = by_class(panel, "path", "series")
        assert line.get("d").count("L") == 9 and line.get("d").startswith("M")
        assert len(by_class(panel, "g", "legend")) == 1
    values = [float(t.text) for t in by_class(panels[1], "text", "tick")]
    assert 3 <= len(values) <= 8 and values[0] <= 1000 and values[-1] >= 1090


def test_metrics_of_one_scale_share_a_panel_with_a_colour_and_legend_entry_each():
    rows = [(T0 + timedelta(days=i), f"r{i}", 0.8 + i / 100, 0.75, 6000 + i) for i in range(5)]
    root = svg_of(history(rows, ("start_time", "run_id", "accuracy", "estimated_accuracy", "rows")))
    shared, rows_panel = by_class(root, "g", "panel")
    assert shared.get("data-metrics") == "accuracy estimated_accuracy" and rows_panel.get("data-metrics") == "rows"
    lines = by_class(shared, "path", "series")
    assert [line.get("data-metric") for line in lines] == ["accuracy", "estimated_accuracy"]
    colours = [line.get("stroke") for line in lines]
    [legend] = by_class(shared, "g", "legend")
    assert [t.text for t in legend.iter(SVG + "text")] == ["accuracy", "estimated_accuracy"]
    assert [swatch.get("stroke") for swatch in legend.iter(SVG + "line")] == colours
    assert len(set(colours + [by_class(rows_panel, "path", "series")[0].get("stroke")])) == 3


def test_an_sla_bound_is_a_dashed_line_in_its_metrics_panel_and_colour():
    rows = [(T0 + timedelta(days=i), f"r{i}", 0.8, 0.7, 1000) for i in range(3)]
    columns = ("start_time", "run_id", "accuracy", "estimated_accuracy", "rows")
    root = svg_of(history(rows, columns, bounds={"estimated_accuracy": 0.75}))
    shared, rows_panel = by_class(root, "g", "panel")
    [bound] = by_class(shared, "line", "bound")
    [line] = [p for p in by_class(shared, "path", "series") if p.get("data-metric") == "estimated_accuracy"]
    assert bound.get("stroke-dasharray") and bound.get("stroke") == line.get("stroke")
    assert not by_class(rows_panel, "line", "bound")
    assert "estimated_accuracy bound 0.75" in [t.text for t in shared.iter(SVG + "text")]


@pytest.mark.parametrize(("magnitudes", "grouped"), [
    ((0.8, 0.78, 6000), [[0, 1], [2]]),  # accuracy beside estimated accuracy, row counts apart
    ((6000, 0.8, 0.7), [[0], [1, 2]]),  # panels keep the columns' order
    ((9.5, 10.5), [[0, 1]]),  # no cut at a power of ten
    ((0.8, 0.05), [[0], [1]]),  # more than ten times apart
    ((0.1, 0.9, 1.0, 5), [[0, 1, 2], [3]]),  # within ten times the panel's smallest, not a chain
    ((-2000, 1500), [[0, 1]]),  # by absolute value
    ((0, 0, 1), [[0, 1], [2]]),  # all-zero series together
])
def test_panels_group_series_within_ten_times_of_each_other(magnitudes, grouped):
    series = [Series(f"m{i}", [None, m / 2, m]) for i, m in enumerate(magnitudes)]
    assert panels(series) == grouped


def test_missing_values_break_the_line():
    rows = daily(4)
    rows[2] = (rows[2][0], "r2", None, float("nan"))
    line = by_class(svg_of(history(rows)), "path", "series")[0].get("d")
    assert line.count("M") == 2


def test_buckets_are_times_and_run_counts_are_not_metrics():
    rows = [(T0 + timedelta(days=i), 24, 0.8, 900) for i in range(3)]
    times, series = metric_series(history(rows, ("bucket", "runs", "accuracy", "labeled")))
    assert times == [r[0] for r in rows] and [s.name for s in series] == ["accuracy", "labeled"]


def test_a_single_run_and_a_flat_line_still_draw():
    root = svg_of(history([(T0, "r0", 0.0, 5)]))
    assert len(by_class(root, "path", "series")) == 2


@pytest.mark.parametrize(("result", "message"), [
    (Result(["run_id", "accuracy"], [("r", 1.0)]), "no start_time or bucket column"),
    (Result(["start_time", "run_id"], [(T0, "r")]), "no numeric columns"),
])
def test_nothing_to_plot_is_an_error(result, message):
    with pytest.raises(ObsqlError, match=message):
        history_svg(result)


@pytest.mark.parametrize(("lo", "hi", "ticks"), [
    (0.0, 1.0, [0.0, 0.25, 0.5, 0.75, 1.0]),
    (0.754, 0.856, [0.75, 0.8, 0.85, 0.9]),
    (965, 6775, [0, 2000, 4000, 6000, 8000]),
    (0, 0, [0.0, 0.25, 0.5, 0.75, 1.0]),
    (5, 5, [4.5, 4.75, 5.0, 5.25, 5.5]),
])
def test_nice_ticks(lo, hi, ticks):
    assert nice_ticks(lo, hi, 4) == pytest.approx(ticks)


def test_plot_returns_a_chart_a_notebook_shows(tmp_path):
    made = chart(history(daily()))
    assert isinstance(made, Chart) and made._repr_svg_().startswith("<svg")
    made.save(tmp_path / "chart.svg")
    ET.parse(tmp_path / "chart.svg")


@pytest.mark.parametrize(("statement", "asked"), [
    ("history inference metric accuracy every 1 day", {"accuracy"}),
    ("history inference metric accuracy, estimated_accuracy, null_frac(fare) since 7 days ago",
     {"accuracy", "estimated_accuracy", "null_frac(fare)"}),
    ("history inference metric accuracy | where labeled > 10 | order by start_time desc", {"accuracy"}),
    ("history inference", None),  # every metric the component logs
    ("history inference metric accuracy | select start_time, accuracy, labeled", None),  # the pipe picks them
    ("runs of inference", None),
    ("", None),
    ("not oql at all", None),
])
def test_the_metrics_a_statement_asks_for(statement, asked):
    assert asked_metrics(statement) == asked


def test_bookkeeping_is_not_plotted_and_the_sparklines_agree():
    rows = [(T0 + timedelta(days=i), 24, 0.8, 0.78, 900, 1.5) for i in range(3)]
    columns = ["bucket", "runs", "accuracy", "estimated_accuracy", "labeled", "duration_s"]
    asked = Result(columns, rows, shape="history",
                   statement="history inference metric accuracy, estimated_accuracy every 1 day")
    assert [s.name for s in metric_series(asked)[1]] == ["accuracy", "estimated_accuracy"]
    assert [line.split()[0] for line in sparklines(asked, 80)] == ["accuracy", "estimated_accuracy"]
    paths = by_class(svg_of(asked), "path", "series")
    assert [p.get("data-metric") for p in paths] == ["accuracy", "estimated_accuracy"]
    labeled = Result(columns, rows, shape="history", statement="history inference metric accuracy, labeled")
    assert [s.name for s in metric_series(labeled)[1]] == ["accuracy", "labeled"]


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


@pytest.mark.parametrize(("lo", "hi", "labels"), [
    (at(2020, 1, 1), at(2020, 12, 31), [("Jan", "2020"), ("Mar", "2020"), ("May", "2020"), ("Jul", "2020"),
                                        ("Sep", "2020"), ("Nov", "2020")]),  # a year by day
    (at(2020, 1, 1), at(2020, 6, 30), [(m, "2020") for m in ("Jan", "Feb", "Mar", "Apr", "May", "Jun")]),
    (at(2020, 3, 1), at(2020, 3, 31), [(f"Mar {d}", "2020") for d in (1, 8, 15, 22)]),  # a month by day
    (at(2020, 3, 3), at(2020, 3, 12), [(f"Mar {d}", "2020") for d in (3, 5, 7, 9, 11)]),
    (at(2020, 1, 1, 0, 30), at(2020, 1, 1, 5, 30), [(f"0{h}:00", "Jan 1 2020") for h in range(1, 6)]),  # by run
    (at(2020, 1, 1, 20), at(2020, 1, 2, 8), [("20:00", "Jan 1 2020"), ("22:00", "Jan 1 2020"),
                                             ("00:00", "Jan 2 2020"), ("02:00", "Jan 2 2020"),
                                             ("04:00", "Jan 2 2020"), ("06:00", "Jan 2 2020"),
                                             ("08:00", "Jan 2 2020")]),
    (at(2020, 1, 1, 10, 3), at(2020, 1, 1, 10, 41), [(f"10:{m}0", "Jan 1 2020") for m in (1, 2, 3, 4)]),
    (at(2018, 2, 1), at(2023, 6, 1), [(str(y), "") for y in range(2019, 2024)]),
    (at(2020, 1, 1, 0, 30), at(2020, 1, 1, 0, 30), [("00:30", "Jan 1 2020")]),  # a single run
    (at(2020, 1, 1), at(2020, 1, 1), [("Jan 1", "2020")]),  # a single day
])
def test_time_ticks_fall_on_round_calendar_points(lo, hi, labels):
    ticks, unit = time_ticks(lo, hi)
    assert [tick_label(t, unit) for t in ticks] == labels
    assert all(lo <= t <= hi and t.second == 0 and t.microsecond == 0 for t in ticks)


def test_time_labels_are_neither_repeated_nor_crowded():
    rows = [(T0 + timedelta(hours=20 + 2 * i), f"r{i}", 0.8, 10) for i in range(7)]
    axis = by_class(svg_of(history(rows)), "g", "time-axis")[0]
    labels = by_class(axis, "text", "tick")
    assert [t.text for t in by_class(axis, "text", "tick-context")] == ["Jan 1 2020", "Jan 2 2020"]
    assert len({t.text for t in labels}) == len(labels)
    xs = [float(t.get("x")) for t in labels]
    widest = max(len(t.text) for t in labels)
    assert all(b - a > 7 * widest for a, b in zip(xs, xs[1:]))


def luminance(colour: str) -> float:
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_the_chart_reads_on_light_and_dark_themes():
    root = svg_of(history(daily(), bounds={"accuracy": 0.75}))
    [paper] = by_class(root, "rect", "paper")
    assert (paper.get("width"), paper.get("height")) == (root.get("width"), root.get("height"))
    [style] = root.iter(SVG + "style")
    assert "@media (prefers-color-scheme: dark)" in style.text and style.text == STYLE.removeprefix(
        "<style>").removesuffix("</style>")
    for ink, background in (LIGHT, DARK):
        assert f"color:{ink}" in STYLE and f"fill:{background}" in STYLE and contrast(ink, background) >= 7
        assert all(contrast(colour, background) >= 3 for colour in COLORS)
    assert root.get("fill") == "currentColor"
    assert all(t.get("fill") in (None, "currentColor") for t in root.iter(SVG + "text"))
    assert {e.get("stroke") for e in root.iter() if e.get("stroke")} <= {"currentColor", LIGHT[1], *COLORS}
