"""History charts as SVG: parsed as XML and checked for their lines, axes, legend and SLA bounds."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone

import pytest

from obsql.result import Result
from obsql.errors import ObsqlError
from obsql.render.svg import Chart, chart, history_svg, metric_series, nice_ticks

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


def test_one_line_per_metric_in_a_panel_of_its_own():
    root = svg_of(history(daily()))
    panels = by_class(root, "g", "panel")
    assert [p.get("data-metric") for p in panels] == ["accuracy", "rows"]
    for panel in panels:
        [line] = by_class(panel, "path", "series")
        assert line.get("d").count("L") == 10 and line.get("d").startswith("M")
    assert [t.text for t in by_class(root, "g", "legend")[0].iter(SVG + "text")] == ["accuracy", "rows"]


def test_axes_have_a_few_labelled_ticks():
    root = svg_of(history(daily()))
    time_ticks = [t.text for t in by_class(root, "text", "tick") if t.text.startswith("2020")]
    assert 2 <= len(time_ticks) <= 10 and time_ticks == sorted(time_ticks)
    rows_panel = by_class(root, "g", "panel")[1]
    values = [float(t.text) for t in by_class(rows_panel, "text", "tick")]
    assert 3 <= len(values) <= 8 and values[0] <= 1000 and values[-1] >= 1090


def test_an_sla_bound_is_a_dashed_line_in_its_metrics_panel():
    root = svg_of(history(daily(), bounds={"accuracy": 0.75}))
    accuracy, rows = by_class(root, "g", "panel")
    [bound] = by_class(accuracy, "line", "bound")
    assert bound.get("stroke-dasharray") and not by_class(rows, "line", "bound")
    assert "bound 0.75" in [t.text for t in accuracy.iter(SVG + "text")]
    assert "bound" in [t.text for t in by_class(root, "g", "legend")[0].iter(SVG + "text")]


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
