"""`compare A with B on drift(*)` and `on adversarial(*)`: statistics from the two sides' sampled rows.

Summaries (the plain `compare`) say how the columns differ on average; these ask whether the distributions differ
(drift: KS for numbers, chi-squared or Jensen-Shannon for categories, judged by effect size on large samples) and
which features tell the two sides apart (adversarial validation). Both read the `samples` table; the engine pivots
the sampled rows back into frames and calls `obsql.monitor`.
"""
from __future__ import annotations

from obsql.compiler.catalog import Catalog
from obsql.compiler.pipes import apply_pipes, describe
from obsql.compiler.plans import RESULT_RELATION, StepPlan
from obsql.compiler.sql import SqlWriter
from obsql.compiler.statements import side_rows_sql
from obsql.errors import ObsqlError
from obsql.grammar import ast

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
    pipe_sql = apply_pipes(RESULT_RELATION, pipes, w) if pipes else None
    return StepPlan(call.name.lower(), {"columns": columns}, steps, w.params, pipe_sql)
