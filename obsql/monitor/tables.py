"""Drift between two tables, one row per shared column, with the method chosen by the column's type and size."""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Sequence

import polars as pl

from obsql.monitor.clustering import ColumnEffects, column_effects
from obsql.monitor.identifiers import identifier_columns
from obsql.monitor.inputs import as_frame, kind_of, present
from obsql.monitor.stats import LARGE_SAMPLE, DriftResult, chi2, jensen_shannon, ks, null_share

SCHEMA = {
    "column": pl.String, "kind": pl.String, "method": pl.String, "statistic": pl.Float64, "p_value": pl.Float64,
    "effect_size": pl.Float64, "threshold": pl.Float64, "decided_by": pl.String, "drifted": pl.Boolean,
    "n_reference": pl.Int64, "n_current": pl.Int64, "nulls_reference": pl.Int64, "nulls_current": pl.Int64,
    "design_effect": pl.Float64,
}
NO_EFFECTS = ColumnEffects()


def drift(reference_df: Any, current_df: Any, columns: Sequence[str] | None = None, *,
          identifiers: Sequence[str] = (), times: Sequence[str] | None = None,
          batch: str | None = None) -> pl.DataFrame:
    """One row per column: numbers by Kolmogorov-Smirnov, categories by chi-squared (small samples) or
    Jensen-Shannon distance (large ones); see `column_drift`. A column whose share of missing values differs on
    either side gets a second row, method `null_share` (see `stats.null_share`). Identifier-like columns (see
    `identifiers`), and those named in `identifiers`, get one row with method `identifier`, never drifted. So do
    dates and timestamps, with method `time` (two time ranges always differ in when, which says nothing about
    what): those `times` names, by default the date and datetime columns unless `columns` names them.

    `batch` names a column that says which batch (a run, a day, a logged dataframe) each row came in: a column set
    per batch is then weighed by its batches, not its rows (see `obsql.monitor.clustering`; `design_effect` says
    how many rows counted as one). Without it every row counts as independent (design_effect 1).

    Accepts polars or pandas DataFrames, Arrow tables and dicts of arrays. Columns default to those both tables have.
    Each column costs linear time (see `obsql.monitor.kolmogorov`) and columns run on all cores.
    """
    reference, current = as_frame(reference_df), as_frame(current_df)
    names = [name for name in _shared_columns(reference, current, columns) if name != batch]
    labels = None if batch is None else (reference[batch].to_numpy(), current[batch].to_numpy())
    if times is None:
        times = [] if columns is not None else [n for n in names if kind_of(reference[n].dtype) == "temporal"]
    roles = {**{name: "identifier" for name in identifiers}, **{name: "time" for name in times}}
    for name in identifier_columns(reference, current, [n for n in names if n not in roles]):
        roles[name] = "identifier"

    def rows_of(name: str) -> list[tuple]:
        numeric = column_kind(reference[name]) == column_kind(current[name]) == "numeric"  # as `column_rows` says
        effects = NO_EFFECTS if labels is None or name in roles else column_effects(
            reference[name], current[name], labels, categorical=not numeric)
        return column_rows(name, reference[name], current[name], roles.get(name), effects)

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        rows = list(pool.map(rows_of, names))
    return pl.DataFrame([row for column in rows for row in column], schema=SCHEMA, orient="row")


def column_drift(reference: pl.Series, current: pl.Series,
                 effects: tuple[float, float] = NO_EFFECTS.values) -> DriftResult:
    """Drift of one column: KS for numbers and dates (p-value up to LARGE_SAMPLE rows, statistic > 0.1 beyond),
    chi-squared up to LARGE_SAMPLE rows and Jensen-Shannon distance > 0.1 beyond for everything else; rows are
    counted as effective rows (each side's over its design effect, `effects`)."""
    if column_kind(reference) == "numeric" and column_kind(current) == "numeric":
        return ks(reference, current, fast=True, effects=effects)
    smaller = min(len(present(reference)[0]) / effects[0], len(present(current)[0]) / effects[1])
    if smaller <= LARGE_SAMPLE:
        return chi2(reference, current, effects=effects)
    return jensen_shannon(reference, current, effects=effects)


def column_kind(series: pl.Series) -> str:
    """'numeric' for numbers, dates and datetimes (compared by value), 'categorical' for everything else."""
    return "numeric" if kind_of(series.dtype) in ("numeric", "temporal") else "categorical"


def column_rows(name: str, reference: pl.Series, current: pl.Series, role: str | None,
                effects: ColumnEffects = NO_EFFECTS) -> list[tuple]:
    """The column's rows of the `drift` table (SCHEMA's fields): its values' test (or one row naming its role,
    `identifier` or `time`), then its missing values' test if it has any; `effects` are its design effects."""
    kind = "numeric" if column_kind(reference) == column_kind(current) == "numeric" else "categorical"
    (ref, ref_nulls), (cur, cur_nulls) = present(reference), present(current)
    counts = (len(ref), len(cur), ref_nulls, cur_nulls)
    if role is not None:
        return [role_row(name, kind, role, counts)]
    rows = [untested_row(name, kind, counts) if len(ref) == 0 or len(cur) == 0
            else result_row(name, kind, column_drift(ref, cur, effects.values), counts)]
    if ref_nulls or cur_nulls:
        rows.append(result_row(name, kind, null_share(reference, current, effects=effects.nulls), counts))
    return rows


def role_row(name: str, kind: str, role: str, counts: tuple[int, int, int, int]) -> tuple:
    """The one row of a column that is not tested for its role (`identifier` or `time`): never drifted."""
    return (name, kind, role, None, None, None, None, None, False, *counts, None)


def untested_row(name: str, kind: str, counts: tuple[int, int, int, int]) -> tuple:
    """The row of a column a side has no value of: nothing to test."""
    return (name, kind, None, None, None, None, None, None, None, *counts, None)


def result_row(name: str, kind: str, result: DriftResult, counts: tuple[int, int, int, int]) -> tuple:
    return (name, kind, result.method, result.statistic, result.p_value, result.effect_size, result.threshold,
            result.decided_by, result.drifted, *counts, result.design_effect)


def _shared_columns(reference: pl.DataFrame, current: pl.DataFrame, columns: Sequence[str] | None) -> list[str]:
    if columns is None:
        return [name for name in reference.columns if name in current.columns]
    missing = [name for name in columns if name not in reference.columns or name not in current.columns]
    if missing:
        raise KeyError(f"columns missing from one of the tables: {', '.join(missing)}")
    return list(columns)
