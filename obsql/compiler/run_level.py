"""Statements about runs, answered by one SQL query each (recent by a few): runs, recent, components, tags, stale,
alerts and sql."""
from __future__ import annotations

import duckdb

from obsql.compiler.catalog import Catalog, require_component
from obsql.compiler.pipes import pipes_over_result
from obsql.compiler.plans import StepPlan
from obsql.compiler.sql import SqlWriter, latest, where_clause
from obsql.compiler.timeexpr import time_filter
from obsql.errors import ObsqlError
from obsql.grammar import ast
from obsql.result import RUN_COLUMNS

# How each of a run's columns is read from the runs table (by name where nothing is computed).
_COMPUTED = {"duration_s": "date_diff('millisecond', start_time, end_time) / 1000.0 AS duration_s"}
RUN_SELECT = ", ".join(_COMPUTED.get(column, column) for column in RUN_COLUMNS)
DEFAULT_RECENT = 10
FAILED_CHECK_REASON = ("'check ' || k.name || ' failed (' || k.phase || ')' || "
                       "CASE WHEN coalesce(k.message, '') <> '' THEN ': ' || k.message ELSE '' END")


def _component_condition(w: SqlWriter, catalog: Catalog, component: str | None, node: ast.Node) -> list[str]:
    if component is None:
        return []
    return [f'"component" = {w.param(require_component(catalog, component, node))}']


def runs_sql(w: SqlWriter, catalog: Catalog, node: ast.Runs) -> str:
    conditions = _component_condition(w, catalog, node.component, node) + time_filter(w, node.time)
    base = f"SELECT {RUN_SELECT} FROM runs{where_clause(conditions)}"
    if node.where is not None:
        base = f"SELECT * FROM ({base}) AS r WHERE {w.expr(node.where)}"
    return f"{base} ORDER BY start_time, run_id"


def recent_plan(w: SqlWriter, catalog: Catalog, node: ast.Recent, pipes: tuple[ast.Pipe, ...]) -> StepPlan:
    """The newest runs, looked for in the newest days' partitions first (engine/recent.py): reading a store's whole
    runs table to keep five rows cost half a second at 10M runs."""
    limit = node.limit if node.limit is not None else DEFAULT_RECENT
    newest = (f'SELECT {RUN_SELECT} FROM runs WHERE "date" >= $since '
              f"ORDER BY start_time DESC, run_id DESC LIMIT {int(limit)}")
    return StepPlan("recent", {"limit": int(limit)}, {"newest": newest}, w.params, pipes_over_result(w, pipes))


def _component_meta_sql() -> str:
    """Each named component: what its code declared, and its tags as `tag` and `untag` left them."""
    declared = latest("components", "name, description, owner, tags", "name")
    events = latest("tag_events", "component, tag, tagged, ts", "component, tag")
    # declared tags less those untagged since, then those tagged after the fact, oldest first
    tags = ("list_concat(list_filter(coalesce(c.tags, []), lambda t: NOT list_contains(coalesce(e.removed, []), t)), "
            "list_filter(coalesce(e.added, []), lambda t: NOT list_contains(coalesce(c.tags, []), t)))")
    return (
        f"SELECT coalesce(c.name, e.component) AS component, c.description, c.owner, {tags} AS tags "
        f"FROM ({declared}) AS c FULL OUTER JOIN (SELECT component, list(tag ORDER BY ts) FILTER (WHERE tagged) AS "
        f"added, list(tag) FILTER (WHERE NOT tagged) AS removed FROM ({events}) AS t GROUP BY component) AS e "
        "ON e.component = c.name"
    )


def components_sql(w: SqlWriter, catalog: Catalog, node: ast.Components) -> str:
    """Each component: its metadata, current tags and run counts."""
    listing = (
        f"WITH meta AS ({_component_meta_sql()}), "
        "stats AS (SELECT component, count(*) AS runs, sum(CASE WHEN status = 'failed' THEN 1 ELSE 0 END) AS failed, "
        "sum(CASE WHEN stale THEN 1 ELSE 0 END) AS stale, min(start_time) AS first_run, max(start_time) AS last_run "
        "FROM runs GROUP BY component) "
        "SELECT coalesce(s.component, m.component) AS component, m.description, m.owner, m.tags, "
        "coalesce(s.runs, 0) AS runs, coalesce(s.failed, 0) AS failed, coalesce(s.stale, 0) AS stale, "
        "s.first_run, s.last_run FROM stats AS s FULL OUTER JOIN meta AS m ON s.component = m.component "
        "ORDER BY s.first_run NULLS LAST, component"
    )
    return listing if node.where is None else f"SELECT * FROM ({listing}) AS c WHERE {w.expr(node.where)}"


def tags_sql(w: SqlWriter, catalog: Catalog, node: ast.Tags) -> str:
    """Each tag a component carries now, with those components in name order (mltrace's `tags` command)."""
    return (
        f"SELECT tag, list_sort(list(component)) AS components, count(*) AS n_components "
        f"FROM ({_component_meta_sql()}) AS m, unnest(m.tags) AS t(tag) GROUP BY tag ORDER BY tag"
    )


def stale_sql(w: SqlWriter, catalog: Catalog, node: ast.Stale) -> str:
    """Stale runs with every reason: those found when they were logged, then checks that failed later."""
    conditions = _component_condition(w, catalog, node.component, node) + time_filter(w, node.time)
    return (
        f"WITH candidates AS (SELECT run_id, component, start_time, status, coalesce(stale_reasons, []) AS own "
        f"FROM runs{where_clause(conditions)}), "
        f"failed AS (SELECT k.run_id, list({FAILED_CHECK_REASON}) AS later FROM checks AS k "
        f"JOIN candidates AS c ON k.run_id = c.run_id WHERE NOT k.passed "
        f"AND NOT list_contains(c.own, {FAILED_CHECK_REASON}) GROUP BY k.run_id) "
        "SELECT c.run_id, c.component, c.start_time, c.status, "
        "list_concat(c.own, coalesce(f.later, [])) AS reasons "
        "FROM candidates AS c LEFT JOIN failed AS f ON c.run_id = f.run_id "
        "WHERE len(c.own) > 0 OR f.run_id IS NOT NULL ORDER BY c.start_time DESC, c.run_id DESC"
    )


def alerts_sql(w: SqlWriter, catalog: Catalog, node: ast.Alerts) -> str:
    """SLA violations still open: the latest event per (component, metric) says `violated`."""
    if node.every_episode:
        return _alert_episodes_sql(w, catalog, node)
    events = latest("alerts", "component, metric, ts, value, op, bound, run_id, message, state", "component, metric")
    conditions = ["state = 'violated'"] + _component_condition(w, catalog, node.component, node)
    conditions += time_filter(w, node.time, column="ts", date_column=None)
    return (f"SELECT component, metric, ts AS since, value, op, bound, run_id, message FROM ({events}) AS a"
            f"{where_clause(conditions)} ORDER BY since DESC, component, metric")


def _alert_episodes_sql(w: SqlWriter, catalog: Catalog, node: ast.Alerts) -> str:
    """Every violation, resolved or still open (`until` null): when it began and ended, how long it lasted, and the
    worst value the metric took meanwhile (the lowest for a lower bound or a change down, the highest otherwise)."""
    conditions = [f'e."component" = {w.param(require_component(catalog, node.component, node))}'] \
        if node.component else []
    conditions += time_filter(w, node.time, column="e.since", date_column=None)
    return (
        "WITH episodes AS (SELECT v.component, v.metric, v.ts AS since, (SELECT min(r.ts) FROM alerts AS r "
        "WHERE r.component = v.component AND r.metric = v.metric AND r.state = 'resolved' AND r.ts > v.ts) AS until, "
        "v.value, v.op, v.bound, v.run_id, v.message, v.direction FROM alerts AS v WHERE v.state = 'violated') "
        "SELECT e.component, e.metric, e.since, e.until, "
        "date_diff('millisecond', e.since, e.until) / 1000.0 AS duration_s, CASE WHEN e.direction = 'down' OR (e.direction IS NULL AND e.op IN ('>=', '>')) "
        "THEN least(e.value, min(m.value)) ELSE greatest(e.value, max(m.value)) END "
        "AS worst, e.op, e.bound, e.run_id, e.message FROM episodes AS e LEFT JOIN metrics AS m "
        'ON m."component" = e.component AND m.name = e.metric AND m.start_time > e.since '
        "AND (e.until IS NULL OR m.start_time < e.until)"
        f"{where_clause(conditions)} "
        "GROUP BY e.component, e.metric, e.since, e.until, e.value, e.op, e.bound, e.run_id, e.message, e.direction "
        "ORDER BY e.since DESC, e.component, e.metric"
    )


def sql_statement_sql(w: SqlWriter, catalog: Catalog, node: ast.Sql) -> str:
    """The user's SQL, after making sure it is exactly one read-only SELECT."""
    try:
        statements = duckdb.extract_statements(node.text)
    except duckdb.Error as exc:
        raise ObsqlError("sql", f"the SQL does not parse: {str(exc).splitlines()[0]}",
                         line=node.line, column=node.column) from None
    if len(statements) != 1:
        raise ObsqlError("input", "sql takes exactly one statement", line=node.line, column=node.column)
    kind = statements[0].type
    if kind != duckdb.StatementType.SELECT:
        raise ObsqlError("input", f"sql is read-only: only SELECT queries run here, not {kind.name}",
                         line=node.line, column=node.column, suggestion="sql select ... from runs")
    return node.text.strip().rstrip(";")
