"""`trace forward`: every run derived from a pointer, built as Arrow when the answer is large.

A widely read pointer (a model every inference run loads) has hundreds of thousands of readers, and nearly all of
them are leaves: runs no other run depends on. Those are depth-0 rows whose every field the readers lookup already
holds (the consumers index carries each reader's attributes), so they stay columnar from DuckDB to the renderer.
Only the readers that other runs depend on (the in-memory core knows them) are walked in Python, and their subtrees
are spliced in at their places: the same tree, in the same order, as the walk of every reader builds.
"""
from __future__ import annotations

from typing import Any

from obsql.engine import walks
from obsql.engine.walks import Steps, Tabular, _expand, _trace_table, _tree_rows, unknown_pointer
from obsql.result import TRACE_COLUMNS, ArrowRows

ATTRIBUTES = ("run_id", "component", "start_time", "end_time", "status", "stale", "stale_reasons")


def trace_forward(steps: Steps, pointer: str, depth: int | None) -> Tabular:
    """Every run derived from `pointer`: the runs that read it, the runs that depend on those, and so on."""
    readers = steps.arrow("readers", pointer=pointer)  # one row per run, newest first
    if not readers.num_rows and not steps.rows("exists", pointer=pointer)[0][0]:
        raise unknown_pointer(steps, pointer)
    levels = None if depth is None else max(depth, 0)
    if readers.num_rows <= walks.MAX_RUNS_WITH_OUTPUTS:  # small enough to walk whole, every run's outputs listed
        known = {row["run_id"]: row for row in readers.select(list(ATTRIBUTES)).to_pylist()}
        graph = _expand(steps, "downstream", list(known), levels, known=known)
        return _trace_table(steps, graph, [(run_id, pointer) for run_id in known], depth)
    return _columnar(steps, pointer, depth, levels, readers)


def _columnar(steps: Steps, pointer: str, depth: int | None, levels: int | None, readers: Any) -> Tabular:
    """The forward trace as an Arrow table: the leaf readers' rows as they came, each other reader's subtree in
    its place."""
    import pyarrow as pa

    at = _with_dependents(steps, readers, depth)  # positions among the readers, in order
    blocks = _subtrees(steps, pointer, depth, levels, readers, at)
    leaves = _leaf_rows(readers, pointer)
    pieces, start = [], 0
    for position, rows in zip(at, blocks):
        pieces.append(leaves.slice(start, position - start))
        pieces.append(pa.Table.from_pylist([dict(zip(TRACE_COLUMNS, row)) for row in rows], schema=leaves.schema))
        start = position + 1
    pieces.append(leaves.slice(start))
    table = pa.concat_tables(pieces)
    note = (f"outputs are listed for traces of up to {walks.MAX_RUNS_WITH_OUTPUTS:,} runs; this one has "
            f"{table.num_rows:,} (`inspect run '<id>'` lists a run's outputs)")
    return Tabular(TRACE_COLUMNS, ArrowRows(table), [note])


def _with_dependents(steps: Steps, readers: Any, depth: int | None) -> list[int]:
    """The positions of the readers some run depends on: the core's runs (from memory, or their ids alone from
    the index when the core is not loaded: a lookup of 200k ids would cost seconds)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if depth == 0:
        return []
    if steps.core is not None:
        parents = list(steps.core.runs)
    else:
        parents = [run_id for (run_id,) in steps.rows("core_runs")]
    return pc.indices_nonzero(pc.is_in(readers["run_id"], value_set=pa.array(parents, pa.string()))).to_pylist()


def _subtrees(steps: Steps, pointer: str, depth: int | None, levels: int | None, readers: Any,
              at: list[int]) -> list[list[tuple]]:
    """The tree rows under each reader at `at`, walked together (a run reached again is marked repeated, as in
    the walk of every reader), one list per reader."""
    if not at:
        return []
    heads = readers.take(at).select(list(ATTRIBUTES)).to_pylist()
    known = {head["run_id"]: head for head in heads}
    graph = _expand(steps, "downstream", list(known), levels, known=known)
    blocks: list[list[tuple]] = []
    for row in _tree_rows(graph, [(run_id, pointer) for run_id in known], depth, {}):
        if row[0] == 0:
            blocks.append([])
        blocks[-1].append(row)
    return blocks


def _leaf_rows(readers: Any, pointer: str) -> Any:
    """Every reader as a depth-0 row of a trace (columns in TRACE_COLUMNS order)."""
    import pyarrow as pa

    n = readers.num_rows
    columns = {name: readers[name] for name in ATTRIBUTES}
    columns.update(depth=pa.array([0] * n, pa.int64()), via=pa.array([pointer] * n, pa.string()),
                   parent_run_id=pa.nulls(n, pa.string()), repeated=pa.array([False] * n, pa.bool_()),
                   outputs=pa.nulls(n, pa.list_(pa.string())))
    return pa.table({name: columns[name] for name in TRACE_COLUMNS})
