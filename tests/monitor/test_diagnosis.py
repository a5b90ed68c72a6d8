"""Telling concept from covariate shift, and the retraining hints."""
import numpy as np
import polars as pl
import pytest

from obsql.monitor import classify_shift, retraining_hints

FLAT_KS = [0.02, 0.021, 0.019, 0.02, 0.02]
RISING_KS = [0.02, 0.05, 0.09, 0.14, 0.2]
CHANCE_LOSS = [0.693, 0.694, 0.692, 0.693, 0.693]
FALLING_LOSS = [0.693, 0.68, 0.66, 0.63, 0.6]
LOW_FLAT_LOSS = [0.55, 0.551, 0.549, 0.55, 0.55]
DROPPING_ACCURACY = [0.9, 0.87, 0.84, 0.8, 0.77]
STEADY_ACCURACY = [0.9, 0.9, 0.91, 0.9, 0.9]


@pytest.mark.parametrize("ks_trend, loss_trend, accuracy_trend, kind", [
    (FLAT_KS, CHANCE_LOSS, DROPPING_ACCURACY, "concept"),
    (RISING_KS, FALLING_LOSS, DROPPING_ACCURACY, "covariate"),
    (FLAT_KS, FALLING_LOSS, DROPPING_ACCURACY, "covariate"),
    (RISING_KS, CHANCE_LOSS, STEADY_ACCURACY, "covariate"),
    (FLAT_KS, LOW_FLAT_LOSS, STEADY_ACCURACY, "covariate"),
    (FLAT_KS, CHANCE_LOSS, STEADY_ACCURACY, "none"),
    (FLAT_KS, CHANCE_LOSS, None, "none"),
    ([0.02], [0.69], [0.9], "none"),
])
def test_kind_of_shift(ks_trend, loss_trend, accuracy_trend, kind):
    diagnosis = classify_shift(ks_trend, loss_trend, accuracy_trend)
    assert diagnosis.kind == kind
    assert diagnosis.reason


def test_changes_come_from_the_fitted_trend_not_single_points():
    diagnosis = classify_shift([0.02, 0.02, 0.3, 0.02, 0.02], CHANCE_LOSS, [0.9, 0.9, 0.7, 0.9, 0.9])
    assert diagnosis.kind == "none"
    assert diagnosis.ks_change == pytest.approx(0.0, abs=1e-12)
    assert diagnosis.accuracy_change == pytest.approx(0.0, abs=1e-12)


def frames(seed=0):
    rng = np.random.default_rng(seed)
    reference = pl.DataFrame({"distance": rng.exponential(3, 4000), "city": rng.choice(["a", "b", "c"], 4000,
                                                                                        p=[0.6, 0.3, 0.1])})
    current = pl.DataFrame({"distance": rng.exponential(3, 4000), "city": rng.choice(["a", "b", "c"], 4000,
                                                                                      p=[0.2, 0.3, 0.5])})
    return reference, current


def test_hints_upsample_the_bucket_live_traffic_now_favours():
    hints = retraining_hints(*frames(), bucket_by="city")
    assert hints.upsample["bucket"].to_list()[0] == "city=c"
    first = hints.upsample.row(0, named=True)
    assert first["ratio"] == pytest.approx(first["current_share"] / first["reference_share"])
    assert (hints.upsample["current_share"] > hints.upsample["reference_share"]).all()


def test_hints_pick_the_current_rows_least_like_the_training_set():
    reference, current = frames(1)
    hints = retraining_hints(reference, current, top_rows=200)
    assert hints.novel_rows.height == 200
    assert (hints.novel_rows["city"] == "c").mean() > 0.9
    assert hints.novel_rows["adversarial_score"].is_sorted(descending=True)
    assert hints.adversarial.top_features[0][0].startswith("city=")
