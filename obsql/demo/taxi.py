"""Synthetic NYC TLC Yellow Taxi trips for the demo, with the incidents the papers describe baked in.

Each trip has the 17 columns of the TLC Yellow trip records under their real names and with the types of the
TLC Parquet files. Volume follows the day and the week; fares follow the 2020 meter (distance and time, a flat
fare to JFK); tips are recorded for card payments only, so cash trips show a tip of 0.

Every simulated hour draws its rows from its own random stream, seeded by (seed, hour), so the rows of an hour
never depend on the range requested: one call for January equals 31 calls of a day each.

The incidents, dated by the constants below so the demo and its checks can name them:
- BROKEN_METER_DAY: a meter fault loses the fare record (fare_amount and payment_type) of a large share of that
  day's trips (a data-integrity bug);
- COVID_VOLUME_START: trips fall to COVID_VOLUME_FACTOR of normal (covariate change in volume only);
- TIP_SHIFT_START: riders tip less for the same trip (concept shift: P(high tip | trip) drops, trips look alike).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import cache

import numpy as np
import polars as pl

BROKEN_METER_DAY = date(2020, 2, 18)
BROKEN_METER_NULL_SHARE = 0.6
COVID_VOLUME_START = date(2020, 3, 16)
COVID_VOLUME_FACTOR = 0.25
TIP_SHIFT_START = date(2020, 3, 22)
TIP_SHIFT_LOGIT = 1.5  # how much less likely a generous tip is after TIP_SHIFT_START, in log-odds

HIGH_TIP_SHARE = 0.2  # a tip above this share of the fare is a "high tip", the demo model's label

SCHEMA: dict[str, pl.DataType] = {
    "VendorID": pl.Int64(),
    "tpep_pickup_datetime": pl.Datetime("us"),
    "tpep_dropoff_datetime": pl.Datetime("us"),
    "passenger_count": pl.Float64(),
    "trip_distance": pl.Float64(),
    "RatecodeID": pl.Float64(),
    "store_and_fwd_flag": pl.String(),
    "PULocationID": pl.Int64(),
    "DOLocationID": pl.Int64(),
    "payment_type": pl.Int64(),
    "fare_amount": pl.Float64(),
    "extra": pl.Float64(),
    "mta_tax": pl.Float64(),
    "tip_amount": pl.Float64(),
    "tolls_amount": pl.Float64(),
    "improvement_surcharge": pl.Float64(),
    "total_amount": pl.Float64(),
}

# TLC taxi zones (ids from the TLC zone lookup).
JFK_ZONE = 132
LAGUARDIA_ZONE = 138
AIRPORT_ZONES = (JFK_ZONE, LAGUARDIA_ZONE)
MANHATTAN_ZONES = (
    4, 12, 13, 24, 41, 42, 43, 45, 48, 50, 68, 74, 75, 79, 87, 88, 90, 100, 103, 104, 105, 107, 113, 114, 116,
    120, 125, 127, 128, 137, 140, 141, 142, 143, 144, 148, 151, 152, 153, 158, 161, 162, 163, 164, 166, 170, 186,
    194, 202, 209, 211, 224, 229, 230, 231, 232, 233, 234, 236, 237, 238, 239, 243, 244, 246, 249, 261, 262, 263,
)
BUSY_MANHATTAN_ZONES = (48, 68, 79, 142, 161, 162, 163, 170, 186, 230, 234, 236, 237, 239)
_MANHATTAN_WEIGHTS = tuple(3.0 if z in BUSY_MANHATTAN_ZONES else 1.0 for z in MANHATTAN_ZONES)
OUTER_ZONES = tuple(z for z in range(2, 264) if z not in MANHATTAN_ZONES and z not in AIRPORT_ZONES)

# Relative trips per hour of day, Monday-Friday and Saturday-Sunday (see _mean_weekly_shape).
_WEEKDAY_HOURS = (
    5, 3, 2, 1.5, 1.5, 2.5, 6, 10, 12, 11, 10, 10, 11, 11, 11, 11, 11, 12, 14, 14, 12, 11, 10, 8,
)
_WEEKEND_HOURS = (
    10, 9, 7, 5, 3, 2, 2, 3, 5, 7, 9, 10, 11, 11, 11, 11, 11, 11, 11, 11, 10, 10, 10, 10,
)
_DAY_FACTOR = (0.9, 1.0, 1.0, 1.05, 1.1, 1.0, 0.85)  # Monday .. Sunday
_AVERAGE_SPEED_MPH = (
    17, 18, 18, 19, 19, 17, 14, 11, 9, 9, 10, 10, 10, 10, 10, 9.5, 9, 8.5, 9, 10, 12, 13, 14, 15,
)

# Where a trip goes: within Manhattan, to or from an airport, to or from the outer boroughs.
_KINDS = ("local", "airport", "outer")
_KIND_SHARE = (0.82, 0.08, 0.10)
_CARD_SHARE = {"local": 0.72, "airport": 0.82, "outer": 0.58}
_OTHER_PAYMENT_SHARE = 0.01  # no charge or dispute; the rest of the non-card trips pay cash
_PASSENGERS = (1, 2, 3, 4, 5, 6, 0)
_PASSENGER_SHARE = (0.70, 0.14, 0.04, 0.02, 0.05, 0.03, 0.02)
_JFK_FLAT_FARE = 52.0
_TOLL = 6.12

# The draws one trip takes from its hour's stream: uniforms by name, then two normals.
_UNIFORMS = (
    "second", "vendor", "passengers", "kind", "manhattan_end", "other_end", "direction", "ratecode", "payment",
    "tip_kind", "tip_share", "toll", "meter", "store_and_fwd",
)
_U = {name: i for i, name in enumerate(_UNIFORMS)}


def generate_trips(start: datetime, end: datetime, seed: int = 0, trips_per_hour: float = 40.0) -> pl.DataFrame:
    """Trips picked up in [start, end), sorted by pickup time; `trips_per_hour` is the pre-COVID average."""
    hours = _hours_covering(start, end)
    if not hours:
        return pl.DataFrame(schema=SCHEMA)
    draws = [_draw_hour(seed, hour, trips_per_hour) for hour in hours]
    counts = [len(uniforms) for uniforms, _ in draws]
    hour_starts = np.repeat(np.array(hours, dtype="datetime64[us]"), counts)
    uniforms = np.concatenate([u for u, _ in draws])
    normals = np.concatenate([n for _, n in draws])
    trips = _trips_from_draws(hour_starts, uniforms, normals)
    return trips.filter(pl.col("tpep_pickup_datetime").is_between(start, end, closed="left"))


def label(trips: pl.DataFrame) -> pl.Series:
    """`high_tip`: the tip exceeds 20% of the fare; null where the fare is missing."""
    return trips.select(high_tip=pl.col("tip_amount") > HIGH_TIP_SHARE * pl.col("fare_amount")).to_series()


def expected_trips_per_hour(hour: datetime, trips_per_hour: float = 40.0) -> float:
    """The mean number of trips picked up in the hour starting at `hour` (daily, weekly and COVID effects)."""
    weekday = hour.weekday()
    shape = _WEEKEND_HOURS if weekday >= 5 else _WEEKDAY_HOURS
    rate = trips_per_hour * shape[hour.hour] * _DAY_FACTOR[weekday] / _mean_weekly_shape()
    return rate * (COVID_VOLUME_FACTOR if hour.date() >= COVID_VOLUME_START else 1.0)


@cache
def _mean_weekly_shape() -> float:
    """The average of (hour shape x day factor) over a week, so `trips_per_hour` is the weekly mean rate."""
    total = sum(
        (_WEEKEND_HOURS if day >= 5 else _WEEKDAY_HOURS)[h] * _DAY_FACTOR[day] for day in range(7) for h in range(24)
    )
    return total / (7 * 24)


def _hours_covering(start: datetime, end: datetime) -> list[datetime]:
    first = start.replace(minute=0, second=0, microsecond=0)
    count = max(0, int(np.ceil((end - first) / timedelta(hours=1))))
    return [first + timedelta(hours=i) for i in range(count)]


def _draw_hour(seed: int, hour: datetime, trips_per_hour: float) -> tuple[np.ndarray, np.ndarray]:
    """All random numbers of one hour's trips, from a stream that depends only on (seed, hour)."""
    hour_number = int((hour - datetime(1970, 1, 1)) / timedelta(hours=1))
    rng = np.random.default_rng([seed, hour_number])
    n = rng.poisson(expected_trips_per_hour(hour, trips_per_hour))
    return rng.random((n, len(_UNIFORMS))), rng.standard_normal((n, 2))


def _pick(u: np.ndarray, values: tuple, shares: tuple[float, ...]) -> np.ndarray:
    """Map uniforms in [0, 1) to `values` drawn with the given shares."""
    cumulative = np.cumsum(shares) / np.sum(shares)
    return np.asarray(values)[np.minimum(np.searchsorted(cumulative, u, side="right"), len(values) - 1)]


def _trips_from_draws(hour_starts: np.ndarray, u: np.ndarray, normals: np.ndarray) -> pl.DataFrame:
    pickup = hour_starts + (u[:, _U["second"]] * 3600).astype("timedelta64[s]")
    pickup.sort()  # hours do not overlap, so this only reorders within each hour and keeps hours independent
    hour_of_day = pickup.astype("datetime64[h]").astype(np.int64) % 24
    weekday = (pickup.astype("datetime64[D]").astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday
    day = pickup.astype("datetime64[D]")

    kind = _pick(u[:, _U["kind"]], _KINDS, _KIND_SHARE)
    pickup_zone, dropoff_zone = _zones(kind, u)
    airport = kind == "airport"
    to_or_from_jfk = (pickup_zone == JFK_ZONE) | (dropoff_zone == JFK_ZONE)
    distance = _distance(kind, pickup_zone, dropoff_zone, normals[:, 0])
    speed = np.asarray(_AVERAGE_SPEED_MPH)[hour_of_day] * np.exp(0.25 * normals[:, 1]) * np.where(airport, 1.5, 1.0)
    minutes = 1.0 + distance / speed * 60.0
    dropoff = pickup + np.round(minutes * 60).astype("timedelta64[s]")

    flat_fare = to_or_from_jfk & (u[:, _U["ratecode"]] < 0.85)
    fare = np.where(flat_fare, _JFK_FLAT_FARE, np.round(2 * (2.5 + 2.0 * distance + 0.3 * minutes)) / 2)
    extra = _extra(hour_of_day, weekday)
    tolls = np.where((kind != "local") & (u[:, _U["toll"]] < 0.35), _TOLL, 0.0)
    passengers = _pick(u[:, _U["passengers"]], _PASSENGERS, _PASSENGER_SHARE)
    payment = _payment_type(kind, u[:, _U["payment"]])
    log_odds = _generous_tip_log_odds(hour_of_day, weekday, distance, pickup_zone, passengers, day)
    tip = np.round(_tip_share(u, payment, log_odds) * fare, 2)
    total = np.round(fare + extra + 0.5 + tip + tolls + 0.3, 2)
    meter_broken = (day == np.datetime64(BROKEN_METER_DAY)) & (u[:, _U["meter"]] < BROKEN_METER_NULL_SHARE)

    trips = pl.DataFrame(
        {
            "VendorID": _pick(u[:, _U["vendor"]], (1, 2), (0.33, 0.67)),
            "tpep_pickup_datetime": pickup,
            "tpep_dropoff_datetime": dropoff,
            "passenger_count": passengers.astype(float),
            "trip_distance": distance,
            "RatecodeID": np.where(flat_fare, 2.0, 1.0),
            "store_and_fwd_flag": np.where(u[:, _U["store_and_fwd"]] < 0.005, "Y", "N"),
            "PULocationID": pickup_zone,
            "DOLocationID": dropoff_zone,
            "payment_type": payment,
            "fare_amount": np.where(meter_broken, np.nan, fare),
            "extra": extra,
            "mta_tax": np.full(len(fare), 0.5),
            "tip_amount": tip,
            "tolls_amount": tolls,
            "improvement_surcharge": np.full(len(fare), 0.3),
            "total_amount": total,
        },
        schema=SCHEMA,
        nan_to_null=True,
    )
    return trips.with_columns(payment_type=pl.when(pl.Series(meter_broken)).then(None).otherwise("payment_type"))


def _zones(kind: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pickup and dropoff zones: one end in Manhattan, the other decided by the kind of trip."""
    manhattan_end = _pick(u[:, _U["manhattan_end"]], MANHATTAN_ZONES, _MANHATTAN_WEIGHTS)
    other_end = np.select(
        [kind == "local", kind == "airport"],
        [
            _pick(u[:, _U["other_end"]], MANHATTAN_ZONES, _MANHATTAN_WEIGHTS),
            _pick(u[:, _U["other_end"]], AIRPORT_ZONES, (0.55, 0.45)),
        ],
        _pick(u[:, _U["other_end"]], OUTER_ZONES, (1.0,) * len(OUTER_ZONES)),
    )
    leaving_manhattan = u[:, _U["direction"]] < 0.5
    return np.where(leaving_manhattan, manhattan_end, other_end), np.where(leaving_manhattan, other_end, manhattan_end)


def _distance(kind: np.ndarray, pickup_zone: np.ndarray, dropoff_zone: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """Trip miles: lognormal around a typical length for the kind of trip (JFK is farther than LaGuardia)."""
    jfk = (pickup_zone == JFK_ZONE) | (dropoff_zone == JFK_ZONE)
    median = np.select([kind == "local", jfk, kind == "airport"], [1.7, 17.5, 9.5], 5.5)
    spread = np.select([kind == "local", kind == "airport"], [0.6, 0.15], 0.5)
    return np.round(median * np.exp(spread * noise), 2)


def _extra(hour_of_day: np.ndarray, weekday: np.ndarray) -> np.ndarray:
    """The 2020 extras: $0.50 overnight (8pm-6am), $1 on weekday afternoons' rush (4pm-8pm)."""
    rush = (weekday < 5) & (hour_of_day >= 16) & (hour_of_day < 20)
    overnight = (hour_of_day >= 20) | (hour_of_day < 6)
    return np.select([rush, overnight], [1.0, 0.5], 0.0)


def _payment_type(kind: np.ndarray, u: np.ndarray) -> np.ndarray:
    """1 card, 2 cash, 3 no charge, 4 dispute; card is likelier to and from airports, cash to outer boroughs."""
    card_share = np.select([kind == "local", kind == "airport"], [_CARD_SHARE["local"], _CARD_SHARE["airport"]],
                           _CARD_SHARE["outer"])
    other = u >= 1 - _OTHER_PAYMENT_SHARE  # of these, two in three are "no charge", one in three a dispute
    return np.select([u < card_share, other & (u < 1 - _OTHER_PAYMENT_SHARE / 3), other], [1, 3, 4], 2)


def _generous_tip_log_odds(
    hour_of_day: np.ndarray,
    weekday: np.ndarray,
    distance: np.ndarray,
    pickup_zone: np.ndarray,
    passengers: np.ndarray,
    day: np.ndarray,
) -> np.ndarray:
    """How likely a card rider tips over 20%: more at night, at weekends, on short Manhattan rides; less in COVID."""
    night = (hour_of_day >= 22) | (hour_of_day < 6)
    return (
        0.6
        + 0.9 * night
        + 0.4 * (weekday >= 5)
        - 0.10 * np.minimum(distance, 20.0)
        + 0.4 * np.isin(pickup_zone, MANHATTAN_ZONES)
        - 0.3 * (passengers > 1)
        - TIP_SHIFT_LOGIT * (day >= np.datetime64(TIP_SHIFT_START))
    )


def _tip_share(u: np.ndarray, payment: np.ndarray, generous_log_odds: np.ndarray) -> np.ndarray:
    """The tip as a share of the fare: generous (over 20%), modest or none; cash tips are not recorded."""
    p_generous = 1 / (1 + np.exp(-generous_log_odds))
    tip_kind, share = u[:, _U["tip_kind"]], u[:, _U["tip_share"]]
    generous = tip_kind < p_generous
    modest = ~generous & (tip_kind < p_generous + 0.8 * (1 - p_generous))
    tip = np.select([generous, modest], [0.21 + 0.11 * share, 0.05 + 0.14 * share], 0.0)
    return np.where(payment == 1, tip, 0.0)
