"""Rows sampled in batches are not independent: how many of them count as one.

A pipeline logs its data a batch at a time (a run's dataframe), and the samples drift compares are so many rows of
so many batches. A column whose value is set per batch (a holiday flag, the day's weather forecast, a model
version) holds as many independent values as there are batches, not rows: 30 days of 300 rows each are 30
observations of whether a day is a holiday, and a test that counts 9,000 calls one holiday in the month "drift".
The correction is survey statistics' design effect (Kish): the variance of a side's mean (or share) estimated
from its batches, over the variance the rows would give if they were independent. A test then weighs each side as
its rows over its design effect (its effective size); for chi-squared this is Rao and Scott's first-order
correction (the statistic over the mean design effect).

The between-batch statistic is a chi-squared of the batches: for a column's values, the batches' squared
deviations of their sums from what the side's mean predicts, over the side's variance; for shares (categories,
missing values), Pearson's statistic of the batch x category table. With independent rows it follows chi-squared
with (batches - 1)(categories - 1) degrees of freedom and its ratio to them is near 1: a design effect is taken
only when that statistic is beyond its BATCH_ALPHA tail, so independent rows keep their plain tests.

From a handful of batches a side the estimate is rough, and low when one batch holds most rows (three batches of
12,000, 300 and 300 rows set per batch give about 1,000, where the big batch alone is 12,000 rows): it still
weighs such a column far less than its rows would, which is the direction that matters.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy import stats

from obsql.monitor.inputs import as_numbers

BATCH_ALPHA = 0.01  # how surprising batch-to-batch variation must be before the rows stop counting one each
NO_EFFECT = (1.0, 1.0)


@dataclass(frozen=True)
class BatchSpread:
    """How one side's batches differ, for one column and one test: `between` is the batches' sum of squared
    deviations (for shares, each category's over its share), `total` the rows' (for shares, the number of rows)."""

    batches: int
    between: float
    total: float
    categories: int = 2  # a column's values and a share of missing values are one degree of freedom a batch

    def design_effect(self) -> float:
        """The side's variance inflation from batching, 1.0 when its batches vary no more than chance says."""
        dof = (self.batches - 1) * (self.categories - 1)
        if dof < 1 or self.total <= 0:
            return 1.0
        statistic = self.batches * self.between / self.total
        if statistic <= stats.chi2.ppf(1 - BATCH_ALPHA, dof):
            return 1.0
        # to six figures: a variance over batches that differ a thousandfold keeps fewer digits than a double holds,
        # and engines that sum in another order (Spark) must answer alike
        return float(f"{statistic / dof:.6g}")


def combined(effects: tuple[float, float], sizes: tuple[int, int]) -> float:
    """One design effect for a two-sample statistic: each side's weighed by the variance it contributes."""
    (left, right), (n_left, n_right) = effects, sizes
    if not n_left or not n_right:
        return 1.0
    return float((left / n_left + right / n_right) / (1 / n_left + 1 / n_right))


def effective_sizes(sizes: tuple[int, int], effects: tuple[float, float]) -> tuple[float, float]:
    """Each side's rows over its design effect: the number of independent rows its evidence is worth."""
    return sizes[0] / effects[0], sizes[1] / effects[1]


# -- from values and their batch labels (a frame's column), as the engine counts them in SQL ---------------------


def values_spread(values: np.ndarray, batches: np.ndarray) -> BatchSpread:
    """A column's numbers (no nulls, no NaN) with the batch each came from."""
    if len(values) == 0:
        return BatchSpread(0, 0.0, 0.0)
    frame = pl.DataFrame({"batch": batches, "x": values})
    per_batch = frame.group_by("batch").agg(pl.len().alias("m"), pl.col("x").mean().alias("mean"))
    mean = float(values.mean())
    between = float((per_batch["m"].cast(pl.Float64) ** 2 * (per_batch["mean"] - mean) ** 2).sum())
    return BatchSpread(per_batch.height, between, float(len(values) * values.var()))


def shares_spread(values: pl.Series, batches: np.ndarray) -> BatchSpread:
    """A column's categories (no nulls) with the batch each came from."""
    if len(values) == 0:
        return BatchSpread(0, 0.0, 0.0)
    frame = pl.DataFrame({"batch": batches, "value": values.cast(pl.String)})
    sizes = frame.group_by("batch").agg(pl.len().alias("m"))
    counts = frame.group_by("batch", "value").agg(pl.len().alias("c")).join(sizes, on="batch")
    total = len(values)
    per_value = counts.group_by("value").agg((pl.col("c").cast(pl.Float64) ** 2).sum().alias("sq"),
                                             (pl.col("c") * pl.col("m")).cast(pl.Float64).sum().alias("cross"),
                                             pl.col("c").sum().alias("n"))
    squares = float((sizes["m"].cast(pl.Float64) ** 2).sum())
    share = per_value["n"].cast(pl.Float64) / total
    between = float(((per_value["sq"] - 2 * share * per_value["cross"] + share**2 * squares) / share).sum())
    return BatchSpread(sizes.height, between, float(total), per_value.height)


def missing_spread(present: np.ndarray, batches: np.ndarray) -> BatchSpread:
    """Whether each sampled row holds the column (True) or misses it, with the batch of each row (as a 0/1
    number: none or all missing spread nothing, which is a design effect of 1)."""
    return values_spread((~present).astype(np.float64), batches)


@dataclass(frozen=True)
class ColumnEffects:
    """A column's design effects on either side (reference, current): for its values' test and for its share of
    missing values."""

    values: tuple[float, float] = NO_EFFECT
    nulls: tuple[float, float] = NO_EFFECT


def column_effects(reference: pl.Series, current: pl.Series, batches: tuple[np.ndarray, np.ndarray],
                   categorical: bool) -> ColumnEffects:
    """Both sides' design effects of a frame's column, given the batch of each of its rows."""
    values, nulls = [], []
    for series, labels in zip((reference, current), batches):
        present = series.is_not_null()
        if series.dtype.is_float():
            present &= ~series.is_nan().fill_null(False)
        mask = present.to_numpy()
        kept, kept_labels = series.filter(present), np.asarray(labels)[mask]
        if categorical:
            values.append(shares_spread(kept, kept_labels).design_effect())
        else:
            values.append(values_spread(as_numbers(kept), kept_labels).design_effect())
        nulls.append(missing_spread(mask, np.asarray(labels)).design_effect())
    return ColumnEffects(tuple(values), tuple(nulls))
