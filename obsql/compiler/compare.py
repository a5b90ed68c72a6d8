"""`compare A with B`: how two sides (a component, a slice, a time range) differ in the data their runs logged.

Plain `compare` pools each side's column summaries and puts them side by side, most shifted first. `on drift(*)`
and `on adversarial(*)` ask whether the distributions differ (drift: KS for numbers, chi-squared or Jensen-Shannon
for categories, judged by effect size on large samples) and which features tell the sides apart (adversarial
validation); both read the `samples` table, and the engine pivots the sampled rows back into frames for
`obsql.monitor`.
"""
from __future__ import annotations

from obsql.compiler.catalog import Catalog, require_columns, require_component
from obsql.compiler.pipes import describe, pipes_over_result
from obsql.compiler.plans import StepPlan
from obsql.compiler.sql import SqlWriter, where_clause
from obsql.compiler.timeexpr import time_filter
from obsql.errors import ObsqlError
from obsql.grammar import ast

COMPARE_STATS = ("count", "nulls", "null_frac", "mean", "std", "p05", "p50", "p95", "min", "max")


def side_rows_sql(w: SqlWriter, catalog: Catalog, side: ast.Side, table: str, columns: str) -> str:
    """Rows of `table` (summaries or samples) logged by one side's runs, filtered by the side's clauses.

    The side's `where` sees the table's columns and the run's (run_id, start_time, status, stale)."""
    component = w.param(require_component(catalog, side.component, side))
    conditions = [f's."component" = {component}'] + time_filter(w, side.time, "s.start_time", 's."date"')
    rows = (f"SELECT {columns}, r.run_id, r.start_time, r.status, r.stale FROM {table} AS s JOIN runs AS r "
            f"ON s.run_id = r.run_id AND r.\"component\" = {component}{where_clause(conditions)}")
    if side.where is not None:
        rows = f"SELECT * FROM ({rows}) AS side WHERE {w.expr(side.where)}"
    return rows


def _side_sql(w: SqlWriter, catalog: Catalog, side: ast.Side) -> str:
    """Per logged column, the summaries of one side's dataframes pooled over its runs."""
    rows = side_rows_sql(w, catalog, side, "summaries",
                         "s.pointer, s.column_name, s.count, s.nulls, s.mean, s.std, s.min, s.max, s.quantiles")
    return (
        "SELECT column_name, sum(count) AS count, sum(nulls) AS nulls, "
        "sum(nulls) / nullif(sum(count + nulls), 0) AS null_frac, "
        "sum(mean * count) / nullif(sum(count), 0) AS mean, "
        "sqrt(sum((std * std + mean * mean) * count) / nullif(sum(count), 0) - "
        "power(sum(mean * count) / nullif(sum(count), 0), 2)) AS std, "
        "avg(quantiles[2]) AS p05, avg(quantiles[11]) AS p50, avg(quantiles[20]) AS p95, "
        f"min(min) AS min, max(max) AS max FROM ({rows}) AS pooled GROUP BY column_name"
    )


def compare_sql(w: SqlWriter, catalog: Catalog, node: ast.Compare) -> str:
    """The two sides' summaries side by side, with their differences, most shifted first."""
    columns = [c.name for c in node.on if isinstance(c, ast.Column)]
    unsupported = [c for c in node.on if not isinstance(c, ast.Column)]
    if unsupported:
        raise ObsqlError("input", f"compare ... on takes column names, drift(...) or adversarial(...), "
                                  f"not '{describe(unsupported[0])}'",
                         line=unsupported[0].line, column=unsupported[0].column)
    left, right = _side_sql(w, catalog, node.left), _side_sql(w, catalog, node.right)
    require_columns(catalog, [node.left.component, node.right.component], list(node.on))
    stats = ", ".join(f"l.{s} AS left_{s}, r.{s} AS right_{s}" for s in COMPARE_STATS)
    filter_ = ""
    if columns:
        filter_ = f" WHERE coalesce(l.column_name, r.column_name) IN ({', '.join(w.param(c) for c in columns)})"
    return (
        f"WITH l AS ({left}), r AS ({right}) "
        f"SELECT coalesce(l.column_name, r.column_name) AS column_name, {stats}, "
        "r.mean - l.mean AS mean_diff, (r.mean - l.mean) / nullif(l.std, 0) AS mean_shift_sd, "
        "r.null_frac - l.null_frac AS null_frac_diff "
        f"FROM l FULL OUTER JOIN r ON l.column_name = r.column_name{filter_} "
        "ORDER BY abs((r.mean - l.mean) / nullif(l.std, 0)) DESC NULLS LAST, column_name"
    )


# -- on drift(...) and adversarial(...) ----------------------------------------------------------------------------
STATISTICS = ("drift", "adversarial")
SAMPLE_COLUMNS = "s.pointer, s.row_index, s.column_name, s.num_value, s.text_value"


def asks_for_statistics(node: ast.Compare) -> bool:
    return any(isinstance(item, ast.Call) and item.name.lower() in STATISTICS for item in node.on)


def compare_statistics_plan(w: SqlWriter, catalog: Catalog, node: ast.Compare, pipes: tuple) -> StepPlan:
    if len(node.on) != 1:
        raise ObsqlError("input", "compare ... on drift(...) or adversarial(...) takes that one function alone",
                         line=node.line, column=node.column, suggestion="compare a with b on drift(*)")
    call = node.on[0]
    columns = [arg.name for arg in call.args if isinstance(arg, ast.Column)]
    if len(columns) != len([a for a in call.args if not isinstance(a, ast.Star)]):
        raise ObsqlError("input", f"{describe(call)}: give column names, or * for every column",
                         line=call.line, column=call.column)
    steps = {"left": side_rows_sql(w, catalog, node.left, "samples", SAMPLE_COLUMNS),
             "right": side_rows_sql(w, catalog, node.right, "samples", SAMPLE_COLUMNS)}
    return StepPlan(call.name.lower(), {"columns": columns}, steps, w.params, pipes_over_result(w, pipes))
