"""The statements whose answer is one SQL query: runs, recent, components, stale, history, compare, sql."""
from __future__ import annotations

import duckdb

from obsql.compiler.catalog import Catalog, require_columns, require_component, require_metric
from obsql.compiler.pipes import describe
from obsql.compiler.sql import SqlWriter, ident, interval_sql
from obsql.compiler.timeexpr import resolve_time
from obsql.errors import ObsqlError
from obsql.grammar import ast

# The latest label that arrived for each prediction id.
LATEST_LABELS = ("SELECT id, label FROM (SELECT id, label, row_number() OVER (PARTITION BY id ORDER BY ts DESC) "
                 "AS newest FROM feedback WHERE label IS NOT NULL) AS f WHERE newest = 1")
RUN_COLUMNS = ("run_id, component, start_time, end_time, "
               "date_diff('millisecond', start_time, end_time) / 1000.0 AS duration_s, status, stale, "
               "stale_reasons, error, notes, git_commit, host")
DEFAULT_RECENT = 10
# A summary of one logged column per run, from the summaries table; {f} filters the rows to that column.
SUMMARY_FUNCTIONS = {
    "null_frac": "sum(nulls) {f} / nullif(sum(count + nulls) {f}, 0)",
    "nulls": "sum(nulls) {f}",
    "count": "sum(count) {f}",
    "mean": "sum(mean * count) {f} / nullif(sum(count) {f}, 0)",
    "min": "min(min) {f}",
    "max": "max(max) {f}",
    "std": "max(std) {f}",
    "distinct": "max(distinct) {f}",
}
FAILED_CHECK_REASON = ("'check ' || k.name || ' failed (' || k.phase || ')' || "
                       "CASE WHEN coalesce(k.message, '') <> '' THEN ': ' || k.message ELSE '' END")


def time_filter(w: SqlWriter, time: ast.TimeRange | None, column: str = "start_time") -> list[str]:
    """Conditions for a time range; the partition date lets DuckDB skip whole directories."""
    if time is None:
        return []
    conditions = []
    if time.start is not None:
        start = w.param(resolve_time(time.start, w.now))
        conditions += [f"{ident(column)} >= CAST({start} AS TIMESTAMPTZ)", f'"date" >= CAST({start} AS DATE)']
    if time.end is not None:
        end = w.param(resolve_time(time.end, w.now))
        conditions += [f"{ident(column)} < CAST({end} AS TIMESTAMPTZ)", f'"date" <= CAST({end} AS DATE)']
    return conditions


def _where(conditions: list[str]) -> str:
    return f" WHERE {' AND '.join(conditions)}" if conditions else ""


def _component_condition(w: SqlWriter, catalog: Catalog, component: str | None, node: ast.Node) -> list[str]:
    if component is None:
        return []
    return [f'"component" = {w.param(require_component(catalog, component, node))}']


def runs_sql(w: SqlWriter, catalog: Catalog, node: ast.Runs) -> str:
    conditions = _component_condition(w, catalog, node.component, node) + time_filter(w, node.time)
    base = f"SELECT {RUN_COLUMNS} FROM runs{_where(conditions)}"
    if node.where is not None:
        base = f"SELECT * FROM ({base}) AS r WHERE {w.expr(node.where)}"
    return f"{base} ORDER BY start_time, run_id"


def recent_sql(w: SqlWriter, catalog: Catalog, node: ast.Recent) -> str:
    limit = node.limit if node.limit is not None else DEFAULT_RECENT
    return f"SELECT {RUN_COLUMNS} FROM runs ORDER BY start_time DESC, run_id DESC LIMIT {int(limit)}"


def components_sql(w: SqlWriter, catalog: Catalog, node: ast.Components) -> str:
    return (
        "WITH meta AS (SELECT name AS component, description, owner, tags FROM ("
        "SELECT *, row_number() OVER (PARTITION BY name ORDER BY ts DESC) AS newest FROM components) AS c "
        "WHERE newest = 1), "
        "stats AS (SELECT component, count(*) AS runs, sum(CASE WHEN status = 'failed' THEN 1 ELSE 0 END) AS failed, "
        "sum(CASE WHEN stale THEN 1 ELSE 0 END) AS stale, min(start_time) AS first_run, max(start_time) AS last_run "
        "FROM runs GROUP BY component) "
        "SELECT coalesce(s.component, m.component) AS component, m.description, m.owner, m.tags, "
        "coalesce(s.runs, 0) AS runs, coalesce(s.failed, 0) AS failed, coalesce(s.stale, 0) AS stale, "
        "s.first_run, s.last_run FROM stats AS s FULL OUTER JOIN meta AS m ON s.component = m.component "
        "ORDER BY s.first_run NULLS LAST, component"
    )


def stale_sql(w: SqlWriter, catalog: Catalog, node: ast.Stale) -> str:
    """Stale runs with every reason: those found when they were logged, then checks that failed later."""
    conditions = _component_condition(w, catalog, node.component, node) + time_filter(w, node.time)
    return (
        f"WITH candidates AS (SELECT run_id, component, start_time, status, coalesce(stale_reasons, []) AS own "
        f"FROM runs{_where(conditions)}), "
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
    conditions = ['"component" = ' + w.param(require_component(catalog, node.component, node))] \
        if node.component else []
    conditions += [c.replace('"date"', "CAST(ts AS DATE)") for c in time_filter(w, node.time, column="ts")]
    return (
        "SELECT component, metric, ts AS since, value, op, bound, run_id, message FROM ("
        "SELECT *, row_number() OVER (PARTITION BY component, metric ORDER BY ts DESC) AS newest FROM alerts) AS a "
        f"WHERE newest = 1 AND state = 'violated'{' AND ' + ' AND '.join(conditions) if conditions else ''} "
        "ORDER BY since DESC, component, metric"
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


# -- history ------------------------------------------------------------------------------------------------------
def history_sql(w: SqlWriter, catalog: Catalog, node: ast.History) -> str:
    """One row per run (or per bucket with `every`) with the requested metrics as columns."""
    component = require_component(catalog, node.component, node)
    metrics = node.metrics or tuple(ast.Column(m) for m in catalog.metrics(component))
    c = w.param(component)
    conditions = [f'"component" = {c}'] + time_filter(w, node.time)
    in_range = _where(conditions)
    known = {m.name for m in metrics if isinstance(m, ast.Column) and catalog.logged(component, m.name)}
    logged = [m.name for m in metrics if isinstance(m, ast.Column) and m.name in known]
    summarised = [m for m in metrics if isinstance(m, ast.Call)]
    for metric in metrics:
        _validate_metric(catalog, component, metric)
    if node.every is not None and all(isinstance(m, ast.Column) and (m.name in known or m.name == "duration_s")
                                      for m in metrics):
        return _bucketed_directly(w, metrics, known, in_range, node.every)
    parts = [f"base AS (SELECT run_id, start_time, "
             f"date_diff('millisecond', start_time, end_time) / 1000.0 AS duration_s FROM runs{in_range})"]
    joins = []
    if logged:
        pivots = ", ".join(f"max(CASE WHEN name = {w.param(name)} THEN value END) AS {ident(name)}"
                           for name in dict.fromkeys(logged))
        parts.append(f"logged AS (SELECT run_id, {pivots} FROM metrics{in_range} GROUP BY run_id)")
        joins.append("LEFT JOIN logged USING (run_id)")
    if summarised:
        pivots = ", ".join(_summary_pivot(w, m) for m in summarised)
        parts.append(f"summarised AS (SELECT run_id, {pivots} FROM summaries{in_range} GROUP BY run_id)")
        joins.append("LEFT JOIN summarised USING (run_id)")
    realized = {m.name for m in metrics if isinstance(m, ast.Column) and m.name in _REALIZED} - set(logged)
    if realized:
        parts.append(_realized_accuracy(in_range))
        joins.append("LEFT JOIN realized USING (run_id)")
        if "accuracy" in realized and "labeled" not in realized:  # bucketed accuracy is weighted by labels
            metrics = (*metrics, ast.Column("labeled"))
    columns = ", ".join(_metric_column(m, logged) for m in metrics)
    per_run = (f"WITH {', '.join(parts)} SELECT base.start_time, base.run_id, {columns} FROM base "
               f"{' '.join(joins)}")
    if node.every is None:
        return f"{per_run} ORDER BY start_time, run_id"
    return _bucketed(w, per_run, metrics, node.every, realized)


_REALIZED = ("accuracy", "labeled", "outputs")  # computed from outputs' scores and their feedback labels


def _validate_metric(catalog: Catalog, component: str, metric: ast.Expr) -> None:
    if isinstance(metric, ast.Column):
        require_metric(catalog, component, metric.name, metric)
    elif isinstance(metric, ast.Call):
        if metric.name.lower() not in SUMMARY_FUNCTIONS or len(metric.args) != 1 \
                or not isinstance(metric.args[0], ast.Column):
            raise ObsqlError("input", f"history takes metric names or a summary of a logged column "
                                      f"({', '.join(sorted(SUMMARY_FUNCTIONS))}), e.g. null_frac(fare_amount); "
                                      f"not '{describe(metric)}'", line=metric.line, column=metric.column)
    else:
        raise ObsqlError("input", f"'{describe(metric)}' is not a metric", line=metric.line, column=metric.column)


def _summary_pivot(w: SqlWriter, metric: ast.Call) -> str:
    only_column = f"FILTER (WHERE column_name = {w.param(metric.args[0].name)})"
    aggregate = SUMMARY_FUNCTIONS[metric.name.lower()].format(f=only_column)
    return f"{aggregate} AS {ident(describe(metric))}"


def _realized_accuracy(in_range: str) -> str:
    """Accuracy from late labels: an output's value (a score) rounded, against its latest feedback label."""
    return (
        f"labels AS ({LATEST_LABELS}), "
        "realized AS (SELECT o.run_id, count(*) AS outputs, count(l.id) AS labeled, "
        "avg(CASE WHEN l.id IS NULL THEN NULL WHEN (o.value > 0.5) = (l.label > 0.5) THEN 1.0 ELSE 0.0 END) "
        "AS accuracy FROM (SELECT run_id, pointer, value FROM io"
        f"{in_range} AND direction = 'output' AND value IS NOT NULL) AS o "
        "LEFT JOIN labels AS l ON l.id = o.pointer GROUP BY o.run_id)"
    )


def _metric_column(metric: ast.Expr, logged: list[str]) -> str:
    label = ident(describe(metric))
    if isinstance(metric, ast.Column) and metric.name == "duration_s" and "duration_s" not in logged:
        return f"base.duration_s AS {label}"
    return label


def _bucketed(w: SqlWriter, per_run: str, metrics: tuple[ast.Expr, ...], every: ast.Interval,
              realized: set[str]) -> str:
    """Per-run rows grouped into time buckets: means of metrics; label-weighted realized accuracy; summed counts."""
    bucket = _bucket_expression(w, every)
    columns = []
    for metric in metrics:
        label = ident(describe(metric))
        name = metric.name if isinstance(metric, ast.Column) else None
        if name == "accuracy" and name in realized:
            columns.append(f"sum({label} * labeled) / nullif(sum(labeled), 0) AS {label}")
        elif name in ("labeled", "outputs") and name in realized | {"labeled"}:
            columns.append(f"sum({label}) AS {label}")
        else:
            columns.append(f"avg({label}) AS {label}")
    return (f"SELECT {bucket} AS bucket, count(*) AS runs, {', '.join(columns)} FROM ({per_run}) AS per_run "
            "GROUP BY 1 ORDER BY 1")


def _bucketed_directly(w: SqlWriter, metrics: tuple[ast.Expr, ...], known: set[str], in_range: str,
                       every: ast.Interval) -> str:
    """Buckets of logged metrics aggregated straight from the metrics table (no per-run pivot: fast at scale)."""
    bucket = _bucket_expression(w, every, by_partition=True)
    logged = [m.name for m in metrics if m.name in known]
    runs = (f"SELECT {bucket} AS bucket, count(*) AS runs, "
            f"avg(date_diff('millisecond', start_time, end_time) / 1000.0) AS duration_s FROM runs{in_range} "
            "GROUP BY 1")
    if not logged:
        columns = ", ".join(ident(m.name) for m in metrics)
        return f"SELECT bucket, runs, {columns} FROM ({runs}) AS r ORDER BY 1"
    names = {name: w.param(name) for name in dict.fromkeys(logged)}
    means = ", ".join(f"avg(value) FILTER (WHERE name = {param}) AS {ident(name)}" for name, param in names.items())
    values = (f"SELECT {bucket} AS bucket, {means} FROM metrics{in_range} AND name IN ({', '.join(names.values())}) "
              "GROUP BY 1")
    columns = ", ".join(f"r.duration_s AS {ident(m.name)}" if m.name not in known else f"v.{ident(m.name)}"
                        for m in metrics)
    return (f"SELECT r.bucket, r.runs, {columns} FROM ({runs}) AS r LEFT JOIN ({values}) AS v "
            "ON r.bucket = v.bucket ORDER BY 1")


_BUCKET_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86_400, "week": 604_800}


def _bucket_expression(w: SqlWriter, every: ast.Interval, by_partition: bool = False) -> str:
    """The start of each run's time bucket. Days come straight from the `date` partition when it is at hand;
    other units truncate a plain (UTC) timestamp, which avoids per-row time zone arithmetic."""
    if by_partition and every.amount == 1 and every.unit == "day":
        return 'CAST("date" AS TIMESTAMPTZ)'
    plain = "CAST(start_time AS TIMESTAMP)"
    if every.amount == 1 and every.unit in ("minute", "hour", "day", "week", "month", "year"):
        return f"CAST(date_trunc('{every.unit}', {plain}) AS TIMESTAMPTZ)"
    if every.unit in ("month", "year"):
        return f"CAST(time_bucket({interval_sql(w, every)}, {plain}) AS TIMESTAMPTZ)"
    seconds = w.param(every.amount * _BUCKET_SECONDS[every.unit])  # whole buckets since the epoch, in plain SQL
    return f"to_timestamp(floor(epoch(start_time) / {seconds}) * {seconds})"


# -- compare ------------------------------------------------------------------------------------------------------
COMPARE_STATS = ("count", "nulls", "null_frac", "mean", "std", "p05", "p50", "p95", "min", "max")


def side_rows_sql(w: SqlWriter, catalog: Catalog, side: ast.Side, table: str, columns: str) -> str:
    """Rows of `table` (summaries or samples) logged by one side's runs, filtered by the side's clauses.

    The side's `where` sees the table's columns and the run's (run_id, start_time, status, stale)."""
    component = w.param(require_component(catalog, side.component, side))
    conditions = [f's."component" = {component}'] + [
        c.replace('"start_time"', "s.start_time").replace('"date"', 's."date"') for c in time_filter(w, side.time)]
    rows = (f"SELECT {columns}, r.run_id, r.start_time, r.status, r.stale FROM {table} AS s JOIN runs AS r "
            f"ON s.run_id = r.run_id AND r.\"component\" = {component}{_where(conditions)}")
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
