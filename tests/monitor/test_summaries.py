"""Column summaries against direct numpy computations, and drift computed from two summaries."""
import math
from collections import Counter
from datetime import date, datetime

import numpy as np
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from obsql.monitor import chi2, drift_from_summaries, jensen_shannon, ks, psi, summarize, wasserstein

KEYS = ["column", "dtype", "kind", "count", "nulls", "min", "max", "mean", "std", "quantiles", "distinct",
        "top_values"]
LEVELS = np.linspace(0, 1, 21)


def expected_top(values, k):
    """Most frequent first, ties in value order."""
    counts = Counter(values)
    return [[str(v), c] for v, c in sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:k]]


@given(st.lists(st.one_of(st.none(), st.just(float("nan")), st.floats(-1e9, 1e9),
                          st.sampled_from([0.0, 1.5, 2.0])), max_size=80), st.integers(1, 12))
def test_numeric_summary_matches_numpy(values, top_k):
    summary = summarize(pl.DataFrame({"v": values}, schema={"v": pl.Float64}), top_k=top_k)[0]
    present = np.array([v for v in values if v is not None and not math.isnan(v)])
    assert list(summary) == KEYS
    assert (summary["count"], summary["nulls"]) == (len(present), len(values) - len(present))
    assert summary["distinct"] == len(set(present.tolist()))
    assert summary["top_values"] == expected_top(present.tolist(), top_k)
    if len(present) == 0:
        assert summary["min"] is summary["quantiles"] is summary["mean"] is None
        return
    assert (summary["min"], summary["max"]) == (present.min(), present.max())
    assert summary["mean"] == pytest.approx(present.mean(), rel=1e-12, abs=1e-6)
    assert summary["std"] == (pytest.approx(present.std(ddof=1), rel=1e-9, abs=1e-6) if len(present) > 1 else None)
    assert summary["quantiles"] == pytest.approx(np.quantile(present, LEVELS).tolist(), rel=1e-12, abs=1e-6)


@settings(max_examples=50)
@given(st.lists(st.one_of(st.none(), st.sampled_from(["a", "b", "c", "dd", ""])), max_size=60))
def test_categorical_summary_counts_values(values):
    summary = summarize(pl.DataFrame({"s": values}, schema={"s": pl.String}), top_k=3)[0]
    present = [v for v in values if v is not None]
    assert (summary["kind"], summary["count"], summary["nulls"]) == ("categorical", len(present), values.count(None))
    assert summary["distinct"] == len(set(present))
    assert summary["top_values"] == expected_top(present, 3)
    assert summary["min"] is summary["mean"] is summary["quantiles"] is None


@pytest.mark.parametrize("values, dtype, kind, expected_min, top", [
    ([1, 3, None, 3], pl.Int64, "numeric", 1.0, [["3", 2], ["1", 1]]),
    ([True, None, True, False], pl.Boolean, "boolean", 0.0, [["True", 2], ["False", 1]]),
    ([date(2024, 1, 2), date(2024, 1, 1), None], pl.Date, "temporal", 1704067200.0,
     [["2024-01-01", 1], ["2024-01-02", 1]]),
    ([datetime(2024, 1, 1, 0, 0, 30)], pl.Datetime("ms"), "temporal", 1704067230.0, [["2024-01-01 00:00:30", 1]]),
    ([[1], [1], None], pl.List(pl.Int64), "other", None, [["[1]", 2]]),
])
def test_kinds_and_their_numbers(values, dtype, kind, expected_min, top):
    summary = summarize(pl.DataFrame({"c": values}, schema={"c": dtype}))[0]
    assert (summary["kind"], summary["min"], summary["top_values"]) == (kind, expected_min, top)
    assert summary["dtype"] == str(dtype)
    assert (summary["quantiles"] is not None) == (kind in ("numeric", "temporal"))


def test_booleans_read_as_shares():
    summary = summarize({"b": [True, True, False, None]})[0]
    assert summary["mean"] == pytest.approx(2 / 3)


@pytest.mark.parametrize("data, names", [
    (np.arange(12.0).reshape(4, 3), ["c0", "c1", "c2"]),
    (np.arange(5), ["value"]),
    (pa.table({"a": [1, 2], "b": ["x", "y"]}), ["a", "b"]),
    ({"a": [1.0, 2.0], "b": ["x", None]}, ["a", "b"]),
])
def test_inputs_and_column_names(data, names):
    assert [s["column"] for s in summarize(data)] == names


def test_pandas_input():
    pd = pytest.importorskip("pandas")
    assert summarize(pd.DataFrame({"a": [1.0, None]}))[0]["nulls"] == 1


def normal_summaries(shift, n=10_000, seed=0):
    rng = np.random.default_rng(seed)
    reference, current = rng.normal(size=n), rng.normal(shift, 1 + shift / 2, size=n)
    return reference, current, summarize({"x": reference})[0], summarize({"x": current})[0]


@pytest.mark.parametrize("shift", [0.0, 0.05, 0.2, 0.5, 1.5])
@pytest.mark.parametrize("method, exact, tolerance", [(ks, "ks", 0.01), (psi, "psi", 0.02),
                                                      (wasserstein, "wasserstein", 0.03)])
def test_numeric_drift_from_summaries_is_close_on_smooth_data(shift, method, exact, tolerance):
    reference, current, ref_summary, cur_summary = normal_summaries(shift)
    approximate = drift_from_summaries(ref_summary, cur_summary, exact)
    assert approximate.approximate and approximate.method == exact
    assert approximate.statistic == pytest.approx(method(reference, current).statistic, abs=tolerance, rel=0.05)


@pytest.mark.filterwarnings("ignore:ks_2samp")  # scipy's note when its exact sum fails
@settings(max_examples=60)
@given(st.lists(st.floats(-100, 100), min_size=20, max_size=200),
       st.lists(st.floats(-100, 100), min_size=20, max_size=200))
def test_ks_from_summaries_stays_within_its_stated_bound(reference, current):
    approximate = drift_from_summaries(summarize({"x": reference})[0], summarize({"x": current})[0])
    bound = 0.1 + 1 / len(reference) + 1 / len(current)
    assert abs(approximate.statistic - ks(reference, current).statistic) <= bound


@pytest.mark.parametrize("method, exact", [("chi2", chi2), ("jensen_shannon", jensen_shannon), ("psi", psi)])
def test_categorical_drift_from_complete_top_lists_is_exact(method, exact):
    rng = np.random.default_rng(1)
    reference, current = rng.choice(list("abcd"), 800), rng.choice(list("abcde"), 700, p=[.4, .3, .1, .1, .1])
    approximate = drift_from_summaries(summarize({"c": reference})[0], summarize({"c": current})[0], method)
    assert approximate.statistic == pytest.approx(exact(reference, current).statistic, rel=1e-9)


def test_categorical_drift_from_truncated_top_lists_is_close_and_reads_the_store_format():
    rng = np.random.default_rng(2)
    letters = list("abcdefghijklmnopqrst")
    reference = rng.choice(letters, 20_000)
    current = rng.choice(letters, 20_000, p=np.r_[np.full(10, 0.07), np.full(10, 0.03)])
    ref_summary, cur_summary = summarize({"c": reference})[0], summarize({"c": current})[0]
    stored = {**ref_summary, "top_values": [{"value": v, "count": c} for v, c in ref_summary["top_values"]]}
    approximate = drift_from_summaries(stored, cur_summary)
    assert approximate.method == "jensen_shannon" and approximate.drifted
    assert approximate.statistic == pytest.approx(jensen_shannon(reference, current).statistic, abs=0.03)


def test_default_method_and_counts_follow_the_summaries():
    _, _, ref_summary, cur_summary = normal_summaries(0.5, n=500)
    result = drift_from_summaries(ref_summary, cur_summary)
    assert (result.method, result.decided_by, result.n_reference, result.n_current) == ("ks", "p_value", 500, 500)
    assert result.drifted


@pytest.mark.parametrize("values, method", [(["a", "b"], "wasserstein"), ([1.0, 2.0], "chi2")])
def test_methods_must_fit_the_kind(values, method):
    summary = summarize({"c": values})[0]
    with pytest.raises(ValueError, match="does not apply"):
        drift_from_summaries(summary, summary, method)
