"""Importance-weighted accuracy against exact answers, and proposed bucketings."""
import numpy as np
import polars as pl
import pytest

from obsql.monitor import Bucketing, estimate_accuracy, propose_buckets


def test_the_papers_example():
    reference = {"hood": ["FiDi"] * 10 + ["Midtown"] * 10}
    correct = [1] * 8 + [0] * 2 + [1] * 5 + [0] * 5
    current = {"hood": ["FiDi"] * 100 + ["Midtown"] * 500}
    result = estimate_accuracy(reference, correct, current, "hood")
    assert result.estimate == pytest.approx(0.55)
    assert (result.coverage, result.warning) == (1.0, None)


@pytest.mark.parametrize("reference, correct, current, estimate, coverage", [
    # one bucket: the training accuracy itself
    ({"b": ["x"] * 4}, [1, 1, 0, 1], {"b": ["x"] * 9}, 0.75, 1.0),
    # live traffic moves to the weak bucket
    ({"b": ["x", "x", "y", "y"]}, [1, 1, 0, 1], {"b": ["x"] + ["y"] * 3}, (1 + 3 * 0.5) / 4, 1.0),
    # an unseen live bucket is left out of the estimate and lowers coverage
    ({"b": ["x", "y"]}, [1, 0], {"b": ["x", "z", "z", "z"]}, 1.0, 0.25),
    # two columns make combined buckets; missing correctness drops the row
    ({"b": ["x", "x", "y"], "c": [1, 2, 1]}, [1, None, 0], {"b": ["x", "y", "y"], "c": [1, 1, 1]}, 1 / 3, 1.0),
])
def test_exact_answers(reference, correct, current, estimate, coverage):
    bucket_by = ["b", "c"] if "c" in reference else "b"
    result = estimate_accuracy(reference, correct, current, bucket_by)
    assert result.estimate == pytest.approx(estimate)
    assert result.coverage == pytest.approx(coverage)
    assert (result.warning is not None) == (coverage < 0.8)


def test_bucket_table_and_correctness_by_column_name():
    reference = pl.DataFrame({"b": ["x", "x", "y"], "ok": [True, False, True]})
    result = estimate_accuracy(reference, "ok", {"b": ["y", "y", "x", "w"]}, "b")
    assert result.buckets.columns == ["bucket", "reference_count", "reference_accuracy", "current_count"]
    assert result.buckets.rows() == [("b=y", 1, 1.0, 2), ("b=w", 0, None, 1), ("b=x", 2, 0.5, 1)]


def test_no_coverage_gives_no_estimate():
    result = estimate_accuracy({"b": ["x"]}, [1], {"b": ["y"]}, "b")
    assert (result.estimate, result.coverage) == (None, 0.0)
    assert "0%" in result.warning


def test_correctness_must_match_the_reference_rows():
    with pytest.raises(ValueError, match="2 values for 3"):
        estimate_accuracy({"b": ["x", "y", "z"]}, [1, 0], {"b": ["x"]}, "b")


def synthetic(seed, n, distance_scale):
    """Rides whose accuracy depends only on distance band and city (no concept shift)."""
    rng = np.random.default_rng(seed)
    frame = pl.DataFrame({"distance": rng.exponential(distance_scale, n), "city": rng.choice(list("abcde"), n),
                          "noise": rng.normal(size=n)})
    truth = (np.where(frame["distance"].to_numpy() > 3, 0.6, 0.9)
             * np.where(frame["city"].to_numpy() == "a", 0.8, 1.0))
    return frame, (rng.random(n) < truth).astype(int), truth


@pytest.mark.parametrize("seed", range(5))
def test_importance_weighting_recovers_live_accuracy_under_covariate_shift(seed):
    reference, correct, _ = synthetic(seed, 20_000, 3.0)
    current, _, live_truth = synthetic(100 + seed, 20_000, 6.0)
    bucketing = propose_buckets(reference, max_buckets=16, correct=correct)
    result = estimate_accuracy(reference, correct, current, bucketing)
    table = result.buckets.filter(pl.col("reference_count") > 0)
    shares = table["current_count"].to_numpy() / table["current_count"].sum()
    accuracies = table["reference_accuracy"].to_numpy()
    standard_error = np.sqrt(np.sum(shares**2 * accuracies * (1 - accuracies) / table["reference_count"].to_numpy()))
    assert abs(result.estimate - live_truth.mean()) < 4 * standard_error + 0.01
    assert abs(correct.mean() - live_truth.mean()) > 0.05  # the unweighted training accuracy would be off


def test_proposed_buckets_are_few_and_well_populated():
    reference, correct, _ = synthetic(0, 5000, 3.0)
    bucketing = propose_buckets(reference, max_buckets=8, min_rows=100)
    counts = bucketing.labels(reference).value_counts()
    assert counts.height <= 8
    assert counts.filter(pl.col("bucket") != "other")["count"].min() >= 100


def test_with_correctness_the_columns_that_drive_accuracy_come_first():
    reference, correct, _ = synthetic(1, 20_000, 3.0)
    bucketing = propose_buckets(reference, max_buckets=16, correct=correct)
    assert [b.column for b in bucketing.bins] == ["distance", "city"]


def test_buckets_label_new_frames_with_unseen_values():
    reference = pl.DataFrame({"city": ["a"] * 50 + ["b"] * 50 + ["c"] * 5, "x": np.arange(105.0)})
    bucketing = propose_buckets(reference, ["city"], max_buckets=4, min_rows=5, bins_per_column=3)
    labels = bucketing.labels({"city": ["a", "zzz", None, "c"], "x": [1.0, 2.0, 3.0, 4.0]}).to_list()
    assert labels == ["city=a", "city=other", "other", "city=other"]


def test_numbers_are_labelled_by_left_closed_intervals():
    bucketing = propose_buckets({"x": np.arange(100.0)}, max_buckets=4, min_rows=1)
    labels = bucketing.labels({"x": [0.0, 24.75, 49.4, 49.5, 99.0, None, float("nan")]}).to_list()
    assert labels == ["x=< 24.75", "x=[24.75, 49.5)", "x=[24.75, 49.5)", "x=[49.5, 74.25)", "x=>= 74.25", "other",
                      "other"]


def test_bucketing_of_names_or_a_bucketing():
    bucketing = propose_buckets({"x": np.arange(100.0)}, max_buckets=4, min_rows=1)
    assert Bucketing.of(bucketing) is bucketing
    assert Bucketing.of(["a", "b"]).labels({"a": [1], "b": ["z"]}).to_list() == ["a=1 & b=z"]
