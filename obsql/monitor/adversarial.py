"""Adversarial validation: a classifier that tries to tell reference rows from current rows.

If it cannot (held-out AUC near 0.5, log loss near ln 2), the two samples look alike as a whole, interactions
included, which per-feature tests miss; its weights say which features moved. `AdversarialMonitor` is the streaming
form the paper proposes: each new batch is first scored (the loss over time is the signal: it falls as live data
drifts away from the training data) and then used to fine-tune the model from where it was.

The model is a logistic regression on standardized numbers (missing values at the mean, plus a missing-value flag
where a column has any) and one-hot top categories with an 'other' flag, fitted by Newton's method with a small
L2 penalty; each side carries half the weight, so chance level is exactly AUC 0.5 and loss ln 2 whatever the sizes.
Date and datetime columns are left out by default: time alone always tells the two apart.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import polars as pl
from scipy.special import expit
from scipy.stats import rankdata

from obsql.monitor.identifiers import identifier_columns
from obsql.monitor.inputs import as_frame, kind_of

CHANCE_LOSS = math.log(2)
L2 = 1e-3


@dataclass(frozen=True)
class FeatureEncoder:
    """How raw columns become model features; fitted once so every later batch is encoded the same way."""

    numbers: tuple[tuple[str, float, float], ...]  # (column, mean, std)
    flagged: tuple[str, ...]  # numeric columns that get a missing-value flag
    categories: tuple[tuple[str, tuple[str, ...]], ...]  # (column, values with their own feature)

    @classmethod
    def fit(cls, frame: pl.DataFrame, columns: Sequence[str] | None = None, top_categories: int = 10
            ) -> FeatureEncoder:
        """Learn means, spreads and frequent categories from `frame` (temporal columns skipped unless named)."""
        names = list(columns) if columns is not None else [
            c for c, dtype in frame.schema.items() if kind_of(dtype) != "temporal"]
        numbers, flagged, categories = [], [], []
        for name in names:
            kind = kind_of(frame.schema[name])
            if kind in ("numeric", "boolean", "temporal"):
                values = frame.select(_numbers(name, kind)).to_series().drop_nulls()
                numbers.append((name, float(values.mean() or 0.0), float(values.std() or 0.0) or 1.0))
                if len(values) < frame.height:
                    flagged.append(name)
            else:
                counts = frame[name].drop_nulls().cast(pl.String).value_counts(sort=True)
                categories.append((name, tuple(counts[name].head(top_categories).to_list())))
        return cls(tuple(numbers), tuple(flagged), tuple(categories))

    @property
    def names(self) -> list[str]:
        """Feature names, in column order of `encode`: 'x', 'x is null', 'city=NYC', 'city=<other>'."""
        return ([name for name, _, _ in self.numbers] + [f"{name} is null" for name in self.flagged]
                + [f"{name}={value}" for name, values in self.categories for value in (*values, "<other>")])

    def encode(self, frame: Any) -> np.ndarray:
        """The feature matrix of `frame` (rows x features)."""
        frame = as_frame(frame)
        exprs = [((_numbers(name, kind_of(frame.schema[name])) - mean) / std).fill_null(0.0)
                 for name, mean, std in self.numbers]
        exprs += [_numbers(name, kind_of(frame.schema[name])).is_null() for name in self.flagged]
        for name, values in self.categories:
            text = pl.col(name).cast(pl.String)
            exprs += [(text == value).fill_null(False) for value in values]
            exprs += [(~text.is_in(values)).fill_null(False)]
        if not exprs:
            return np.zeros((frame.height, 0))
        columns = frame.select([e.cast(pl.Float64).alias(str(i)) for i, e in enumerate(exprs)])
        return columns.to_numpy().astype(np.float64, copy=False)


def _numbers(name: str, kind: str) -> pl.Expr:
    """The column as float numbers (epoch seconds for dates), with NaN as null."""
    expr = pl.col(name)
    expr = expr.dt.epoch("us").cast(pl.Float64) / 1e6 if kind == "temporal" else expr.cast(pl.Float64)
    return expr.fill_nan(None)


@dataclass(frozen=True)
class AdversarialResult:
    """How well reference and current rows can be told apart, on held-out rows, and by which features."""

    auc: float
    loss: float
    top_features: list[tuple[str, float]]
    n_reference: int
    n_current: int
    encoder: FeatureEncoder = field(repr=False)
    coefficients: np.ndarray = field(repr=False)

    def score(self, frame: Any) -> np.ndarray:
        """For each row of `frame`, the model's probability that it is a current (not a reference) row."""
        return predict(self.encoder.encode(frame), self.coefficients)


def adversarial_validation(reference_df: Any, current_df: Any, columns: Sequence[str] | None = None, *,
                           test_share: float = 0.3, max_rows: int = 50_000, seed: int = 0) -> AdversarialResult:
    """Train a classifier to tell reference rows (label 0) from current rows (label 1) and test it on held-out rows.

    Each side is first sampled down to `max_rows`. AUC near 0.5 and loss near ln 2 (0.693) mean no shift. Columns
    default to those both sides have, but dates and identifier-like columns (see `identifiers`).
    """
    rng = np.random.default_rng(seed)
    reference, current = (_sample(as_frame(f), max_rows, rng) for f in (reference_df, current_df))
    if columns is None:
        shared = [c for c, dtype in reference.schema.items() if c in current.columns and kind_of(dtype) != "temporal"]
        keys = set(identifier_columns(reference, current, shared))
        columns = [c for c in shared if c not in keys]
    ref_train, ref_test = _split(reference, test_share, rng)
    cur_train, cur_test = _split(current, test_share, rng)
    encoder = FeatureEncoder.fit(pl.concat([ref_train, cur_train], how="diagonal_relaxed"), columns)
    features, labels = _labelled(encoder, ref_train, cur_train)
    coefficients = fit_logistic(features, labels, balanced_weights(labels))
    test_features, test_labels = _labelled(encoder, ref_test, cur_test)
    scores = predict(test_features, coefficients)
    return AdversarialResult(
        auc=auc(test_labels, scores), loss=log_loss(test_labels, scores, balanced_weights(test_labels)),
        top_features=top_features(encoder, coefficients), n_reference=reference.height, n_current=current.height,
        encoder=encoder, coefficients=coefficients)


class AdversarialMonitor:
    """Streaming adversarial validation: score each new batch against the reference, then fine-tune on it.

    `history` holds (batch index or the `at` given, loss, AUC) per batch, measured before the model saw the batch,
    so every entry is a held-out measurement. Falling loss (rising AUC) means live data is drifting away.
    """

    def __init__(self, reference_df: Any, columns: Sequence[str] | None = None, *, reference_rows: int = 10_000,
                 seed: int = 0) -> None:
        self._rng = np.random.default_rng(seed)
        reference = _sample(as_frame(reference_df), reference_rows, self._rng)
        self.encoder = FeatureEncoder.fit(reference, columns)
        self._reference = self.encoder.encode(reference)
        self.coefficients = np.zeros(self._reference.shape[1] + 1)
        self.history: list[tuple[Any, float, float]] = []

    def update(self, batch_df: Any, at: Any = None) -> tuple[Any, float, float]:
        """Score `batch_df` against as many random reference rows, record (at, loss, auc), then fine-tune."""
        current = self.encoder.encode(batch_df)
        if len(current) == 0:
            raise ValueError("the batch is empty")
        chosen = self._rng.choice(len(self._reference), size=min(len(current), len(self._reference)), replace=False)
        features = np.vstack([self._reference[chosen], current])
        labels = np.r_[np.zeros(len(chosen)), np.ones(len(current))]
        weights = balanced_weights(labels)
        scores = predict(features, self.coefficients)
        entry = (len(self.history) if at is None else at, log_loss(labels, scores, weights), auc(labels, scores))
        self.history.append(entry)
        self.coefficients = fit_logistic(features, labels, weights, start=self.coefficients, steps=1)
        return entry

    @property
    def top_features(self) -> list[tuple[str, float]]:
        """Features by how much the current model leans on them, most separating first."""
        return top_features(self.encoder, self.coefficients)


def fit_logistic(features: np.ndarray, labels: np.ndarray, weights: np.ndarray, *, start: np.ndarray | None = None,
                 steps: int = 25, l2: float = L2) -> np.ndarray:
    """Newton steps on the weighted log loss plus l2/2 |w|^2 (intercept free); coefficients with the intercept last."""
    design = np.column_stack([features, np.ones(len(features))])
    coef = np.zeros(design.shape[1]) if start is None else start.copy()
    penalty = np.full(design.shape[1], l2)
    penalty[-1] = 0.0
    for _ in range(steps):
        p = expit(design @ coef)
        gradient = design.T @ (weights * (p - labels)) + penalty * coef
        curvature = (design * (weights * p * (1 - p))[:, None]).T @ design + np.diag(penalty + 1e-12)
        step = np.linalg.solve(curvature, gradient)
        coef -= step
        if np.abs(step).max() < 1e-8:
            break
    return coef


def predict(features: np.ndarray, coefficients: np.ndarray) -> np.ndarray:
    """Probability of label 1 for each row."""
    return expit(features @ coefficients[:-1] + coefficients[-1])


def balanced_weights(labels: np.ndarray) -> np.ndarray:
    """Weights giving each class half the total (1), so chance loss is ln 2 whatever the class sizes."""
    positives = labels.sum()
    return np.where(labels == 1, 0.5 / max(positives, 1), 0.5 / max(len(labels) - positives, 1))


def log_loss(labels: np.ndarray, scores: np.ndarray, weights: np.ndarray) -> float:
    """Weighted cross-entropy in nats, with probabilities kept away from 0 and 1."""
    p = np.clip(scores, 1e-12, 1 - 1e-12)
    return float(-(weights * (labels * np.log(p) + (1 - labels) * np.log(1 - p))).sum() / weights.sum())


def auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve: the chance a random positive outscores a random negative (ties count half)."""
    positives = int(labels.sum())
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        return float("nan")
    ranks = rankdata(scores)
    return float((ranks[labels == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def top_features(encoder: FeatureEncoder, coefficients: np.ndarray) -> list[tuple[str, float]]:
    """(feature, |weight|) on standardized features, largest first."""
    weights = np.abs(coefficients[:-1])
    order = np.argsort(-weights, kind="stable")
    return [(encoder.names[i], float(weights[i])) for i in order]


def _sample(frame: pl.DataFrame, rows: int, rng: np.random.Generator) -> pl.DataFrame:
    if frame.height <= rows:
        return frame
    return frame[np.sort(rng.choice(frame.height, size=rows, replace=False))]


def _split(frame: pl.DataFrame, test_share: float, rng: np.random.Generator) -> tuple[pl.DataFrame, pl.DataFrame]:
    order = rng.permutation(frame.height)
    cut = frame.height - max(int(round(frame.height * test_share)), 1)
    return frame[np.sort(order[:cut])], frame[np.sort(order[cut:])]


def _labelled(encoder: FeatureEncoder, reference: pl.DataFrame, current: pl.DataFrame
              ) -> tuple[np.ndarray, np.ndarray]:
    features = np.vstack([encoder.encode(reference), encoder.encode(current)])
    return features, np.r_[np.zeros(reference.height), np.ones(current.height)]
