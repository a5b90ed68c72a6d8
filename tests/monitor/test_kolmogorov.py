"""The linear-time KS statistic and the large-sample p-values, against scipy."""
import numpy as np
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

from obsql.monitor import ks
from obsql.monitor.kolmogorov import asymptotic_p_value, ks_statistic

rng = np.random.default_rng(11)

SAMPLES = {
    "normal, shifted": (rng.normal(size=30_000), rng.normal(0.05, 1, size=20_000)),
    "same distribution": (rng.normal(size=50_000), rng.normal(size=50_000)),
    "heavy tails (Cauchy)": (rng.standard_cauchy(size=20_000), rng.standard_cauchy(size=25_000) * 1.1),
    "integers, many ties": (rng.integers(0, 20, 40_000).astype(float), rng.integers(0, 21, 30_000).astype(float)),
    "with infinities": (np.r_[rng.normal(size=5000), [np.inf, -np.inf] * 50], np.r_[rng.normal(size=4000), [np.inf]]),
    "identical": (np.arange(10_000.0), np.arange(10_000.0)),
    "disjoint": (rng.uniform(0, 1, 8000), rng.uniform(2, 3, 9000)),
    "point mass and spread": (np.r_[np.zeros(9000), rng.normal(size=1000)], rng.normal(size=10_000)),
    "huge range": (np.r_[rng.normal(size=3000), [-1e308, 1e308]], rng.normal(size=3000)),
}


@pytest.mark.parametrize("name", list(SAMPLES))
def test_statistic_equals_scipy(name):
    reference, current = SAMPLES[name]
    assert ks_statistic(reference, current) == pytest.approx(
        scipy.stats.ks_2samp(reference, current).statistic, rel=1e-12, abs=1e-15)


@pytest.mark.filterwarnings("ignore:ks_2samp")  # scipy's p-value fallback; only the statistic is compared here
@settings(max_examples=200)
@given(st.lists(st.floats(allow_nan=False), min_size=1, max_size=300),
       st.lists(st.floats(allow_nan=False), min_size=1, max_size=300))
def test_statistic_equals_scipy_on_any_floats(reference, current):
    reference, current = np.array(reference), np.array(current)
    assert ks_statistic(reference, current) == pytest.approx(
        scipy.stats.ks_2samp(reference, current).statistic, rel=1e-12, abs=1e-15)


def _shifted_grids(n1, n2, shift):
    """Two evenly spread samples, the second moved up by `shift`: a KS statistic close to the shift."""
    return np.arange(n1) / n1, np.arange(n2) / n2 + shift


@pytest.mark.parametrize("n1, n2, scaled", [(20_000, 30_000, 1.0), (50_000, 50_000, 1.5), (200_000, 100_000, 2.0)])
def test_large_samples_use_scipys_asymptotic_formula(n1, n2, scaled):
    expected = scipy.stats.ks_2samp(*_shifted_grids(n1, n2, scaled / np.sqrt(n1 * n2 / (n1 + n2))))
    assert asymptotic_p_value(expected.statistic, n1, n2) == pytest.approx(expected.pvalue, rel=1e-9)
    assert asymptotic_p_value(expected.statistic, n1, n2, fast=True) == pytest.approx(expected.pvalue, rel=0.01)


@pytest.mark.parametrize("name", ["normal, shifted", "integers, many ties", "heavy tails (Cauchy)"])
def test_ks_beyond_the_exact_limit_equals_scipy(name):
    reference, current = SAMPLES[name]
    expected = scipy.stats.ks_2samp(reference, current)
    result = ks(reference, current)
    assert result.statistic == pytest.approx(expected.statistic, rel=1e-12, abs=1e-15)
    assert result.p_value == pytest.approx(expected.pvalue, rel=1e-9, abs=1e-300)
