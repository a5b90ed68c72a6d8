"""What a `forget` reaches: the pointer, with `forward` every pointer derived from it (the outputs of every run in
its forward trace), and the runs whose data those are (the runs that wrote or read them), with their partitions."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from obsql.engine.session import Engine
from obsql.errors import UnknownName
from obsql.grammar import ast
from obsql.storage.redact import Selection

# through the lineage index (sorted by pointer, with each run's component and start): a scan of two columns, or a
# lookup of one pointer, where `io` would be read whole
OUTPUTS_OF_RUNS = "SELECT DISTINCT pointer FROM lineage_producers WHERE run_id IN (SELECT unnest($runs)) ORDER BY 1"
RUNS_OF_POINTER = ("SELECT run_id, component, start_time FROM lineage_producers WHERE pointer = $pointer UNION "
                   "SELECT run_id, component, start_time FROM lineage_consumers WHERE pointer = $pointer")
KNOWN = ("SELECT (SELECT count(*) FROM io WHERE pointer = $pointer) + (SELECT count(*) FROM feedback WHERE id = "
         "$pointer) + (SELECT count(*) FROM flags WHERE pointer = $pointer)")


@dataclass(frozen=True)
class Scope:
    """What a forget removes, and the runs whose data it touches (kept and marked as redacted, or removed)."""

    selection: Selection
    touched: tuple[str, ...]


def forget_scope(engine: Engine, pointer: str, forward: bool, remove_runs: bool = False) -> Scope:
    """What a forget of `pointer` reaches: the pointer (every version of it); with `forward`, the outputs of every
    run in its forward trace (the versions those runs wrote and read); with `remove_runs`, every row of the runs
    that touched them. Every run-keyed row it reaches belongs to one of those runs (a run logs samples and
    summaries only of what it read or wrote), so their partitions bound the files to look at. A pointer the store
    never saw raises UnknownName."""
    _require_known(engine, pointer)
    forward_runs = _forward_runs(engine, pointer) if forward else []
    derived_by = [run_id for run_id, _, _ in forward_runs]
    derived = [name for (name,) in engine.query(OUTPUTS_OF_RUNS, {"runs": derived_by}) if name != pointer] \
        if derived_by else []
    touching = list(dict.fromkeys([*forward_runs, *engine.query(RUNS_OF_POINTER, {"pointer": pointer})]))
    touched = tuple(dict.fromkeys(run_id for run_id, _, _ in touching))
    partitions = tuple(sorted({(component, start.astimezone(timezone.utc).date().isoformat())
                               for _, component, start in touching}))
    selection = Selection((pointer,), tuple(derived), tuple(derived_by), touched if remove_runs else (), partitions)
    return Scope(selection, touched)


def _forward_runs(engine: Engine, pointer: str) -> list[tuple[str, str, datetime]]:
    """(run id, component, start time) of every run in the pointer's forward trace (none for a pointer known only
    by its labels or flags)."""
    try:
        trace = engine.run_statement(ast.Query(ast.Trace(pointer, forward=True)))
    except UnknownName:
        return []
    at = [trace.columns.index(column) for column in ("run_id", "component", "start_time")]
    return list(dict.fromkeys(tuple(row[i] for i in at) for row in trace.rows))


def _require_known(engine: Engine, pointer: str) -> None:
    """Raise as `trace` does (naming the nearest pointer) for a pointer neither logged, labelled nor flagged."""
    if engine.query(KNOWN, {"pointer": pointer})[0][0]:
        return
    engine.run_statement(ast.Query(ast.Trace(pointer)))  # raises UnknownName with the nearest pointer the store has
    raise UnknownName(f"no pointer named '{pointer}' in the store")
