"""Drift between two tables, one row per shared column, with the method chosen by the column's type and size."""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Sequence

import polars as pl

from obsql.monitor.inputs import as_frame, kind_of, present
from obsql.monitor.stats import LARGE_SAMPLE, DriftResult, chi2, jensen_shannon, ks

SCHEMA = {
    "column": pl.String, "kind": pl.String, "method": pl.String, "statistic": pl.Float64, "p_value": pl.Float64,
    "effect_size": pl.Float64, "threshold": pl.Float64, "decided_by": pl.String, "drifted": pl.Boolean,
    "n_reference": pl.Int64, "n_current": pl.Int64, "nulls_reference": pl.Int64, "nulls_current": pl.Int64,
}


def drift(reference_df: Any, current_df: Any, columns: Sequence[str] | None = None) -> pl.DataFrame:
    """One row per column: numbers by Kolmogorov-Smirnov, categories by chi-squared (small samples) or
    Jensen-Shannon distance (large ones); see `column_drift`.

    Accepts polars or pandas DataFrames, Arrow tables and dicts of arrays. Columns default to those both tables have.
    Each column costs linear time (see `obsql.monitor.kolmogorov`) and columns run on all cores.
    """
    reference, current = as_frame(reference_df), as_frame(current_df)
    names = _shared_columns(reference, current, columns)
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        rows = list(pool.map(lambda name: _row(name, reference[name], current[name]), names))
    return pl.DataFrame(rows, schema=SCHEMA, orient="row")


def column_drift(reference: pl.Series, current: pl.Series) -> DriftResult:
    """Drift of one column: KS for numbers and dates (p-value up to LARGE_SAMPLE rows, statistic > 0.1 beyond),
    chi-squared up to LARGE_SAMPLE rows and Jensen-Shannon distance > 0.1 beyond for everything else."""
    if column_kind(reference) == "numeric" and column_kind(current) == "numeric":
        return ks(reference, current, fast=True)
    smaller = min(len(present(reference)[0]), len(present(current)[0]))
    return chi2(reference, current) if smaller <= LARGE_SAMPLE else jensen_shannon(reference, current)


def column_kind(series: pl.Series) -> str:
    """'numeric' for numbers, dates and datetimes (compared by value), 'categorical' for everything else."""
    return "numeric" if kind_of(series.dtype) in ("numeric", "temporal") else "categorical"


def _row(name: str, reference: pl.Series, current: pl.Series) -> tuple:
    kind = "numeric" if column_kind(reference) == column_kind(current) == "numeric" else "categorical"
    (ref, ref_nulls), (cur, cur_nulls) = present(reference), present(current)
    if len(ref) == 0 or len(cur) == 0:  # nothing to compare
        return (name, kind, None, None, None, None, None, None, None, len(ref), len(cur), ref_nulls, cur_nulls)
    result = column_drift(ref, cur)
    return (name, kind, result.method, result.statistic, result.p_value, result.effect_size, result.threshold,
            result.decided_by, result.drifted, result.n_reference, result.n_current, ref_nulls, cur_nulls)


def _shared_columns(reference: pl.DataFrame, current: pl.DataFrame, columns: Sequence[str] | None) -> list[str]:
    if columns is None:
        return [name for name in reference.columns if name in current.columns]
    missing = [name for name in columns if name not in reference.columns or name not in current.columns]
    if missing:
        raise KeyError(f"columns missing from one of the tables: {', '.join(missing)}")
    return list(columns)
