"""Per-column summaries of a dataframe: what the logging client stores for every frame a run reads or writes.

A summary is small and fixed in size (21 quantiles, at most `top_k` frequent values), so drift can later be
computed from the store without keeping rows (`obsql.monitor.summary_drift`). This runs on every logged frame:
one polars select sorts each orderable column once (in parallel) or counts each other column's values, and
everything else is read off the sorted values. No scipy here, to keep `import` cheap for the client.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from obsql.monitor.inputs import as_frame, as_numbers, kind_of

QUANTILE_LEVELS = tuple(i / 20 for i in range(21))
ORDERED_KINDS = ("numeric", "temporal", "boolean")


def summarize(df: Any, top_k: int = 10) -> list[dict]:
    """One summary dict per column, with keys column, dtype, kind, count, nulls, min, max, mean, std, quantiles,
    distinct, top_values.

    NaN counts as null. For temporal columns min, max, mean, std and quantiles are in epoch seconds; booleans read
    as 0/1. std is the sample standard deviation (ddof=1, None below two values); quantiles are numpy's linear
    ones at 0, 0.05, ..., 1 (numeric and temporal only). top_values are [value as str, count] pairs, most frequent
    first, ties in value order for orderable kinds.

    A logged Spark DataFrame comes as a `SparkFrame` (`obsql.spark.frames`, told by its module: this package does
    not import obsql.spark, which reads the store through the compiler), and summarises itself with Spark, with
    approximate quantiles and distinct counts.
    """
    if type(df).__module__ == "obsql.spark.frames":
        return df.summaries(top_k)
    frame = as_frame(df)
    kinds = [kind_of(dtype) for dtype in frame.dtypes]
    gathered = frame.select([_gather(i, name, dtype, kind)
                             for i, (name, dtype, kind) in enumerate(zip(frame.columns, frame.dtypes, kinds))])
    return [_summary(name, dtype, kind, gathered.to_series(i)[0], frame.height, top_k)
            for i, (name, dtype, kind) in enumerate(zip(frame.columns, frame.dtypes, kinds))]


def _gather(index: int, name: str, dtype: pl.DataType, kind: str) -> pl.Expr:
    """The column's present values, sorted (orderable kinds) or counted (the others), packed into one row."""
    values = pl.col(name).drop_nulls()
    if dtype.is_float():
        values = values.drop_nans()
    gathered = values.sort() if kind in ORDERED_KINDS else values.value_counts(name="count")
    return gathered.implode().alias(str(index))


def _summary(name: str, dtype: pl.DataType, kind: str, gathered: pl.Series, height: int, top_k: int) -> dict:
    if kind in ORDERED_KINDS:
        count, moments, distinct, top = _ordered_parts(gathered, kind, top_k)
    else:
        count, moments, distinct, top = _counted_parts(gathered, kind, top_k)
    return {"column": name, "dtype": str(dtype), "kind": kind, "count": count, "nulls": height - count, **moments,
            "distinct": distinct, "top_values": top}


def _ordered_parts(values: pl.Series, kind: str, top_k: int) -> tuple[int, dict, int, list]:
    """Count, moments, distinct count and top values read off the sorted present values."""
    numbers = as_numbers(values)
    n = len(numbers)
    moments = {
        "min": float(numbers[0]) if n else None,
        "max": float(numbers[-1]) if n else None,
        "mean": float(numbers.mean()) if n else None,
        "std": float(numbers.std(ddof=1)) if n > 1 else None,
        "quantiles": _sorted_quantiles(numbers) if n and kind != "boolean" else None,
    }
    physical = values.to_numpy()
    run_starts = np.flatnonzero(np.r_[True, physical[1:] != physical[:-1]]) if n else np.array([], dtype=np.int64)
    run_lengths = np.diff(np.r_[run_starts, n])
    most = np.argsort(-run_lengths, kind="stable")[:top_k]
    picked = run_starts[most]
    top_values = values.gather(picked).to_list() if kind == "temporal" else physical[picked].tolist()
    top = [[str(v), int(c)] for v, c in zip(top_values, run_lengths[most])]
    return n, moments, len(run_starts), top


_LEVELS = np.array(QUANTILE_LEVELS)


def _sorted_quantiles(numbers: np.ndarray) -> list[float]:
    """numpy's linear quantiles at QUANTILE_LEVELS, read off values already sorted (np.quantile would sort again)."""
    position = _LEVELS * (len(numbers) - 1)
    below = np.floor(position).astype(np.int64)
    above = np.minimum(below + 1, len(numbers) - 1)
    return (numbers[below] + (numbers[above] - numbers[below]) * (position - below)).tolist()


def _counted_parts(counts: pl.Series, kind: str, top_k: int) -> tuple[int, dict, int, list]:
    """Count, (empty) moments, distinct count and top values from a value_counts struct."""
    table = counts.struct.unnest()
    value = table.columns[0]
    order = ["count", value] if kind == "categorical" else ["count"]
    table = table.sort(order, descending=[True] + [False] * (len(order) - 1), maintain_order=True)
    top = [[str(v), int(c)] for v, c in table.head(top_k).iter_rows()]
    moments = {"min": None, "max": None, "mean": None, "std": None, "quantiles": None}
    return int(table["count"].sum()), moments, table.height, top
