"""The two-sample statistics against scipy, their decision rule, and the inputs they accept."""
from collections import Counter

import numpy as np
import polars as pl
import pyarrow as pa
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import jensenshannon

from obsql.monitor import chi2, jensen_shannon, kl, ks, psi, wasserstein
from obsql.monitor.stats import null_share
from obsql.monitor.stats import decide

continuous = st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=60)
tied = st.lists(st.sampled_from([0.0, 1.0, 2.0, 2.5, 7.0]), min_size=1, max_size=60)
constant = st.integers(1, 40).map(lambda n: [3.0] * n)
numbers = st.one_of(continuous, tied, constant)
categories = st.lists(st.sampled_from("abcde"), min_size=1, max_size=80)


def counts_of(reference, current):
    names = sorted(set(reference) | set(current))
    ref, cur = Counter(reference), Counter(current)
    return np.array([ref[n] for n in names]), np.array([cur[n] for n in names])


def quantile_bin_counts(reference, current, bins=10):
    """Counts over reference-quantile bins [e_k, e_k+1), computed with np.histogram."""
    inner = np.unique(np.quantile(reference, np.linspace(0, 1, bins + 1)[1:-1]))
    edges = np.r_[-np.inf, inner, np.inf]
    return np.histogram(reference, edges)[0], np.histogram(current, edges)[0]


@pytest.mark.filterwarnings("ignore:ks_2samp")
@given(numbers, numbers)
def test_ks_matches_scipy(reference, current):
    expected = scipy.stats.ks_2samp(reference, current)
    result = ks(reference, current)
    assert (result.statistic, result.p_value) == (expected.statistic, expected.pvalue)
    assert result.effect_size == result.statistic


@pytest.mark.filterwarnings("ignore:ks_2samp")  # scipy's note when its exact sum fails; the answer is still scipy's
@given(numbers, numbers)
def test_ks_drops_and_counts_nan(reference, current):
    with_nan = reference + [float("nan")] * 3
    result = ks(np.array(with_nan), pl.Series(current + [None]))
    expected = scipy.stats.ks_2samp(reference, current)
    assert (result.nulls_reference, result.nulls_current) == (3, 1)
    assert (result.n_reference, result.n_current) == (len(reference), len(current))
    assert result.statistic == pytest.approx(expected.statistic, rel=1e-12, abs=1e-15)


@given(categories, categories)
def test_chi2_matches_scipy(reference, current):
    table = np.vstack(counts_of(reference, current))
    expected = scipy.stats.chi2_contingency(table)
    result = chi2(reference, current)
    assert result.statistic == pytest.approx(expected.statistic, rel=1e-9, abs=1e-12)
    assert result.p_value == pytest.approx(expected.pvalue, rel=1e-9, abs=1e-12)


@given(st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=60), st.lists(st.floats(-1e3, 1e3), min_size=1,
                                                                           max_size=60))
def test_wasserstein_matches_scipy(reference, current):
    result = wasserstein(reference, current)
    assert result.statistic == pytest.approx(scipy.stats.wasserstein_distance(reference, current), rel=1e-9,
                                             abs=1e-9)


@given(categories, categories)
def test_jensen_shannon_matches_scipy_on_categories(reference, current):
    # compared as divergences (distance squared): the square root turns 1e-16 rounding near 0 into 1e-8 noise
    expected = jensenshannon(*counts_of(reference, current), base=2)
    assert jensen_shannon(reference, current).statistic ** 2 == pytest.approx(expected ** 2, abs=1e-12)


@given(numbers, numbers)
def test_jensen_shannon_matches_scipy_on_binned_numbers(reference, current):
    expected = jensenshannon(*quantile_bin_counts(reference, current), base=2)
    assert jensen_shannon(reference, current).statistic ** 2 == pytest.approx(expected ** 2, abs=1e-12)


@given(st.one_of(categories, numbers), st.one_of(categories, numbers))
def test_kl_matches_scipy_entropy(reference, current):
    same_kind = isinstance(reference[0], str) == isinstance(current[0], str)
    if isinstance(reference[0], str) or not same_kind:
        ref_counts, cur_counts = counts_of([str(v) for v in reference], [str(v) for v in current])
    else:
        ref_counts, cur_counts = quantile_bin_counts(reference, current)
    assert kl(reference, current).statistic == pytest.approx(scipy.stats.entropy(ref_counts, cur_counts), rel=1e-9)


@given(numbers, numbers)
def test_psi_is_the_floored_formula_over_reference_deciles(reference, current):
    ref_counts, cur_counts = quantile_bin_counts(reference, current)
    r = np.maximum(ref_counts / ref_counts.sum(), 1e-4)
    c = np.maximum(cur_counts / cur_counts.sum(), 1e-4)
    assert psi(reference, current).statistic == pytest.approx(float(np.sum((c - r) * np.log(c / r))), abs=1e-12)


@pytest.mark.parametrize("sizes, p_value, effect, threshold, expected", [
    ((100, 100), 0.01, 0.05, 0.1, (True, "p_value", 0.05)),
    ((100, 5000), 0.20, 0.50, 0.1, (False, "p_value", 0.05)),
    ((1000, 1000), 0.049, 0.0, 0.1, (True, "p_value", 0.05)),
    ((1001, 5000), 1e-30, 0.05, 0.1, (False, "effect_size", 0.1)),
    ((5000, 5000), 0.9, 0.25, 0.2, (True, "effect_size", 0.2)),
    ((10, 10), None, 0.3, 0.2, (True, "effect_size", 0.2)),
    ((10, 10), None, 0.1, 0.2, (False, "effect_size", 0.2)),
])
def test_decision_rule_by_sample_size(sizes, p_value, effect, threshold, expected):
    result = decide("m", effect, p_value, effect, sizes, threshold=threshold)
    assert (result.drifted, result.decided_by, result.threshold) == expected


def test_large_samples_ignore_a_tiny_p_value_without_practical_effect():
    rng = np.random.default_rng(7)
    result = ks(rng.normal(size=20_000), rng.normal(0.1, 1, size=20_000))
    assert result.p_value < 1e-6
    assert result.effect_size < 0.1
    assert not result.drifted and result.decided_by == "effect_size"


@pytest.mark.parametrize("convert", [
    list, np.array, lambda v: pl.Series(v), lambda v: pa.array(v), lambda v: pa.chunked_array([v[:2], v[2:]]),
])
def test_any_array_like_gives_the_same_answer(convert):
    reference, current = [0.5, 1.5, 2.5, 3.5, 9.0], [1.0, 2.0, 2.5, 8.0]
    assert ks(convert(reference), convert(current)) == ks(reference, current)


def test_pandas_series_are_accepted():
    pd = pytest.importorskip("pandas")
    assert ks(pd.Series([1.0, 2.0, None]), [1.0, 3.0]).nulls_reference == 1


@pytest.mark.parametrize("reference, current", [([None, None], [1.0]), ([1.0], [float("nan")])])
def test_an_empty_side_is_an_error(reference, current):
    with pytest.raises(ValueError, match="no non-null values"):
        ks(reference, current)


def test_numeric_statistics_refuse_text():
    with pytest.raises(ValueError, match="expected numbers"):
        wasserstein(["a", "b"], ["a"])


@settings(max_examples=30)
@given(st.lists(st.booleans(), min_size=1, max_size=50), st.lists(st.booleans(), min_size=1, max_size=50))
def test_booleans_are_categories_for_chi2(reference, current):
    expected = scipy.stats.chi2_contingency(np.vstack(counts_of(reference, current)))
    assert chi2(reference, current).statistic == pytest.approx(expected.statistic, rel=1e-9, abs=1e-12)


@given(st.lists(st.booleans(), min_size=1, max_size=300), st.lists(st.booleans(), min_size=1, max_size=300))
def test_null_share_matches_scipy_on_the_two_by_two_table(reference_missing, current_missing):
    reference = [None if missing else 1.0 for missing in reference_missing]
    current = [None if missing else 1.0 for missing in current_missing]
    result = null_share(pl.Series(reference, dtype=pl.Float64), pl.Series(current, dtype=pl.Float64))
    table = np.array([[sum(reference_missing), len(reference) - sum(reference_missing)],
                      [sum(current_missing), len(current) - sum(current_missing)]])
    if (table.sum(axis=0) == 0).any():  # no one missing, or everyone: scipy has no test to run
        assert result.p_value == 1.0 and result.drifted is False
        return
    expected = scipy.stats.chi2_contingency(table, correction=False)
    assert result.p_value == pytest.approx(expected.pvalue, rel=1e-7, abs=1e-12)
    shares = table[:, 0] / table.sum(axis=1)
    assert result.statistic == pytest.approx(shares[1] - shares[0])
    assert result.drifted == (result.p_value < 0.05 and result.effect_size > 0.2)


def test_null_share_does_not_call_a_small_wobble_drift():
    rng = np.random.default_rng(0)
    def with_nulls(share):
        values = rng.normal(size=100_000)
        values[rng.random(values.size) < share] = np.nan
        return values
    assert null_share(with_nulls(0.01), with_nulls(0.02)).drifted is False  # significant, but h is 0.08
    assert null_share(with_nulls(0.0), with_nulls(0.05)).drifted is True
