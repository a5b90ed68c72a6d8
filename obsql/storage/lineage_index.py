"""The lineage index: the run graph re-sorted for lookups, so `trace` reads a few row groups, not the whole store.

The raw tables are partitioned by component and date, which suits history but scatters a pointer's producer and a
run's dependencies over thousands of files. Compaction therefore also writes, under `<root>/lineage/`, derived
files sorted by the key each lookup uses, with row groups whose min/max statistics let DuckDB skip almost all of a
file (and two rollups and a sample that save scans):

    producers   (pointer -> the runs that wrote it, with their attributes)   sorted by pointer
    consumers   (pointer -> the runs that read it, with their attributes)    sorted by pointer
    edges       (run -> the runs it depends on)              sorted by run_id
    dependents  (run -> the runs that depend on it)          sorted by dep_run_id
    runs        (run -> component, times, status, staleness) sorted by run_id
    outputs     (run -> its first outputs by name, and how many it wrote)   sorted by run_id
    output_sample (a fixed 1-in-64 sample of outputs, by a hash of the name)  sorted by component, start_time
    hourly_runs, hourly_metrics (sums and counts per component and hour)    sorted by component, hour
    inner_edges, inner_runs, inner_outputs: the same restricted to runs that some run depends on (the "core"),
                small enough to hold in memory, so a trace needs SQL only for its root

The files walks look up one key at a time (a trace's root, each level's edges, its runs' outputs) are also copied
into a DuckDB database beside them, `lookup-<id>.duckdb` (`LOOKUPS`), where a lookup costs 1-2 ms against 5-7 ms in
the Parquet files' row groups, and 100 scattered keys 20-30 ms against 75-170 ms (measured at 10M runs).
DuckDB's readers attach it read-only; Spark (which compacts without it) and older stores read the Parquet files.

`manifest.json` names the raw files the index was built from, the index's version and its lookup database. A lineage view reads the
index plus, from the raw tables, only the files written since, so answers are always complete; files a later
compaction rewrote may show a row twice until the next rebuild, which the graph walks tolerate (they keep sets of
runs). A forget that leaves the edges as they were renames the files the index covers (`replace_covered`); one that
removes runs rebuilds it.
"""
from __future__ import annotations

import json
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from obsql.storage import live_files
from obsql.storage.ids import new_id
from obsql.storage.layout import committed_flushes, long_values, mark_changed, shown, write_atomically
from obsql.storage.reader import StoreReader, empty_relation_sql, quote_literal, read_parquet_sql
from obsql.storage.schemas import TABLES

INDEX_DIR = "lineage"
MANIFEST = "manifest.json"
# Bumped when the index files change shape (2: producers carry run attributes). An index of another version is
# ignored, so lineage reads the raw files, until the next `obsql compact` rebuilds it.
INDEX_VERSION = 5  # 3: each run's outputs (a trace lists them without scanning partitions), hourly rollups;
#                     4: readers' attributes, a sample of outputs with their producers;
#                     5: the sample's draw order stored (hashing a year's 156k sampled names took 80 ms a ranking)
KEPT_OUTPUTS = 100  # of a run's outputs, the first this many by name are kept (a trace lists at most these)
SAMPLE_EVERY = 64  # outputs per output kept in the sample a ranking's baseline draws from
ROW_GROUP = 32_768  # measured at 10M rows: smaller groups cost more in metadata than they save in decoding

# The index files copied into the lookup database, in DuckDB row groups of LOOKUP_ROW_GROUP rows. Measured at 10M runs
# (warm): a point lookup 1.3-1.7 ms and 100 scattered keys 20-30 ms there, against 5-7 ms and 75-170 ms in the Parquet
# files' 32k-row groups; DuckDB's default 122,880-row groups gave 2.4 ms and 110 ms, 16k-row groups 61 ms for 100
# scattered pointers. An ART index on the keys did no better than the small groups (1.3 ms, 25-35 ms) and is large
# (at 10M runs 350 MB for the pointers, 930 MB for the edges' run ids), so there is none.
LOOKUPS = ("producers", "edges", "outputs")
LOOKUP_ROW_GROUP = 8_192
LOOKUP_PREFIX = "lookup-"

RUN_ATTRIBUTES = "run_id, component, start_time, end_time, status, stale, stale_reasons"


@dataclass(frozen=True)
class IndexView:
    """One file of the index: the raw tables it reads (the first drives), the SELECT over them, its sort key.

    The SELECT names each table as `{io}`, `{deps}` or `{runs}`: at build time all its files, in a view the files
    written since the build."""

    tables: tuple[str, ...]
    select: str
    sort_by: str
    view: str = ""  # the name queries read it by: lineage_<file> unless given


# Hourly rollups of runs and logged metrics (sums and counts, which add up across hours and across the index and
# the files since): `history ... every <hours, days, ...>` reads a year of them in milliseconds, not every run.
_HOUR = "date_trunc('hour', start_time)"
_HOURLY_RUNS = (f"SELECT component, date, {_HOUR} AS hour, count(*) AS runs, "
                "sum(date_diff('millisecond', start_time, end_time) / 1000.0) AS duration_sum, "
                "count(end_time) AS duration_count FROM {runs} GROUP BY component, date, hour")
_HOURLY_METRICS = (f"SELECT component, date, {_HOUR} AS hour, name, count(value) AS n, sum(value) AS total "
                   "FROM {metrics} GROUP BY component, date, hour, name")


_OUTPUTS = ("SELECT {keys}, list(pointer ORDER BY pointer)[1:%d] AS outputs, count(*) AS total FROM {{io}} "
            "WHERE direction = 'output' GROUP BY {keys}") % KEPT_OUTPUTS

_SAMPLED = "direction = 'output' AND md5_number_lower(pointer) %% %d = 0" % SAMPLE_EVERY
_OUTPUT_SAMPLE = (
    "SELECT o.component, o.start_time, o.pointer, o.run_id, r.end_time, r.status, r.stale, r.stale_reasons, d.deps, "
    "CAST(md5_number_upper(o.pointer) % 9223372036854775807 AS BIGINT) AS draw "
    "FROM (SELECT component, start_time, pointer, run_id FROM {io} WHERE " + _SAMPLED + ") AS o "
    "LEFT JOIN {runs} AS r ON r.run_id = o.run_id LEFT JOIN (SELECT run_id, list({{'run_id': dep_run_id, "
    "'pointer': pointer}}) AS deps FROM {deps} WHERE run_id IN (SELECT run_id FROM {io} WHERE " + _SAMPLED + ") "
    "GROUP BY run_id) AS d ON d.run_id = o.run_id")

VIEWS: dict[str, IndexView] = {
    # a pointer's producers carry the producing run's attributes: a trace's root costs one lookup, not two
    "producers": IndexView(("io", "runs"), "SELECT o.pointer, o.run_id, o.component, o.start_time, o.end_time, "
                           "r.status, r.stale, r.stale_reasons FROM {io} AS o LEFT JOIN {runs} AS r "
                           "ON r.run_id = o.run_id WHERE o.direction = 'output'", "pointer"),
    # a pointer's readers carry their attributes too: trace forward of a model read by 200k runs is one lookup
    "consumers": IndexView(("io", "runs"), "SELECT i.pointer, i.run_id, i.component, i.start_time, r.end_time, "
                           "r.status, r.stale, r.stale_reasons FROM {io} AS i LEFT JOIN {runs} AS r "
                           "ON r.run_id = i.run_id WHERE i.direction = 'input'", "pointer"),
    "edges": IndexView(("deps",), "SELECT run_id, dep_run_id, pointer FROM {deps}", "run_id"),
    "dependents": IndexView(("deps",), "SELECT dep_run_id, run_id, pointer FROM {deps}", "dep_run_id"),
    "runs": IndexView(("runs",), f"SELECT {RUN_ATTRIBUTES} FROM {{runs}}", "run_id"),
    # with the partition columns, so a lookup over files not yet indexed still reads only its runs' partitions
    "outputs": IndexView(("io",), _OUTPUTS.format(keys="run_id, component, date"), "run_id"),
    # the core: runs some run depends on, with their own dependencies (all a trace visits past its root); written
    # since the build, every edge and run counts as core (few, and always correct)
    "inner_edges": IndexView(("deps",), "SELECT run_id, dep_run_id, pointer FROM {deps}", "run_id"),
    "inner_runs": IndexView(("runs",), f"SELECT {RUN_ATTRIBUTES} FROM {{runs}}", "run_id"),
    "inner_outputs": IndexView(("io",), _OUTPUTS.format(keys="run_id"), "run_id"),
    # one output in SAMPLE_EVERY (by a hash of its name), in time order, with its producer's attributes and
    # dependencies: a ranking's baseline over a year of a component's outputs reads a narrow range of it, and walks
    # its producers without a lookup; `draw` (another hash of the name, a BIGINT as both engines write it) orders a
    # repeatable sample of that range
    "output_sample": IndexView(("io", "runs", "deps"), _OUTPUT_SAMPLE, "component, start_time"),
    "hourly_runs": IndexView(("runs",), _HOURLY_RUNS, "component, hour", view="hourly_runs"),
    "hourly_metrics": IndexView(("metrics",), _HOURLY_METRICS, "component, name, hour", view="hourly_metrics"),
}
INDEXED_TABLES = tuple(dict.fromkeys(table for view in VIEWS.values() for table in view.tables))
# The core is built from the index files already written, rather than from the raw files.
_CORE_SOURCES = {
    "inner_edges": "SELECT run_id, dep_run_id, pointer FROM read_parquet({edges}) "
                   "WHERE run_id IN (SELECT dep_run_id FROM read_parquet({edges}))",
    "inner_runs": "SELECT * FROM read_parquet({runs}) WHERE run_id IN (SELECT dep_run_id FROM read_parquet({edges}))",
    "inner_outputs": "SELECT run_id, outputs, total FROM read_parquet({outputs}) "
                     "WHERE run_id IN (SELECT dep_run_id FROM read_parquet({edges}))",
}


def index_file(root: Path, name: str) -> Path:
    return root / INDEX_DIR / f"{name}.parquet"


@dataclass(frozen=True)
class Manifest:
    """What the manifest says: the raw files (absolute paths) the index covers by table, and its lookup database."""

    covers: dict[str, set[str]]
    lookup: Path | None = None


def covered_files(root: Path) -> dict[str, set[str]]:
    """The raw files (absolute paths) the current index was built from, by table; empty when there is no index."""
    return manifest_of(root).covers


def lookup_database(root: Path) -> Path | None:
    """The current index's lookup database, if it has one (a Spark-built or older index has not)."""
    described = manifest_of(root)
    return described.lookup if described.covers else None


def manifest_of(root: Path) -> Manifest:
    """The manifest, read once per version of it: each lineage view asks, and a store has thousands of files."""
    manifest = root / INDEX_DIR / MANIFEST
    try:
        seen = manifest.stat()
    except OSError:
        return Manifest({})
    key = (str(manifest), seen.st_mtime_ns, seen.st_size, seen.st_ino)
    if key not in _MANIFESTS:
        _MANIFESTS.clear()  # the newest manifest only: an engine reads one store, a test many in turn
        _MANIFESTS[key] = _read_manifest(root, manifest)
    if not all(index_file(root, name).exists() for name in VIEWS):
        return Manifest({})
    return _MANIFESTS[key]


_MANIFESTS: dict[tuple, Manifest] = {}


def _read_manifest(root: Path, manifest: Path) -> Manifest:
    try:
        described = json.loads(manifest.read_text())
        covers = described["covers"]
    except (OSError, ValueError, KeyError):
        return Manifest({})
    if described.get("version") != INDEX_VERSION:
        return Manifest({})
    base = str(root)
    lookup = described.get("lookup")
    return Manifest({table: {os.path.join(base, p) for p in paths} for table, paths in covers.items()},
                    root / INDEX_DIR / lookup if lookup else None)


def view_sql(root: Path, name: str, listed: dict[str, list[str]], covered: dict[str, set[str]],
             lookup: str | None = None) -> str:
    """The SQL of lineage view `name`: the index file (its table in the lookup database attached as `lookup`,
    when given) plus the raw files written since it was built."""
    view = VIEWS[name]
    parts = []
    if covered:
        indexed = f"{lookup}.{name}" if lookup else f"read_parquet({quote_literal(str(index_file(root, name)))})"
        parts.append(f"SELECT * FROM {indexed}")
    recent = {t: [p for p in listed.get(t, []) if p not in covered.get(t, set())] for t in view.tables}
    if recent[view.tables[0]] or not parts:
        parts.append(view.select.format(**{t: _source(root, t, recent[t], union_by_name=True) for t in view.tables}))
    return " UNION ALL ".join(parts)


def _source(root: Path, table: str, paths: list[str], union_by_name: bool = False) -> str:
    if not paths:
        return f"({empty_relation_sql(table)})"
    return read_parquet_sql(paths, TABLES[table].partition_by, union_by_name, long_values(root))


# Writes an index file: (reader, the file's rows as DuckDB SQL, its sort key, the path) -> the rows sorted at the path.
# DuckDB's COPY by default; Spark's (`obsql compact --engine spark`) in obsql.spark.compaction.
WriteSorted = Callable[[StoreReader, str, str, Path], None]


def copy_sorted(reader: StoreReader, query: str, sort_by: str, path: Path) -> None:
    """The rows of `query` sorted by `sort_by` in one Parquet file at `path`, written by DuckDB."""
    reader.con.execute(f"COPY ({query} ORDER BY {sort_by}) TO {quote_literal(str(path))} "
                       f"(FORMAT parquet, ROW_GROUP_SIZE {ROW_GROUP}, COMPRESSION zstd)")


def build(root: Path, reader_factory: Callable[[Path], StoreReader] = StoreReader,
          write_sorted: WriteSorted = copy_sorted, with_lookup: bool = True) -> dict[str, int]:
    """Rebuild the index from every live raw file, each file written by `write_sorted` over a reader
    `reader_factory` makes (DuckDB's unless given), and its lookup database unless `with_lookup` is False (it is
    written by DuckDB on this machine); returns rows per index file."""
    directory = root / INDEX_DIR
    directory.mkdir(exist_ok=True)
    reader = reader_factory(root)  # plain queries over the files: none of the reader's views is needed
    try:
        committed = committed_flushes(root)  # a flush still being written joins the index next time
        sources = {table: reader.fitting(table, [path for path in live_files.parquet_files(root, table)
                                                 if shown(path, committed)]) for table in INDEXED_TABLES}
        counts = {name: _write_index_file(reader, root, name, sources, write_sorted) for name in VIEWS}
        lookup = _write_lookup(reader, root) if with_lookup else None
    finally:
        reader.close()
    covers = {table: [str(Path(p).relative_to(root)) for p in paths] for table, paths in sources.items()}
    write_atomically(directory / MANIFEST,
                     json.dumps({"version": INDEX_VERSION, "covers": covers, "lookup": lookup}) + "\n")
    _remove_lookups(directory, keep=lookup)
    mark_changed(root)
    return counts


def replace_covered(root: Path, renamed: dict[str, str]) -> None:
    """Say the index covers each new file (value) in place of the old one (key): a rewrite that left its edges as
    they were, so the index stays exact without a rebuild."""
    manifest = root / INDEX_DIR / MANIFEST
    try:
        described = json.loads(manifest.read_text())
    except (OSError, ValueError):
        return
    relative = {str(Path(old).relative_to(root)): str(Path(new).relative_to(root)) for old, new in renamed.items()}
    described["covers"] = {table: [relative.get(path, path) for path in paths]
                           for table, paths in described.get("covers", {}).items()}
    write_atomically(manifest, json.dumps(described) + "\n")
    mark_changed(root)


def _write_index_file(reader: StoreReader, root: Path, name: str, sources: dict[str, list[str]],
                      write_sorted: WriteSorted) -> int:
    """Write one index file, sorted by its key, under a temporary name then renamed; returns its rows."""
    view = VIEWS[name]
    final = index_file(root, name)
    tmp = final.with_name(f".{final.stem}.{os.getpid()}.tmp")
    if name in _CORE_SOURCES:
        query = _CORE_SOURCES[name].format(**{source: quote_literal(str(index_file(root, source)))
                                              for source in ("edges", "runs", "outputs")})
    else:
        query = view.select.format(**{t: _source(root, t, sources[t]) for t in view.tables})
    write_sorted(reader, query, view.sort_by, tmp)
    os.replace(tmp, final)
    return reader.con.execute(f"SELECT count(*) FROM read_parquet({quote_literal(str(final))})").fetchone()[0]


def _write_lookup(reader: StoreReader, root: Path) -> str | None:
    """Copy the LOOKUPS index files into a new DuckDB database; returns its file name, or None when DuckDB could not
    (the disk full, say: the store's lineage is then read from its Parquet files, as before)."""
    import duckdb

    name = f"{LOOKUP_PREFIX}{new_id()}.duckdb"
    tmp = root / INDEX_DIR / f".{name}.tmp"
    try:
        reader.con.execute(f"ATTACH {quote_literal(str(tmp))} AS obsql_lookup_build "
                           f"(ROW_GROUP_SIZE {LOOKUP_ROW_GROUP})")
        try:
            for table in LOOKUPS:  # in the Parquet file's order: sorted by the key, so zonemaps skip to the rows
                source = quote_literal(str(index_file(root, table)))
                reader.con.execute(f"CREATE TABLE obsql_lookup_build.{table} AS SELECT * FROM read_parquet({source})")
        finally:
            reader.con.execute("DETACH obsql_lookup_build")
    except duckdb.Error as exc:
        for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
            leftover.unlink(missing_ok=True)
        warnings.warn(f"the lineage index has no lookup database (lookups read its Parquet files): {exc}",
                      stacklevel=2)
        return None
    os.replace(tmp, root / INDEX_DIR / name)
    return name


def _remove_lookups(directory: Path, keep: str | None) -> None:
    """Remove the lookup databases of earlier builds (a reader that has one open keeps reading it until it
    attaches the new one: the file lives on while open)."""
    for path in directory.glob(f"{LOOKUP_PREFIX}*.duckdb*"):
        if keep is None or not path.name.startswith(keep):
            path.unlink(missing_ok=True)


def attach_views(reader: StoreReader, root: Path) -> None:
    """Give a reader the views `lineage_<name>`: the index plus whatever was logged since it was built."""
    for name, view in VIEWS.items():
        reader.define_view(view.view or f"lineage_{name}", _view_builder(reader, root, name), view.tables)


def _view_builder(reader: StoreReader, root: Path, name: str):
    def build(listed: dict[str, list[str]]) -> str:
        covered = covered_files(root)
        lookup = reader.attach_lookup(lookup_database(root)) if covered and name in LOOKUPS else None
        return view_sql(root, name, listed, covered, lookup)

    return build
