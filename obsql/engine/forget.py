"""What a `forget` reaches: the pointer, with `forward` every pointer derived from it (the outputs of every run in
its forward trace), and the runs whose data those are (the runs that wrote or read them)."""
from __future__ import annotations

from dataclasses import dataclass

from obsql.engine.session import Engine
from obsql.errors import UnknownName
from obsql.grammar import ast
from obsql.storage.redact import Selection, pointer_condition

OUTPUTS_OF_RUNS = ("SELECT DISTINCT pointer FROM io WHERE direction = 'output' AND run_id IN (SELECT unnest($runs)) "
                   "ORDER BY pointer")
TOUCHING_RUNS = f"SELECT DISTINCT run_id FROM io WHERE {pointer_condition('pointer', by_run=True)} ORDER BY run_id"
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
    that touched them. A pointer the store never saw raises UnknownName."""
    _require_known(engine, pointer)
    derived_by = _forward_runs(engine, pointer) if forward else []
    derived = [name for (name,) in engine.query(OUTPUTS_OF_RUNS, {"runs": derived_by})] if derived_by else []
    reached = Selection((pointer,), tuple(name for name in derived if name != pointer), tuple(derived_by))
    params = {name: values for name, values in reached.params().items() if f"${name}" in TOUCHING_RUNS}
    touched = tuple(run_id for (run_id,) in engine.query(TOUCHING_RUNS, params))
    if remove_runs:
        reached = Selection(reached.pointers, reached.derived, reached.derived_by, touched)
    return Scope(reached, touched)


def _forward_runs(engine: Engine, pointer: str) -> list[str]:
    """Every run in the pointer's forward trace (none for a pointer known only by its labels or flags)."""
    try:
        trace = engine.run_statement(ast.Query(ast.Trace(pointer, forward=True)))
    except UnknownName:
        return []
    at = trace.columns.index("run_id")
    return list(dict.fromkeys(row[at] for row in trace.rows))


def _require_known(engine: Engine, pointer: str) -> None:
    """Raise as `trace` does (naming the nearest pointer) for a pointer neither logged, labelled nor flagged."""
    if engine.query(KNOWN, {"pointer": pointer})[0][0]:
        return
    engine.run_statement(ast.Query(ast.Trace(pointer)))  # raises UnknownName with the nearest pointer the store has
    raise UnknownName(f"no pointer named '{pointer}' in the store")
