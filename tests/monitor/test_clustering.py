"""Design effects of rows logged in batches (obsql.monitor.clustering), and the drift tests that weigh by them,
checked against scipy."""
from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from obsql.monitor import drift
from obsql.monitor.clustering import BatchSpread, shares_spread, values_spread
from obsql.monitor.stats import chi2_of_counts, chi2_of_table, ks, null_share_of_counts


def batched(values_per_batch: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Values and the batch of each."""
    return np.concatenate(values_per_batch), np.repeat(np.arange(len(values_per_batch)),
                                                       [len(v) for v in values_per_batch])


def test_a_column_set_per_batch_counts_one_row_a_batch():
    rng = np.random.default_rng(0)
    batches, size = 30, 100
    values, labels = batched([np.full(size, rng.normal()) for _ in range(batches)])
    effect = values_spread(values, labels).design_effect()
    assert effect == pytest.approx(size * batches / (batches - 1), rel=1e-5)
    assert len(values) / effect == pytest.approx(batches - 1, rel=1e-5)


def test_independent_rows_keep_a_design_effect_of_one_but_as_often_as_the_batch_test_allows():
    rng = np.random.default_rng(1)
    batched_by_chance = sum(values_spread(*batched([rng.normal(size=50) for _ in range(20)])).design_effect() > 1
                            for _ in range(400))
    assert batched_by_chance / 400 < 0.03  # BATCH_ALPHA is 0.01


def test_a_design_effect_is_the_batch_variance_over_the_row_variance():
    """A day-level component (sd 2) beside row noise (sd 1), 40 batches of 50: the variance of the side's mean
    from its batches, over the rows' variance over n, estimates 1 + (m - 1) rho, rho = 4 / 5."""
    rng = np.random.default_rng(2)
    values, labels = batched([rng.normal(rng.normal(0, 2), 1, 50) for _ in range(40)])
    assert values_spread(values, labels).design_effect() == pytest.approx(1 + 49 * 0.8, rel=0.35)


@settings(deadline=None, max_examples=60)
@given(st.lists(st.lists(st.booleans(), min_size=1, max_size=30), min_size=2, max_size=12))
def test_a_share_of_two_categories_spreads_as_its_indicator_does(batches):
    """Pearson's statistic of the batch x category table and the between-batch statistic of the 0/1 indicator
    are one statistic for two categories."""
    values, labels = batched([np.array(b, dtype=float) for b in batches])
    if values.min() == values.max():
        return
    as_numbers = values_spread(values, labels)
    as_shares = shares_spread(pl.Series(values.astype(bool)), labels)
    assert as_shares.batches * as_shares.between / as_shares.total == pytest.approx(
        as_numbers.batches * as_numbers.between / as_numbers.total, rel=1e-9)
    assert as_shares.design_effect() == pytest.approx(as_numbers.design_effect(), rel=1e-5)


def test_a_share_statistic_is_pearsons_on_equal_batches():
    rng = np.random.default_rng(3)
    cities = [rng.choice(["nyc", "sf", "la"], 40, p=rng.dirichlet([5, 5, 5])) for _ in range(15)]
    values, labels = batched(cities)
    spread = shares_spread(pl.Series(values), labels)
    table = pl.DataFrame({"b": labels, "v": values}).pivot(on="v", index="b", values="v", aggregate_function="len")
    pearson = stats.chi2_contingency(table.drop("b").fill_null(0).to_numpy(), correction=False).statistic
    assert spread.batches * spread.between / spread.total == pytest.approx(pearson, rel=1e-9)
    assert spread.categories == 3


def test_ks_of_batched_rows_is_at_their_effective_sizes():
    rng = np.random.default_rng(4)
    reference, current = rng.normal(0, 1, 3000), rng.normal(0.1, 1, 3000)
    result = ks(reference, current, effects=(30.0, 60.0))
    d = stats.ks_2samp(reference, current).statistic
    effective = 100 * 50 / 150
    assert result.statistic == pytest.approx(d)
    assert result.p_value == pytest.approx(stats.kstwo.sf(d, round(effective)), rel=1e-9)
    assert result.design_effect == pytest.approx((30 / 3000 + 60 / 3000) / (2 / 3000))


def test_chi2_of_batched_rows_is_rao_scotts_first_order_correction():
    reference, current = np.array([900, 100]), np.array([850, 150])
    pearson, _ = chi2_of_table(np.vstack([reference, current]).astype(float))
    result = chi2_of_counts(reference, current, effects=(4.0, 4.0))
    assert result.statistic == pytest.approx(pearson / 4.0)
    assert result.p_value == pytest.approx(stats.chi2.sf(pearson / 4.0, 1))
    assert result.effect_size == pytest.approx(np.sqrt(pearson / 2000))  # Cramer's V is Pearson's


def test_null_share_of_batched_rows_widens_each_sides_variance():
    plain = null_share_of_counts(1000, 1000, 20, 45)
    batched_result = null_share_of_counts(1000, 1000, 20, 45, effects=(1.0, 9.0))
    z_plain, z_batched = (stats.norm.isf(r.p_value / 2) for r in (plain, batched_result))
    assert z_batched == pytest.approx(z_plain / np.sqrt(5.0), rel=1e-6)  # variance (1 + 9) / 2 times larger


def test_a_holiday_set_per_day_is_not_drift_but_a_month_of_breaks_is():
    """Thirty daily batches of 300 rows a side: one holiday in a month is no change in how often days are
    holidays; a school break on most days of the second month is, and rows of a column that varies within each
    day are still judged one by one."""
    rng = np.random.default_rng(5)

    def month(holidays: int, breaks: int) -> pl.DataFrame:
        days = [pl.DataFrame({"day": [d] * 300, "holiday": [d < holidays] * 300, "school_break": [d < breaks] * 300,
                              "units": rng.poisson(20, 300)}) for d in range(30)]
        return pl.concat(days)

    table = drift(month(0, 0), month(1, 20), batch="day")
    rows = {row["column"]: row for row in table.to_dicts()}
    assert not rows["holiday"]["drifted"] and rows["holiday"]["design_effect"] > 100
    assert rows["school_break"]["drifted"]
    assert rows["units"]["design_effect"] == 1.0 and not rows["units"]["drifted"]
    unbatched = {row["column"]: row for row in drift(month(0, 0), month(1, 20)).to_dicts()}
    assert unbatched["holiday"]["drifted"]  # counted per row, the one holiday was 300 rows of change


def test_a_spread_with_one_batch_has_no_design_effect():
    assert BatchSpread(1, 5.0, 10.0).design_effect() == 1.0
    assert BatchSpread(10, 5.0, 0.0).design_effect() == 1.0
