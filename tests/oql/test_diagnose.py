"""`diagnose` names the upstream cause on an energy-forecasting pipeline with no checks written:

    calendar (day 0, static) -> holidays frame
    meters, weather (daily) -> readings frames (meter ids on every row; a weekly cycle in consumption)
    scaler (weekly) reads weather -> scaler/params-<day>.json
    features (daily) reads meters, weather, calendar and the newest scaler params -> features frame
      (a missing humidity is silently filled with 0)
    forecast (daily) reads features -> fc-<day>-<i> predictions, and logs its error as a metric

Each test logs one fault into its own store and asks the one natural question. Besides the null spike and the
stopped refit: a stuck weather sensor (temp_c constant from day 45), a concept shift (forecast's error grows from
day 45 while nothing upstream moves), and benign noise a diagnosis must not blame (a sentinel temperature of 999 in
one row on some days, meter volume doubling on holidays... see `BENIGN`).
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import polars as pl
import pytest

import obsql

T0 = datetime(2023, 5, 1, tzinfo=timezone.utc)
DAYS, ROWS = 60, 200
SPIKE = range(45, 50)  # weather's humidity mostly missing
REFIT_STOPS = 28  # the scaler's weekly refit silently skipped from here
FAULT_DAY = 45  # the stuck sensor and the concept shift begin
SENTINEL_DAYS = {9, 23, 38, 46}  # a station sends 999 for one reading: every pipeline's weather has these


def at(day: float) -> datetime:
    return T0 + timedelta(days=day)


def _log(component, day: float, inputs=(), outputs=(), metrics=None, values=None):
    with obsql.run(component, start=at(day), end=at(day) + timedelta(minutes=10)) as run:
        for name, value in inputs:
            run.add_input(value, name)
        for name, value in outputs:
            run.add_output(value, name, values=values if isinstance(value, list) else None)
        for name, value in (metrics or {}).items():
            run.log_metric(name, value)


def simulate(path, fault: str | None) -> obsql.Store:
    store = obsql.connect(path, sample_rows=100)
    rng = np.random.default_rng(11)
    holidays = pl.DataFrame({"date": [T0.date() + timedelta(days=d) for d in (0, 28)], "holiday": ["a", "b"]})
    _log(obsql.Component("calendar", static=True), 0, outputs=[("holidays", holidays)])
    params = None
    for day in range(DAYS):
        weekly = 10 * np.sin(2 * np.pi * day / 7)
        meters = pl.DataFrame({"meter_id": [f"m-{day}-{i}" for i in range(ROWS)],
                               "kwh": rng.normal(50 + weekly, 5, ROWS)})
        humidity = rng.normal(60, 10, ROWS)
        humidity[rng.random(ROWS) < (0.6 if fault == "null_spike" and day in SPIKE else 0.01)] = np.nan
        temp = rng.normal(15 + 0.15 * day, 3, ROWS)
        if day in SENTINEL_DAYS:
            temp[0] = 999.0
        if fault == "stuck_sensor" and day >= FAULT_DAY:
            temp[:] = 21.5
        weather = pl.DataFrame({"temp_c": temp, "humidity": humidity})
        _log("meters", day + 0.01, outputs=[("readings", meters)])
        _log("weather", day + 0.02, outputs=[("readings", weather)])
        if day % 7 == 0 and not (fault == "stale_refit" and day >= REFIT_STOPS):
            params = (f"scaler/params-{day}.json", float(weather["temp_c"].mean()), float(weather["temp_c"].std()))
            _log("scaler", day + 0.03, inputs=[("weather", weather)], outputs=[("params", params[0])])
        features = pl.DataFrame({"kwh_lag": meters["kwh"], "temp_scaled": (weather["temp_c"] - params[1]) / params[2],
                                 "humidity": weather["humidity"].fill_nan(None).fill_null(0.0)})
        _log("features", day + 0.04, inputs=[("meters", meters), ("weather", weather), ("calendar", holidays),
                                             ("params", params[0])], outputs=[("features", features)])
        ids = [f"fc-{day}-{i}" for i in range(ROWS)]
        error = abs(features["temp_scaled"].mean()) + 0.02 * rng.random()
        error += 0.3 if fault == "concept" and day >= FAULT_DAY else 0.0
        _log("forecast", day + 0.05, inputs=[("features", features)], outputs=[("ids", ids)],
             metrics={"mape": 0.1 + error}, values=list(features["kwh_lag"]))
    store.flush()
    return store


def diagnose(store: obsql.Store, window: str) -> list[dict]:
    return store.engine.run(f"diagnose forecast {window}", now=at(DAYS))[-1].to_dicts()


@pytest.fixture(scope="module", params=["null_spike", "stale_refit", "stuck_sensor", "concept", None])
def pipeline(request, tmp_path_factory):
    return request.param, simulate(tmp_path_factory.mktemp("energy") / "store", request.param)


def test_the_first_suspect_is_the_injected_fault(pipeline):
    fault, store = pipeline
    if fault is None:
        pytest.skip("the control has no fault to name: see test_a_healthy_window_has_no_strong_suspect")
    window = {"null_spike": "between @2023-06-16 and @2023-06-18", "stale_refit": "between @2023-06-20 and @2023-06-27",
              "stuck_sensor": "between @2023-06-15 and @2023-06-18", "concept": "between @2023-06-15 and @2023-06-18"}
    first = diagnose(store, window[fault])[0]
    expected = {"null_spike": ("weather", "data", "humidity"), "stale_refit": ("scaler", "stale", "features"),
                "stuck_sensor": ("weather", "data", "temp_c"), "concept": ("forecast", "concept", "")}[fault]
    assert (first["component"], first["kind"], first["subject"]) == expected, first
    assert first["rank"] == 1 and first["evidence"]


def test_the_silently_filled_column_downstream_counts_as_an_echo(pipeline):
    fault, store = pipeline
    if fault != "null_spike":
        pytest.skip("only the null spike has an echo")
    rows = diagnose(store, "between @2023-06-16 and @2023-06-18")
    echo = next(r for r in rows if r["component"] == "features" and r["subject"] == "humidity")
    assert "also changed upstream" in echo["evidence"] and echo["score"] < rows[0]["score"]


def test_identifier_columns_and_the_static_calendar_are_never_suspects(pipeline):
    fault, store = pipeline
    rows = diagnose(store, "between @2023-06-16 and @2023-06-27")
    assert not any(r["component"] == "calendar" for r in rows)
    assert not any(r["subject"] == "meter_id" for r in rows)


def test_a_healthy_window_has_no_strong_suspect(pipeline):
    fault, store = pipeline
    if fault is not None:
        pytest.skip("the control only")
    rows = diagnose(store, "between @2023-06-16 and @2023-06-27")
    assert all(r["score"] < 20 for r in rows), rows[:3]


def test_with_nothing_upstream_moved_the_answer_is_concept_drift(pipeline):
    fault, store = pipeline
    if fault is not None:
        pytest.skip("the control only")
    first = diagnose(store, "between @2023-06-15 and @2023-06-18")[0]
    assert (first["component"], first["kind"]) == ("forecast", "concept"), first


def test_a_sentinel_value_in_one_row_is_not_a_change_of_the_data(pipeline):
    fault, store = pipeline
    if fault is not None:
        pytest.skip("the control only")
    rows = diagnose(store, "between @2023-06-15 and @2023-06-18")  # day 46 has a 999 among 200 temperatures
    assert not [r for r in rows if r["subject"] == "temp_c" and r["score"] >= 4], rows[:3]


def test_a_metric_that_moved_alone_is_folded_into_the_concept_suspect(pipeline):
    fault, store = pipeline
    if fault != "concept":
        pytest.skip("the concept shift only")
    rows = diagnose(store, "between @2023-06-15 and @2023-06-18")
    assert rows[0]["score"] > 4 and "mape" in rows[0]["evidence"]
    assert not any(r["kind"] == "metric" and r["subject"] == "mape" for r in rows)


def test_what_was_already_upstream_of_good_outputs_explains_nothing(tmp_path):
    """A reference run (its size metric off) that every output of both the bad range and the range before it
    depends on cannot explain what changed; asked about the days right after it ran, it can."""
    store = obsql.connect(tmp_path / "store")
    for day in range(40):
        if day <= 30:
            _log("reference", day, outputs=[("table", f"ref-{day}.parquet")],
                 metrics={"size": 500.0 if day == 30 else 100.0 + day % 3})
        _log("use", day + 0.5, inputs=[("table", f"ref-{min(day, 30)}.parquet")], outputs=[("out", f"out-{day}")])
    store.flush()

    def mentions_size(window: str) -> bool:
        rows = store.engine.run(f"diagnose use {window}", now=at(40))[-1].to_dicts()
        return any("size" in row["evidence"] or row["subject"] == "size" for row in rows)

    assert mentions_size("between @2023-05-31 and @2023-06-02")  # days 30 and 31: the new reference is new
    assert not mentions_size("between @2023-06-06 and @2023-06-08")  # days 36, 37: as upstream of days 32, 33


def test_the_answer_is_a_table_ranked_by_score_with_pipes(pipeline):
    _, store = pipeline
    rows = store.engine.run("diagnose forecast since @2023-06-20 | where kind = 'data' | select rank, score",
                            now=at(DAYS))[-1].rows
    assert [score for _, score in rows] == sorted((score for _, score in rows), reverse=True)


def test_an_unknown_component_is_named_with_the_nearest(pipeline):
    _, store = pipeline
    with pytest.raises(obsql.ObsqlError) as caught:
        store.query("diagnose forcast since @2023-06-20")
    assert caught.value.suggestion == "did you mean 'forecast'?"


def test_a_window_without_outputs_is_empty(pipeline):
    _, store = pipeline
    assert store.query("diagnose forecast between @2020-01-01 and @2020-01-02").rows == []
