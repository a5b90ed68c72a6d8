"""Drift and adversarial validation between two sides of a `compare`, from the rows the store sampled.

Samples are stored long (one row per sampled cell); each side is pivoted back into a frame with one column per
logged column (numbers from `num_value`, text from `text_value`) and handed to `obsql.monitor`.
"""
from __future__ import annotations

import polars as pl

from obsql.engine.walks import Steps, Tabular
from obsql.errors import ObsqlError
from obsql.result import ADVERSARIAL_COLUMNS

CLASSIFIER_ROW = "(all features)"  # the adversarial result's summary row: the classifier as a whole
KEYS = ["run_id", "pointer", "row_index"]


def side_frame(steps: Steps, side: str) -> pl.DataFrame:
    """One side's sampled rows as a frame: a row per sampled row, a column per logged column."""
    long = pl.from_arrow(steps.arrow(side))
    if long.is_empty():
        raise ObsqlError("input", f"the {side} side of the comparison has no sampled rows",
                         suggestion="drift and adversarial compare dataframes the runs logged; check the component "
                                    "and its where/time clauses")
    numeric = long.group_by("column_name").agg(pl.col("num_value").is_not_null().any().alias("numeric"))
    long = long.join(numeric, on="column_name")
    parts = []
    for is_numeric, values in ((True, "num_value"), (False, "text_value")):
        cells = long.filter(pl.col("numeric") == is_numeric)
        if not cells.is_empty():
            parts.append(cells.pivot(on="column_name", index=KEYS, values=values, aggregate_function="first"))
    frame = parts[0] if len(parts) == 1 else parts[0].join(parts[1], on=KEYS, how="full", coalesce=True)
    return frame.drop(KEYS)


def _sides(steps: Steps, columns: list[str], exclude: list[str]) -> tuple[pl.DataFrame, pl.DataFrame, list[str]]:
    """Both sides' frames and the columns to compare: those named, else every column both sides logged but those
    excluded."""
    left, right = side_frame(steps, "left"), side_frame(steps, "right")
    shared = [c for c in left.columns if c in right.columns]
    missing = [c for c in [*columns, *exclude] if c not in shared]
    if missing:
        raise ObsqlError("name", f"column(s) {', '.join(missing)} not sampled on both sides",
                         suggestion=f"columns both sides logged: {', '.join(shared)}")
    return left, right, columns or [c for c in shared if c not in exclude]


def drift_table(steps: Steps, columns: list[str], exclude: list[str]) -> Tabular:
    """Per column, whether its values (and its share of missing values) drifted, the most drifted first and
    identifier-like columns last; booleans are compared as categories (true, false), as the docs say."""
    from obsql.monitor import drift

    left, right, chosen = _sides(steps, columns, exclude)
    booleans = [name for (name,) in steps.rows("boolean") if name in chosen]  # samples hold them as 0 and 1
    as_categories = [pl.col(name).cast(pl.Boolean).cast(pl.Utf8) for name in booleans]
    table = drift(left.with_columns(as_categories), right.with_columns(as_categories), chosen,
                  times=[] if columns else _time_columns(steps))
    table = table.sort([pl.col("method").is_in(["identifier", "time"]), "drifted", "effect_size"],
                       descending=[False, True, True], nulls_last=True)
    return Tabular(tuple(table.columns), table.rows())


def adversarial_table(steps: Steps, columns: list[str], exclude: list[str]) -> Tabular:
    """The classifier's held-out AUC and loss, once in a first row (rank 0, feature CLASSIFIER_ROW), then the features
    that best tell the two sides apart, most separating first. Identifier-like columns and dates are left out unless
    named."""
    from obsql.monitor import adversarial_validation
    from obsql.monitor.identifiers import identifier_columns

    left, right, chosen = _sides(steps, columns, exclude)
    if not columns:
        keys = set(identifier_columns(left, right, chosen)) | set(_time_columns(steps))
        chosen = [c for c in chosen if c not in keys]
    result = adversarial_validation(left, right, chosen)
    features = [(rank, feature, importance, None, None)
                for rank, (feature, importance) in enumerate(result.top_features, start=1)]
    return Tabular(ADVERSARIAL_COLUMNS, [(0, CLASSIFIER_ROW, None, result.auc, result.loss), *features])


def _time_columns(steps: Steps) -> list[str]:
    """The columns either side logged as dates or timestamps (samples hold them as numbers; summaries know)."""
    return [name for (name,) in steps.rows("temporal")]
