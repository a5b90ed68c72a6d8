"""The demo's tip classifier: L2-regularised logistic regression in numpy, fitted by Newton's method.

The papers use a random forest; a linear model keeps the demo dependency-free and fast while showing the same
story: good accuracy on the weeks it was trained for, a clear drop once riders change how they tip.
A model is plain data (feature names, standardisation, weights), so it saves to and loads from JSON bytes.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

NEWTON_STEPS = 25
STEP_TOLERANCE = 1e-8


@dataclass(frozen=True)
class Model:
    """A fitted logistic regression over named features, standardised with the training means and spreads."""

    feature_names: tuple[str, ...]
    means: np.ndarray
    scales: np.ndarray
    weights: np.ndarray  # one per feature, on the standardised scale
    intercept: float

    def predict_proba(self, features: pl.DataFrame) -> np.ndarray:
        """P(high tip) for each row of `features` (extra columns are ignored)."""
        return _sigmoid(self._standardise(features) @ self.weights + self.intercept)

    def _standardise(self, features: pl.DataFrame) -> np.ndarray:
        return (features.select(self.feature_names).to_numpy().astype(float) - self.means) / self.scales


def train(features: pl.DataFrame, labels: pl.Series | np.ndarray, l2: float = 1.0) -> Model:
    """Fit on every column of `features` against boolean `labels` (no nulls); `l2` penalises the weights only."""
    targets = np.asarray(labels, dtype=float)
    if np.isnan(targets).any():
        raise ValueError("labels must not be null; drop or label the trips with a missing fare first")
    names = tuple(features.columns)
    raw = features.to_numpy().astype(float)
    means = raw.mean(axis=0)
    spreads = raw.std(axis=0)
    scales = np.where(spreads > 0, spreads, 1.0)  # a constant column keeps weight 0 instead of dividing by 0
    coefficients = _newton_fit(np.column_stack([np.ones(len(raw)), (raw - means) / scales]), targets, l2)
    return Model(names, means, scales, coefficients[1:], float(coefficients[0]))


def accuracy(probs: np.ndarray, labels: pl.Series | np.ndarray) -> float:
    """The share of predictions that are right once each probability is rounded to 0 or 1."""
    return float(np.mean((np.asarray(probs) > 0.5) == np.asarray(labels, dtype=bool)))


def _newton_fit(design: np.ndarray, targets: np.ndarray, l2: float) -> np.ndarray:
    """Coefficients (intercept first) minimising log-loss plus l2/2 * |weights|^2, by Newton steps."""
    penalty = np.full(design.shape[1], l2)
    penalty[0] = 0.0
    coefficients = np.zeros(design.shape[1])
    for _ in range(NEWTON_STEPS):
        probs = _sigmoid(design @ coefficients)
        gradient = design.T @ (probs - targets) + penalty * coefficients
        hessian = (design.T * (probs * (1 - probs))) @ design + np.diag(penalty)
        step = np.linalg.solve(hessian, gradient)
        coefficients -= step
        if np.max(np.abs(step)) < STEP_TOLERANCE:
            break
    return coefficients


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))
