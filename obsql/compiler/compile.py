"""The compiler's entry point: one function per statement kind, found through a table built once."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Callable

from obsql.compiler.cards import inspect_pointer_plan, inspect_run_plan, note_plan
from obsql.compiler.catalog import Catalog, require_component
from obsql.compiler.compare import asks_for_statistics, compare_sql, compare_statistics_plan
from obsql.compiler.diagnose import diagnose_plan
from obsql.compiler.history import history_sql
from obsql.compiler.lineage import flag_plan, review_plan, slice_plan, trace_plan
from obsql.compiler.pipes import apply_pipes, describe
from obsql.compiler.plans import RESULT_RELATION, ExpectPlan, Plan, SqlPlan, StepPlan
from obsql.compiler.run_level import (
    alerts_sql,
    components_sql,
    recent_plan,
    runs_sql,
    sql_statement_sql,
    stale_sql,
    tags_sql,
)
from obsql.compiler.sql import AGGREGATES, SqlWriter, ident, walk
from obsql.grammar import ast

# Sources answered by one SQL query, and how their results present.
_SQL_SOURCES: dict[type, tuple[Callable[..., str], str]] = {
    ast.Runs: (runs_sql, "table"),
    ast.Components: (components_sql, "table"),
    ast.Tags: (tags_sql, "table"),
    ast.Stale: (stale_sql, "table"),
    ast.Alerts: (alerts_sql, "table"),
    ast.History: (history_sql, "history"),
    ast.Compare: (compare_sql, "compare"),
    ast.Sql: (sql_statement_sql, "table"),
}

# Sources the engine builds from SQL steps.
_STEP_SOURCES: dict[type, Callable[..., StepPlan]] = {
    ast.Recent: recent_plan,
    ast.Trace: trace_plan,
    ast.SliceTrace: slice_plan,
    ast.Review: review_plan,
    ast.Diagnose: diagnose_plan,
    ast.InspectRun: inspect_run_plan,
    ast.InspectPointer: inspect_pointer_plan,
}


def compile_statement(statement: ast.Statement, catalog: Catalog, text: str = "",
                      now: datetime | None = None) -> Plan:
    """The plan for one statement; relative times (`7 days ago`) are pinned to `now`."""
    writer = SqlWriter(now or datetime.now(timezone.utc))
    if isinstance(statement, ast.Expect):
        return _expect(writer, catalog, statement, text)
    if isinstance(statement, (ast.Flag, ast.Unflag)):
        return flag_plan(writer, catalog, statement)
    if isinstance(statement, ast.Note):
        return note_plan(writer, catalog, statement)
    if isinstance(statement, ast.Tag):
        component = require_component(catalog, statement.component, statement)
        return StepPlan("tag", {"component": component, "tags": list(statement.tags), "tagged": statement.tagged}, {})
    return compile_query(writer, catalog, statement)


def compile_query(writer: SqlWriter, catalog: Catalog, query: ast.Query) -> SqlPlan | StepPlan:
    source = query.source
    if isinstance(source, ast.Compare) and asks_for_statistics(source):
        return compare_statistics_plan(writer, catalog, source, query.pipes)
    if type(source) in _STEP_SOURCES:
        return _STEP_SOURCES[type(source)](writer, catalog, source, query.pipes)
    compile_source, shape = _SQL_SOURCES[type(source)]
    sql = compile_source(writer, catalog, source)
    if query.pipes:
        sql = apply_pipes(f"({sql}) AS q0", query.pipes, writer)
    bounds = catalog.slas(str(source.component)) if isinstance(source, ast.History) else {}
    return SqlPlan(sql, writer.params, shape, bounds)


def _expect(writer: SqlWriter, catalog: Catalog, node: ast.Expect, text: str) -> ExpectPlan:
    plan = compile_query(writer, catalog, node.query)
    if node.kind != "condition":
        return ExpectPlan(plan, node.kind, text)
    observed = [n for n in walk(node.condition) if isinstance(n, ast.Call) and n.name.lower() in AGGREGATES]
    condition = writer.expr(node.condition)
    if observed:  # over aggregates of the rows: one verdict, with what each aggregate came to
        columns = [f"{condition} AS passed"]
        columns += [f"{writer.expr(call)} AS {ident(describe(call))}" for call in observed]
    else:  # on each row: it must hold on every one, and there must be rows
        columns = [f"coalesce(bool_and({condition}), false) AS passed",
                   f"count(*) AS {ident('rows')}", f"count(*) FILTER (WHERE NOT ({condition})) AS {ident('failing')}"]
    condition_sql = f"SELECT {', '.join(columns)} FROM {RESULT_RELATION}"
    return ExpectPlan(plan, node.kind, text, condition_sql, writer.params)
