"""The logistic-regression tip model: fitting, saving, scoring, and its accuracy before and after the shift."""
from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from obsql.demo.features import fit_featuregen, make_features
from obsql.demo.model import Model, accuracy, train
from obsql.demo.taxi import COVID_VOLUME_START, label

TRAINING_WEEK = date(2020, 1, 6)  # a Monday


def synthetic(weights: np.ndarray, intercept: float, rows: int, seed: int) -> tuple[pl.DataFrame, np.ndarray]:
    """Features on very different scales and labels drawn from a known logistic model."""
    rng = np.random.default_rng(seed)
    raw = rng.normal(size=(rows, len(weights))) * np.array([1.0, 10.0, 0.1])[: len(weights)] + 5.0
    standardised = (raw - raw.mean(axis=0)) / raw.std(axis=0)
    p = 1 / (1 + np.exp(-(standardised @ weights + intercept)))
    features = pl.DataFrame(raw, schema=[f"x{i}" for i in range(len(weights))], orient="row")
    return features, rng.random(rows) < p


@pytest.fixture(scope="module")
def fitted(between) -> tuple[dict, Model]:
    """Feature parameters and a model fitted on one January week."""
    week = between(TRAINING_WEEK, TRAINING_WEEK + timedelta(days=6))
    params = fit_featuregen(week)
    return params, train(make_features(week, params), label(week))


def weekly_accuracy(between, fitted, monday: date) -> tuple[float, float]:
    """The model's accuracy on the week starting `monday`, and the accuracy of always guessing the majority."""
    params, model = fitted
    week = between(monday, monday + timedelta(days=6)).drop_nulls("fare_amount")
    labels = label(week)
    majority = max(labels.mean(), 1 - labels.mean())
    return accuracy(model.predict_proba(make_features(week, params)), labels), majority


def test_recovers_the_weights_of_a_known_logistic_model():
    weights, intercept = np.array([1.5, -1.0, 0.5]), -0.3
    features, labels = synthetic(weights, intercept, rows=40_000, seed=1)
    model = train(features, labels, l2=0.01)
    assert model.weights == pytest.approx(weights, abs=0.06)
    assert model.intercept == pytest.approx(intercept, abs=0.06)


@given(weights=st.lists(st.floats(-2, 2), min_size=1, max_size=3), seed=st.integers(0, 1000))
def test_probabilities_are_valid(weights, seed):
    features, labels = synthetic(np.array(weights), 0.0, rows=300, seed=seed)
    model = train(features, labels)
    probs = model.predict_proba(features)
    assert ((probs >= 0) & (probs <= 1)).all()


def test_scoring_picks_the_model_features_by_name():
    features, labels = synthetic(np.array([1.0, -1.0]), 0.0, rows=500, seed=2)
    model = train(features, labels)
    shuffled = features.select("x1", "x0").with_columns(unused=pl.lit(3.0))
    assert np.array_equal(model.predict_proba(shuffled), model.predict_proba(features))


def test_a_constant_feature_gets_no_weight():
    features, labels = synthetic(np.array([1.0]), 0.0, rows=500, seed=3)
    model = train(features.with_columns(constant=pl.lit(7.0)), labels)
    assert model.weights[1] == 0
    assert np.isfinite(model.predict_proba(features.with_columns(constant=pl.lit(7.0)))).all()


def test_null_labels_are_refused():
    features = pl.DataFrame({"x": [1.0, 2.0, 3.0]})
    with pytest.raises(ValueError, match="null"):
        train(features, pl.Series([True, None, False]))


@pytest.mark.parametrize(
    ("probs", "labels", "expected"),
    [
        ([0.9, 0.1, 0.6], [True, False, False], 2 / 3),
        ([0.5, 0.51], [False, True], 1.0),  # exactly one half rounds down to "no high tip"
        ([0.2, 0.8], [True, False], 0.0),
        ([0.7], pl.Series([True]), 1.0),
    ],
)
def test_accuracy_rounds_each_probability(probs, labels, expected):
    assert accuracy(np.array(probs), labels) == pytest.approx(expected)


def test_beats_the_majority_guess_week_after_week_before_the_shift(between, fitted):
    weeks = [TRAINING_WEEK + timedelta(weeks=i) for i in range(1, 10)]  # up to the week before the lockdown
    assert weeks[-1] + timedelta(days=6) < COVID_VOLUME_START
    results = [weekly_accuracy(between, fitted, monday) for monday in weeks]
    accuracies = [model for model, _ in results]
    assert all(model > majority + 0.15 for model, majority in results)
    assert max(accuracies) - min(accuracies) < 0.04


def test_loses_accuracy_in_april(between, fitted):
    january, _ = weekly_accuracy(between, fitted, TRAINING_WEEK + timedelta(weeks=1))
    april = [weekly_accuracy(between, fitted, monday)[0] for monday in (date(2020, 4, 6), date(2020, 4, 13))]
    assert max(april) < january - 0.1
