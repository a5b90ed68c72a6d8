"""How the demo pipeline watches itself, with `obsql.monitor`, as the vision paper proposes.

- Without labels: each inference run estimates its accuracy by importance weighting (the training accuracy of each
  bucket of trips, weighted by how many live trips fall in it).
- With late labels: a `FeedbackJoin` pairs predictions with labels as they arrive (in bounded memory); inference
  logs the accuracy of the last two days' labelled predictions, and its SLA bounds that business metric.
- Daily, a `monitor` component compares the day's online features with the model's training features (largest KS
  statistic, streaming adversarial validation), reads the shift off the week's trends (covariate: the features
  moved; concept: accuracy fell while they did not) and leaves a retraining hint in its notes.
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import polars as pl

import obsql
from obsql.demo import features, model
from obsql.monitor import AdversarialMonitor, BucketAccuracy, FeedbackJoin, classify_shift, drift, propose_buckets

BUCKET_COLUMNS = ["is_card", "trip_distance", "pickup_hour", "is_night"]
# A day of live trips is compared with a week of training trips, so day-of-week features would always "drift".
WATCHED_COLUMNS = [c for c in features.FEATURE_COLUMNS if c not in ("pickup_weekday", "is_weekend")]
LABEL_WINDOW = timedelta(days=2)  # long enough that late labels make a steady rate, short enough to react
ACCURACY_SLA = ">= 0.65"  # about 13 points under normal; daily noise stays above it
# A shift must move the week's trend by more than day-to-day noise (measured on the demo before the faults).
SHIFT_MARGINS = {"ks_margin": 0.1, "loss_margin": 0.05, "accuracy_margin": 0.08}
TREND_DAYS = 7
DRIFT_SAMPLE = 2000


@dataclass
class Reference:
    """What the model was trained on, kept to judge live data against: its features, the accuracy of each bucket of
    them, and an adversarial classifier that learns how live data differs."""

    features: pl.DataFrame
    accuracy: BucketAccuracy
    adversarial: AdversarialMonitor

    @classmethod
    def of(cls, x: pl.DataFrame, labels: pl.Series, fitted: model.Model) -> "Reference":
        correct = (fitted.predict_proba(x) > 0.5) == labels.to_numpy()
        bucketing = propose_buckets(x, BUCKET_COLUMNS, max_buckets=12, correct=correct)
        return cls(x, BucketAccuracy(x, correct, bucketing),
                   AdversarialMonitor(x, WATCHED_COLUMNS, seed=0))

    @property
    def drift_sample(self) -> pl.DataFrame:
        """A fixed sample of the training features, enough for a daily KS against a day of live rows."""
        return self.features.sample(min(DRIFT_SAMPLE, self.features.height), seed=0)

    def buckets(self, online: pl.DataFrame) -> pl.Series:
        """The bucket of each live row (labelled a day at a time: the endpoint's batches are small)."""
        return self.accuracy.bucketing.labels(online)

    def estimated_accuracy(self, buckets: pl.Series) -> float | None:
        return None if buckets.is_empty() else self.accuracy.estimate_buckets(buckets).estimate


@dataclass
class Watch:
    """Late labels on their way (released when simulated time reaches them), the join, and a week of trends."""

    join: FeedbackJoin = field(default_factory=lambda: FeedbackJoin(capacity=20_000, bucket=timedelta(hours=1)))
    arriving: list = field(default_factory=list)  # heap of (arrival time, id, label)
    day_features: list[pl.DataFrame] = field(default_factory=list)
    trends: dict[str, list[float]] = field(default_factory=lambda: {"ks": [], "loss": [], "accuracy": []})

    def predicted(self, ids: list[str], scores: np.ndarray, at: datetime, online: pl.DataFrame) -> None:
        for pointer, score in zip(ids, scores):
            self.join.add_prediction(pointer, at, float(score))
        self.day_features.append(online)

    def label_later(self, pointer: str, label: int, at: datetime) -> None:
        heapq.heappush(self.arriving, (at, pointer, label))

    def release_until(self, now: datetime) -> None:
        """Hand the join every label that has arrived by `now`."""
        while self.arriving and self.arriving[0][0] <= now:
            at, pointer, label = heapq.heappop(self.arriving)
            self.join.add_feedback(pointer, at, label)

    def recent_accuracy(self) -> float | None:
        """The accuracy of the predictions of the last LABEL_WINDOW whose labels have come."""
        return self.join.accuracy(window=LABEL_WINDOW)

    def start_over(self) -> None:
        self.trends = {name: [] for name in self.trends}

    def take_day(self) -> pl.DataFrame:
        day = pl.concat(self.day_features) if self.day_features else pl.DataFrame()
        self.day_features = []
        return day


class Monitor(obsql.Component):
    """Logs the day's drift measures; a `shift` check fails (marking the run stale) with the diagnosis and a hint."""

    def after_run(self, measured: dict, diagnosis, hint: str, **_) -> dict:
        if diagnosis is not None and diagnosis.kind != "none":
            accuracy = "n/a" if diagnosis.accuracy_change is None else f"{diagnosis.accuracy_change:+.2f}"
            raise obsql.CheckFailed(f"{diagnosis.kind} shift (accuracy {accuracy}, KS {diagnosis.ks_change:+.2f}, "
                                    f"adversarial loss {diagnosis.loss_change:+.2f}): {hint}", name="shift",
                                    metrics=measured)
        return measured


monitor_component = Monitor("monitor", description="compares live features with training daily; diagnoses shifts",
                            owner="ml", tags=("taxi", "monitoring"), raise_on_failure=False)


@monitor_component.run(input_vars=("inputs",))
def monitor(day: datetime, inputs: list[str], online: pl.DataFrame, reference: Reference, watch: Watch) -> None:
    """The day's drift, adversarial loss and labelled accuracy; the week's trends read as a kind of shift."""
    measured, diagnosis, hint = {}, None, ""
    if online.height >= 10:
        ks_max = float(drift(reference.drift_sample, online, WATCHED_COLUMNS)["statistic"].max())
        _, adversarial_loss, adversarial_auc = reference.adversarial.update(online, at=day)
        measured = {"ks_max": ks_max, "adversarial_loss": adversarial_loss, "adversarial_auc": adversarial_auc}
        accuracy = watch.recent_accuracy()
        for name, value in (("ks", ks_max), ("loss", adversarial_loss), ("accuracy", accuracy)):
            watch.trends[name] = (watch.trends[name] + [np.nan if value is None else value])[-TREND_DAYS:]
        diagnosis = _diagnose(watch.trends)
        hint = _hint(diagnosis, day)


def _hint(diagnosis, day: datetime) -> str:
    if diagnosis is None or diagnosis.kind == "none":
        return ""
    if diagnosis.kind == "concept":
        return f"retrain on trips since {day.date() - timedelta(days=TREND_DAYS)}"
    return "upsample the buckets live traffic now favours"


def _diagnose(trends: dict[str, list[float]]):
    accuracy = [a for a in trends["accuracy"] if a == a]
    if len(trends["ks"]) < 3 or len(accuracy) < 3:
        return None
    return classify_shift(trends["ks"], trends["loss"], accuracy, **SHIFT_MARGINS)
