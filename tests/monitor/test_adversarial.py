"""Adversarial validation: chance level without shift, the shifted feature found, and the streaming monitor."""
import math
from datetime import datetime, timedelta

import numpy as np
import polars as pl
import pytest
import scipy.optimize
from hypothesis import given, settings
from hypothesis import strategies as st

from obsql.monitor import AdversarialMonitor, adversarial_validation
from obsql.monitor.adversarial import auc, balanced_weights, fit_logistic, log_loss, predict


def rows(n, rng, shift=None):
    """Five features; `shift` names the one that moves (numbers by +0.6 sd, 'city' towards 'c', 'x0 nulls')."""
    frame = {f"x{i}": rng.normal(size=n) for i in range(4)}
    frame["city"] = rng.choice(["a", "b", "c"], n, p=[0.2, 0.3, 0.5] if shift == "city" else [0.5, 0.3, 0.2])
    if shift in frame and shift != "city":
        frame[shift] = frame[shift] + 0.6
    data = pl.DataFrame(frame)
    if shift == "x0 nulls":
        data = data.with_columns(pl.when(pl.Series(rng.random(n) < 0.3)).then(None).otherwise(pl.col("x0"))
                                 .alias("x0"))
    return data


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_no_shift_is_chance_level(seed):
    rng = np.random.default_rng(seed)
    result = adversarial_validation(rows(3000, rng), rows(2000, rng), seed=seed)
    assert result.auc == pytest.approx(0.5, abs=0.04)
    assert result.loss == pytest.approx(math.log(2), abs=0.01)


@pytest.mark.parametrize("shift, top", [("x2", "x2"), ("city", "city="), ("x0 nulls", "x0 is null")])
def test_finds_the_one_shifted_feature(shift, top):
    rng = np.random.default_rng(4)
    result = adversarial_validation(rows(3000, rng), rows(3000, rng, shift=shift))
    assert result.auc > 0.6
    assert result.loss < math.log(2) - 0.02
    assert result.top_features[0][0].startswith(top)


def test_scores_separate_current_rows_from_reference_rows():
    rng = np.random.default_rng(5)
    reference, current = rows(2000, rng), rows(2000, rng, shift="x1")
    result = adversarial_validation(reference, current)
    assert result.score(current).mean() > result.score(reference).mean() + 0.05
    assert ((0 <= result.score(current)) & (result.score(current) <= 1)).all()


def test_date_columns_are_left_out_unless_named():
    rng = np.random.default_rng(6)
    start = datetime(2024, 1, 1)
    reference = rows(1000, rng).with_columns(ts=pl.Series([start + timedelta(minutes=i) for i in range(1000)]))
    current = rows(1000, rng).with_columns(ts=pl.Series([start + timedelta(days=30, minutes=i) for i in range(1000)]))
    assert adversarial_validation(reference, current).auc < 0.6
    assert adversarial_validation(reference, current, columns=["ts", "x0"]).auc > 0.99


def test_newton_fit_matches_a_general_optimizer():
    rng = np.random.default_rng(7)
    features = rng.normal(size=(400, 3))
    labels = (features @ [1.0, -0.5, 0.0] + rng.normal(size=400) > 0).astype(float)
    weights = balanced_weights(labels)
    coefficients = fit_logistic(features, labels, weights, l2=0.01)

    def objective(c):
        return log_loss(labels, predict(features, c), weights) + 0.005 * np.sum(c[:-1] ** 2)

    reference = scipy.optimize.minimize(objective, np.zeros(4), method="BFGS", options={"gtol": 1e-10}).x
    assert coefficients == pytest.approx(reference, abs=1e-4)


@settings(max_examples=60)
@given(st.lists(st.tuples(st.booleans(), st.sampled_from([0.1, 0.2, 0.5, 0.9])), min_size=2, max_size=40))
def test_auc_counts_ordered_pairs_with_ties_as_half(pairs):
    labels = np.array([float(y) for y, _ in pairs])
    scores = np.array([s for _, s in pairs])
    positives, negatives = scores[labels == 1], scores[labels == 0]
    if len(positives) == 0 or len(negatives) == 0:
        assert math.isnan(auc(labels, scores))
        return
    wins = sum((p > n) + 0.5 * (p == n) for p in positives for n in negatives)
    assert auc(labels, scores) == pytest.approx(wins / (len(positives) * len(negatives)))


def test_monitor_loss_falls_and_auc_rises_as_live_data_drifts():
    rng = np.random.default_rng(8)
    monitor = AdversarialMonitor(rows(5000, rng))
    for step in range(12):
        batch = rows(400, rng).with_columns(pl.col("x3") + 0.1 * step)
        monitor.update(batch, at=f"day {step}")
    losses = [loss for _, loss, _ in monitor.history]
    aucs = [area for _, _, area in monitor.history]
    assert [at for at, _, _ in monitor.history] == [f"day {step}" for step in range(12)]
    assert np.mean(losses[-3:]) < np.mean(losses[:3]) - 0.03
    assert np.mean(aucs[-3:]) > np.mean(aucs[:3]) + 0.1
    assert monitor.top_features[0][0] == "x3"


def test_monitor_stays_at_chance_without_drift():
    rng = np.random.default_rng(9)
    monitor = AdversarialMonitor(rows(5000, rng))
    history = [monitor.update(rows(400, rng)) for _ in range(8)]
    assert [entry[0] for entry in history] == list(range(8))
    assert all(abs(area - 0.5) < 0.1 for _, _, area in history)
    assert all(loss > math.log(2) - 0.02 for _, loss, _ in history)
