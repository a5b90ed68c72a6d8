"""Drift and adversarial validation between two sides of a `compare`, from the rows the store sampled.

Samples are stored long (one row per sampled cell). Drift asks the engine for the counts its tests need and pulls
values only where a test wants them (`drift_table`); adversarial validation pivots each side back into a frame with
one column per logged column (numbers from `num_value`, text from `text_value`) for `obsql.monitor`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from obsql.compiler.compare import ADVERSARIAL_ROWS, DRIFT_CELLS
from obsql.engine.walks import Steps, Tabular
from obsql.errors import ObsqlError
from obsql.monitor.clustering import BatchSpread, ColumnEffects
from obsql.monitor.identifiers import Side, looks_like_a_key
from obsql.monitor.kolmogorov import EXACT_LIMIT
from obsql.monitor.stats import (LARGE_SAMPLE, chi2_of_counts, jensen_shannon_of_counts, ks_of_statistic,
                                 null_share_of_counts)
from obsql.monitor.tables import SCHEMA, column_rows, result_row, role_row, untested_row
from obsql.result import ADVERSARIAL_COLUMNS

CLASSIFIER_ROW = "(all features)"  # the adversarial result's summary row: the classifier as a whole
KEYS = ["run_id", "pointer", "row_index"]


def side_frame(steps: Steps, side: str) -> pl.DataFrame:
    """One side's sampled rows as a frame: a row per sampled row, a column per logged column."""
    long = pl.from_arrow(steps.arrow(side))
    if long.is_empty():
        raise _no_samples(side)
    numeric = long.group_by("column_name").agg(pl.col("num_value").is_not_null().any().alias("numeric"))
    long = long.join(numeric, on="column_name")
    parts = []
    for is_numeric, values in ((True, "num_value"), (False, "text_value")):
        cells = long.filter(pl.col("numeric") == is_numeric)
        if not cells.is_empty():
            parts.append(cells.pivot(on="column_name", index=KEYS, values=values, aggregate_function="first"))
    frame = parts[0] if len(parts) == 1 else parts[0].join(parts[1], on=KEYS, how="full", coalesce=True)
    return frame.sort(KEYS).drop(KEYS)  # in the same order from every engine: a held-out split takes rows by place


def _sides(steps: Steps, columns: list[str], exclude: list[str]) -> tuple[pl.DataFrame, pl.DataFrame, list[str]]:
    """Both sides' frames and the columns to compare (see `_chosen`)."""
    left, right = side_frame(steps, "left"), side_frame(steps, "right")
    return left, right, _chosen([c for c in left.columns if c in right.columns], columns, exclude)


def _chosen(shared: list[str], columns: list[str], exclude: list[str]) -> list[str]:
    """The columns named, else every column both sides logged but those excluded."""
    missing = [c for c in [*columns, *exclude] if c not in shared]
    if missing:
        raise ObsqlError("name", f"column(s) {', '.join(missing)} not sampled on both sides",
                         suggestion=f"columns both sides logged: {', '.join(shared)}")
    return columns or [c for c in shared if c not in exclude]


@dataclass(frozen=True)
class _Profile:
    """One column on one side, as the `profile` step counted it."""

    numbers: int
    nans: int
    texts: int
    distinct_numbers: int
    distinct_texts: int
    whole: bool | None
    sampled_rows: int

    @property
    def numeric(self) -> bool:  # as a pivot would type it: numbers when any cell holds one
        return self.numbers > 0

    @property
    def values(self) -> int:
        return self.numbers - self.nans if self.numeric else self.texts

    @property
    def nulls(self) -> int:
        return self.sampled_rows - self.values


def drift_table(steps: Steps, columns: list[str], exclude: list[str]) -> Tabular:
    """Per column, whether its values (and its share of missing values) drifted, the most drifted first and
    identifier-like columns last; booleans are compared as categories (true, false), as the docs say.

    The engine counts what each test needs (`compiler.compare.drift_steps`); only numbers at most EXACT_LIMIT a
    side (scipy's exact p-value wants them) and a column that is numbers on one side and text on the other are
    pulled as values. The answer is `obsql.monitor.drift` of the pivoted samples, row for row."""
    with steps.kept("cells", DRIFT_CELLS):
        return _drift_table(steps, columns, exclude)


def _drift_table(steps: Steps, columns: list[str], exclude: list[str]) -> Tabular:
    profiles = _profiles(steps)
    left, right = profiles["left"], profiles["right"]
    if not left or not right:
        raise _no_samples("left" if not left else "right")
    chosen = _chosen(sorted(set(left) & set(right)), columns, exclude)
    kinds = _kinds(steps)
    booleans = kinds["boolean"]
    times = set() if columns else kinds["temporal"]
    plans = {name: _plan(name, left[name], right[name], name in booleans, name in times) for name in chosen}
    numeric = [name for name, plan in plans.items() if plan == "ks"]
    categorical = [name for name, plan in plans.items() if plan == "categories"]
    pulled = [name for name, plan in plans.items() if plan == "pulled"]
    gaps = {row[0]: row[1:] for row in steps.rows("ks", numeric=numeric)} if numeric else {}
    counts = _category_counts(steps, categorical, sorted(booleans)) if categorical else {}
    frames = _pulled(steps, pulled, profiles) if pulled else {}
    effects = _design_effects(steps, plans, profiles, sorted(booleans))
    rows = []
    for name, plan in plans.items():
        sides = (left[name], right[name])
        if plan == "pulled":
            rows += column_rows(name, *frames[name], None, effects.get(name, ColumnEffects()))
            continue
        rows += _counted_rows(name, plan, sides, booleans, gaps.get(name), counts.get(name),
                              effects.get(name, ColumnEffects()))
    rows.sort(key=_drift_order)
    return Tabular(tuple(SCHEMA), rows)


def _no_samples(side: str) -> ObsqlError:
    return ObsqlError("input", f"the {side} side of the comparison has no sampled rows",
                      suggestion="drift and adversarial compare dataframes the runs logged; check the component "
                                 "and its where/time clauses")


def _profiles(steps: Steps) -> dict[str, dict[str, _Profile]]:
    found: dict[str, dict[str, _Profile]] = {"left": {}, "right": {}}
    for row in steps.dicts("profile"):
        found[row["side"]][row["column_name"]] = _Profile(
            int(row["numbers"]), int(row["nans"]), int(row["texts"]), int(row["distinct_numbers"]),
            int(row["distinct_texts"]), row["whole"], int(row["sampled_rows"]))
    return found


def _plan(name: str, left: _Profile, right: _Profile, boolean: bool, time: bool) -> str:
    """How a column is judged: 'time' or 'identifier' (a role), 'empty' (a side without values), 'ks',
    'categories', or 'pulled' (from its values)."""
    if time:
        return "time"
    if _identifier(name, (left, right), boolean):
        return "identifier"
    if left.values == 0 or right.values == 0:
        return "empty"
    if boolean or not (left.numeric or right.numeric):
        return "categories"
    if left.numeric and right.numeric and max(left.values, right.values) > EXACT_LIMIT:
        return "ks"
    return "pulled"


def _identifier(name: str, sides: tuple[_Profile, _Profile], boolean: bool) -> bool:
    described = [Side(boolean or not side.numeric, side.whole is not False, side.values,
                      min(side.distinct_numbers, 2) if boolean else
                      side.distinct_numbers if side.numeric else side.distinct_texts) for side in sides]
    return looks_like_a_key(name, described)


def _design_effects(steps: Steps, plans: dict[str, str], profiles: dict,
                    booleans: list[str]) -> dict[str, ColumnEffects]:
    """Per tested column, its design effects on either side, from how its batches differ (`batches` step)."""
    tested = [name for name, plan in plans.items() if plan in ("ks", "categories", "pulled")]
    if not tested:
        return {}
    numbers = [name for name in tested if plans[name] == "ks" or (
        plans[name] == "pulled" and profiles["left"][name].numeric and profiles["right"][name].numeric)]
    categorical = [name for name in tested if plans[name] == "categories"]
    found: dict[tuple[str, str, str], float] = {}
    for side, name, part, batches, between, total, categories in steps.rows(
            "batches", numbers=numbers, categorical=categorical, tested=tested, booleans=booleans):
        spread = BatchSpread(int(batches), float(between or 0.0), float(total or 0.0), int(categories))
        found[(name, "nulls" if part == "nulls" else "values", side)] = spread.design_effect()

    def pair(name: str, part: str) -> tuple[float, float]:
        return found.get((name, part, "left"), 1.0), found.get((name, part, "right"), 1.0)

    return {name: ColumnEffects(pair(name, "values"), pair(name, "nulls")) for name in tested}


def _category_counts(steps: Steps, columns: list[str], booleans: list[str]) -> dict[str, tuple]:
    """Per column, its categories' counts on the left and on the right, aligned."""
    found: dict[str, dict[str, list[int]]] = {name: {} for name in columns}
    for side, name, value, n in steps.rows("categories", categorical=columns, booleans=booleans):
        found[name].setdefault(value, [0, 0])[side == "right"] += int(n)
    return {name: tuple(np.array(side) for side in zip(*shares.values())) for name, shares in found.items()}


def _pulled(steps: Steps, columns: list[str], profiles: dict) -> dict[str, tuple[pl.Series, pl.Series]]:
    """The values of the columns tested from their values, as each side's series with its missing cells as nulls."""
    cells: dict[tuple[str, str], list] = {(side, name): [] for side in ("left", "right") for name in columns}
    for side, name, number, text in steps.rows("values", pulled=columns):
        cells[(side, name)].append(number if profiles[side][name].numeric else text)
    series = {}
    for key, values in cells.items():
        side, name = key
        profile = profiles[side][name]
        kept = [v for v in values if v is not None]
        dtype = pl.Float64 if profile.numeric else pl.String
        series[key] = pl.Series(name, kept + [None] * (profile.sampled_rows - len(kept)), dtype=dtype)
    return {name: (series[("left", name)], series[("right", name)]) for name in columns}


def _counted_rows(name: str, plan: str, sides: tuple[_Profile, _Profile], booleans: set[str], gap: tuple | None,
                  counts: tuple | None, effects: ColumnEffects) -> list[tuple]:
    """A column's rows from what the engine counted (the same rows `column_rows` gives from the values)."""
    left, right = sides
    kind = "numeric" if left.numeric and right.numeric and name not in booleans else "categorical"
    sizes, nulls = (left.values, right.values), (left.nulls, right.nulls)
    counted = (*sizes, *nulls)
    if plan in ("time", "identifier"):
        return [role_row(name, kind, plan, counted)]
    if plan == "empty":
        rows = [untested_row(name, kind, counted)]
    elif plan == "ks":
        largest, n_left, n_right = gap
        result = ks_of_statistic(int(largest) / (int(n_left) * int(n_right)), sizes, nulls, fast=True,
                                 effects=effects.values)
        rows = [result_row(name, kind, result, counted)]
    else:
        smaller = min(size / effect for size, effect in zip(sizes, effects.values))
        test = chi2_of_counts if smaller <= LARGE_SAMPLE else jensen_shannon_of_counts
        rows = [result_row(name, kind, test(*counts, nulls, effects=effects.values), counted)]
    if any(nulls):
        rows.append(result_row(name, kind, null_share_of_counts(left.sampled_rows, right.sampled_rows, *nulls,
                                                                effects=effects.nulls), counted))
    return rows


def _drift_order(row: tuple) -> tuple:
    """Drifted columns first, the largest effect first; identifiers and times last; then by name (a column's own
    rows keep their order: its values' test, then its missing values')."""
    method, effect, drifted = row[2], row[5], row[8]
    return (method in ("identifier", "time"), {True: 0, False: 1, None: 2}[drifted],
            (0, -effect) if effect is not None else (1, 0), row[0])


def adversarial_table(steps: Steps, columns: list[str], exclude: list[str]) -> Tabular:
    """The classifier's held-out AUC and loss, once in a first row (rank 0, feature CLASSIFIER_ROW), then the features
    that best tell the two sides apart, most separating first. Identifier-like columns and dates are left out unless
    named."""
    from obsql.monitor import adversarial_validation
    from obsql.monitor.identifiers import identifier_columns

    left, right, chosen = _sides(steps, columns, exclude)
    if not columns:
        keys = set(identifier_columns(left, right, chosen)) | _kinds(steps)["temporal"]
        chosen = [c for c in chosen if c not in keys]
    result = adversarial_validation(left, right, chosen, max_rows=ADVERSARIAL_ROWS)
    features = [(rank, feature, importance, None, None)
                for rank, (feature, importance) in enumerate(result.top_features, start=1)]
    return Tabular(ADVERSARIAL_COLUMNS, [(0, CLASSIFIER_ROW, None, result.auc, result.loss), *features])


def _kinds(steps: Steps) -> dict[str, set[str]]:
    """The columns either side logged as dates or timestamps ('temporal') and as booleans ('boolean'): samples
    hold both as numbers; summaries know."""
    found: dict[str, set[str]] = {"temporal": set(), "boolean": set()}
    for name, kind in steps.rows("kinds"):
        found[kind].add(name)
    return found
