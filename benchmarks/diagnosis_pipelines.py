"""Two simulated pipelines, card fraud and store demand, with injectable faults: the ground truth of a diagnosis
benchmark.

    python benchmarks/diagnosis_pipelines.py --root /tmp/diagnosis [--days 182] [--seed 0] [--jobs 2]

`simulate(pipeline, fault, store_path, days=182, seed=0)` logs one pipeline's daily batches into a new obsql store
and returns the `GroundTruth` of the fault it injected. Both pipelines are modelled on what teams run, not on what
obsql answers well: several ingest sources, reference tables loaded once, a daily join, a feature step whose
parameters are refit on a schedule, a weekly model refit over a window of daily feature files (so each ingest run
is read by several trainings), daily scoring whose predictions carry their scores, labels that come back hours to
days later (a share never), a business metric with an SLA on the scoring component, and checks where teams put them
(key columns at ingest, a gate on the holdout metric at training), none elsewhere. The data have identifier columns,
a weekly cycle, holidays, noise and a low rate of missing values. Everything is deterministic per seed, and a fault
changes only what it is about: each concern draws from its own random stream. Before the first day the pipelines'
history is built without logging (the lake as it was when obsql was added), so the first refits have data.

fraud: a card issuer's post-authorisation review queue, from Monday 2023-09-04 (the shopping season from Black
  Friday to Christmas straddles the two halves). Daily: ingest_card_txns, ingest_device_signals (a risk vendor's
  feed), ingest_merchant_feed (the acquirer's snapshot), ingest_fraud_labels (disputes and settlements that
  arrived), join_txns (with the static load_mcc_codes table), fit_encoder (fill values, amount clip, and merchant
  fraud rates from the last week of labelled transactions in a 28-day window: fraud rings work a merchant for weeks
  and move on), build_features, score_txns (every transaction of the day, ~500; SLA on the recall of the review
  queue). Mondays: train_fraud_model (logistic regression over 28 daily feature files).
demand: a grocer's forecast of each day's units per store and product (12 x 25 series), from Monday 2024-01-01
  (Presidents' Day, Easter, Memorial Day; the spring warms through the second half). Daily: ingest_pos_sales
  (receipt lines), ingest_weather (observations and the day's forecast per store), ingest_promotions (the
  promotions running), build_daily_panel (with the static load_store_calendar and load_product_catalog tables),
  build_features, score_demand (300 forecasts; SLA on their WAPE). Mondays: fit_scaler (weather fill value and clip
  bounds, series levels), train_forecaster (ridge regression over 56 daily feature files).
Business metrics are over the predictions of the last week whose labels have come back.

Faults (`FAULTS`), from a date in the second half of the period drawn from the seed (or `fault_start_day`):
  null_spike     a source delivers a column 60% null for 5-9 days; the code reading it fills the nulls silently
  concept_shift  how the label depends on the features changes; the features' distributions do not
  skew           the scoring (serving) code computes one feature differently from the training path
  stale_refit    the feature-fitting step silently stops running for 4-6 weeks while the data keep drifting
What each names, and why, is in `GroundTruth`; how each is injected, in `PIPELINES`.
"""
from __future__ import annotations

import argparse
import heapq
import time as wall
import zlib
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

import obsql

FAULTS = ("none", "null_spike", "concept_shift", "skew", "stale_refit")
DEFAULT_DAYS = 182
NULL_SPIKE_SHARE = 0.6
NULL_SPIKE_DAYS = (5, 10)  # a spike lasts 5 to 9 days
STALE_REFIT_WEEKS = (4, 7)  # the feature-fitting step does not run for 4 to 6 weeks
PERSISTING_LEAD_DAYS = 21  # a fault that does not end starts at least three weeks before the period does
METRIC_WINDOW = timedelta(days=7)  # business metrics are over the labelled predictions of the last week
SERVING_STALENESS_DAYS = 7  # what scoring reads is refit at least weekly: older than a week is stale


@dataclass(frozen=True)
class GroundTruth:
    """What was injected, where a diagnosis should point.

    `component` is the one a user should be pointed at, None for the control:
    - null_spike: the ingest source that delivered the column mostly null (`column`): the data went bad there, even
      though nothing fails there and the harm shows only in the scoring component's predictions;
    - concept_shift: the scoring component, `column` None: nothing upstream changed (the features' distributions
      did not move), the labels' relationship to the features did, so the honest answer is "the model is out of date"
      at the point where its predictions and the labels meet;
    - skew: the scoring component, `column` the feature its serving code computes differently from training;
    - stale_refit: the feature-fitting component whose scheduled refit stopped running, `column` None (its
      parameters are stale as a whole).
    `start` is the first day of the fault (for the control, a date drawn as the faults' are, so the control can be
    asked the same questions over the same range); `end` is the first day without it (None: it lasts to the end).
    """

    pipeline: str
    fault: str
    component: str | None
    column: str | None
    start: date
    end: date | None
    scoring_component: str
    description: str


@dataclass(frozen=True)
class FaultPlan:
    kind: str
    start: date
    end: date | None

    def active(self, kind: str, day: date) -> bool:
        return self.kind == kind and self.start <= day and (self.end is None or day < self.end)


def random_stream(seed: int, *keys: object) -> np.random.Generator:
    """An independent generator per concern (and day), so that injecting a fault leaves every other draw as it was."""
    return np.random.default_rng([seed, *(zlib.crc32(str(key).encode()) for key in keys)])


def plan_fault(pipeline: str, fault: str, first_day: date, days: int, seed: int,
               fault_start_day: int | None = None) -> FaultPlan:
    """When the fault starts (in the second half, drawn from the seed, unless `fault_start_day` forces it) and ends."""
    if fault not in FAULTS:
        raise ValueError(f"unknown fault {fault!r}: one of {', '.join(FAULTS)}")
    rng = random_stream(seed, pipeline, "fault", fault)
    length = {"null_spike": int(rng.integers(*NULL_SPIKE_DAYS)),
              "stale_refit": 7 * int(rng.integers(*STALE_REFIT_WEEKS))}.get(fault)
    if fault_start_day is None:
        latest = max(days // 2, days - (length or PERSISTING_LEAD_DAYS) - 7)
        fault_start_day = int(rng.integers(days // 2, latest + 1))
    start = first_day + timedelta(days=fault_start_day)
    if fault == "stale_refit":
        start += timedelta(days=-start.weekday() % 7)  # the first refit that does not run is a Monday's
    return FaultPlan(fault, start, None if length is None else start + timedelta(days=length))


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=timezone.utc)


def uuids(rng: np.random.Generator, n: int) -> list[str]:
    """n identifiers shaped like version-4 UUIDs."""
    digits = rng.bytes(16 * n).hex()
    return [f"{d[:8]}-{d[8:12]}-4{d[13:16]}-{d[16:20]}-{d[20:32]}"
            for d in (digits[i:i + 32] for i in range(0, 32 * n, 32))]


def with_nulls(frame: pl.DataFrame, rng: np.random.Generator, shares: dict[str, float]) -> pl.DataFrame:
    """`frame` with each named column nulled at random in the given share of rows."""
    return frame.with_columns(pl.when(pl.Series(rng.random(frame.height) < share)).then(None)
                              .otherwise(pl.col(name)).alias(name) for name, share in shares.items())


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


class Lake:
    """Where the pipelines keep their files: path -> frame or artifact (obsql sees the paths, as with real files)."""

    def __init__(self) -> None:
        self.files: dict[str, Any] = {}

    def write(self, path: str, content: Any) -> str:
        self.files[path] = content
        return path

    def read(self, path: str) -> Any:
        return self.files[path]

    def frames(self, paths: list[str]) -> pl.DataFrame:
        return pl.concat([self.files[path] for path in paths], how="vertical_relaxed")


class PendingLabels:
    """Labels on their way, released when simulated time reaches their arrival."""

    def __init__(self) -> None:
        self._heap: list[tuple] = []

    def push(self, arrival: datetime, key: str, *payload: Any) -> None:
        heapq.heappush(self._heap, (arrival, key, *payload))

    def arrived(self, until: datetime) -> list[tuple]:
        released = []
        while self._heap and self._heap[0][0] <= until:
            released.append(heapq.heappop(self._heap))
        return released


class LabelJoin:
    """The team's join of predictions with the labels that came back, which recent business metrics are computed on."""

    def __init__(self) -> None:
        self.times: list[datetime] = []
        self.scores: list[np.ndarray] = []
        self.labels: list[np.ndarray] = []
        self.where: dict[str, tuple[int, int]] = {}

    def predicted(self, ids: list[str], scores: np.ndarray, moment: datetime) -> None:
        batch = len(self.times)
        self.times.append(moment)
        self.scores.append(np.asarray(scores, dtype=float))
        self.labels.append(np.full(len(ids), np.nan))
        self.where.update((pointer, (batch, row)) for row, pointer in enumerate(ids))

    def knows(self, pointer: str) -> bool:
        return pointer in self.where

    def labelled(self, ids: list[str], labels: list[float]) -> None:
        for pointer, label in zip(ids, labels):
            batch, row = self.where[pointer]
            self.labels[batch][row] = label

    def recent(self, moment: datetime) -> tuple[np.ndarray, np.ndarray]:
        """(scores, labels) of the predictions of the last METRIC_WINDOW whose labels have come."""
        chosen = [i for i, t in enumerate(self.times) if moment - METRIC_WINDOW <= t < moment]
        if not chosen:
            return np.zeros(0), np.zeros(0)
        scores = np.concatenate([self.scores[i] for i in chosen])
        labels = np.concatenate([self.labels[i] for i in chosen])
        known = ~np.isnan(labels)
        return scores[known], labels[known]


# -- small models, numpy only --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LinearModel:
    """Weights over standardised named columns; a logistic model returns probabilities."""

    columns: tuple[str, ...]
    means: np.ndarray
    scales: np.ndarray
    weights: np.ndarray
    intercept: float
    logistic: bool

    def predict(self, design: pl.DataFrame) -> np.ndarray:
        z = (design.select(self.columns).to_numpy() - self.means) / self.scales @ self.weights + self.intercept
        return sigmoid(z) if self.logistic else z


def fit_linear(design: pl.DataFrame, target: np.ndarray, *, logistic: bool, l2: float) -> LinearModel:
    """L2-regularised least squares, or logistic regression by Newton steps, on standardised columns."""
    raw = design.to_numpy().astype(float)
    means, spreads = raw.mean(axis=0), raw.std(axis=0)
    scales = np.where(spreads > 0, spreads, 1.0)
    x = np.column_stack([np.ones(len(raw)), (raw - means) / scales])
    penalty = np.diag(np.r_[0.0, np.full(raw.shape[1], l2)])
    if logistic:
        coefficients = newton_logistic(x, target, penalty)
    else:
        coefficients = np.linalg.solve(x.T @ x + penalty, x.T @ target)
    return LinearModel(tuple(design.columns), means, scales, coefficients[1:], float(coefficients[0]), logistic)


def newton_logistic(x: np.ndarray, y: np.ndarray, penalty: np.ndarray, steps: int = 25) -> np.ndarray:
    coefficients = np.zeros(x.shape[1])
    for _ in range(steps):
        p = sigmoid(x @ coefficients)
        step = np.linalg.solve((x.T * (p * (1 - p))) @ x + penalty, x.T @ (p - y) + penalty @ coefficients)
        coefficients -= step
        if np.max(np.abs(step)) < 1e-8:
            break
    return coefficients


def auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """The probability that a random positive scores above a random negative (NaN without both)."""
    positive = labels == 1
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = np.empty(len(scores))
    ranks[np.argsort(scores)] = np.arange(1, len(scores) + 1)
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def wape(forecasts: np.ndarray, actuals: np.ndarray) -> float:
    """Weighted absolute percentage error: total absolute error over total actual (NaN without actuals)."""
    total = float(np.sum(actuals))
    return float(np.sum(np.abs(forecasts - actuals)) / total) if total > 0 else float("nan")


class Ingest(obsql.Component):
    """A step landing a frame in the lake: its row count, the number every team graphs, and any other number its
    code keeps in a variable named in `measures`."""

    def __init__(self, name: str, description: str, frame: str, measures: tuple[str, ...] = (),
                 **options: Any) -> None:
        super().__init__(name, description, **options)
        self.frame, self.measures = frame, measures

    def after_run(self, **values: Any) -> dict:
        return {"rows": values[self.frame].height, **{name: values[name] for name in self.measures}}


class KeyedIngest(Ingest):
    """An ingest whose key columns must be there: a feed missing them is broken, not noisy."""

    def __init__(self, name: str, description: str, frame: str, keys: tuple[str, ...], limit: float,
                 **options: Any) -> None:
        super().__init__(name, description, frame, raise_on_failure=False, **options)
        self.keys, self.limit = keys, limit

    def after_run(self, **values: Any) -> dict:
        measured = super().after_run(**values)
        frame = values[self.frame]
        shares = {key: frame[key].null_count() / max(frame.height, 1) for key in self.keys}
        worst = max(shares, key=shares.get)
        if shares[worst] > self.limit:
            raise obsql.CheckFailed(f"{worst} is {shares[worst]:.1%} null (limit {self.limit:.0%})",
                                    value=shares[worst], name="key_nulls", metrics=measured)
        return measured


class GatedTrainer(obsql.Component):
    """A model refit whose holdout metric must clear a bar before anyone trusts it (the check is recorded; the
    scheduler deploys the model regardless, as many do)."""

    def __init__(self, name: str, description: str, metric: str, op: str, bound: float, **options: Any) -> None:
        super().__init__(name, description, raise_on_failure=False, **options)
        self.metric, self.op, self.bound = metric, op, bound

    def after_run(self, report: dict, **_: Any) -> dict:
        value = report[self.metric]
        passes = value >= self.bound if self.op == ">=" else value <= self.bound
        if not passes:
            raise obsql.CheckFailed(f"holdout {self.metric} {value:.3f}, needs {self.op} {self.bound}", value=value,
                                    name=f"holdout_{self.metric}", metrics=report)
        return report


# == fraud ===========================================================================================================
FRAUD_FIRST_DAY = date(2023, 9, 4)  # a Monday
FRAUD_HISTORY_DAYS = 35  # the lake before obsql was added: the first encoder and model are fit on it
FRAUD_PREHISTORY_DAYS = 104  # merchant counts only, so the acquirer's 90-day chargeback rates have a past
FRAUD_WINDOW_DAYS = 28
CUSTOMERS = 6000
MERCHANTS = 160
NEW_MERCHANT_SHARE = 0.12  # merchants that onboard during the simulated months
TXNS_PER_DAY = 500
BURST_SHARE = 0.1  # of a day's transactions, the share in bursts: runs of 2-6 on one card within hours
PROXIED_SHARE = 0.18  # of online transactions, the share from sessions behind anonymising proxies
TARGET_HAZARD = 0.0012  # per merchant and day (weighted by the merchant's appeal): a fraud ring starts on it
TARGET_WEEKS = (3, 7)
FRAUD_RATE = 0.06  # the queue scores card-not-present and rule-flagged transactions, not all
REVIEW_THRESHOLD = 0.2  # scores at or above go to the analysts' review queue
RECALL_SLA = ">= 0.55"
MIN_HOLDOUT_AUC = 0.75
KEY_NULL_LIMIT = 0.01
ENCODER_SMOOTHING = 5.0  # a merchant's fraud rate counts as this many transactions at the overall rate
MERCHANT_RATE_DAYS = 7  # merchant fraud rates are over the last week of labelled transactions
SHOPPING_SEASON = (date(2023, 11, 24), date(2023, 12, 25))
WEEKDAY_VOLUME = (0.95, 0.97, 1.0, 1.03, 1.12, 1.15, 0.85)
HOUR_WEIGHTS = np.array([2, 1, 1, 1, 1, 2, 3, 5, 6, 7, 8, 9, 10, 9, 8, 8, 9, 10, 10, 9, 8, 6, 4, 3], dtype=float)
OFFLINE_VELOCITY_WINDOW = "24h"
SKEWED_VELOCITY_WINDOW = "24m"  # the streaming feature service reads the window's 24 as minutes
ENCODER_PATH = "artifacts/fraud/encoder.json"
FRAUD_MODEL_PATH = "artifacts/fraud/model.json"
MCC_PATH = "ref/mcc_codes.parquet"
FILLED_FRAUD_COLUMNS = ("amount", "ip_risk_score", "geo_distance_km", "chargeback_rate_90d")

# code, description, high risk; then what only the simulation knows: mean log amount, share online, share of merchants
MCC_TABLE = [
    (5411, "grocery stores", False, 3.6, 0.10, 0.16), (5812, "restaurants", False, 3.4, 0.05, 0.16),
    (5541, "fuel stations", False, 3.7, 0.00, 0.08), (5311, "department stores", False, 4.3, 0.35, 0.06),
    (5691, "clothing", False, 4.1, 0.45, 0.09), (5732, "electronics", True, 5.0, 0.50, 0.05),
    (5912, "pharmacies", False, 3.3, 0.10, 0.06), (4121, "taxis and rideshare", False, 3.1, 0.80, 0.04),
    (7011, "hotels", False, 5.3, 0.60, 0.04), (4511, "airlines", False, 5.8, 0.90, 0.02),
    (5815, "digital goods", True, 2.8, 1.00, 0.06), (5967, "direct marketing", True, 3.9, 1.00, 0.04),
    (4829, "money transfer", True, 5.2, 0.90, 0.03), (7995, "betting and gambling", True, 4.0, 1.00, 0.03),
    (5999, "miscellaneous retail", False, 3.8, 0.40, 0.08),
]
MCC_CODES = pl.DataFrame([row[:3] for row in MCC_TABLE], schema=["mcc", "description", "high_risk"], orient="row")

FRAUD_FEATURES = ("log_amount", "ip_risk_score", "log_geo_distance", "is_new_device", "card_txns_24h", "is_night",
                  "is_ecom", "mcc_high_risk", "merchant_fraud_rate", "merchant_chargeback_rate")
# How fraud shows (log-odds per unit of each true feature; `targeted`: a fraud ring works the merchant) ...
FRAUD_SIGNAL = {"ip_risk_score": 0.08, "log_geo_distance": 0.3, "is_new_device": 0.8, "card_txns_24h": 1.2,
                "is_night": 0.6, "is_ecom": 0.5, "mcc_high_risk": 0.6, "log_amount": 0.3, "targeted": 5.0}
# ... and after the concept shift: a wave of counterfeit cards used in shops, small amounts first, at night, in quick
# succession, so IP risk, new devices and online channels stop telling fraud apart.
FRAUD_SIGNAL_SHIFTED = {"ip_risk_score": 0.0, "log_geo_distance": 0.2, "is_new_device": 0.0, "card_txns_24h": 0.9,
                        "is_night": 1.2, "is_ecom": -1.2, "mcc_high_risk": 0.0, "log_amount": -0.6, "targeted": 5.0}


def card_velocity(txns: pl.DataFrame, earlier: pl.DataFrame, window: str) -> pl.Series:
    """For each of `txns`, how many transactions of the same card came in the `window` before it (earlier batch
    included)."""
    both = pl.concat([earlier.select("card_id", "ts").with_columns(current=pl.lit(False)),
                      txns.select("card_id", "ts").with_columns(current=pl.lit(True))])
    counted = both.with_columns(
        count=pl.col("ts").is_not_null().cast(pl.Int32).rolling_sum_by("ts", window_size=window).over("card_id") - 1)
    return counted.filter("current")["count"]


def fraud_features(joined: pl.DataFrame, earlier: pl.DataFrame, params: dict, velocity_window: str) -> pl.DataFrame:
    """The model's features, one row per transaction: missing values filled from the encoder's fit."""
    fill = params["fill"]
    velocity = card_velocity(joined, earlier, velocity_window).cast(pl.Float64)
    return joined.select(
        "txn_id", "ts",
        log_amount=pl.col("amount").fill_null(fill["amount"]).log1p().clip(upper_bound=params["log_amount_max"]),
        ip_risk_score=pl.col("ip_risk_score").fill_null(fill["ip_risk_score"]),
        log_geo_distance=pl.col("geo_distance_km").fill_null(fill["geo_distance_km"]).log1p(),
        is_new_device=pl.col("is_new_device").fill_null(False).cast(pl.Float64),
        card_txns_24h=velocity,
        is_night=(pl.col("ts").dt.hour() < 6).cast(pl.Float64),
        is_ecom=(pl.col("channel") == "ecom").cast(pl.Float64),
        mcc_high_risk=pl.col("high_risk").fill_null(False).cast(pl.Float64),
        merchant_fraud_rate=pl.col("merchant_id").replace_strict(params["merchant_rates"], default=params["prior"],
                                                                 return_dtype=pl.Float64),
        merchant_chargeback_rate=pl.col("chargeback_rate_90d").fill_null(fill["chargeback_rate_90d"]),
    )


def fit_fraud_encoder(joined: pl.DataFrame, labels: pl.DataFrame) -> dict:
    """Fill values, the amount clip, and each merchant's recent fraud rate (smoothed towards the overall rate)."""
    labelled = joined.select("txn_id", "merchant_id", "ts").join(labels.select("txn_id", "is_fraud"), on="txn_id")
    prior = float(labelled["is_fraud"].mean())
    recent = labelled.filter(pl.col("ts") >= pl.col("ts").max() - timedelta(days=MERCHANT_RATE_DAYS))
    by_merchant = recent.group_by("merchant_id").agg(n=pl.len(), frauds=pl.col("is_fraud").sum())
    rates = (by_merchant["frauds"] + ENCODER_SMOOTHING * prior) / (by_merchant["n"] + ENCODER_SMOOTHING)
    return {"fill": {name: float(joined[name].median()) for name in FILLED_FRAUD_COLUMNS},
            "log_amount_max": float(joined["amount"].log1p().quantile(0.995)),
            "prior": prior, "merchant_rates": dict(zip(by_merchant["merchant_id"].to_list(), rates.to_list()))}


@dataclass
class FraudBatch:
    txns: pl.DataFrame
    signals: pl.DataFrame


class FraudWorld:
    """The issuer's reality: cardholders, merchants, fraud rings that work a merchant for weeks, how fraud shows,
    and when its labels come back. Batches must be asked for day by day, in order."""

    def __init__(self, first_day: date, days: int, seed: int, fault: FaultPlan) -> None:
        self.seed, self.fault = seed, fault
        self.origin = first_day - timedelta(days=FRAUD_HISTORY_DAYS + FRAUD_PREHISTORY_DAYS)
        span = FRAUD_PREHISTORY_DAYS + FRAUD_HISTORY_DAYS + days + 1
        rng = random_stream(seed, "fraud", "world")
        self.customers = [f"cus_{i:07d}" for i in rng.permutation(CUSTOMERS) + 1_000_000]
        self.cards = [f"card_{i:010d}" for i in rng.integers(10**9, 10**10, CUSTOMERS)]
        self.activity = rng.lognormal(0.0, 0.8, CUSTOMERS)
        self.spend = rng.normal(0.0, 0.35, CUSTOMERS)
        mcc_share = np.array([row[5] for row in MCC_TABLE])
        self.merchant_mcc = rng.choice(len(MCC_TABLE), MERCHANTS, p=mcc_share / mcc_share.sum())
        self.merchants = [f"mer_{i:05d}" for i in rng.permutation(MERCHANTS) + 10_000]
        self.popularity = rng.lognormal(0.0, 0.8, MERCHANTS)
        joins = rng.random(MERCHANTS) < NEW_MERCHANT_SHARE
        self.onboarded = np.where(joins, rng.integers(FRAUD_PREHISTORY_DAYS, span, MERCHANTS), -365)
        self.acquirer = rng.choice(["acq-north", "acq-east", "acq-west", "acq-intl"], MERCHANTS, p=[.4, .3, .2, .1])
        self.targeted = self._fraud_rings(rng, span)
        self.intercepts = {shifted: self._calibrated_intercept(signal)
                           for shifted, signal in ((False, FRAUD_SIGNAL), (True, FRAUD_SIGNAL_SHIFTED))}
        self.counts = np.zeros((MERCHANTS, span))
        self.frauds = np.zeros((MERCHANTS, span))
        self._prehistory_counts(rng)
        self.previous = pl.DataFrame(schema={"card_id": pl.String, "ts": pl.Datetime("us")})
        self.pending = PendingLabels()
        self.batch_day: date | None = None
        self.current: FraudBatch | None = None

    def index(self, day: date) -> int:
        return (day - self.origin).days

    def _fraud_rings(self, rng: np.random.Generator, span: int) -> np.ndarray:
        """Which merchant a ring works on which day: busy online and high-risk merchants, where fraud hides in volume,
        attract them most."""
        online = np.array([MCC_TABLE[m][4] for m in self.merchant_mcc])
        risky = np.array([MCC_TABLE[m][2] for m in self.merchant_mcc])
        appeal = (0.4 + online + 1.5 * risky) * np.sqrt(self.popularity)
        appeal /= appeal.mean()
        targeted = np.zeros((MERCHANTS, span), dtype=bool)
        for merchant, day in zip(*np.nonzero(rng.random((MERCHANTS, span)) < TARGET_HAZARD * appeal[:, None])):
            targeted[merchant, day:day + 7 * int(rng.integers(*TARGET_WEEKS))] = True
        return targeted

    def _prehistory_counts(self, rng: np.random.Generator) -> None:
        """Merchant volumes and frauds before the first simulated transaction, for the 90-day chargeback rates."""
        share = self.popularity / self.popularity.sum()
        days = slice(0, FRAUD_PREHISTORY_DAYS)
        self.counts[:, days] = rng.poisson(TXNS_PER_DAY * share[:, None], (MERCHANTS, FRAUD_PREHISTORY_DAYS))
        rate = np.where(self.targeted[:, days], 0.25, 0.02)
        self.frauds[:, days] = rng.binomial(self.counts[:, days].astype(int), rate)

    def _calibrated_intercept(self, signal: dict[str, float]) -> float:
        """The intercept giving FRAUD_RATE on reference days of transactions (so the concept shift keeps the rate)."""
        z = []
        for day in range(20):
            rng = random_stream(self.seed, "fraud", "calibration", day)
            raw = self._draw(rng, TXNS_PER_DAY, FRAUD_PREHISTORY_DAYS + day)
            cards = self._cards(FRAUD_FIRST_DAY, raw)
            z.append(self._log_odds(signal, raw, card_velocity(cards, cards.clear(), OFFLINE_VELOCITY_WINDOW)))
        z = np.concatenate(z)
        low, high = -20.0, 5.0
        for _ in range(60):
            middle = (low + high) / 2
            low, high = (middle, high) if sigmoid(z + middle).mean() < FRAUD_RATE else (low, middle)
        return (low + high) / 2

    def _draw(self, rng: np.random.Generator, n: int, t: int) -> dict[str, np.ndarray]:
        """n transactions on world day t: who, where, when (seconds into the day), how much, and the vendor's view.
        The first ones come in bursts, runs of 2-6 on one card within hours; some online sessions hide behind
        proxies, which only the vendor's IP risk sees; and some merchants are being worked by a fraud ring."""
        lengths = rng.integers(2, 7, rng.binomial(n, BURST_SHARE / 4))
        lengths = lengths[np.cumsum(lengths) <= n]
        run = np.full(n, -1)
        run[:lengths.sum()] = np.repeat(np.arange(len(lengths)), lengths)
        bursts = run >= 0
        firsts = np.flatnonzero(bursts & (run != np.r_[-2, run[:-1]]))
        customer = rng.choice(CUSTOMERS, n, p=self.activity / self.activity.sum())
        customer[bursts] = customer[firsts][run[bursts]]  # a run is one card's
        weight = self.popularity * (self.onboarded <= t)
        merchant = rng.choice(MERCHANTS, n, p=weight / weight.sum())
        mcc = self.merchant_mcc[merchant]
        seconds = rng.choice(24, n, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum()) * 3600 + rng.integers(0, 3600, n)
        gaps = rng.exponential(5400.0, n).astype(int) * bursts
        elapsed = np.cumsum(gaps)
        seconds[bursts] = (seconds[firsts] - elapsed[firsts])[run[bursts]] + elapsed[bursts]
        log_amount_mean = np.array([MCC_TABLE[m][3] for m in mcc]) + self.spend[customer]
        ecom = rng.random(n) < np.array([MCC_TABLE[m][4] for m in mcc])
        proxied = ecom & ~bursts & (rng.random(n) < PROXIED_SHARE)
        return {
            "customer": customer, "merchant": merchant, "mcc": mcc, "seconds": np.minimum(seconds, 86_399),
            "amount": np.round(np.exp(rng.normal(log_amount_mean, 0.75)) * np.where(bursts, 1.3, 1.0), 2),
            "ecom": ecom, "new_device": rng.random(n) < np.where(bursts, 0.15, 0.05),
            "ip_risk": np.round(100 * np.where(proxied, rng.beta(6, 2, n), rng.beta(2, 9, n)), 1),
            "distance": np.round(rng.lognormal(np.log(np.where(bursts, 25.0, 8.0)), np.where(bursts, 1.2, 1.0)), 1),
            "targeted": self.targeted[merchant, t]}

    def _cards(self, day: date, raw: dict) -> pl.DataFrame:
        """Card and authorisation time of each transaction (over the day before `day`)."""
        start = np.datetime64(day - timedelta(days=1), "us")
        return pl.DataFrame({"card_id": [self.cards[c] for c in raw["customer"]],
                             "ts": start + (raw["seconds"] * 1_000_000).astype("timedelta64[us]")})

    def _log_odds(self, signal: dict[str, float], raw: dict, velocity: pl.Series) -> np.ndarray:
        """How likely each transaction is fraud, from what is true about it (before the intercept)."""
        truth = {"ip_risk_score": raw["ip_risk"], "log_geo_distance": np.log1p(raw["distance"]),
                 "is_new_device": raw["new_device"] * 1.0, "card_txns_24h": np.minimum(velocity.to_numpy(), 6),
                 "is_night": (raw["seconds"] < 6 * 3600) * 1.0, "is_ecom": raw["ecom"] * 1.0,
                 "mcc_high_risk": np.array([MCC_TABLE[m][2] for m in raw["mcc"]]) * 1.0,
                 "log_amount": np.log1p(raw["amount"]), "targeted": raw["targeted"] * 1.0}
        return sum(weight * truth[name] for name, weight in signal.items())

    def volume(self, day: date, rng: np.random.Generator) -> int:
        season = 1.35 if SHOPPING_SEASON[0] <= day < SHOPPING_SEASON[1] else 1.0
        return int(TXNS_PER_DAY * WEEKDAY_VOLUME[day.weekday()] * season * rng.lognormal(0.0, 0.06))

    def batch(self, day: date) -> FraudBatch:
        """The day's export (yesterday's authorisations) and the vendor's signals for them, as delivered."""
        if self.batch_day != day:
            self.current, self.batch_day = self._generate(day), day
        return self.current

    def _generate(self, day: date) -> FraudBatch:
        t = self.index(day)
        rng = random_stream(self.seed, "fraud", "batch", t)
        raw = self._draw(rng, self.volume(day, rng), t)
        cards = self._cards(day, raw)
        shifted = self.fault.active("concept_shift", day)
        signal = FRAUD_SIGNAL_SHIFTED if shifted else FRAUD_SIGNAL
        z = self._log_odds(signal, raw, card_velocity(cards, self.previous, OFFLINE_VELOCITY_WINDOW))
        chance = sigmoid(z + self.intercepts[shifted])
        is_fraud = random_stream(self.seed, "fraud", "labels", t).random(len(z)) < chance
        self.previous = cards
        np.add.at(self.counts[:, t], raw["merchant"], 1)
        np.add.at(self.frauds[:, t], raw["merchant"], is_fraud)
        txn_ids = uuids(rng, len(z))
        self._label_later(day, txn_ids, is_fraud)
        return FraudBatch(self._export(txn_ids, cards, raw, rng), self._signals(day, txn_ids, cards, raw, rng))

    def _export(self, txn_ids: list[str], cards: pl.DataFrame, raw: dict, rng: np.random.Generator) -> pl.DataFrame:
        """The authorisation system's export: a few rows twice, a few amounts and category codes missing."""
        n = len(txn_ids)
        txns = pl.DataFrame({
            "txn_id": txn_ids, "card_id": cards["card_id"], "customer_id": [self.customers[c] for c in raw["customer"]],
            "merchant_id": [self.merchants[m] for m in raw["merchant"]],
            "mcc": [MCC_TABLE[m][0] for m in raw["mcc"]], "amount": raw["amount"],
            "currency": rng.choice(["USD", "EUR", "GBP", "CAD"], n, p=[0.94, 0.03, 0.015, 0.015]),
            "channel": np.where(raw["ecom"], "ecom", np.where(rng.random(n) < 0.6, "contactless", "chip")),
            "ts": cards["ts"]})
        txns = with_nulls(txns, rng, {"amount": 0.001, "mcc": 0.005})
        return pl.concat([txns, txns.filter(pl.Series(rng.random(n) < 0.003))]).sort("ts")

    def _signals(self, day: date, txn_ids: list[str], cards: pl.DataFrame, raw: dict,
                 rng: np.random.Generator) -> pl.DataFrame:
        """The risk vendor's signals per transaction: a low rate of gaps, and the null spike when it is injected."""
        n = len(txn_ids)
        signals = pl.DataFrame({
            "txn_id": txn_ids, "device_id": [f"dev_{d:09d}" for d in rng.integers(0, 10**9, n)],
            "device_type": np.where(raw["ecom"], np.where(rng.random(n) < 0.55, "mobile", "desktop"), "pos_terminal"),
            "is_new_device": raw["new_device"], "ip_risk_score": raw["ip_risk"], "geo_distance_km": raw["distance"],
            "scored_at": cards["ts"].to_numpy() + rng.integers(50, 900, n).astype("timedelta64[ms]")})
        shares = {"device_id": 0.005, "ip_risk_score": 0.015, "geo_distance_km": 0.01}
        if self.fault.active("null_spike", day):
            shares["ip_risk_score"] = NULL_SPIKE_SHARE
        signals = with_nulls(signals, random_stream(self.seed, "fraud", "signal gaps", self.index(day)), shares)
        return signals.filter(pl.Series(rng.random(n) >= 0.004))  # the vendor timed out on a few

    def _label_later(self, day: date, txn_ids: list[str], is_fraud: np.ndarray) -> None:
        """Fraud is reported within hours to weeks (chargebacks last), settlements come within a day or two; some
        transactions are never labelled."""
        rng = random_stream(self.seed, "fraud", "label delays", self.index(day))
        n = len(txn_ids)
        days_late = np.where(is_fraud, rng.lognormal(np.log(1.5), 0.8, n), 0.5 + rng.exponential(1.0, n))
        never = rng.random(n) < np.where(is_fraud, 0.10, 0.15)
        scored = at(day, 4)
        for i in np.flatnonzero(~never):
            late = float(min(days_late[i], 45.0))
            source = "settled" if not is_fraud[i] else ("chargeback" if late > 3 else "cardholder_report")
            self.pending.push(scored + timedelta(days=late), txn_ids[i], bool(is_fraud[i]), source)

    def labels_until(self, moment: datetime) -> pl.DataFrame:
        """The disputes and settlements that arrived since the last ask."""
        arrived = self.pending.arrived(moment)
        rng = random_stream(self.seed, "fraud", "label ids", moment.isoformat())
        return pl.DataFrame({"label_id": uuids(rng, len(arrived)), "txn_id": [a[1] for a in arrived],
                             "is_fraud": [a[2] for a in arrived], "source": [a[3] for a in arrived],
                             "reported_at": [a[0].replace(tzinfo=None) for a in arrived]},
                            schema={"label_id": pl.String, "txn_id": pl.String, "is_fraud": pl.Boolean,
                                    "source": pl.String, "reported_at": pl.Datetime("us")})

    def merchant_feed(self, day: date) -> pl.DataFrame:
        """The acquirer's daily snapshot: volumes, 90-day chargeback rates (reported two weeks late), age."""
        t = self.index(day)
        live = np.flatnonzero(self.onboarded <= t)
        window = slice(max(t - 104, 0), max(t - 14, 0))
        rate = (self.frauds[live, window].sum(axis=1) + 0.5) / (self.counts[live, window].sum(axis=1) + 25.0)
        age = t - self.onboarded[live]
        feed = pl.DataFrame({
            "merchant_id": [self.merchants[m] for m in live], "mcc": [MCC_TABLE[self.merchant_mcc[m]][0] for m in live],
            "acquirer": self.acquirer[live], "country": "US",
            "onboarded_on": [self.origin + timedelta(days=int(o)) for o in np.maximum(self.onboarded[live], 0)],
            "days_since_onboarding": age, "txn_count_30d": self.counts[live, max(t - 30, 0):t].sum(axis=1),
            "chargeback_rate_90d": np.where(age < 30, np.nan, np.round(rate, 4))}).fill_nan(None)
        return with_nulls(feed, random_stream(self.seed, "fraud", "merchant gaps", t), {"chargeback_rate_90d": 0.01})


# -- the fraud pipeline's steps (what the team's code does) ---------------------------------------------------------
def load_mcc_codes(source: str, lake: Lake) -> pl.DataFrame:
    codes = MCC_CODES
    path = lake.write(MCC_PATH, codes)
    return codes


def ingest_card_txns(day: date, source: str, world: FraudWorld, lake: Lake) -> pl.DataFrame:
    exported = world.batch(day).txns
    txns = exported.unique(subset="txn_id", keep="first", maintain_order=True)
    duplicates = exported.height - txns.height
    path = lake.write(f"raw/card_txns/{day}.parquet", txns)
    return txns


def ingest_device_signals(day: date, source: str, world: FraudWorld, lake: Lake) -> pl.DataFrame:
    signals = world.batch(day).signals
    path = lake.write(f"raw/device_signals/{day}.parquet", signals)
    return signals


def ingest_merchant_feed(day: date, source: str, world: FraudWorld, lake: Lake) -> pl.DataFrame:
    merchants = world.merchant_feed(day)
    path = lake.write(f"raw/merchant_feed/{day}.parquet", merchants)
    return merchants


def ingest_fraud_labels(day: date, source: str, world: FraudWorld, lake: Lake, until: datetime) -> pl.DataFrame:
    labels = world.labels_until(until)
    path = lake.write(f"raw/fraud_labels/{day}.parquet", labels)
    return labels


def join_txns(day: date, inputs: list[str], lake: Lake) -> pl.DataFrame:
    """Transactions with their device signals, their merchant's snapshot and its category's risk."""
    txns, signals, merchants, codes = (lake.read(path) for path in inputs)
    joined = (txns.join(signals.drop("scored_at"), on="txn_id", how="left")
              .join(merchants.select("merchant_id", pl.col("mcc").alias("merchant_mcc"), "chargeback_rate_90d",
                                     "days_since_onboarding"), on="merchant_id", how="left")
              .with_columns(mcc=pl.coalesce("mcc", "merchant_mcc")).drop("merchant_mcc")
              .join(codes.select("mcc", "high_risk"), on="mcc", how="left"))
    signal_match_rate = 1.0 - joined["device_type"].null_count() / max(joined.height, 1)
    path = lake.write(f"joined/txns/{day}.parquet", joined)
    return joined


def fit_encoder(day: date, joined_paths: list[str], label_paths: list[str], lake: Lake) -> dict:
    params = fit_fraud_encoder(lake.frames(joined_paths), lake.frames(label_paths))
    path = lake.write(ENCODER_PATH, params)
    return params


def build_fraud_features(day: date, inputs: list[str], lake: Lake) -> pl.DataFrame:
    joined, earlier, params = (lake.read(path) for path in inputs)
    features = fraud_features(joined, earlier, params, OFFLINE_VELOCITY_WINDOW)
    path = lake.write(f"features/offline/{day}.parquet", features)
    return features


def train_fraud_model(day: date, feature_paths: list[str], label_paths: list[str], lake: Lake) -> LinearModel:
    """Logistic regression on the labelled transactions of the window; the last week is held out first."""
    labels = lake.frames(label_paths).select("txn_id", "is_fraud")
    labelled = lake.frames(feature_paths).join(labels, on="txn_id")
    recent = labelled["ts"] >= datetime.combine(day - timedelta(days=8), time())
    older, newer = labelled.filter(~recent), labelled.filter(recent)
    trial = fit_linear(older.select(FRAUD_FEATURES), older["is_fraud"].to_numpy() * 1.0, logistic=True, l2=1.0)
    model = fit_linear(labelled.select(FRAUD_FEATURES), labelled["is_fraud"].to_numpy() * 1.0, logistic=True, l2=1.0)
    report = {"rows": labelled.height, "frauds": int(labelled["is_fraud"].sum()),
              "auc": auc(trial.predict(newer), newer["is_fraud"].to_numpy())}
    model_path = lake.write(FRAUD_MODEL_PATH, model)
    return model


def score_txns(day: date, inputs: list[str], lake: Lake, velocity_window: str, monitor: LabelJoin,
               moment: datetime) -> list[str]:
    """Scores the day's transactions with the serving feature code; the riskiest go to the review queue."""
    joined, earlier, params, model = (lake.read(path) for path in inputs)
    features = fraud_features(joined, earlier, params, velocity_window)
    scores = model.predict(features)
    ids = [f"fraud-{txn}" for txn in features["txn_id"]]
    monitor.predicted(ids, scores, moment)
    return ids


class FraudScorer(obsql.Component):
    """The queue's business metrics: recall and precision over the labelled predictions of the last two weeks."""

    def after_run(self, scores: np.ndarray, monitor: LabelJoin, moment: datetime, **_: Any) -> dict:
        metrics = {"predictions": len(scores), "mean_score": float(np.mean(scores)),
                   "review_rate": float(np.mean(scores >= REVIEW_THRESHOLD))}
        past, labels = monitor.recent(moment)
        frauds = labels == 1
        metrics["labelled"] = len(labels)
        if frauds.any():
            metrics["recent_recall"] = float(np.mean(past[frauds] >= REVIEW_THRESHOLD))
        if (past >= REVIEW_THRESHOLD).any():
            metrics["recent_precision"] = float(np.mean(frauds[past >= REVIEW_THRESHOLD]))
        return metrics


class FraudPipeline:
    """The issuer's daily batch. Its components are made anew for each store: an SLA's open episode lives in its
    component object, and must not carry over from one simulated store to the next."""

    scoring = "score_txns"
    components = ("load_mcc_codes", "ingest_card_txns", "ingest_device_signals", "ingest_merchant_feed",
                  "ingest_fraud_labels", "join_txns", "fit_encoder", "build_features", "train_fraud_model",
                  "score_txns")

    def __init__(self, store: obsql.Store, days: int, seed: int, fault: FaultPlan) -> None:
        self.store, self.fault = store, fault
        self.world = FraudWorld(FRAUD_FIRST_DAY, days, seed, fault)
        self.lake = Lake()
        self.monitor = LabelJoin()
        owner, tags = "risk-data", ("fraud",)
        fetch = dict(input_vars=("source",))
        self.load_mcc_codes = obsql.Component(
            "load_mcc_codes", "loads the card networks' merchant category codes", owner=owner, tags=tags,
            static=True).run(**fetch, output_vars=("codes", "path"))(load_mcc_codes)
        self.ingest_card_txns = KeyedIngest(
            "ingest_card_txns", "loads yesterday's authorisations", "txns", ("txn_id", "card_id", "amount"),
            KEY_NULL_LIMIT, measures=("duplicates",), owner=owner, tags=tags).run(
            **fetch, output_vars=("txns", "path"))(ingest_card_txns)
        self.ingest_device_signals = Ingest(
            "ingest_device_signals", "loads the risk vendor's device and IP signals", "signals", owner=owner,
            tags=tags).run(**fetch, output_vars=("signals", "path"))(ingest_device_signals)
        self.ingest_merchant_feed = Ingest(
            "ingest_merchant_feed", "loads the acquirer's merchant snapshot", "merchants", owner=owner,
            tags=tags).run(**fetch, output_vars=("merchants", "path"))(ingest_merchant_feed)
        self.ingest_fraud_labels = Ingest(
            "ingest_fraud_labels", "loads the disputes and settlements that arrived", "labels", owner=owner,
            tags=tags).run(**fetch, output_vars=("labels", "path"))(ingest_fraud_labels)
        self.join_txns = Ingest(
            "join_txns", "joins transactions with signals, merchants and categories", "joined",
            measures=("signal_match_rate",), owner=owner, tags=tags).run(
            input_vars=("inputs",), output_vars=("joined", "path"))(join_txns)
        ml = "fraud-ml"
        self.fit_encoder = obsql.Component(
            "fit_encoder", "refits fill values, amount clip and merchant fraud rates daily", owner=ml, tags=tags).run(
            input_vars=("joined_paths", "label_paths"), output_vars=("path",))(fit_encoder)
        self.build_features = obsql.Component(
            "build_features", "builds the day's offline training features", owner=ml, tags=tags).run(
            input_vars=("inputs",), output_vars=("features", "path"))(build_fraud_features)
        self.train_fraud_model = GatedTrainer(
            "train_fraud_model", "refits the fraud classifier on 28 days", "auc", ">=", MIN_HOLDOUT_AUC, owner=ml,
            tags=tags).run(input_vars=("feature_paths", "label_paths"), output_vars=("model_path",))(
            train_fraud_model)
        self.score_txns = FraudScorer(
            "score_txns", "scores the day's transactions for the review queue", owner=ml, tags=tags,
            slas={"recent_recall": RECALL_SLA}, staleness_days=SERVING_STALENESS_DAYS).run(
            input_vars=("inputs",), output_vars=("features",), output_values={"ids": "scores"})(score_txns)

    def backfill(self) -> None:
        """The lake as it was when obsql was added: a month of data, features built by the encoder then in use."""
        first = FRAUD_FIRST_DAY - timedelta(days=FRAUD_HISTORY_DAYS)
        history = [first + timedelta(days=d) for d in range(FRAUD_HISTORY_DAYS)]
        load_mcc_codes(MCC_PATH, self.lake)
        for day in history:
            ingest_card_txns(day, "", self.world, self.lake)
            ingest_device_signals(day, "", self.world, self.lake)
            ingest_merchant_feed(day, "", self.world, self.lake)
            ingest_fraud_labels(day, "", self.world, self.lake, at(day, 1, 15))
            join_txns(day, self.join_inputs(day), self.lake)
        fit_encoder(history[-1], *self.encoder_inputs(FRAUD_FIRST_DAY), self.lake)
        for day in history[1:]:
            build_fraud_features(day, self.feature_inputs(day), self.lake)

    def join_inputs(self, day: date) -> list[str]:
        return [f"raw/card_txns/{day}.parquet", f"raw/device_signals/{day}.parquet",
                f"raw/merchant_feed/{day}.parquet", MCC_PATH]

    def window(self, day: date, template: str) -> list[str]:
        return [template.format(day - timedelta(days=d)) for d in range(FRAUD_WINDOW_DAYS, 0, -1)]

    def encoder_inputs(self, day: date) -> tuple[list[str], list[str]]:
        return self.window(day, "joined/txns/{}.parquet"), self.window(day, "raw/fraud_labels/{}.parquet")

    def feature_inputs(self, day: date) -> list[str]:
        return [f"joined/txns/{day}.parquet", f"joined/txns/{day - timedelta(days=1)}.parquet", ENCODER_PATH]

    def day(self, day: date, first: bool) -> None:
        lake, world = self.lake, self.world
        if first:
            with obsql.clock(at(day, 0)):
                self.load_mcc_codes("https://networks.example/mcc/2023-07.csv", lake)
        with obsql.clock(at(day, 1)):
            self.ingest_card_txns(day, f"s3://issuer-lake/auth-export/dt={day}/", world, lake)
        with obsql.clock(at(day, 1, 5)):
            self.ingest_device_signals(day, f"https://api.riskvendor.example/v2/signals?date={day}", world, lake)
        with obsql.clock(at(day, 1, 10)):
            self.ingest_merchant_feed(day, f"sftp://acquirer.example/merchants_{day:%Y%m%d}.csv", world, lake)
        with obsql.clock(at(day, 1, 15)):
            labels = self.ingest_fraud_labels(day, f"s3://issuer-lake/disputes/dt={day}/", world, lake,
                                              at(day, 1, 15))
        self.feed_back(labels)
        with obsql.clock(at(day, 1, 30)):
            self.join_txns(day, self.join_inputs(day), lake)
        if not self.fault.active("stale_refit", day):
            with obsql.clock(at(day, 2)):
                self.fit_encoder(day, *self.encoder_inputs(day + timedelta(days=1)), lake)
        with obsql.clock(at(day, 2, 30)):
            self.build_features(day, self.feature_inputs(day), lake)
        if first or day.weekday() == 0:
            with obsql.clock(at(day, 3)):
                self.train_fraud_model(day, self.window(day + timedelta(days=1), "features/offline/{}.parquet"),
                                       self.window(day + timedelta(days=1), "raw/fraud_labels/{}.parquet"), lake)
        velocity = SKEWED_VELOCITY_WINDOW if self.fault.active("skew", day) else OFFLINE_VELOCITY_WINDOW
        with obsql.clock(at(day, 4)):
            self.score_txns(day, self.feature_inputs(day)[:2] + [ENCODER_PATH, FRAUD_MODEL_PATH], lake, velocity,
                            self.monitor, at(day, 4))

    def feed_back(self, labels: pl.DataFrame) -> None:
        """The labels of scored transactions go to obsql as they arrive."""
        ids = [f"fraud-{txn}" for txn in labels["txn_id"]]
        known = [i for i, pointer in enumerate(ids) if self.monitor.knows(pointer)]
        if not known:
            return
        values = labels["is_fraud"].to_list()
        times = labels["reported_at"].to_list()
        self.store.log_feedback([ids[i] for i in known], [int(values[i]) for i in known], ts=[times[i] for i in known])
        self.monitor.labelled([ids[i] for i in known], [float(values[i]) for i in known])


# == demand ==========================================================================================================
DEMAND_FIRST_DAY = date(2024, 1, 1)  # a Monday
DEMAND_HISTORY_DAYS = 63  # the lake before obsql was added: a 56-day fit window and a week of lags before it
DEMAND_WINDOW_DAYS = 56
WINDOW_STALENESS_DAYS = DEMAND_WINDOW_DAYS + 7  # a job reading 56 days of files is not stale for the oldest of them
LEVEL_DAYS = 28  # a series' level is its mean over the last four weeks of the window
STORES = 12
CATEGORIES = {  # temperature effect per degree, lift per unit of discount, holiday lift, school-break lift
    "beverages": (0.035, 4.0, 0.35, 0.10), "ice_cream": (0.07, 3.5, 0.30, 0.25), "snacks": (0.01, 5.0, 0.30, 0.05),
    "bakery": (0.0, 2.0, 0.20, 0.0), "bbq": (0.04, 3.0, 0.80, 0.05), "household": (0.0, 2.5, 0.0, 0.0)}
SKU_CATEGORIES = ("beverages",) * 6 + ("ice_cream",) * 3 + ("snacks",) * 5 + ("bakery",) * 4 + ("bbq",) * 3 \
    + ("household",) * 4
HOLIDAYS = {date(2023, 11, 23): "Thanksgiving", date(2023, 12, 25): "Christmas Day", date(2024, 1, 1): "New Year's Day",
            date(2024, 1, 15): "Martin Luther King Jr. Day", date(2024, 2, 19): "Presidents' Day",
            date(2024, 3, 31): "Easter Sunday", date(2024, 5, 27): "Memorial Day", date(2024, 6, 19): "Juneteenth",
            date(2024, 7, 4): "Independence Day"}
SCHOOL_BREAKS = ((date(2023, 12, 22), date(2024, 1, 3)), (date(2024, 6, 14), date(2024, 8, 26)))
WEEKDAY_DEMAND = (0.85, 0.85, 0.9, 0.95, 1.15, 1.3, 1.1)
DISCOUNTS = (10, 15, 20, 25, 30, 40)
NATIONAL_PROMO_SHARE = 0.2  # of products each week, on the flyer in every store
STORE_PROMO_SHARE = 0.03  # of store-products each week, a store's own price cut
PROMO_LIFT_SHIFTED = 0.2  # after the concept shift, promotions lift demand this share of what they did
REFERENCE_TEMPERATURE = 15.0
WEATHER_SENTINEL = -99.9  # what the weather vendor sends when a station has no forecast
WAPE_SLA = "<= 0.3"
MAX_HOLDOUT_WAPE = 0.45
SCALER_PATH = "artifacts/demand/scaler.json"
FORECASTER_PATH = "artifacts/demand/forecaster.json"
CALENDAR_PATH = "ref/store_calendar.parquet"
CATALOG_PATH = "ref/product_catalog.parquet"
SERIES = ["store_id", "sku"]


def on_school_break(day: date) -> bool:
    return any(first <= day < end for first, end in SCHOOL_BREAKS)


def lag_features(history: pl.DataFrame, target: date) -> pl.DataFrame:
    """Per series, from the panels before `target`: units the day before, a week before, and the week's mean."""
    last_week = history.filter(pl.col("sales_date").is_between(target - timedelta(days=7), target - timedelta(days=1)))
    return last_week.group_by(SERIES).agg(
        lag_1=pl.col("units").filter(pl.col("sales_date") == target - timedelta(days=1)).first(),
        lag_7=pl.col("units").filter(pl.col("sales_date") == target - timedelta(days=7)).first(),
        mean_7=pl.col("units").mean())


def day_attributes(keys: pl.DataFrame, promotions: pl.DataFrame, weather: pl.DataFrame,
                   calendar: pl.DataFrame) -> pl.DataFrame:
    """What is known about each series' day in advance: its promotion (none when it has no row: 0% off), the
    weather forecast, the calendar."""
    return (keys.join(promotions.select(*SERIES, "discount_pct"), on=SERIES, how="left")
            .with_columns(pl.col("discount_pct").fill_null(0.0))
            .join(weather.select("store_id", "temp_forecast_c", "precip_forecast_mm"), on="store_id", how="left")
            .join(calendar.select("date", "store_id", "is_holiday", "pre_holiday", "school_break"),
                  left_on=["sales_date", "store_id"], right_on=["date", "store_id"], how="left"))


def finish_demand_features(frame: pl.DataFrame, lags: pl.DataFrame, params: dict) -> pl.DataFrame:
    """Lags joined on, weather filled and clipped with the scaler's values, each series' level attached."""
    low, high = params["temp_clip"]
    levels = pl.DataFrame({"series": list(params["levels"]), "level": list(params["levels"].values())})
    return (frame.join(lags, on=SERIES, how="left")
            .with_columns(pl.col("lag_1", "lag_7", "mean_7").fill_null(pl.col("mean_7")).fill_null(0.0),
                          temp_forecast_c=pl.col("temp_forecast_c").fill_null(params["temp_fill"]).clip(low, high),
                          precip_forecast_mm=pl.col("precip_forecast_mm").fill_null(0.0)
                          .clip(0.0, params["precip_max"]),
                          dow=pl.col("sales_date").dt.weekday(),
                          series=pl.concat_str("store_id", "sku", separator="|"))
            .join(levels, on="series", how="left").drop("series")
            .with_columns(pl.col("level").fill_null(pl.col("mean_7"))))


def demand_design(features: pl.DataFrame) -> pl.DataFrame:
    """The forecaster's columns: lags relative to the series' level, the weekday, the calendar, and promotions,
    temperature and holidays per category."""
    level = pl.col("level").log1p()
    per_category = [pl.when(pl.col("category") == name).then(expression).otherwise(0.0).alias(f"{label}_{name}")
                    for name in CATEGORIES for label, expression in (
                        ("discount", pl.col("discount_pct") / 100),
                        ("temperature", (pl.col("temp_forecast_c") - REFERENCE_TEMPERATURE) / 10),
                        ("holiday", pl.col("is_holiday").cast(pl.Float64)))]
    return features.select(
        *[(pl.col(name).log1p() - level).alias(f"relative_{name}") for name in ("lag_1", "lag_7", "mean_7")],
        *[(pl.col("dow") == day).cast(pl.Float64).alias(f"weekday_{day}") for day in range(2, 8)],
        pl.col("pre_holiday", "school_break").cast(pl.Float64), (pl.col("precip_forecast_mm") / 10).alias("rain"),
        *per_category)


def demand_target(features: pl.DataFrame) -> np.ndarray:
    return (features["units"].log1p() - features["level"].log1p()).to_numpy()


def forecast_units(model: LinearModel, features: pl.DataFrame) -> np.ndarray:
    return np.maximum(np.expm1(model.predict(demand_design(features)) + np.log1p(features["level"].to_numpy())), 0.0)


class DemandWorld:
    """The grocer's reality: stores, products, weather and its forecasts, promotions, wandering series levels, and
    what shoppers buy. Everything is drawn up front, per world day."""

    def __init__(self, first_day: date, days: int, seed: int, fault: FaultPlan) -> None:
        self.seed, self.fault = seed, fault
        self.origin = first_day - timedelta(days=DEMAND_HISTORY_DAYS)
        span = DEMAND_HISTORY_DAYS + days + 1
        self.dates = [self.origin + timedelta(days=t) for t in range(span)]
        rng = random_stream(seed, "demand", "world")
        self.stores = [f"S{number:03d}" for number in range(101, 101 + STORES)]
        self.size = rng.uniform(0.6, 1.6, STORES)
        self.skus = [f"SKU-{number}" for number in rng.choice(np.arange(10_000, 99_999), len(SKU_CATEGORIES),
                                                              replace=False)]
        self.base = rng.lognormal(np.log(18.0), 0.6, len(self.skus))
        self.price = np.round(rng.lognormal(np.log(4.0), 0.5, len(self.skus)), 2)
        self.temperature, self.forecast, self.rain, self.rain_forecast = self._weather(rng, span)
        self.discount = self._promotions(rng, span)
        self.level = np.exp(np.cumsum(rng.normal(0.0, 0.012, (STORES, len(self.skus), span)), axis=2))
        self.units = self._demand(span)

    def index(self, day: date) -> int:
        return (day - self.origin).days

    def _weather(self, rng: np.random.Generator, span: int) -> tuple[np.ndarray, ...]:
        """Daily temperature per store (season, climate, weather systems shared by the region), rain, and the
        forecasts issued the day before."""
        season = np.array([12.0 + 12.0 * np.sin(2 * np.pi * (d.timetuple().tm_yday - 110) / 365) for d in self.dates])
        systems = np.zeros(span)
        for t in range(1, span):
            systems[t] = 0.75 * systems[t - 1] + rng.normal(0.0, 2.2)
        climate = rng.normal(0.0, 2.0, STORES)
        temperature = season + systems + climate[:, None] + rng.normal(0.0, 1.0, (STORES, span))
        rain = np.where(rng.random((STORES, span)) < 0.3, rng.gamma(2.0, 4.0, (STORES, span)), 0.0)
        forecast = temperature + rng.normal(0.0, 1.5, (STORES, span))
        rain_forecast = np.where(rng.random((STORES, span)) < 0.8, rain * rng.lognormal(0.0, 0.3, (STORES, span)), 0.0)
        return temperature, np.round(forecast, 1), np.round(rain, 1), np.round(rain_forecast, 1)

    def _promotions(self, rng: np.random.Generator, span: int) -> np.ndarray:
        """Percent off per store, product and day: weekly flyer promotions everywhere, and stores' own price cuts."""
        weeks = span // 7 + 1
        shares = np.array([0.15, 0.2, 0.3, 0.15, 0.15, 0.05])
        national = np.where(rng.random((len(self.skus), weeks)) < NATIONAL_PROMO_SHARE,
                            rng.choice(DISCOUNTS, (len(self.skus), weeks), p=shares), 0)
        joins = rng.random((STORES, len(self.skus), weeks)) < 0.95
        local = np.where(rng.random((STORES, len(self.skus), weeks)) < STORE_PROMO_SHARE,
                         rng.choice(DISCOUNTS, (STORES, len(self.skus), weeks), p=shares), 0)
        weekly = np.maximum(national[None] * joins, local)
        return np.repeat(weekly, 7, axis=2)[:, :, :span].astype(float)

    def _demand(self, span: int) -> np.ndarray:
        """Units sold per store, product and day."""
        effects = np.array([CATEGORIES[c] for c in SKU_CATEGORIES])
        temperature_effect, lift, holiday_lift, break_lift = (effects[:, i][None, :, None] for i in range(4))
        weekday = np.array([WEEKDAY_DEMAND[d.weekday()] for d in self.dates])
        holiday = np.array([d in HOLIDAYS for d in self.dates], dtype=float)
        before = np.array([any(d + timedelta(days=k) in HOLIDAYS for k in (1, 2)) for d in self.dates], dtype=float)
        school = np.array([on_school_break(d) for d in self.dates], dtype=float)
        response = np.array([PROMO_LIFT_SHIFTED if self.fault.active("concept_shift", d) else 1.0 for d in self.dates])
        rate = (self.base[None, :, None] * self.size[:, None, None] * self.level * weekday
                * np.exp(temperature_effect * (self.temperature[:, None, :] - REFERENCE_TEMPERATURE))
                * (1 + lift * response * self.discount / 100)
                * (1 + holiday_lift * (holiday + 0.5 * before)) * (1 + break_lift * school)
                * np.exp(-0.02 * self.rain[:, None, :]))
        rng = random_stream(self.seed, "demand", "sales")
        return rng.poisson(rate * rng.gamma(25.0, 0.04, rate.shape))

    def calendar(self) -> pl.DataFrame:
        """The stores' calendar for the months simulated and a season beyond: holidays, the days before them,
        school breaks, opening hours."""
        dates = [self.origin + timedelta(days=d) for d in range(len(self.dates) + 90)]
        return pl.DataFrame({
            "date": [d for d in dates for _ in self.stores], "store_id": self.stores * len(dates),
            "is_holiday": [d in HOLIDAYS for d in dates for _ in self.stores],
            "holiday_name": [HOLIDAYS.get(d) for d in dates for _ in self.stores],
            "pre_holiday": [any(d + timedelta(days=k) in HOLIDAYS for k in (1, 2)) for d in dates for _ in self.stores],
            "school_break": [on_school_break(d) for d in dates for _ in self.stores],
            "opening_hours": ["08:00-20:00" if d.weekday() == 6 else "07:00-22:00"
                              for d in dates for _ in self.stores]})

    def catalog(self) -> pl.DataFrame:
        rng = random_stream(self.seed, "demand", "catalog")
        return pl.DataFrame({"sku": self.skus, "category": list(SKU_CATEGORIES),
                             "brand": rng.choice(["Acme", "Northfield", "Sunvale", "House brand"], len(self.skus)),
                             "pack_size": rng.choice(["1 unit", "4 pack", "6 pack", "500 g", "1 kg"], len(self.skus)),
                             "regular_price": self.price})

    def pos_lines(self, day: date) -> pl.DataFrame:
        """Yesterday's receipt lines from every till: a line is one product on a receipt, most often one unit."""
        t = self.index(day) - 1
        rng = random_stream(self.seed, "demand", "receipts", t)
        units = self.units[:, :, t].ravel()
        sold = np.repeat(np.arange(units.size), units)
        starts = (rng.random(sold.size) < 0.7) | np.r_[True, sold[1:] != sold[:-1]]
        line = np.cumsum(starts) - 1
        series = sold[starts]
        store, sku = np.divmod(series, len(self.skus))
        receipt = store * 100_000 + rng.integers(0, max(len(series) // (3 * STORES), 1), len(series))
        receipts, which = np.unique(receipt, return_inverse=True)
        receipt_ids = np.array(uuids(rng, len(receipts)))
        loyalty = np.where(rng.random(len(receipts)) < 0.55, rng.integers(10**6, 10**7, len(receipts)), 0)
        discount = self.discount[:, :, t].ravel()[series]
        opening = np.datetime64(day - timedelta(days=1), "us") + np.timedelta64(7, "h")
        seconds = rng.integers(0, 15 * 3600, len(receipts))
        lines = pl.DataFrame({
            "receipt_id": receipt_ids[which], "store_id": np.array(self.stores)[store],
            "sku": np.array(self.skus)[sku], "quantity": np.bincount(line),
            "unit_price": np.round(self.price[sku] * (1 - discount / 100), 2),
            "loyalty_id": [f"L{number:07d}" if number else None for number in loyalty[which]],
            "sold_at": opening + (seconds[which] * 1_000_000).astype("timedelta64[us]")})
        return with_nulls(lines, rng, {"unit_price": 0.003}).sort("sold_at")

    def weather_feed(self, day: date) -> pl.DataFrame:
        """Per store: yesterday's observations and the forecast for today, as the weather vendor sends them."""
        t = self.index(day)
        rng = random_stream(self.seed, "demand", "weather feed", t)
        forecast = np.where(rng.random(STORES) < 0.005, WEATHER_SENTINEL, self.forecast[:, t])
        feed = pl.DataFrame({
            "station_id": [f"WX{number:05d}" for number in range(30_100, 30_100 + STORES)], "store_id": self.stores,
            "observed_on": day - timedelta(days=1), "temp_c": np.round(self.temperature[:, t - 1], 1),
            "precip_mm": self.rain[:, t - 1], "forecast_for": day, "temp_forecast_c": forecast,
            "precip_forecast_mm": self.rain_forecast[:, t],
            "issued_at": datetime.combine(day - timedelta(days=1), time(18))})
        return with_nulls(feed, rng, {"temp_forecast_c": 0.01, "temp_c": 0.01})

    def promotions(self, day: date) -> pl.DataFrame:
        """The promotions running today, from marketing's promotion system."""
        t = self.index(day)
        rng = random_stream(self.seed, "demand", "promotions", t)
        store, sku = np.nonzero(self.discount[:, :, t])
        week_start = day - timedelta(days=day.weekday())
        promos = pl.DataFrame({
            "promo_id": [f"PR-{week_start:%y%W}-{s:02d}{k:02d}" for s, k in zip(store, sku)],
            "store_id": np.array(self.stores)[store], "sku": np.array(self.skus)[sku],
            "discount_pct": self.discount[store, sku, t],
            "promo_type": rng.choice(["flyer", "price cut", "loyalty"], len(store), p=[0.6, 0.3, 0.1]),
            "starts_on": week_start, "ends_on": week_start + timedelta(days=6)},
            schema_overrides={"discount_pct": pl.Float64})
        shares = {"discount_pct": NULL_SPIKE_SHARE if self.fault.active("null_spike", day) else 0.01}
        return with_nulls(promos, random_stream(self.seed, "demand", "promotion gaps", t), shares)

    def actuals_later(self, day: date, forecasts: dict[str, tuple[str, str]], pending: PendingLabels) -> None:
        """Reconciled sales (of the store and product each forecast id names) come back a day or so after the day,
        some stores' days later, a few never."""
        t = self.index(day)
        rng = random_stream(self.seed, "demand", "actuals", t)
        late = dict(zip(self.stores, np.where(rng.random(STORES) < 0.12, rng.uniform(2.0, 4.0, STORES), 0.0)))
        lost = dict(zip(self.stores, rng.random(STORES) < 0.03))
        store_index = {store: i for i, store in enumerate(self.stores)}
        sku_index = {sku: k for k, sku in enumerate(self.skus)}
        for pointer, (store, sku) in forecasts.items():
            if not lost[store] and rng.random() >= 0.01:
                delay = 1.25 + late[store] + rng.exponential(0.25)
                pending.push(at(day, 0) + timedelta(days=delay), pointer,
                             float(self.units[store_index[store], sku_index[sku], t]))


# -- the demand pipeline's steps -------------------------------------------------------------------------------------
def load_store_calendar(source: str, world: DemandWorld, lake: Lake) -> pl.DataFrame:
    calendar = world.calendar()
    path = lake.write(CALENDAR_PATH, calendar)
    return calendar


def load_product_catalog(source: str, world: DemandWorld, lake: Lake) -> pl.DataFrame:
    catalog = world.catalog()
    path = lake.write(CATALOG_PATH, catalog)
    return catalog


def ingest_pos_sales(day: date, source: str, world: DemandWorld, lake: Lake) -> pl.DataFrame:
    lines = world.pos_lines(day)
    stores_reporting = lines["store_id"].n_unique()
    path = lake.write(f"raw/pos_sales/{day}.parquet", lines)
    return lines


def ingest_weather(day: date, source: str, world: DemandWorld, lake: Lake) -> pl.DataFrame:
    weather = world.weather_feed(day)
    path = lake.write(f"raw/weather/{day}.parquet", weather)
    return weather


def ingest_promotions(day: date, source: str, world: DemandWorld, lake: Lake) -> pl.DataFrame:
    promotions = world.promotions(day)
    path = lake.write(f"raw/promotions/{day}.parquet", promotions)
    return promotions


def build_daily_panel(day: date, inputs: list[str], lake: Lake) -> pl.DataFrame:
    """Yesterday per store and product: units sold and revenue from the tills, with what was known in advance."""
    lines, weather, promotions, calendar, catalog = (lake.read(path) for path in inputs)
    sales_date = day - timedelta(days=1)
    sold = lines.group_by(SERIES).agg(units=pl.col("quantity").sum(),
                                      revenue=(pl.col("quantity") * pl.col("unit_price")).sum(),
                                      receipts=pl.col("receipt_id").n_unique())
    keys = (calendar.filter(pl.col("date") == sales_date).select("store_id")
            .join(catalog.select("sku", "category"), how="cross").with_columns(sales_date=pl.lit(sales_date)))
    panel = (day_attributes(keys, promotions, weather, calendar).join(sold, on=SERIES, how="left")
             .with_columns(pl.col("units", "receipts").fill_null(0), pl.col("revenue").fill_null(0.0)))
    promoted_share = float((panel["discount_pct"] > 0).mean())
    path = lake.write(f"panel/{sales_date}.parquet", panel)
    return panel


def fit_scaler(day: date, panel_paths: list[str], lake: Lake) -> dict:
    """Fill value and clip bounds for the weather forecast, and each series' level over the last four weeks."""
    panels = lake.frames(panel_paths)
    forecasts = panels["temp_forecast_c"].filter(panels["temp_forecast_c"] > WEATHER_SENTINEL)
    recent = panels.filter(pl.col("sales_date") >= day - timedelta(days=LEVEL_DAYS))
    levels = recent.group_by(SERIES).agg(pl.col("units").mean()).with_columns(
        series=pl.concat_str("store_id", "sku", separator="|"))
    params = {"temp_fill": float(forecasts.median()),
              "temp_clip": (float(forecasts.quantile(0.01)), float(forecasts.quantile(0.99))),
              "precip_max": float(panels["precip_forecast_mm"].quantile(0.99)),
              "levels": dict(zip(levels["series"].to_list(), levels["units"].to_list()))}
    path = lake.write(SCALER_PATH, params)
    return params


def build_demand_features(day: date, inputs: list[str], lake: Lake) -> pl.DataFrame:
    """Training rows for yesterday: what was known the day before, and the units then sold."""
    *panel_paths, scaler_path = inputs
    panels = lake.frames(panel_paths)
    sales_date = day - timedelta(days=1)
    target = panels.filter(pl.col("sales_date") == sales_date).select(
        *SERIES, "category", "sales_date", "units", "discount_pct", "temp_forecast_c", "precip_forecast_mm",
        "is_holiday", "pre_holiday", "school_break")
    features = finish_demand_features(target, lag_features(panels, sales_date), lake.read(scaler_path))
    path = lake.write(f"features/offline/{sales_date}.parquet", features)
    return features


def train_forecaster(day: date, feature_paths: list[str], lake: Lake) -> LinearModel:
    """Ridge regression of log units relative to each series' level; the last week is held out first."""
    features = lake.frames(feature_paths)
    recent = features["sales_date"] >= day - timedelta(days=7)
    older, newer = features.filter(~recent), features.filter(recent)
    trial = fit_linear(demand_design(older), demand_target(older), logistic=False, l2=1.0)
    model = fit_linear(demand_design(features), demand_target(features), logistic=False, l2=1.0)
    report = {"rows": features.height, "wape": wape(forecast_units(trial, newer), newer["units"].to_numpy())}
    model_path = lake.write(FORECASTER_PATH, model)
    return model


def serving_weather(weather: pl.DataFrame, fahrenheit: bool) -> pl.DataFrame:
    """The endpoint's weather client; from the skew date its new version hands temperatures over in Fahrenheit."""
    if not fahrenheit:
        return weather
    return weather.with_columns(pl.col("temp_forecast_c") * 9 / 5 + 32)


def score_demand(day: date, inputs: list[str], lake: Lake, fahrenheit: bool, monitor: LabelJoin,
                 moment: datetime) -> dict[str, tuple[str, str]]:
    """Forecasts today's units per store and product with the serving feature code, for the replenishment order;
    returns the (store, product) of each forecast id."""
    *panel_paths, weather_path, promotions_path, calendar_path, catalog_path, scaler_path, model_path = inputs
    calendar, catalog, model = lake.read(calendar_path), lake.read(catalog_path), lake.read(model_path)
    keys = (calendar.filter(pl.col("date") == day).select("store_id")
            .join(catalog.select("sku", "category"), how="cross").with_columns(sales_date=pl.lit(day)))
    known = day_attributes(keys, lake.read(promotions_path), serving_weather(lake.read(weather_path), fahrenheit),
                           calendar)
    features = finish_demand_features(known, lag_features(lake.frames(panel_paths), day), lake.read(scaler_path))
    forecasts = forecast_units(model, features)
    ids = [f"fcst-{day}-{store}-{sku}" for store, sku in zip(features["store_id"], features["sku"])]
    monitor.predicted(ids, forecasts, moment)
    return dict(zip(ids, zip(features["store_id"], features["sku"])))


class DemandScorer(obsql.Component):
    """The forecast's business metrics: WAPE and bias of the last week's forecasts whose actuals came back."""

    def after_run(self, forecasts: np.ndarray, monitor: LabelJoin, moment: datetime, **_: Any) -> dict:
        metrics = {"predictions": len(forecasts), "mean_forecast": float(np.mean(forecasts))}
        past, actuals = monitor.recent(moment)
        metrics["labelled"] = len(actuals)
        if actuals.sum() > 0:
            metrics["recent_wape"] = wape(past, actuals)
            metrics["recent_bias"] = float((past.sum() - actuals.sum()) / actuals.sum())
        return metrics


class DemandPipeline:
    """The grocer's daily batch; components made anew per store, as FraudPipeline's."""

    scoring = "score_demand"
    components = ("load_store_calendar", "load_product_catalog", "ingest_pos_sales", "ingest_weather",
                  "ingest_promotions", "build_daily_panel", "fit_scaler", "build_features", "train_forecaster",
                  "score_demand")

    def __init__(self, store: obsql.Store, days: int, seed: int, fault: FaultPlan) -> None:
        self.store, self.fault = store, fault
        self.world = DemandWorld(DEMAND_FIRST_DAY, days, seed, fault)
        self.lake = Lake()
        self.monitor = LabelJoin()
        self.pending = PendingLabels()
        owner, tags = "retail-data", ("demand",)
        fetch = dict(input_vars=("source",))
        self.load_store_calendar = obsql.Component(
            "load_store_calendar", "loads the stores' calendar for the year", owner=owner, tags=tags,
            static=True).run(**fetch, output_vars=("calendar", "path"))(load_store_calendar)
        self.load_product_catalog = obsql.Component(
            "load_product_catalog", "loads the product catalog", owner=owner, tags=tags,
            static=True).run(**fetch, output_vars=("catalog", "path"))(load_product_catalog)
        self.ingest_pos_sales = KeyedIngest(
            "ingest_pos_sales", "loads yesterday's receipt lines from the tills", "lines",
            ("receipt_id", "store_id", "sku"), 0.0, measures=("stores_reporting",), owner=owner,
            tags=tags).run(**fetch, output_vars=("lines", "path"))(ingest_pos_sales)
        self.ingest_weather = Ingest(
            "ingest_weather", "loads observations and next-day forecasts per store", "weather", owner=owner,
            tags=tags).run(**fetch, output_vars=("weather", "path"))(ingest_weather)
        self.ingest_promotions = Ingest(
            "ingest_promotions", "loads the promotions running today", "promotions", owner=owner,
            tags=tags).run(**fetch, output_vars=("promotions", "path"))(ingest_promotions)
        self.build_daily_panel = Ingest(
            "build_daily_panel", "builds yesterday's sales per store and product", "panel",
            measures=("promoted_share",), owner=owner, tags=tags).run(
            input_vars=("inputs",), output_vars=("panel", "path"))(build_daily_panel)
        ml = "forecasting"
        self.fit_scaler = obsql.Component(
            "fit_scaler", "refits weather fill and clip values and series levels", owner=ml, tags=tags,
            staleness_days=WINDOW_STALENESS_DAYS).run(
            input_vars=("panel_paths",), output_vars=("path",))(fit_scaler)
        self.build_features = obsql.Component(
            "build_features", "builds yesterday's offline training features", owner=ml, tags=tags).run(
            input_vars=("inputs",), output_vars=("features", "path"))(build_demand_features)
        self.train_forecaster = GatedTrainer(
            "train_forecaster", "refits the demand forecaster on 56 days", "wape", "<=", MAX_HOLDOUT_WAPE,
            owner=ml, tags=tags, staleness_days=WINDOW_STALENESS_DAYS).run(
            input_vars=("feature_paths",), output_vars=("model_path",))(train_forecaster)
        self.score_demand = DemandScorer(
            "score_demand", "forecasts today's units per store and product", owner=ml, tags=tags,
            slas={"recent_wape": WAPE_SLA}, staleness_days=SERVING_STALENESS_DAYS).run(
            input_vars=("inputs",), output_vars=("features",), output_values={"ids": "forecasts"})(score_demand)

    def backfill(self) -> None:
        """The lake as it was when obsql was added: two months of feeds and panels, features built by the scaler then
        in use."""
        first = DEMAND_FIRST_DAY - timedelta(days=DEMAND_HISTORY_DAYS)
        history = [first + timedelta(days=d) for d in range(1, DEMAND_HISTORY_DAYS)]
        load_store_calendar(CALENDAR_PATH, self.world, self.lake)
        load_product_catalog(CATALOG_PATH, self.world, self.lake)
        ingest_weather(first, "", self.world, self.lake)
        ingest_promotions(first, "", self.world, self.lake)
        for day in history:
            self.ingest(day)
            build_daily_panel(day, self.panel_inputs(day), self.lake)
        fit_scaler(history[-1], self.panel_window(history[-1], DEMAND_WINDOW_DAYS), self.lake)
        for day in history[7:]:
            build_demand_features(day, self.feature_inputs(day), self.lake)

    def ingest(self, day: date) -> None:
        ingest_pos_sales(day, "", self.world, self.lake)
        ingest_weather(day, "", self.world, self.lake)
        ingest_promotions(day, "", self.world, self.lake)

    def panel_inputs(self, day: date) -> list[str]:
        yesterday = day - timedelta(days=1)
        return [f"raw/pos_sales/{day}.parquet", f"raw/weather/{yesterday}.parquet",
                f"raw/promotions/{yesterday}.parquet", CALENDAR_PATH, CATALOG_PATH]

    def panel_window(self, day: date, days: int) -> list[str]:
        return [f"panel/{day - timedelta(days=d)}.parquet" for d in range(days, 0, -1)]

    def feature_inputs(self, day: date) -> list[str]:
        return self.panel_window(day, 8) + [SCALER_PATH]

    def day(self, day: date, first: bool) -> None:
        lake, world = self.lake, self.world
        if first:
            with obsql.clock(at(day, 0)):
                self.load_store_calendar("s3://grocer-ref/calendar/2024.csv", world, lake)
            with obsql.clock(at(day, 0, 5)):
                self.load_product_catalog("postgres://pim.internal/catalog?as_of=2023-12-31", world, lake)
        with obsql.clock(at(day, 2)):
            self.ingest_pos_sales(day, f"s3://grocer-pos/exports/{day:%Y/%m/%d}/", world, lake)
        with obsql.clock(at(day, 2, 5)):
            self.ingest_weather(day, f"https://api.weathervendor.example/v3/daily?date={day}", world, lake)
        with obsql.clock(at(day, 2, 10)):
            self.ingest_promotions(day, f"postgres://promo.internal/running?date={day}", world, lake)
        with obsql.clock(at(day, 2, 30)):
            self.build_daily_panel(day, self.panel_inputs(day), lake)
        retrain = first or day.weekday() == 0
        if retrain and not self.fault.active("stale_refit", day):
            with obsql.clock(at(day, 3)):
                self.fit_scaler(day, self.panel_window(day, DEMAND_WINDOW_DAYS), lake)
        with obsql.clock(at(day, 3, 15)):
            self.build_features(day, self.feature_inputs(day), lake)
        if retrain:
            with obsql.clock(at(day, 3, 30)):
                self.train_forecaster(day, [f"features/offline/{day - timedelta(days=d)}.parquet"
                                            for d in range(DEMAND_WINDOW_DAYS, 0, -1)], lake)
        self.feed_back(at(day, 4))
        inputs = self.panel_window(day, 7) + [f"raw/weather/{day}.parquet", f"raw/promotions/{day}.parquet",
                                              CALENDAR_PATH, CATALOG_PATH, SCALER_PATH, FORECASTER_PATH]
        with obsql.clock(at(day, 4)):
            forecasts = self.score_demand(day, inputs, lake, self.fault.active("skew", day), self.monitor,
                                          at(day, 4))
        world.actuals_later(day, forecasts, self.pending)

    def feed_back(self, moment: datetime) -> None:
        """The reconciled actuals that came back since yesterday go to obsql."""
        arrived = self.pending.arrived(moment)
        if arrived:
            self.store.log_feedback([a[1] for a in arrived], [a[2] for a in arrived], ts=[a[0] for a in arrived])
            self.monitor.labelled([a[1] for a in arrived], [a[2] for a in arrived])


# == running a simulation ============================================================================================
@dataclass(frozen=True)
class Pipeline:
    """A simulated pipeline: its first day, its simulation, and for each fault (component, column, what happens)."""

    name: str
    first_day: date
    simulation: type
    faults: dict[str, tuple[str, str | None, str]]

    @property
    def components(self) -> tuple[str, ...]:
        return self.simulation.components

    @property
    def scoring_component(self) -> str:
        return self.simulation.scoring

    def ground_truth(self, plan: FaultPlan) -> GroundTruth:
        if plan.kind == "none":
            return GroundTruth(self.name, "none", None, None, plan.start, None, self.scoring_component,
                               "no fault injected (the control)")
        component, column, what = self.faults[plan.kind]
        until = f" until {plan.end}" if plan.end else ""
        return GroundTruth(self.name, plan.kind, component, column, plan.start, plan.end, self.scoring_component,
                           f"from {plan.start}{until}, {what}")


PIPELINES = {
    "fraud": Pipeline("fraud", FRAUD_FIRST_DAY, FraudPipeline, {
        "null_spike": ("ingest_device_signals", "ip_risk_score",
                       "the risk vendor delivers ip_risk_score 60% null; build_features and score_txns fill it with "
                       "the encoder's median, so risky transactions score as ordinary ones"),
        "concept_shift": ("score_txns", None,
                          "a wave of counterfeit cards used in shops, small amounts first, at night, in quick "
                          "succession: IP risk, new devices and online channels stop telling fraud apart, and no "
                          "feature's distribution moves"),
        "skew": ("score_txns", "card_txns_24h",
                 "the serving feature code counts a card's transactions over the last 24 minutes instead of 24 "
                 "hours; training still counts 24 hours"),
        "stale_refit": ("fit_encoder", None,
                        "fit_encoder's daily job does not run, so merchant fraud rates, fill values and the amount "
                        "clip stay as they were while fraud rings move on to other merchants; the model still refits "
                        "weekly, on features encoded with them"),
    }),
    "demand": Pipeline("demand", DEMAND_FIRST_DAY, DemandPipeline, {
        "null_spike": ("ingest_promotions", "discount_pct",
                       "the promotion system delivers discount_pct 60% null; build_daily_panel and score_demand read "
                       "a missing discount as no promotion, so promoted products are forecast at their usual level"),
        "concept_shift": ("score_demand", None,
                          "shoppers respond to promotions with a fifth of their former lift (a competitor matches "
                          "them); discounts, weather, calendar and lags are distributed as before"),
        "skew": ("score_demand", "temp_forecast_c",
                 "the endpoint's upgraded weather client returns the forecast in Fahrenheit, which the serving code "
                 "takes for Celsius (then clips to the scaler's bound); training reads the Celsius feed"),
        "stale_refit": ("fit_scaler", None,
                        "fit_scaler's Monday job does not run, so the weather clip bounds, fill value and series "
                        "levels stay as they were while the spring warms and the series levels wander; the "
                        "forecaster still refits weekly, on features scaled with them"),
    }),
}


def fresh_store(path: Path) -> obsql.Store:
    if path.exists() and any(path.iterdir()):
        raise ValueError(f"{path} is not empty: the simulation writes a new store")
    return obsql.connect(path)


def simulate(pipeline: str, fault: str, store_path: Path, days: int = DEFAULT_DAYS, seed: int = 0,
             fault_start_day: int | None = None) -> GroundTruth:
    """Log `days` daily batches of a pipeline with `fault` injected into a new store at `store_path`.
    `fault_start_day` (days after the first) forces the fault's start instead of drawing it in the second half."""
    spec = PIPELINES[pipeline]
    plan = plan_fault(pipeline, fault, spec.first_day, days, seed, fault_start_day)
    store = fresh_store(Path(store_path))
    try:
        run = spec.simulation(store, days, seed, plan)
        run.backfill()
        for offset in range(days):
            run.day(spec.first_day + timedelta(days=offset), offset == 0)
    finally:
        store.close()
    return spec.ground_truth(plan)


def timed_simulation(pipeline: str, fault: str, store_path: Path, days: int, seed: int) -> tuple[GroundTruth, float]:
    began = wall.perf_counter()
    truth = simulate(pipeline, fault, store_path, days, seed)
    return truth, wall.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, required=True, help="where the stores go, one per pipeline and fault")
    parser.add_argument("--days", type=int, default=DEFAULT_DAYS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=1, help="stores simulated at once, each in its own process")
    args = parser.parse_args()
    began = wall.perf_counter()
    runs = [(pipeline, fault) for pipeline in PIPELINES for fault in FAULTS]
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        results = pool.map(timed_simulation, *zip(*[(pipeline, fault, args.root / f"{pipeline}-{fault}", args.days,
                                                     args.seed) for pipeline, fault in runs]))
        for truth, seconds in results:
            print(f"{seconds:6.1f}s  {truth}", flush=True)
    print(f"{wall.perf_counter() - began:6.1f}s  all {len(runs)} stores under {args.root}")


if __name__ == "__main__":
    main()
