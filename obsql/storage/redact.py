"""Taking data out of a store's files: the rows of pointers a person asked to have forgotten (`forget`), and whole
partitions older than the store keeps them (`retain`). Each is planned first, so a dry run reports exactly what the
real one removes, then applied as one rewrite that readers see whole (`rewrite.replace_files`).

A forget removes a pointer's sampled rows, summaries, feedback and flags, and blanks its value and content hash in
`io`: the lineage edge stays (it holds no data value). With runs given, every row of those runs goes too, in every
table that names a run, and so do the dependency edges that lead to them.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from obsql.storage import lineage_index, live_files
from obsql.storage.layout import committed_flushes, partition_date, path_value, shown
from obsql.storage.reader import StoreReader, quote_literal
from obsql.storage.rewrite import OnProgress, new_target, replace_files
from obsql.storage.schemas import BY_RUN, TABLES

REMOVED_BY_POINTER = {"samples": "pointer", "summaries": "pointer", "flags": "pointer", "feedback": "id"}
BLANKED_BY_POINTER = {"io": ("value", "content_hash")}  # the rows stay (lineage), their data values go
RUN_COLUMNS = {name: ("run_id", "dep_run_id") if name == "deps" else ("run_id",)
               for name, spec in TABLES.items() if "run_id" in spec.columns}
FLUSH_WAIT_SECONDS = 30  # how long a forget waits for a live writer's flush in progress to commit


@dataclass(frozen=True)
class FileChange:
    """One file a removal rewrites (or deletes, when no row is left)."""

    table: str
    path: str
    rows: int  # before
    removed: int
    blanked: int = 0  # rows kept with their data values blanked
    size: int = 0  # bytes, when planned

    @property
    def left(self) -> int:
        return self.rows - self.removed


@dataclass
class RemovalPlan:
    """What a forget or a retention removes: the files it rewrites and how many rows of each table go."""

    changes: list[FileChange] = field(default_factory=list)

    def rows_by_table(self) -> dict[str, int]:
        """Rows removed (or, in io, blanked) per table."""
        counts: dict[str, int] = {}
        for change in self.changes:
            counts[change.table] = counts.get(change.table, 0) + change.removed + change.blanked
        return counts

    @property
    def bytes(self) -> int:
        """The size of the files it rewrites or deletes, when planned."""
        return sum(change.size for change in self.changes)


@dataclass(frozen=True)
class Selection:
    """What a forget removes: every row of `pointers`; the rows of `derived` that the runs `derived_by` wrote or read
    (a name that runs outside the trace also wrote keeps their rows: those versions are not derived); and, with
    `runs`, every row of those runs, removed whole."""

    pointers: tuple[str, ...]
    derived: tuple[str, ...] = ()
    derived_by: tuple[str, ...] = ()
    runs: tuple[str, ...] = ()
    partitions: tuple[tuple[str, str], ...] | None = None  # (component, date) holding every run-keyed row reached

    def params(self) -> dict[str, list[str]]:
        return {name: sorted(set(getattr(self, name))) for name in ("pointers", "derived", "derived_by", "runs")}


def plan_forget(root: Path, selection: Selection) -> RemovalPlan:
    """The files holding rows the selection reaches, with the rows of each that would go or be blanked."""
    reader = StoreReader(root)
    try:
        files = _settled_files(root, reader)
        plan = RemovalPlan()
        for table in TABLES:
            goes, blank = _conditions(table, bool(selection.runs))
            candidates = _in_partitions(table, files[table], selection)
            if (goes or blank) and candidates:
                plan.changes += _changes_in(reader, table, candidates, goes, blank, selection.params())
        return plan
    finally:
        reader.close()


def _in_partitions(table: str, files: list[str], selection: Selection) -> list[str]:
    """The files of a run-keyed table in the selection's partitions (all of them where it names none, and all of
    `deps` when runs go: the edges to a removed run lie in the partitions of the runs that depend on it)."""
    if selection.partitions is None or TABLES[table].partition_by != BY_RUN or (selection.runs and table == "deps"):
        return files
    wanted = {(f"component={path_value(component)}", f"date={day}") for component, day in selection.partitions}
    return [path for path in files if tuple(path.rsplit(os.sep, 3)[1:3]) in wanted]


def _pointer_condition(column: str, by_run: bool) -> str:
    """SQL for the rows of a pointer column a selection reaches ($pointers, $derived, $derived_by)."""
    derived = f'"{column}" IN (SELECT unnest($derived))'
    if by_run:
        derived += ' AND "run_id" IN (SELECT unnest($derived_by))'
    return f'("{column}" IN (SELECT unnest($pointers)) OR ({derived}))'


def _conditions(table: str, with_runs: bool) -> tuple[str, str]:
    """SQL conditions for a table's rows that go and for those whose values are blanked ("" for none)."""
    by_run = "run_id" in TABLES[table].columns
    goes = [_pointer_condition(REMOVED_BY_POINTER[table], by_run)] if table in REMOVED_BY_POINTER else []
    if with_runs:
        goes += [f'"{column}" IN (SELECT unnest($runs))' for column in RUN_COLUMNS.get(table, ())]
    blank = ""
    if table in BLANKED_BY_POINTER:  # only rows with something to blank: a file holding none is left as it is
        held = " OR ".join(f'"{column}" IS NOT NULL' for column in BLANKED_BY_POINTER[table])
        blank = f"{_pointer_condition('pointer', by_run)} AND ({held})"
    return " OR ".join(goes), blank


def _changes_in(reader: StoreReader, table: str, files: list[str], goes: str, blank: str,
                params: dict[str, list[str]]) -> list[FileChange]:
    goes = goes or "false"
    blank = f"NOT ({goes}) AND {blank}" if blank else "false"
    listing = ", ".join(quote_literal(path) for path in files)
    sql = (f"SELECT filename, count(*), count(*) FILTER (WHERE {goes}), count(*) FILTER (WHERE {blank}) "
           f"FROM read_parquet([{listing}], filename = true, hive_partitioning = false, union_by_name = true) "
           f"GROUP BY filename HAVING count(*) FILTER (WHERE ({goes}) OR ({blank})) > 0 ORDER BY filename")
    used = {name: values for name, values in params.items() if f"${name}" in sql}
    return [FileChange(table, path, rows, gone, blanks, os.path.getsize(path))
            for path, rows, gone, blanks in reader.execute(sql, used).fetchall()]


def _settled_files(root: Path, reader: StoreReader) -> dict[str, list[str]]:
    """Every table's published files, once no writer's flush is half committed (a flush takes milliseconds; one
    still open after FLUSH_WAIT_SECONDS belongs to a writer that stopped, and is left to `obsql recover`)."""
    deadline = time.monotonic() + FLUSH_WAIT_SECONDS
    while True:
        committed = committed_flushes(root)
        listed = {table: live_files.parquet_files(root, table) for table in TABLES}
        pending = any(not shown(path, committed) for paths in listed.values() for path in paths)
        if not pending or time.monotonic() > deadline:
            return {table: reader.fitting(table, [p for p in paths if shown(p, committed)])
                    for table, paths in listed.items()}
        time.sleep(0.1)


def apply(root: Path, plan: RemovalPlan, selection: Selection | None = None,
          on_progress: OnProgress = lambda done, total, step: None) -> int:
    """Rewrite the plan's files without its rows (a file whose rows all go is deleted), all in one commit; returns
    how many bytes fewer the store's files hold."""
    sources, targets, kept_lineage = [], [], {}
    before = plan.bytes
    for done, change in enumerate(plan.changes, start=1):
        sources.append(Path(change.path))
        if change.left:
            target = new_target(Path(change.path).parent)
            targets.append((target, _without(change.table, pq.read_table(change.path, partitioning=None),
                                             selection or Selection(()))))
            if change.table in lineage_index.INDEXED_TABLES and change.removed == 0:
                kept_lineage[change.path] = str(target)
        on_progress(done, len(plan.changes) + 1, change.table)
    if sources:
        replace_files(root, sources, targets)
        _update_lineage_index(root, plan, kept_lineage)
    on_progress(len(plan.changes) + 1, len(plan.changes) + 1, "committed")
    return before - sum(os.path.getsize(target) for target, _ in targets)


def _without(table: str, rows: pa.Table, selection: Selection) -> pa.Table:
    """The rows of one file that stay, with blanked values blanked (the same rule as the plan's SQL)."""
    values = {name: pa.array(names, pa.string()) for name, names in selection.params().items()}

    def within(column: str, name: str) -> pa.Array:
        if column not in rows.column_names or not len(values[name]):
            return pa.array([False] * rows.num_rows)
        return pc.fill_null(pc.is_in(rows[column], value_set=values[name]), False)

    def reached(column: str) -> pa.Array:
        derived = within(column, "derived")
        if "run_id" in TABLES[table].columns:
            derived = pc.and_(derived, within("run_id", "derived_by"))
        return pc.or_(within(column, "pointers"), derived)

    goes = reached(REMOVED_BY_POINTER[table]) if table in REMOVED_BY_POINTER else pa.array([False] * rows.num_rows)
    for column in RUN_COLUMNS.get(table, ()):
        goes = pc.or_(goes, within(column, "runs"))
    if table in BLANKED_BY_POINTER:
        blank = reached("pointer")
        for column in BLANKED_BY_POINTER[table]:
            if column in rows.column_names:
                at, kind = rows.column_names.index(column), rows.schema.field(column)
                rows = rows.set_column(at, kind, pc.if_else(blank, pa.nulls(rows.num_rows, kind.type), rows[column]))
    return rows.filter(pc.invert(goes))


def _update_lineage_index(root: Path, plan: RemovalPlan, kept: dict[str, str]) -> None:
    """Keep the lineage index exact: files whose edges did not change are renamed in what it covers; when edges or
    runs went, it is rebuilt."""
    if any(change.table in lineage_index.INDEXED_TABLES and change.removed for change in plan.changes):
        if lineage_index.covered_files(root):
            lineage_index.build(root)
    elif kept:
        lineage_index.replace_covered(root, kept)


def plan_retention(root: Path, older_than: dict[str, date]) -> RemovalPlan:
    """Every file of each table in `older_than` whose partition date is before the table's cut-off."""
    plan = RemovalPlan()
    reader = StoreReader(root)
    try:
        files = _settled_files(root, reader)
    finally:
        reader.close()
    for table, cutoff in older_than.items():
        for path in files[table]:
            day = partition_date(path)
            if day is not None and day < cutoff:
                rows = pq.ParquetFile(path).metadata.num_rows
                plan.changes.append(FileChange(table, path, rows, rows, size=os.path.getsize(path)))
    return plan

