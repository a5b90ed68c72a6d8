"""Accuracy without labels: importance weighting of per-bucket training accuracy by live bucket counts.

If the training set had 80% accuracy on FiDi rides and 50% on Midtown ones, and live traffic is 100 FiDi rides and
500 Midtown ones, the estimate is (0.8 * 100 + 0.5 * 500) / 600 = 55% (paper, section 3.2). It holds as far as
accuracy within a bucket does not change (covariate shift, no concept shift), and only for live rows that fall in
buckets the training set covers, hence `coverage` and `warning`.

A good bucketing has few buckets, each well represented in the training set, whose accuracies differ:
`propose_buckets` builds one greedily from quantile bins and top categories.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np
import polars as pl

from obsql.monitor.inputs import as_frame, as_series, kind_of

LOW_COVERAGE = 0.8
OTHER = "other"


@dataclass(frozen=True)
class ColumnBins:
    """How one column splits rows: at numeric cut points, into kept categories plus 'other', or by raw value."""

    column: str
    cuts: tuple[float, ...] | None = None
    categories: tuple[str, ...] | None = None

    def label(self) -> pl.Expr:
        """'column=bin' for each row; 'column=null' for missing values."""
        value = pl.col(self.column)
        if self.cuts is not None:
            text = _interval(value.cast(pl.Float64).fill_nan(None), self.cuts)
        elif self.categories is not None:
            text = value.cast(pl.String)
            text = pl.when(text.is_in(self.categories) | text.is_null()).then(text).otherwise(pl.lit(OTHER))
        else:
            text = value.cast(pl.String)
        return pl.lit(f"{self.column}=") + text.fill_null("null")


def _interval(value: pl.Expr, cuts: tuple[float, ...]) -> pl.Expr:
    """Which of the intervals '< c0', '[c0, c1)', ..., '>= ck' holds each value (null stays null)."""
    if not cuts:
        return pl.when(value.is_null()).then(None).otherwise(pl.lit("all"))
    names = [f"< {cuts[0]:g}"] + [f"[{lo:g}, {hi:g})" for lo, hi in zip(cuts, cuts[1:])]
    label = pl.lit(f">= {cuts[-1]:g}")
    for cut, name in zip(reversed(cuts), reversed(names)):
        label = pl.when(value < cut).then(pl.lit(name)).otherwise(label)
    return pl.when(value.is_null()).then(None).otherwise(label)


@dataclass(frozen=True)
class Bucketing:
    """A rule that assigns every row of any frame with the right columns to a named bucket.

    Buckets outside `kept` (when given) are pooled into 'other', so rare combinations share one bucket.
    """

    bins: tuple[ColumnBins, ...]
    kept: frozenset[str] | None = None

    @classmethod
    def of(cls, bucket_by: str | Sequence[str] | Bucketing) -> Bucketing:
        """`bucket_by` itself if it is a Bucketing, else one bucket per distinct raw value of the named column(s)."""
        if isinstance(bucket_by, Bucketing):
            return bucket_by
        names = [bucket_by] if isinstance(bucket_by, str) else list(bucket_by)
        return cls(tuple(ColumnBins(name) for name in names))

    def labels(self, df: Any) -> pl.Series:
        """The bucket of each row of `df`."""
        frame = as_frame(df)
        if not self.bins:
            return pl.Series("bucket", [OTHER] * frame.height, dtype=pl.String)
        label = pl.concat_str([b.label() for b in self.bins], separator=" & ")
        if self.kept is not None:
            label = pl.when(label.is_in(list(self.kept))).then(label).otherwise(pl.lit(OTHER))
        return frame.select(label.alias("bucket")).to_series()


@dataclass(frozen=True)
class AccuracyEstimate:
    """Estimated live accuracy, the share of live rows it covers, and the per-bucket table behind it."""

    estimate: float | None
    coverage: float
    warning: str | None
    table: Callable[[], pl.DataFrame] = field(repr=False)  # built on request: estimating is on a hot path

    @property
    def buckets(self) -> pl.DataFrame:
        """bucket, reference_count, reference_accuracy, current_count; most live rows first."""
        return self.table()


def estimate_accuracy(reference_df: Any, reference_correct: Any, current_df: Any,
                      bucket_by: str | Sequence[str] | Bucketing) -> AccuracyEstimate:
    """Live accuracy from training correctness, weighting each bucket's training accuracy by its live row count.

    `reference_correct` is one 0/1 (or bool) per reference row, or the name of such a column; rows where it is
    missing are left out. `bucket_by` is a column name, a list of names (raw values) or a `Bucketing`.
    The estimate covers live rows in buckets the reference has; it is None when there are none.
    """
    return BucketAccuracy(reference_df, reference_correct, bucket_by).estimate(current_df)


class BucketAccuracy:
    """The training accuracy of each bucket, computed once, to estimate the accuracy of many live batches cheaply
    (a monitored endpoint estimates every batch against the same training set)."""

    def __init__(self, reference_df: Any, reference_correct: Any, bucket_by: str | Sequence[str] | Bucketing) -> None:
        reference = as_frame(reference_df)
        self.bucketing = Bucketing.of(bucket_by)
        correct = reference[reference_correct] if isinstance(reference_correct, str) else as_series(reference_correct)
        if len(correct) != reference.height:
            raise ValueError(f"reference_correct has {len(correct)} values for {reference.height} reference rows")
        rows = pl.DataFrame({"bucket": self.bucketing.labels(reference), "correct": correct.cast(pl.Float64)})
        self.per_bucket = rows.drop_nulls("correct").group_by("bucket").agg(
            pl.len().alias("reference_count"), pl.col("correct").mean().alias("reference_accuracy"))
        self._accuracy = dict(zip(self.per_bucket["bucket"].to_list(), self.per_bucket["reference_accuracy"].to_list()))

    def estimate(self, current_df: Any) -> AccuracyEstimate:
        return self.estimate_buckets(self.bucketing.labels(as_frame(current_df)))

    def estimate_buckets(self, labels: pl.Series) -> AccuracyEstimate:
        """The estimate for live rows whose buckets (`bucketing.labels`) are already known."""
        counts = dict(zip(*np.unique(labels.to_numpy().astype(str), return_counts=True))) if len(labels) else {}
        live_rows = sum(counts.values())
        covered = {bucket: n for bucket, n in counts.items() if bucket in self._accuracy}
        covered_live = sum(covered.values())
        estimate = (sum(self._accuracy[b] * n for b, n in covered.items()) / covered_live) if covered_live else None
        coverage = covered_live / live_rows if live_rows else 0.0
        warning = None
        if coverage < LOW_COVERAGE:
            warning = (f"only {coverage:.0%} of current rows fall in buckets seen in the reference; "
                       "the estimate speaks for those rows only")
        return AccuracyEstimate(None if estimate is None else float(estimate), coverage, warning,
                                lambda: self._table(counts))

    def _table(self, counts: dict[str, int]) -> pl.DataFrame:
        live = pl.DataFrame({"bucket": list(counts), "current_count": [int(n) for n in counts.values()]},
                            schema={"bucket": pl.String, "current_count": pl.Int64})
        table = self.per_bucket.join(live, on="bucket", how="full", coalesce=True)
        table = table.with_columns(pl.col("reference_count", "current_count").fill_null(0).cast(pl.Int64))
        return table.sort(["current_count", "bucket"], descending=[True, False])


def propose_buckets(reference_df: Any, columns: Sequence[str] | None = None, max_buckets: int = 16, *,
                    min_rows: int = 30, bins_per_column: int = 4, correct: Any = None) -> Bucketing:
    """A bucketing with at most `max_buckets` buckets, each holding at least `min_rows` reference rows.

    Numbers are cut at reference quantiles, categories keep their most frequent values plus 'other'. Columns are
    added greedily: the one that best separates accuracy when `correct` (as in `estimate_accuracy`) is given,
    otherwise the one that spreads rows most evenly, while the bucket count stays within `max_buckets`. Buckets left
    with fewer than `min_rows` reference rows are pooled into 'other'. Dates are skipped: live rows never share a
    training time bucket.
    """
    reference = as_frame(reference_df)
    names = list(columns) if columns is not None else [
        c for c, dtype in reference.schema.items() if kind_of(dtype) in ("numeric", "boolean", "categorical")]
    candidates = [_column_bins(reference, name, bins_per_column) for name in names]
    outcome = None if correct is None else (
        reference[correct] if isinstance(correct, str) else as_series(correct)).cast(pl.Float64).to_numpy()
    chosen: list[ColumnBins] = []
    best = _score(Bucketing(()).labels(reference), outcome)
    while candidates:
        trials = [(c, Bucketing((*chosen, c)).labels(reference)) for c in candidates]
        trials = [(c, labels) for c, labels in trials if _well_populated(labels, min_rows) <= max_buckets]
        if not trials:
            break
        column, labels = max(trials, key=lambda trial: _score(trial[1], outcome))
        score = _score(labels, outcome)
        if score <= best + 1e-12:
            break
        chosen.append(column)
        candidates.remove(column)
        best = score
    counts = Bucketing(tuple(chosen)).labels(reference).value_counts()
    kept = counts.filter(pl.col("count") >= min_rows)["bucket"].to_list()
    return Bucketing(tuple(chosen), frozenset(kept))


def _column_bins(reference: pl.DataFrame, name: str, bins: int) -> ColumnBins:
    kind = kind_of(reference.schema[name])
    if kind == "numeric":
        values = reference[name].cast(pl.Float64).fill_nan(None).drop_nulls().to_numpy()
        cuts = np.quantile(values, np.linspace(0, 1, bins + 1)[1:-1]) if len(values) else []
        return ColumnBins(name, cuts=tuple(sorted({float(f"{c:.4g}") for c in cuts})))  # short, readable labels
    counts = reference[name].drop_nulls().cast(pl.String).value_counts(sort=True)
    return ColumnBins(name, categories=tuple(counts[name].head(bins - 1).to_list()))


def _well_populated(labels: pl.Series, min_rows: int) -> int:
    """The number of buckets once those under `min_rows` rows are pooled into one."""
    counts = labels.value_counts()["count"]
    return int((counts >= min_rows).sum()) + int((counts < min_rows).any())


def _score(labels: pl.Series, outcome: np.ndarray | None) -> float:
    """With an outcome, its between-bucket variance less what noise alone would add (k - 1) var / n, so that
    splits must earn their buckets; without one, the entropy of bucket shares."""
    codes = (labels.rank("dense").cast(pl.Int64) - 1).to_numpy()
    if outcome is None:
        shares = np.bincount(codes) / len(codes)
        return float(-(shares * np.log(shares)).sum())
    known = ~np.isnan(outcome)
    codes, y = codes[known], outcome[known]
    if len(y) == 0:
        return 0.0
    counts = np.bincount(codes)
    filled = counts > 0
    means = np.bincount(codes, weights=y)[filled] / counts[filled]
    between = (counts[filled] * (means - y.mean()) ** 2).sum() / len(y)
    return float(between - (filled.sum() - 1) * y.var() / len(y))
