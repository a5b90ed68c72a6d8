"""Diagnosis and reaction: what kind of shift is this, and how should the training set change?

Concept shift (P(y|x) changes, P(x) does not) shows as accuracy falling while the features stay put: KS statistics
flat, the adversarial classifier no better than chance. Covariate shift (P(x) changes) shows in the features
themselves. The reaction differs (paper, section 3.4): retrain on recent data for concept shift; upsample the
buckets live traffic now favours for covariate shift; in both cases add the live rows least like the training set.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import polars as pl

from obsql.monitor.accuracy import Bucketing, propose_buckets
from obsql.monitor.adversarial import CHANCE_LOSS, AdversarialResult, adversarial_validation
from obsql.monitor.inputs import as_frame


@dataclass(frozen=True)
class ShiftDiagnosis:
    """'concept', 'covariate' or 'none', why, and the changes over the period (fitted linear trend) behind it."""

    kind: str
    reason: str
    ks_change: float
    loss_change: float
    accuracy_change: float | None


def classify_shift(ks_trend: Sequence[float], adversarial_loss_trend: Sequence[float],
                   accuracy_trend: Sequence[float] | None = None, *, ks_margin: float = 0.05,
                   loss_margin: float = 0.02, accuracy_margin: float = 0.02) -> ShiftDiagnosis:
    """Read the kind of shift off three series over the same periods (oldest first).

    `ks_trend` is a KS statistic per period (say, the mean over features), `adversarial_loss_trend` the
    adversarial classifier's loss per period (`AdversarialMonitor.history`), `accuracy_trend` the (estimated)
    accuracy per period. Features separate when KS rises by more than `ks_margin`, or the loss falls by more than
    `loss_margin` or ends that far below chance (ln 2): covariate shift. Accuracy falling by more than
    `accuracy_margin` while features do not separate: concept shift. Otherwise none.
    """
    ks_change, _ = _trend(ks_trend)
    loss_change, loss_end = _trend(adversarial_loss_trend)
    accuracy_change = _trend(accuracy_trend)[0] if accuracy_trend is not None and len(accuracy_trend) else None
    features = f"KS changed by {ks_change:+.3f}, adversarial loss by {loss_change:+.3f} (ending at {loss_end:.3f})"
    dropped = accuracy_change is not None and accuracy_change < -accuracy_margin
    accuracy = "" if accuracy_change is None else f", accuracy by {accuracy_change:+.3f}"
    if ks_change > ks_margin or loss_change < -loss_margin or loss_end < CHANCE_LOSS - loss_margin:
        return ShiftDiagnosis("covariate", f"the features moved: {features}{accuracy}", ks_change, loss_change,
                              accuracy_change)
    if dropped:
        return ShiftDiagnosis("concept", f"accuracy fell while the features stayed put: {features}{accuracy}",
                              ks_change, loss_change, accuracy_change)
    return ShiftDiagnosis("none", f"neither features nor accuracy moved beyond the margins: {features}{accuracy}",
                          ks_change, loss_change, accuracy_change)


def _trend(values: Sequence[float]) -> tuple[float, float]:
    """The change over the series and its end value, both from the least-squares line (robust to one noisy point)."""
    y = np.asarray(values, dtype=np.float64)
    if len(y) < 2:
        return 0.0, float(y[-1]) if len(y) else float("nan")
    x = np.arange(len(y))
    slope, intercept = np.polyfit(x, y, 1)
    return float(slope * (len(y) - 1)), float(intercept + slope * (len(y) - 1))


@dataclass(frozen=True)
class RetrainingHints:
    """Buckets to upsample, the current rows least like the training set, and the classifier that found them."""

    upsample: pl.DataFrame  # bucket, reference_share, current_share, ratio: over-represented live, largest first
    novel_rows: pl.DataFrame  # current rows with an adversarial_score column, most unlike the reference first
    adversarial: AdversarialResult


def retraining_hints(reference_df: Any, current_df: Any, bucket_by: str | Sequence[str] | Bucketing | None = None,
                     *, columns: Sequence[str] | None = None, top_rows: int = 100, seed: int = 0) -> RetrainingHints:
    """Suggest how to change the training set: buckets live traffic now favours (bucketing from `propose_buckets`
    unless given), and the `top_rows` current rows the adversarial classifier finds least like the reference."""
    reference, current = as_frame(reference_df), as_frame(current_df)
    bucketing = propose_buckets(reference, columns) if bucket_by is None else Bucketing.of(bucket_by)
    adversarial = adversarial_validation(reference, current, columns, seed=seed)
    scored = current.with_columns(pl.Series("adversarial_score", adversarial.score(current)))
    novel = scored.sort("adversarial_score", descending=True).head(top_rows)
    return RetrainingHints(_over_represented(bucketing, reference, current), novel, adversarial)


def _over_represented(bucketing: Bucketing, reference: pl.DataFrame, current: pl.DataFrame) -> pl.DataFrame:
    shares = [bucketing.labels(frame).rename("bucket").value_counts(name=name, normalize=True)
              for frame, name in ((reference, "reference_share"), (current, "current_share"))]
    table = shares[0].join(shares[1], on="bucket", how="full", coalesce=True).fill_null(0.0)
    table = table.with_columns((pl.col("current_share") / pl.col("reference_share")).alias("ratio"))
    return table.filter(pl.col("current_share") > pl.col("reference_share")).sort(
        ["ratio", "current_share"], descending=True)
