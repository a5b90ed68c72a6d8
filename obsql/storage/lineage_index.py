"""The lineage index: the run graph re-sorted for lookups, so `trace` reads a few row groups, not the whole store.

The raw tables are partitioned by component and date, which suits history but scatters a pointer's producer and a
run's dependencies over thousands of files. Compaction therefore also writes, under `<root>/lineage/`, five
derived files sorted by the key each lookup uses, with small row groups whose min/max statistics let DuckDB skip
almost all of a file:

    producers   (pointer -> the runs that wrote it)          sorted by pointer
    consumers   (pointer -> the runs that read it)           sorted by pointer
    edges       (run -> the runs it depends on)              sorted by run_id
    dependents  (run -> the runs that depend on it)          sorted by dep_run_id
    runs        (run -> component, times, status, staleness) sorted by run_id
    inner_edges, inner_runs: the same restricted to runs that some run depends on (the "core"), small enough
                to hold in memory, so a trace needs SQL only for its root

`manifest.json` names the raw files the index was built from. A lineage view reads the index plus, from the raw
tables, only the files written since, so answers are always complete; files a later compaction rewrote may show a
row twice until the next rebuild, which the graph walks tolerate (they keep sets of runs).
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb

from obsql.storage import files
from obsql.storage.layout import mark_changed, write_atomically
from obsql.storage.reader import StoreReader, empty_relation_sql, read_parquet_sql
from obsql.storage.schemas import TABLES

INDEX_DIR = "lineage"
MANIFEST = "manifest.json"
ROW_GROUP = 32_768  # measured at 10M rows: smaller groups cost more in metadata than they save in decoding

# name -> (raw table, columns, filter, sort key)
VIEWS: dict[str, tuple[str, str, str, str]] = {
    "producers": ("io", "pointer, run_id, component, start_time, end_time", "direction = 'output'", "pointer"),
    "consumers": ("io", "pointer, run_id, component, start_time", "direction = 'input'", "pointer"),
    "edges": ("deps", "run_id, dep_run_id, pointer", "true", "run_id"),
    "dependents": ("deps", "dep_run_id, run_id, pointer", "true", "dep_run_id"),
    "runs": ("runs", "run_id, component, start_time, end_time, status, stale, stale_reasons", "true", "run_id"),
    # the core: runs some run depends on, and their own dependencies (everything a trace visits past its root)
    "inner_edges": ("deps", "run_id, dep_run_id, pointer", "true", "run_id"),
    "inner_runs": ("runs", "run_id, component, start_time, end_time, status, stale, stale_reasons", "true", "run_id"),
}
# Built from the edges already written, rather than from the raw files.
_CORE_SOURCES = {
    "inner_edges": "SELECT run_id, dep_run_id, pointer FROM read_parquet({edges}) "
                   "WHERE run_id IN (SELECT dep_run_id FROM read_parquet({edges}))",
    "inner_runs": "SELECT * FROM read_parquet({runs}) WHERE run_id IN (SELECT dep_run_id FROM read_parquet({edges}))",
}


def index_file(root: Path, name: str) -> Path:
    return root / INDEX_DIR / f"{name}.parquet"


def covered_files(root: Path) -> dict[str, set[str]]:
    """The raw files (absolute paths) the current index was built from, by table; empty when there is no index."""
    manifest = root / INDEX_DIR / MANIFEST
    if not manifest.exists():
        return {}
    try:
        covers = json.loads(manifest.read_text())["covers"]
    except (OSError, ValueError, KeyError):
        return {}
    if not all(index_file(root, name).exists() for name in VIEWS):
        return {}
    return {table: {str(root / p) for p in paths} for table, paths in covers.items()}


def view_sql(root: Path, name: str, listed: list[str], covered: dict[str, set[str]]) -> str:
    """The SQL of lineage view `name`: the index file plus the raw files written since it was built."""
    table, columns, condition, _ = VIEWS[name]
    parts = []
    if covered:
        parts.append(f"SELECT {columns} FROM read_parquet({_quote(str(index_file(root, name)))})")
    recent = [path for path in listed if path not in covered.get(table, set())]
    if recent or not parts:
        source = read_parquet_sql(recent, TABLES[table].partition_by, union_by_name=True) if recent else f'"{table}"'
        parts.append(f"SELECT {columns} FROM {source} WHERE {condition}")
    return " UNION ALL ".join(parts)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def build(root: Path) -> dict[str, int]:
    """Rebuild the index from every live raw file; returns rows per index file."""
    directory = root / INDEX_DIR
    directory.mkdir(exist_ok=True)
    sources = {table: files.parquet_files(root, table) for table in ("io", "deps", "runs")}
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    counts = {}
    for name, (table, columns, condition, key) in VIEWS.items():
        final = index_file(root, name)
        tmp = final.with_name(f".{final.stem}.{os.getpid()}.tmp")
        if name in _CORE_SOURCES:
            query = _CORE_SOURCES[name].format(edges=_quote(str(index_file(root, "edges"))),
                                               runs=_quote(str(index_file(root, "runs")))) + f" ORDER BY {key}"
        elif sources[table]:
            source = read_parquet_sql(sources[table], TABLES[table].partition_by)
            query = f"SELECT {columns} FROM {source} WHERE {condition} ORDER BY {key}"
        else:
            query = f"SELECT {columns} FROM ({empty_relation_sql(table)}) AS t"
        con.execute(f"COPY ({query}) TO {_quote(str(tmp))} "
                    f"(FORMAT parquet, ROW_GROUP_SIZE {ROW_GROUP}, COMPRESSION zstd)")
        os.replace(tmp, final)
        counts[name] = con.execute(f"SELECT count(*) FROM read_parquet({_quote(str(final))})").fetchone()[0]
    covers = {table: [str(Path(p).relative_to(root)) for p in paths] for table, paths in sources.items()}
    write_atomically(directory / MANIFEST, json.dumps({"covers": covers}) + "\n")
    mark_changed(root)
    return counts


def attach_views(reader: StoreReader, root: Path) -> None:
    """Give a reader the views `lineage_<name>`: the index plus whatever was logged since it was built."""
    for name, (table, *_rest) in VIEWS.items():
        reader.define_view(f"lineage_{name}", _view_builder(root, name, table), (table,))


def _view_builder(root: Path, name: str, table: str):
    def build(listed: dict[str, list[str]]) -> str:
        return view_sql(root, name, listed.get(table, []), covered_files(root))

    return build
