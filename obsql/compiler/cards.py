"""`inspect run '<id>'` and `inspect '<pointer>'`: everything about one run or one pointer, as a card.

A card is built from a few small queries; the run's partition (component, date) is found first so that the others
read one directory each.
"""
from __future__ import annotations

from obsql.compiler.catalog import Catalog
from obsql.compiler.lineage import NEAREST, RUN_FIELDS, STEPS
from obsql.compiler.pipes import pipes_over_result
from obsql.compiler.plans import StepPlan
from obsql.compiler.sql import SqlWriter, latest
from obsql.grammar import ast

IN_RUN_PARTITION = '"component" = $component AND "date" = CAST($start_time AS DATE) AND run_id = $run_id'

RUN_STEPS = {
    "resolve": f"SELECT {RUN_FIELDS} FROM lineage_runs WHERE run_id >= $prefix AND run_id < $prefix_end "
               "ORDER BY run_id LIMIT 5",
    "run": f"SELECT run_id, start_time, end_time, status, error, git_commit, code_hash, host, pid, notes, stale, "
           f"stale_reasons FROM runs WHERE {IN_RUN_PARTITION}",
    "io": f"SELECT direction, pointer, pointer_type, value, content_hash FROM io WHERE {IN_RUN_PARTITION} "
          "ORDER BY direction, pointer",
    "deps": "SELECT pointer, dep_run_id, dep_component, dep_start_time, stale, reason FROM deps "
            f"WHERE {IN_RUN_PARTITION} ORDER BY pointer",
    "checks": f"SELECT name, phase, passed, value, message FROM checks WHERE {IN_RUN_PARTITION} ORDER BY ts",
    "metrics": f"SELECT name, value FROM metrics WHERE {IN_RUN_PARTITION} ORDER BY name",
    "code": "SELECT source FROM code WHERE code_hash = $code_hash LIMIT 1",
    "notes": "SELECT ts, note FROM run_notes WHERE run_id = $run_id ORDER BY ts",
    "redactions": "SELECT ts, action, pointer FROM redactions WHERE list_contains(run_ids, $run_id) ORDER BY ts",
}

POINTER_STEPS = {
    "io": "SELECT direction, run_id, component, start_time, end_time, pointer_type, value, content_hash FROM io "
          "WHERE pointer = $pointer ORDER BY end_time, run_id",
    "flag": latest("flags", "flagged, ts", None, where="pointer = $pointer"),
    "feedback": latest("feedback", "label, label_text, ts", None, where="id = $pointer"),
    "summaries": "SELECT column_name, kind, count, nulls, mean, std, min, max FROM summaries "
                 "WHERE pointer = $pointer AND run_id = $run_id ORDER BY column_name",
}


def inspect_run_plan(w: SqlWriter, catalog: Catalog, node: ast.InspectRun, pipes: tuple) -> StepPlan:
    return StepPlan("inspect_run", {"run_id": node.run_id}, dict(RUN_STEPS), w.params, pipes_over_result(w, pipes),
                    "card")


def inspect_pointer_plan(w: SqlWriter, catalog: Catalog, node: ast.InspectPointer, pipes: tuple) -> StepPlan:
    steps = {**POINTER_STEPS, **{name: STEPS[name] for name in NEAREST}}
    return StepPlan("inspect_pointer", {"pointer": node.pointer}, steps, w.params, pipes_over_result(w, pipes),
                    "card")


def note_plan(w: SqlWriter, catalog: Catalog, node: ast.Note) -> StepPlan:
    """A note on the run an id prefix names (resolved as `inspect run` does)."""
    return StepPlan("note", {"run_id": node.run_id, "text": node.text}, {"resolve": RUN_STEPS["resolve"]})
