"""Feature generation for the demo's tip model, in two flavours that should agree but do not quite.

`fit_featuregen` learns the parameters from training trips (the fare to impute and upper clipping bounds);
`make_features` is the offline code training uses and `make_features_online` is the inference endpoint's copy.
The two differ on purpose, as such copies do in practice: online the trip duration arrives in whole minutes
(truncated), so `trip_duration_min` and the `avg_speed_mph` derived from it drift from their offline values while
every other feature matches exactly. This is the skew the system paper's example 4.3 finds with a cross-component
query.

Missing fares (the broken-meter day) are imputed with the training median and a missing payment type counts as
"not a card", not dropped, so every trip gets a row and rows stay aligned with the input trips. (The model leans on
`is_card`, so the broken-meter day costs accuracy sharply.)
"""
from __future__ import annotations

import polars as pl

from obsql.demo.taxi import AIRPORT_ZONES, MANHATTAN_ZONES

FEATURE_COLUMNS: tuple[str, ...] = (
    "pickup_hour",
    "pickup_weekday",
    "is_weekend",
    "is_night",
    "passenger_count",
    "trip_distance",
    "trip_duration_min",
    "avg_speed_mph",
    "fare_amount",
    "is_card",
    "is_airport",
    "is_flat_fare",
    "pickup_in_manhattan",
    "dropoff_in_manhattan",
)
ONLINE_SKEWED_COLUMNS: tuple[str, ...] = ("trip_duration_min", "avg_speed_mph")
CLIPPED_COLUMNS: tuple[str, ...] = ("trip_distance", "trip_duration_min", "avg_speed_mph", "fare_amount")

CLIP_QUANTILE = 0.995
MIN_DURATION_MIN = 1.0  # shorter trips are treated as one minute long, so speeds stay finite
NIGHT_HOURS = (22, 23, 0, 1, 2, 3, 4, 5)
CARD_PAYMENT = 1
JFK_FLAT_RATE = 2

_ELAPSED = pl.col("tpep_dropoff_datetime") - pl.col("tpep_pickup_datetime")
_EXACT_MINUTES = _ELAPSED.dt.total_seconds(fractional=True) / 60
_WHOLE_MINUTES = _ELAPSED.dt.total_minutes().cast(pl.Float64)


def fit_featuregen(trips: pl.DataFrame) -> dict:
    """Parameters learnt from training trips; plain floats so they can be logged and saved as JSON."""
    measured = _measured(trips, _EXACT_MINUTES)
    return {
        "fare_median": trips["fare_amount"].median(),
        "clip_upper": {name: measured[name].quantile(CLIP_QUANTILE) for name in CLIPPED_COLUMNS},
    }


def make_features(trips: pl.DataFrame, params: dict) -> pl.DataFrame:
    """Offline features (as training computes them), one row per trip, columns FEATURE_COLUMNS."""
    return _features(trips, params, _EXACT_MINUTES)


def make_features_online(trips: pl.DataFrame, params: dict) -> pl.DataFrame:
    """Online features (as the inference endpoint computes them): durations come in whole minutes."""
    return _features(trips, params, _WHOLE_MINUTES)


def _measured(trips: pl.DataFrame, duration_minutes: pl.Expr) -> pl.DataFrame:
    """The continuous measurements before imputation and clipping."""
    duration = duration_minutes.clip(lower_bound=MIN_DURATION_MIN)
    return trips.select(
        pl.col("trip_distance"),
        duration.alias("trip_duration_min"),
        (pl.col("trip_distance") / duration * 60).alias("avg_speed_mph"),
        pl.col("fare_amount"),
    )


def _features(trips: pl.DataFrame, params: dict, duration_minutes: pl.Expr) -> pl.DataFrame:
    pickup = pl.col("tpep_pickup_datetime")
    weekday = pickup.dt.weekday() - 1  # Monday is 0
    direct = trips.select(
        pickup_hour=pickup.dt.hour(),
        pickup_weekday=weekday,
        is_weekend=weekday >= 5,
        is_night=pickup.dt.hour().is_in(NIGHT_HOURS),
        passenger_count=pl.col("passenger_count"),
        is_card=(pl.col("payment_type") == CARD_PAYMENT).fill_null(False),  # an unrecorded payment is not a card
        is_airport=pl.col("PULocationID").is_in(AIRPORT_ZONES) | pl.col("DOLocationID").is_in(AIRPORT_ZONES),
        is_flat_fare=pl.col("RatecodeID") == JFK_FLAT_RATE,
        pickup_in_manhattan=pl.col("PULocationID").is_in(MANHATTAN_ZONES),
        dropoff_in_manhattan=pl.col("DOLocationID").is_in(MANHATTAN_ZONES),
    )
    measured = _measured(trips, duration_minutes).with_columns(pl.col("fare_amount").fill_null(params["fare_median"]))
    clipped = measured.select(
        pl.col(name).clip(0.0, params["clip_upper"][name]) for name in CLIPPED_COLUMNS
    )
    return pl.concat([direct, clipped], how="horizontal").select(
        pl.col(name).cast(pl.Float64) for name in FEATURE_COLUMNS
    )
