"""`diagnose <component> [where <cond>] <time range>`: what changed upstream of the outputs that went bad.

The engine walks the traces of the component's outputs in the time range and weighs, for every run it finds, the
evidence against it by comparing it with the earlier runs of its own component (engine/diagnose.py). These steps
fetch that evidence for a set of runs and components at once; the walk binds the lists and the history's start.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from obsql.compiler.catalog import Catalog, require_component
from obsql.compiler.lineage import STEPS, sampled_pairs, slice_outputs_sql
from obsql.compiler.pipes import pipes_over_result
from obsql.compiler.plans import StepPlan
from obsql.compiler.sql import POOLED_STD, SqlWriter, latest, pooled_mean
from obsql.compiler.timeexpr import resolve_time
from obsql.grammar import ast

_OF_COMPONENTS = ('list_contains($components, "component") AND start_time >= $history_since AND start_time < $until '
                  'AND "date" >= CAST($history_since AS DATE)')

EVIDENCE_STEPS = {
    "failed_checks": "SELECT run_id, name, phase, message FROM checks WHERE list_contains($ids, run_id) "
                     "AND NOT passed",
    "check_history": 'SELECT "component", name, count(*) AS runs, count(*) FILTER (WHERE NOT passed) AS failed '
                     f"FROM checks WHERE {_OF_COMPONENTS} GROUP BY ALL",
    "component_runs": 'SELECT run_id, "component", start_time, code_hash, git_commit FROM runs '
                      f"WHERE {_OF_COMPONENTS} ORDER BY start_time, run_id",
    # per run and logged column, its frames' summaries pooled (a run may log several frames with the column): the
    # spread about the pooled mean (sql.POOLED_STD), and from the largest frame the midmean and interquartile range
    # (quantiles 6 to 16 are the levels 0.25 to 0.75), which a few extreme values do not move
    "column_stats": (
        "WITH frames AS (SELECT *, list_avg(list_slice(quantiles, 6, 16)) AS midmean, "
        f"quantiles[16] - quantiles[6] AS iqr, {pooled_mean('run_id, column_name')} AS pooled_mean "
        f"FROM summaries WHERE {_OF_COMPONENTS}) "
        'SELECT run_id, "component", min(start_time) AS start_time, column_name, sum(count + nulls) AS n, '
        "sum(nulls) / nullif(sum(count + nulls), 0) AS null_frac, any_value(pooled_mean) AS mean, "
        f"{POOLED_STD} AS std, arg_max(midmean, count) AS midmean, arg_max(iqr, count) AS iqr, "
        'sum("distinct") / nullif(sum(count), 0) AS distinct_share, bool_or(kind = \'temporal\') AS temporal '
        "FROM frames GROUP BY ALL"
    ),
    "metric_values": f'SELECT run_id, "component", start_time, name, value FROM metrics WHERE {_OF_COMPONENTS}',
    "static": latest("components", "name, static", "name"),
    # when each run of these components read each of its dependencies, and when that dependency was written
    "history_reads": (
        'SELECT c.run_id, c."component", c.start_time, p."component" AS source, p.start_time AS written_at '
        "FROM lineage_edges AS e JOIN lineage_runs AS c ON c.run_id = e.run_id "
        "JOIN lineage_runs AS p ON p.run_id = e.dep_run_id "
        'WHERE list_contains($components, c."component") AND c.start_time >= $history_since '
        "AND c.start_time < $until"
    ),
}


def earlier_window(since: datetime, until: datetime) -> tuple[datetime, datetime]:
    """The outputs a diagnosis takes for good ones: as long a range as the one asked about, one such range before
    it, so that a user who noticed the fault a little late still has its start inside the range or the gap."""
    span = max(until - since, timedelta(days=1))
    return since - 2 * span, since - span


def diagnose_plan(w: SqlWriter, catalog: Catalog, node: ast.Diagnose, pipes: tuple[ast.Pipe, ...]) -> StepPlan:
    require_component(catalog, node.component, node)
    window = ast.SliceTrace(node.component, node.where, node.time, line=node.line, column=node.column)
    steps = {"outputs": slice_outputs_sql(w, catalog, window, node.where),
             **{name: STEPS[name] for name in ("upstream", "upstream_in_core", "runs")}, **EVIDENCE_STEPS}
    if node.where is not None:  # the slice is weighed against the rest of the window's outputs
        steps["baseline"] = sampled_pairs(slice_outputs_sql(w, catalog, window, None))
    since = resolve_time(node.time.start, w.now) if node.time.start is not None else None
    until = resolve_time(node.time.end, w.now) if node.time.end is not None else w.now
    before = None if since is None else earlier_window(since, until)
    if before is not None:  # the same slice earlier, when the outputs were still good
        earlier = ast.SliceTrace(node.component, node.where, ast.TimeRange(
            ast.TimePoint("absolute", at=before[0]), ast.TimePoint("absolute", at=before[1])))
        steps["earlier_outputs"] = sampled_pairs(slice_outputs_sql(w, catalog, earlier, node.where))
    args = {"component": node.component, "since": since, "until": until, "before": before,
            "sliced": node.where is not None}
    return StepPlan("diagnose", args, steps, w.params, pipes_over_result(w, pipes))
