"""The card fraud pipeline: the issuer's world (cardholders, merchants, fraud rings, late labels), the team's steps,
and `FraudPipeline`, its daily batch."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
import polars as pl

import obsql

from .common import (ARRIVED_DETECTOR, FaultPlan, GatedTrainer, Ingest, KeyedIngest, LabelJoin, Lake, LinearModel,
                     NULL_SPIKE_SHARE, PendingLabels, SERVING_STALENESS_DAYS, at,
                     fit_linear, random_stream, sigmoid, uuids, with_nulls)


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


def auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """The probability that a random positive scores above a random negative (NaN without both)."""
    positive = labels == 1
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = np.empty(len(scores))
    ranks[np.argsort(scores)] = np.arange(1, len(scores) + 1)
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


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
    """The queue's business metrics: recall and precision over the labelled predictions of the last two weeks, and
    the share of the labels that came back since the last batch (frauds and settlements) that the review threshold
    got wrong: the stream its change detector watches, every label counted once."""

    def after_run(self, scores: np.ndarray, monitor: LabelJoin, moment: datetime, **_: Any) -> dict:
        metrics = {"predictions": len(scores), "mean_score": float(np.mean(scores)),
                   "review_rate": float(np.mean(scores >= REVIEW_THRESHOLD))}
        past, labels = monitor.recent(moment)
        frauds = labels == 1
        metrics["labelled"] = len(labels)
        if frauds.any():
            metrics["recent_recall"] = float(np.mean(past[frauds] >= REVIEW_THRESHOLD))
        arrived, reported, _ = monitor.arrived()
        if (reported == 1).any():
            metrics["arrived_recall"] = float(np.mean(arrived[reported == 1] >= REVIEW_THRESHOLD))
        if len(reported):
            metrics["arrived_error"] = float(np.mean([not self.correct.is_correct(float(score), float(label))
                                                      for score, label in zip(arrived, reported)]))
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
            "load_mcc_codes", description="loads the card networks' merchant category codes", owner=owner,
            tags=tags, static=True).run(**fetch, output_vars=("codes", "path"))(load_mcc_codes)
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
            "fit_encoder", description="refits fill values, amount clip and merchant fraud rates daily", owner=ml,
            tags=tags).run(input_vars=("joined_paths", "label_paths"), output_vars=("path",))(fit_encoder)
        self.build_features = obsql.Component(
            "build_features", description="builds the day's offline training features", owner=ml, tags=tags).run(
            input_vars=("inputs",), output_vars=("features", "path"))(build_fraud_features)
        self.train_fraud_model = GatedTrainer(
            "train_fraud_model", "refits the fraud classifier on 28 days", "auc", ">=", MIN_HOLDOUT_AUC, owner=ml,
            tags=tags).run(input_vars=("feature_paths", "label_paths"), output_vars=("model_path",))(
            train_fraud_model)
        self.score_txns = FraudScorer(
            "score_txns", description="scores the day's transactions for the review queue", owner=ml, tags=tags,
            slas={"recent_recall": RECALL_SLA}, detectors={"arrived_error": ARRIVED_DETECTOR},
            correct=f"binary(threshold={REVIEW_THRESHOLD})",
            staleness_days=SERVING_STALENESS_DAYS).run(
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
