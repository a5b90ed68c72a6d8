"""Offline and online feature generation: shape, imputation, clipping and the intended skew."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from obsql.demo.features import (
    CLIPPED_COLUMNS,
    FEATURE_COLUMNS,
    MIN_DURATION_MIN,
    ONLINE_SKEWED_COLUMNS,
    fit_featuregen,
    make_features,
    make_features_online,
)
from obsql.demo.taxi import BROKEN_METER_DAY, SCHEMA

NO_CLIPPING = {"fare_median": 10.0, "clip_upper": {name: 1e9 for name in CLIPPED_COLUMNS}}


def one_trip(pickup: datetime, seconds: int = 600, distance: float = 2.0, **columns) -> pl.DataFrame:
    """A single card trip from Midtown Center to Union Square unless `columns` say otherwise."""
    row = {
        "VendorID": 2, "tpep_pickup_datetime": pickup, "tpep_dropoff_datetime": pickup + timedelta(seconds=seconds),
        "passenger_count": 1.0, "trip_distance": distance, "RatecodeID": 1.0, "store_and_fwd_flag": "N",
        "PULocationID": 161, "DOLocationID": 234, "payment_type": 1, "fare_amount": 10.0, "extra": 0.0,
        "mta_tax": 0.5, "tip_amount": 2.5, "tolls_amount": 0.0, "improvement_surcharge": 0.3, "total_amount": 13.3,
    }
    return pl.DataFrame([row | columns], schema=SCHEMA)


@pytest.fixture(scope="module")
def february(between) -> pl.DataFrame:
    """Two weeks around the broken-meter day, so some fares are missing."""
    return between(BROKEN_METER_DAY - timedelta(days=7), BROKEN_METER_DAY + timedelta(days=6))


@pytest.fixture(scope="module")
def params(february) -> dict:
    return fit_featuregen(february)


def test_params_survive_a_json_round_trip(params):
    assert json.loads(json.dumps(params)) == params
    assert set(params["clip_upper"]) == set(CLIPPED_COLUMNS)


@pytest.mark.parametrize("make", [make_features, make_features_online])
def test_one_float_row_per_trip_with_no_nulls_even_on_the_broken_meter_day(make, february, params):
    features = make(february, params)
    assert features.columns == list(FEATURE_COLUMNS)
    assert set(features.dtypes) == {pl.Float64}
    assert len(features) == len(february)
    assert features.null_count().sum_horizontal().item() == 0


def test_missing_fares_are_imputed_with_the_training_median(february, params):
    features = make_features(february, params)
    missing = february["fare_amount"].is_null()
    assert missing.any()
    assert features.filter(missing)["fare_amount"].eq(params["fare_median"]).all()
    assert features.filter(~missing)["fare_amount"].equals(
        february.drop_nulls("fare_amount")["fare_amount"].clip(0, params["clip_upper"]["fare_amount"])
    )


@pytest.mark.parametrize("make", [make_features, make_features_online])
def test_measurements_stay_within_the_fitted_bounds(make, between, params):
    features = make(between(date(2020, 1, 1), date(2020, 4, 30)), params)
    for name in CLIPPED_COLUMNS:
        assert features[name].min() >= 0
        assert features[name].max() <= params["clip_upper"][name]
    assert features["trip_duration_min"].min() >= MIN_DURATION_MIN


def test_online_and_offline_differ_only_in_the_skewed_columns(february, params):
    offline = make_features(february, params)
    online = make_features_online(february, params)
    matching = [name for name in FEATURE_COLUMNS if name not in ONLINE_SKEWED_COLUMNS]
    assert online.select(matching).equals(offline.select(matching))
    for name in ONLINE_SKEWED_COLUMNS:
        share_different = (online[name] != offline[name]).mean()
        assert share_different > 0.9, name
    duration_gap = (offline["trip_duration_min"] - online["trip_duration_min"]).mean()
    assert 0.3 < duration_gap < 0.7  # truncating to whole minutes loses half a minute on average
    assert (online["avg_speed_mph"] >= offline["avg_speed_mph"]).all()


@given(seconds=st.integers(1, 4 * 3600), distance=st.floats(0.0, 50.0))
def test_duration_is_exact_offline_and_truncated_minutes_online(seconds, distance):
    trip = one_trip(datetime(2020, 1, 8, 12), seconds=seconds, distance=distance)
    offline = make_features(trip, NO_CLIPPING).row(0, named=True)
    online = make_features_online(trip, NO_CLIPPING).row(0, named=True)
    assert offline["trip_duration_min"] == pytest.approx(max(seconds / 60, MIN_DURATION_MIN))
    assert online["trip_duration_min"] == max(seconds // 60, MIN_DURATION_MIN)
    for features in (offline, online):
        assert features["avg_speed_mph"] == pytest.approx(distance / features["trip_duration_min"] * 60)


@pytest.mark.parametrize(
    ("pickup", "hour", "weekday", "weekend", "night"),
    [
        (datetime(2020, 1, 6, 8, 15), 8, 0, 0, 0),  # Monday morning
        (datetime(2020, 1, 10, 21, 59), 21, 4, 0, 0),  # Friday, just before night
        (datetime(2020, 1, 11, 23, 30), 23, 5, 1, 1),  # Saturday night
        (datetime(2020, 1, 12, 5, 59), 5, 6, 1, 1),  # Sunday, last night hour
    ],
)
def test_time_features(pickup, hour, weekday, weekend, night):
    features = make_features(one_trip(pickup), NO_CLIPPING).row(0, named=True)
    assert (features["pickup_hour"], features["pickup_weekday"]) == (hour, weekday)
    assert (features["is_weekend"], features["is_night"]) == (weekend, night)


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        ({}, {"is_card": 1, "is_airport": 0, "is_flat_fare": 0, "pickup_in_manhattan": 1, "dropoff_in_manhattan": 1}),
        ({"payment_type": 2}, {"is_card": 0}),
        ({"DOLocationID": 132, "RatecodeID": 2.0}, {"is_airport": 1, "is_flat_fare": 1, "dropoff_in_manhattan": 0}),
        ({"PULocationID": 138}, {"is_airport": 1, "is_flat_fare": 0, "pickup_in_manhattan": 0}),
        ({"PULocationID": 61}, {"is_airport": 0, "pickup_in_manhattan": 0}),  # Crown Heights, Brooklyn
    ],
)
def test_trip_features(columns, expected):
    features = make_features(one_trip(datetime(2020, 1, 8, 12), **columns), NO_CLIPPING).row(0, named=True)
    assert {name: features[name] for name in expected} == expected
