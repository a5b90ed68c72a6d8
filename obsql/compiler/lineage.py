"""Lineage statements: trace, trace forward, slice traces with `| rank runs`, review, flag and unflag.

Their answers come from walking the run graph a level at a time, so each compiles to the SQL of its steps; the
engine runs them in a loop. The steps read views the engine keeps over the store (and over the lookup index that
compaction builds): lineage_producers, lineage_consumers, lineage_edges, lineage_runs and lineage_outputs.
"""
from __future__ import annotations

from obsql.compiler.catalog import Catalog, require_component
from obsql.compiler.events import FLAGGED_NOW, LATEST_LABELS
from obsql.compiler.pipes import pipes_over_result
from obsql.compiler.plans import StepPlan
from obsql.compiler.sql import SqlWriter, latest
from obsql.compiler.timeexpr import time_filter
from obsql.errors import ObsqlError
from obsql.grammar import ast

RUN_FIELDS = "run_id, component, start_time, end_time, status, stale, stale_reasons"
_NEWEST_VERSION = "end_time DESC, run_id DESC"  # of a pointer's producers, the one that wrote it last
BASELINE_SAMPLE = 50_000  # outputs a ranking's baseline keeps at most (a uniform sample estimates its shares)

STEPS = {
    # the producer of the pointer's newest version, with its attributes (the producers index carries them)
    "producer": latest("lineage_producers", RUN_FIELDS, None, _NEWEST_VERSION, "pointer = $pointer"),
    "upstream": "SELECT run_id AS child_run_id, dep_run_id AS run_id, pointer FROM lineage_edges "
                "WHERE list_contains($frontier, run_id)",
    # the same for the runs of the frontier in the core, with their attributes (a row with no dependency for one
    # that has none), from the core's small files: where no core is held in memory, only the other runs need
    # `upstream` and `runs`
    "upstream_in_core": "SELECT r.run_id AS child_run_id, e.dep_run_id AS run_id, e.pointer, "
                        f"{', '.join(f'r.{field}' for field in RUN_FIELDS.split(', ')[1:])} "
                        "FROM lineage_inner_runs AS r LEFT JOIN lineage_inner_edges AS e ON e.run_id = r.run_id "
                        "WHERE list_contains($frontier, r.run_id)",
    # each run that read it once, with its attributes (the consumers index carries them), newest first as at every
    # level of a trace
    "readers": f"SELECT * FROM (SELECT DISTINCT ON (run_id) {RUN_FIELDS} FROM lineage_consumers "
               "WHERE pointer = $pointer) AS r ORDER BY start_time DESC NULLS LAST, run_id DESC",
    "downstream": "SELECT dep_run_id AS parent_run_id, run_id, pointer FROM lineage_dependents "
                  "WHERE list_contains($frontier, dep_run_id)",
    "runs": f"SELECT {RUN_FIELDS} FROM lineage_runs WHERE list_contains($ids, run_id)",
    "core_runs": "SELECT run_id FROM lineage_inner_runs",  # every run some run depends on (and those since)
    # the outputs of the runs a trace visited (outside the in-memory core), pruned to their components' and days'
    # partitions where they are not indexed yet
    "outputs_of": "SELECT run_id, outputs[1:$limit], total FROM lineage_outputs "
                  "WHERE list_contains($components, \"component\") AND list_contains($days, date) "
                  "AND list_contains($ids, run_id)",
    "flagged": FLAGGED_NOW,
    # with the producers' attributes (the producers index carries them)
    "latest_producers": latest("lineage_producers", f"pointer, {RUN_FIELDS}", "pointer", _NEWEST_VERSION,
                               "list_contains($pointers, pointer)"),
    "exists": "SELECT count(*) FROM lineage_producers WHERE pointer = $pointer",
    "known_pointers": "SELECT pointer FROM lineage_producers WHERE list_contains($pointers, pointer) UNION "
                      "SELECT pointer FROM lineage_consumers WHERE list_contains($pointers, pointer)",
    "exists_as_input": "SELECT count(*) FROM lineage_consumers WHERE pointer = $pointer",
    # suggestions for an unknown pointer: among those sharing a stem of it (a range of the sorted index, cheap),
    # and among all only on a small store (a scan of every pointer: 3.5 s at 10M runs)
    # at most $cap of each range, the first in name order (a short stem of a large family spans millions)
    "nearest_by_stem": "SELECT pointer FROM ((SELECT pointer FROM lineage_producers WHERE pointer >= $stem AND "
                       "pointer < $stem_end LIMIT $cap) UNION (SELECT pointer FROM lineage_consumers WHERE pointer "
                       ">= $stem AND pointer < $stem_end LIMIT $cap)) AS p ORDER BY levenshtein(pointer, $pointer), "
                       "pointer LIMIT 1",
    "pointers_produced": "SELECT count(*) FROM lineage_producers",  # from the files' footers: nothing scanned
    "nearest": "SELECT pointer FROM (SELECT pointer FROM lineage_producers UNION SELECT pointer FROM "
               "lineage_consumers) AS p ORDER BY levenshtein(pointer, $pointer), pointer LIMIT 1",
}

NEAREST = ("nearest_by_stem", "pointers_produced", "nearest")  # the steps `walks.unknown_pointer` runs


def _steps(*names: str) -> dict[str, str]:
    return {name: STEPS[name] for name in names}


def trace_plan(w: SqlWriter, catalog: Catalog, node: ast.Trace, pipes: tuple[ast.Pipe, ...]) -> StepPlan:
    if node.depth is not None and node.depth < 0:
        raise ObsqlError("input", "depth must not be negative", line=node.line, column=node.column)
    args = {"pointer": node.pointer, "depth": node.depth}
    if node.forward:
        steps = _steps("readers", "downstream", "runs", "exists", "outputs_of", "core_runs", *NEAREST)
        return StepPlan("trace_forward", args, steps, w.params, pipes_over_result(w, pipes), "trace")
    steps = _steps("producer", "upstream", "upstream_in_core", "runs", "exists_as_input", "outputs_of", *NEAREST)
    return StepPlan("trace", args, steps, w.params, pipes_over_result(w, pipes), "trace")


def slice_outputs_sql(w: SqlWriter, catalog: Catalog, node: ast.SliceTrace, where: ast.Expr | None) -> str:
    """The outputs of a component that make up a slice (those meeting `where`, in the node's time range), with
    the run that wrote each and its label, if one came."""
    component = w.param(require_component(catalog, node.component, node))
    conditions = [f'"component" = {component}', "direction = 'output'"] + time_filter(w, node.time)
    outputs = ("SELECT o.pointer, o.value, l.label, o.run_id, o.start_time, o.end_time, o.pointer_type FROM "
               f"(SELECT * FROM io WHERE {' AND '.join(conditions)}) AS o "
               f"LEFT JOIN ({LATEST_LABELS}) AS l ON l.id = o.pointer")
    if where is not None:
        outputs = f"SELECT * FROM ({outputs}) AS o WHERE {w.expr(where)}"
    return outputs


# a uniform sample of the outputs of the components over a span, `size` of them drawn from the index's fixed
# sample (a hash of the name orders them); where that holds too few, the outputs themselves (OUTPUTS_BETWEEN)
SAMPLED_OUTPUTS_BETWEEN = (f"SELECT pointer, {RUN_FIELDS}, coalesce(deps, []) AS deps FROM lineage_output_sample "
                           "WHERE list_contains($components, component) AND start_time BETWEEN $since AND $until "
                           "ORDER BY draw LIMIT $size")
# every output of the components over a span (a ranking's baseline when none is named), sampled
OUTPUTS_BETWEEN = ("SELECT pointer, run_id FROM io WHERE direction = 'output' AND list_contains($components, "
                   "\"component\") AND start_time BETWEEN $since AND $until "
                   "AND \"date\" BETWEEN CAST($since AS DATE) AND CAST($until AS DATE)")


def sampled_pairs(outputs: str) -> str:
    """(pointer, run_id) of a baseline's outputs, a repeatable uniform sample of them when there are very many."""
    return (f"SELECT pointer, run_id FROM ({outputs}) AS b "
            f"USING SAMPLE reservoir({BASELINE_SAMPLE} ROWS) REPEATABLE (1)")


def slice_plan(w: SqlWriter, catalog: Catalog, node: ast.SliceTrace, pipes: tuple[ast.Pipe, ...]) -> StepPlan:
    steps = {"outputs": slice_outputs_sql(w, catalog, node, node.where),
             **_steps("upstream", "upstream_in_core", "runs")}
    if pipes and isinstance(pipes[0], ast.RankRuns):
        against = pipes[0].against  # a named baseline, else the component's outputs over the slice's span
        if against is None:
            steps.update(baseline=sampled_pairs(OUTPUTS_BETWEEN), baseline_sample=SAMPLED_OUTPUTS_BETWEEN)
        else:
            steps["baseline"] = sampled_pairs(slice_outputs_sql(w, catalog, node, against))
        return StepPlan("rank", {"component": node.component}, steps, w.params, pipes_over_result(w, pipes[1:]))
    return StepPlan("slice", {"component": node.component}, steps, w.params, pipes_over_result(w, pipes))


def review_plan(w: SqlWriter, catalog: Catalog, node: ast.Review, pipes: tuple[ast.Pipe, ...]) -> StepPlan:
    steps = {**_steps("flagged", "latest_producers", "upstream", "upstream_in_core", "runs"),
             "baseline": sampled_pairs(OUTPUTS_BETWEEN),
             "baseline_sample": SAMPLED_OUTPUTS_BETWEEN}
    return StepPlan("review", {}, steps, w.params, pipes_over_result(w, pipes))


def flag_plan(w: SqlWriter, catalog: Catalog, node: ast.Flag | ast.Unflag) -> StepPlan:
    """Flags are written in one write per statement: named pointers (each must be known), or a component's outputs
    as `trace outputs of` slices them."""
    flagged = isinstance(node, ast.Flag)
    if node.outputs is not None:
        steps = {"outputs": slice_outputs_sql(w, catalog, node.outputs, node.outputs.where)}
        return StepPlan("flag_outputs", {"flagged": flagged}, steps, w.params)
    if not node.pointers:
        return StepPlan("unflag_all", {}, _steps("flagged"))
    return StepPlan("flag", {"pointers": list(node.pointers), "flagged": flagged},
                    _steps("known_pointers", *NEAREST))
