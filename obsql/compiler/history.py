"""`history`: a component's metrics over time, one row per run or per time bucket.

Metrics come from what runs logged (the metrics table), from summaries of logged dataframe columns
(`null_frac(fare_amount)`), and from outputs and their late labels (accuracy, labeled, outputs).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from obsql.compiler.catalog import Catalog, require_component, require_metric
from obsql.compiler.events import LATEST_LABELS
from obsql.compiler.pipes import describe
from obsql.compiler.sql import SqlWriter, ident, interval_sql, where_clause
from obsql.compiler.timeexpr import SECONDS, checked, resolve_time, time_filter
from obsql.errors import ObsqlError
from obsql.monitor.correctness import Correctness
from obsql.grammar import ast

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


def history_sql(w: SqlWriter, catalog: Catalog, node: ast.History) -> str:
    """One row per run (or per bucket with `every`) with the requested metrics as columns."""
    component = require_component(catalog, node.component, node)
    metrics = node.metrics or tuple(ast.Column(m) for m in catalog.metrics(component))
    c = w.param(component)
    conditions = [f'"component" = {c}'] + time_filter(w, node.time)
    in_range = where_clause(conditions)
    known = {m.name for m in metrics if isinstance(m, ast.Column) and catalog.logged(component, m.name)}
    logged = [m.name for m in metrics if isinstance(m, ast.Column) and m.name in known]
    summarised = [m for m in metrics if isinstance(m, ast.Call)]
    for metric in metrics:
        _validate_metric(catalog, component, metric)
    if node.every is not None and all(isinstance(m, ast.Column) and (m.name in known or m.name == "duration_s")
                                      for m in metrics):
        if _whole_hours(node.every):
            return _bucketed_from_rollups(w, metrics, known, c, node.time, node.every)
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
        parts.append(_realized_accuracy(in_range, catalog.correctness(component)))
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


def _correct_sql(rule: Correctness, value: str, label: str) -> str:
    """The SQL condition for an output's value being right about its label under the component's rule."""
    if rule.kind == "binary":
        return f"({value} >= {rule.threshold!r}) = ({label} >= 0.5)"
    if rule.kind == "class":
        return f"{value} = {label}"
    return f"abs({value} - {label}) <= {rule.tolerance!r} + {rule.relative!r} * abs({label})"


def _realized_accuracy(in_range: str, rule: Correctness) -> str:
    """Accuracy from late labels: each output's value (a score, class or number) against its latest feedback label,
    by the component's rule of correctness."""
    return (
        f"labels AS ({LATEST_LABELS}), "
        "realized AS (SELECT o.run_id, count(*) AS outputs, count(l.id) AS labeled, "
        f"avg(CASE WHEN l.id IS NULL THEN NULL WHEN {_correct_sql(rule, 'o.value', 'l.label')} THEN 1.0 ELSE 0.0 END) "
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


def _whole_hours(every: ast.Interval) -> bool:
    """Whether buckets of `every` are made of whole hours (then hourly rollups add up to them exactly)."""
    return every.unit in ("month", "year") or (every.unit in SECONDS and
                                                checked(every).amount * SECONDS[every.unit] % 3600 == 0)


def _bucketed_from_rollups(w: SqlWriter, metrics: tuple[ast.Expr, ...], known: set[str], component: str,
                           time: ast.TimeRange | None, every: ast.Interval) -> str:
    """Buckets of whole hours from the hourly rollups the index keeps (`hourly_runs`, `hourly_metrics`: sums and
    counts per component and hour); a range that starts or ends inside an hour takes those part hours from the raw
    tables (one read of each, as binding a view over every partition file is the dearest part of a query). Means
    are sums over counts, so the answer is the one the raw rows give."""
    rolled, raw = _hour_split(w, time)
    logged = list(dict.fromkeys(m.name for m in metrics if m.name in known))
    in_hours = f'"component" = {component} AND {rolled}'
    rolled_bucket = _bucket_expression(w, every, by_partition=True, moment="hour")
    raw_bucket = _bucket_expression(w, every, by_partition=True)
    run_parts = [f"SELECT {rolled_bucket} AS bucket, runs, duration_sum, duration_count FROM hourly_runs "
                 f"WHERE {in_hours}"]
    if raw:
        run_parts.append(f"SELECT {raw_bucket} AS bucket, 1 AS runs, date_diff('millisecond', start_time, end_time) "
                         "/ 1000.0 AS duration_sum, CAST(end_time IS NOT NULL AS INTEGER) AS duration_count FROM runs "
                         f'WHERE "component" = {component} AND {raw}')
    runs = ("SELECT bucket, sum(runs) AS runs, sum(duration_sum) / nullif(sum(duration_count), 0) AS duration_s "
            f"FROM ({' UNION ALL '.join(run_parts)}) AS r GROUP BY 1")
    if not logged:
        columns = ", ".join(ident(m.name) for m in metrics)
        return f"SELECT bucket, runs, {columns} FROM ({runs}) AS r ORDER BY 1"
    names = {name: w.param(name) for name in logged}
    chosen = f"name IN ({', '.join(names.values())})"
    value_parts = [f"SELECT {rolled_bucket} AS bucket, name, n, total FROM hourly_metrics WHERE {in_hours} AND {chosen}"]
    if raw:
        value_parts.append(f"SELECT {raw_bucket} AS bucket, name, CAST(value IS NOT NULL AS INTEGER) AS n, value AS "
                           f'total FROM metrics WHERE "component" = {component} AND {chosen} AND {raw}')
    means = ", ".join(f"sum(total) FILTER (WHERE name = {param}) / nullif(sum(n) FILTER (WHERE name = {param}), 0) "
                      f"AS {ident(name)}" for name, param in names.items())
    values = f"SELECT bucket, {means} FROM ({' UNION ALL '.join(value_parts)}) AS v GROUP BY 1"
    columns = ", ".join(f"r.duration_s AS {ident(m.name)}" if m.name not in known else f"v.{ident(m.name)}"
                        for m in metrics)
    return (f"SELECT r.bucket, r.runs, {columns} FROM ({runs}) AS r LEFT JOIN ({values}) AS v "
            "ON r.bucket = v.bucket ORDER BY 1")


def _hour_split(w: SqlWriter, time: ast.TimeRange | None) -> tuple[str, str | None]:
    """A time range as a condition on the rollups' `hour` (the whole hours inside it) and, when an end falls inside
    an hour, a condition on the raw rows of those part hours (with the partition dates that hold them)."""
    start = resolve_time(time.start, w.now) if time is not None and time.start is not None else None
    end = resolve_time(time.end, w.now) if time is not None and time.end is not None else None
    first = _next_hour(start) if start is not None else None
    last = end.replace(minute=0, second=0, microsecond=0) if end is not None else None
    if first is not None and last is not None and first > last:  # inside one hour: the raw rows only
        return "false", _raw_windows(w, [(start, end)])
    rolled = [f"hour >= CAST({w.param(first)} AS TIMESTAMPTZ)"] if first is not None else []
    rolled += [f"hour < CAST({w.param(last)} AS TIMESTAMPTZ)"] if last is not None else []
    part_hours = [(start, first)] if start is not None and start != first else []
    part_hours += [(last, end)] if end is not None and end != last else []
    return " AND ".join(rolled) or "true", _raw_windows(w, part_hours) if part_hours else None


def _next_hour(moment: datetime) -> datetime:
    """The first whole hour at or after `moment`."""
    floor = moment.replace(minute=0, second=0, microsecond=0)
    return floor if floor == moment else floor + timedelta(hours=1)


def _raw_windows(w: SqlWriter, windows: list[tuple[datetime, datetime]]) -> str:
    """Raw rows that began in any of the [start, end) windows, read from the partitions of their days only."""
    days = sorted({day for start, end in windows for day in (start.date(), (end - timedelta(microseconds=1)).date())})
    spans = " OR ".join(f"(start_time >= CAST({w.param(start)} AS TIMESTAMPTZ) AND start_time < "
                        f"CAST({w.param(end)} AS TIMESTAMPTZ))" for start, end in windows)
    return f'"date" IN ({", ".join(f"CAST({w.param(day)} AS DATE)" for day in days)}) AND ({spans})'


def _bucket_expression(w: SqlWriter, every: ast.Interval, by_partition: bool = False,
                       moment: str = "start_time") -> str:
    """The start of the time bucket of each row's `moment` (a run's start, or a rollup's hour). Days come straight
    from the `date` partition when it is at hand; other units truncate a plain (UTC) timestamp, which avoids
    per-row time zone arithmetic."""
    if by_partition and every.amount == 1 and every.unit == "day":
        return 'CAST("date" AS TIMESTAMPTZ)'
    plain = f"CAST({moment} AS TIMESTAMP)"
    if every.amount == 1 and every.unit in ("minute", "hour", "day", "week", "month", "year"):
        return f"CAST(date_trunc('{every.unit}', {plain}) AS TIMESTAMPTZ)"
    if every.unit in ("month", "year"):
        return f"CAST(time_bucket({interval_sql(w, every)}, {plain}) AS TIMESTAMPTZ)"
    seconds = w.param(checked(every).amount * SECONDS[every.unit])  # whole buckets since the epoch, in plain SQL
    return f"to_timestamp(floor(epoch({moment}) / {seconds}) * {seconds})"
