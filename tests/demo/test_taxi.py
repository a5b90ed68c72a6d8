"""The synthetic trips: schema, determinism, plausibility and the three incidents."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from obsql.demo.taxi import (
    BROKEN_METER_DAY,
    COVID_VOLUME_FACTOR,
    COVID_VOLUME_START,
    JFK_ZONE,
    SCHEMA,
    TIP_SHIFT_START,
    expected_trips_per_hour,
    generate_trips,
    label,
)

TLC_YELLOW_COLUMNS = [
    ("VendorID", pl.Int64),
    ("tpep_pickup_datetime", pl.Datetime("us")),
    ("tpep_dropoff_datetime", pl.Datetime("us")),
    ("passenger_count", pl.Float64),
    ("trip_distance", pl.Float64),
    ("RatecodeID", pl.Float64),
    ("store_and_fwd_flag", pl.String),
    ("PULocationID", pl.Int64),
    ("DOLocationID", pl.Int64),
    ("payment_type", pl.Int64),
    ("fare_amount", pl.Float64),
    ("extra", pl.Float64),
    ("mta_tax", pl.Float64),
    ("tip_amount", pl.Float64),
    ("tolls_amount", pl.Float64),
    ("improvement_surcharge", pl.Float64),
    ("total_amount", pl.Float64),
]

WINDOW_START = datetime(2020, 1, 31, 20)
WINDOW_END = WINDOW_START + timedelta(days=2)


def card_high_tip_rate(trips: pl.DataFrame) -> float:
    card = trips.filter(pl.col("payment_type") == 1)
    return label(card).mean()


def test_the_17_tlc_yellow_columns_with_their_types(trips):
    assert list(trips.schema.items()) == TLC_YELLOW_COLUMNS
    assert dict(SCHEMA) == dict(TLC_YELLOW_COLUMNS)


def test_same_seed_gives_the_same_trips_and_another_seed_others():
    start, end = datetime(2020, 3, 1), datetime(2020, 3, 2)
    first = generate_trips(start, end, seed=7)
    assert first.equals(generate_trips(start, end, seed=7))
    assert not first.equals(generate_trips(start, end, seed=8))


def test_day_by_day_equals_one_range(between):
    days = [datetime(2020, 2, 28) + timedelta(days=i) for i in range(3)]
    one_by_one = pl.concat([generate_trips(day, day + timedelta(days=1)) for day in days])
    assert one_by_one.equals(generate_trips(days[0], days[-1] + timedelta(days=1)))
    assert one_by_one.equals(between(days[0].date(), days[-1].date()))


@settings(max_examples=30)
@given(
    start_minute=st.integers(0, 48 * 60),
    length_minutes=st.integers(0, 6 * 60),
)
def test_any_sub_range_is_a_slice_of_a_larger_range(start_minute, length_minutes):
    window = generate_trips(WINDOW_START, WINDOW_END, trips_per_hour=10)
    start = WINDOW_START + timedelta(minutes=start_minute)
    end = min(start + timedelta(minutes=length_minutes), WINDOW_END)
    expected = window.filter(pl.col("tpep_pickup_datetime").is_between(start, end, closed="left"))
    assert generate_trips(start, end, trips_per_hour=10).equals(expected)


def test_trips_are_sorted_and_end_after_they_start(trips):
    assert trips["tpep_pickup_datetime"].is_sorted()
    assert (trips["tpep_dropoff_datetime"] > trips["tpep_pickup_datetime"]).all()


def test_cash_and_other_payments_record_no_tip(trips):
    assert trips.filter(pl.col("payment_type") != 1)["tip_amount"].eq(0).all()
    assert set(trips["payment_type"].drop_nulls().unique()) == {1, 2, 3, 4}


def test_total_is_the_sum_of_its_parts(trips):
    parts = ["fare_amount", "extra", "mta_tax", "tip_amount", "tolls_amount", "improvement_surcharge"]
    metered = trips.drop_nulls("fare_amount")
    difference = metered.select((pl.sum_horizontal(parts) - pl.col("total_amount")).abs().max()).item()
    assert difference < 0.011


def test_metered_fares_follow_distance_and_flat_fares_touch_jfk(trips):
    metered = trips.filter(pl.col("RatecodeID") == 1).drop_nulls("fare_amount")
    assert metered.select(pl.corr("trip_distance", "fare_amount")).item() > 0.9
    flat = trips.filter(pl.col("RatecodeID") == 2)
    assert len(flat) > 0
    assert ((flat["PULocationID"] == JFK_ZONE) | (flat["DOLocationID"] == JFK_ZONE)).all()
    assert flat.drop_nulls("fare_amount")["fare_amount"].eq(52.0).all()


@pytest.mark.parametrize(
    ("busier", "quieter"),
    [
        (datetime(2020, 1, 8, 18), datetime(2020, 1, 8, 4)),  # a Wednesday evening vs the small hours
        (datetime(2020, 1, 8, 8), datetime(2020, 1, 11, 8)),  # weekday morning vs Saturday morning
        (datetime(2020, 1, 11, 1), datetime(2020, 1, 8, 1)),  # Saturday night vs a weeknight
        (datetime(2020, 3, 9, 18), datetime(2020, 3, 16, 18)),  # the Monday before the lockdown vs after
    ],
)
def test_volume_follows_the_day_the_week_and_the_lockdown(busier, quieter):
    assert expected_trips_per_hour(busier) > 1.5 * expected_trips_per_hour(quieter)


def test_trips_per_hour_is_the_average_over_a_normal_week():
    week = [datetime(2020, 1, 6) + timedelta(hours=h) for h in range(7 * 24)]
    assert sum(expected_trips_per_hour(hour, 25.0) for hour in week) / len(week) == pytest.approx(25.0)


@pytest.mark.parametrize("column", ["fare_amount", "payment_type"])
def test_the_broken_meter_day_blanks_many_fare_records_and_no_other_day_does(trips, column):
    null_share = trips.group_by(pl.col("tpep_pickup_datetime").dt.date().alias("day")).agg(
        pl.col(column).is_null().mean().alias("null_share")
    )
    broken = null_share.filter(pl.col("day") == BROKEN_METER_DAY)["null_share"].item()
    assert broken > 0.4
    assert null_share.filter(pl.col("day") != BROKEN_METER_DAY)["null_share"].max() == 0


def test_volume_drops_from_the_lockdown(between):
    before = between(COVID_VOLUME_START - timedelta(days=28), COVID_VOLUME_START - timedelta(days=1))
    after = between(COVID_VOLUME_START, COVID_VOLUME_START + timedelta(days=27))
    assert len(after) / len(before) == pytest.approx(COVID_VOLUME_FACTOR, abs=0.05)


def test_riders_tip_less_after_the_shift_for_broadly_similar_trips(between):
    before = between(date(2020, 2, 1), date(2020, 2, 29))
    lockdown_not_shifted = between(COVID_VOLUME_START, TIP_SHIFT_START - timedelta(days=1))
    after = between(TIP_SHIFT_START, date(2020, 4, 30))

    assert card_high_tip_rate(lockdown_not_shifted) == pytest.approx(card_high_tip_rate(before), abs=0.05)
    assert card_high_tip_rate(after) < card_high_tip_rate(before) - 0.2

    for measure, tolerance in [
        (pl.col("trip_distance").median(), 0.15),
        (pl.col("passenger_count").mean(), 0.1),
        ((pl.col("payment_type") == 1).mean(), 0.03),
        ((pl.col("RatecodeID") == 2).mean(), 0.02),
        (pl.col("tpep_pickup_datetime").dt.hour().mean(), 0.5),
    ]:
        assert after.select(measure).item() == pytest.approx(before.select(measure).item(), abs=tolerance)


@pytest.mark.parametrize(
    ("tip", "fare", "expected"),
    [(2.01, 10.0, True), (2.0, 10.0, False), (0.0, 10.0, False), (0.0, 0.0, False), (3.0, None, None)],
)
def test_label_is_a_tip_above_20_percent_of_the_fare(tip, fare, expected):
    trips = pl.DataFrame({"tip_amount": [tip], "fare_amount": [fare]}, schema={"tip_amount": pl.Float64,
                                                                               "fare_amount": pl.Float64})
    assert label(trips).to_list() == [expected]
    assert label(trips).name == "high_tip"
