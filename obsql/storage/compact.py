"""Compaction: many small files of a closed partition become one large file sorted for lookups, and the lineage
index (`lineage_index`) is rebuilt so lineage lookups read a few row groups.

Safe while other processes append and query:
each partition's merge is one `rewrite.replace_files` (a manifest, the merged file, a commit, the old files
deleted), so readers never count a row twice or miss one, and a compaction interrupted at any step is finished or
rolled back by the next one. Files still backed by a live spool (a flush in progress) and files written after the
listing are left alone. Only one rewrite (compaction, forget, retain) runs at a time.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Callable

import pyarrow as pa
import pyarrow.parquet as pq

from obsql.storage import lineage_index, live_files
from obsql.storage.reader import StoreReader
from obsql.storage.layout import COMMITS_DIR, COMPACT_DIR, COMPACTED_PREFIX, SPOOL_DIR, partition_date
from obsql.storage.rewrite import OnProgress, exclusive, finish_interrupted, new_target, replace_files
from obsql.storage.schemas import TABLES
from obsql.storage.writer import recover_dead_spools

LOOKUP_ROW_GROUP = 16_384


@dataclass
class CompactionReport:
    recovered: int = 0  # spools of stopped writers replayed first
    partitions: int = 0
    files_before: int = 0
    files_after: int = 0
    rows: int = 0
    skipped: list[str] = field(default_factory=list)
    index_rows: dict[str, int] = field(default_factory=dict)


# Merges the files of a partition: (reader, table, files, report) -> (their rows in the table's current schema,
# sorted by its key, or a Parquet file of them at a `rewrite.staging_file`; the files read). A file that cannot be
# read is set aside and named in the report's skipped.
ReadPartition = Callable[[StoreReader, str, list[Path], CompactionReport], "tuple[pa.Table | Path, list[Path]]"]


def compact(root: Path, closed_before: date | None = None,
            on_progress: OnProgress = lambda done, total, step: None,
            engine: "CompactionEngine | None" = None) -> CompactionReport:
    """Replay dead writers' spools, then merge the small files of every partition dated before `closed_before`
    (default: today, UTC) and rebuild the lineage index, reading and writing with `engine` (DuckDB and pyarrow
    unless given; Spark's is `obsql.spark.compaction.spark_compaction`)."""
    engine = engine or CompactionEngine()
    closed_before = closed_before or datetime.now(timezone.utc).date()
    report = CompactionReport()
    (root / COMPACT_DIR).mkdir(exist_ok=True)
    with exclusive(root, "compact"):
        report.recovered = recover_dead_spools(root)
        finish_interrupted(root)
        listed_at = time.time()
        work = _partitions_to_compact(root, closed_before)
        reader = engine.reader(root)  # to tell which files are not their table's: they are left out, as queries do
        try:
            for done, (table, directory, sources) in enumerate(work, start=1):
                _compact_partition(root, table, directory, sources, report, reader, engine.read_partition)
                on_progress(done, len(work) + 1, table)
            for table in TABLES:  # the merged files join the checked ones, the files they replaced leave
                live_files.note_checked(root, table, reader.fitting(table, live_files.parquet_files(root, table)),
                                        replace=True)
        finally:
            reader.close()
        report.index_rows = lineage_index.build(root, engine.reader, engine.write_index_file, engine.writes_lookup)
        _forget_merged_commits(root, listed_at)
        on_progress(len(work) + 1, len(work) + 1, "lineage index")
    return report


def _forget_merged_commits(root: Path, listed_at: float) -> None:
    """Remove the commit markers of flushes none of whose files is left (all merged). A marker newer than the
    listing may belong to a flush whose files the listing missed, so it stays."""
    left = {Path(path).stem for table in TABLES for path in live_files.parquet_files(root, table, set_aside_too=True)}
    for marker in (root / COMMITS_DIR).glob("*"):
        if marker.name not in left and marker.stat().st_mtime < listed_at - 2:
            marker.unlink(missing_ok=True)


def _partitions_to_compact(root: Path, closed_before: date) -> list[tuple[str, Path, list[Path]]]:
    in_flight = {p.stem for p in (root / SPOOL_DIR).glob("*.spool")}
    work = []
    for table in TABLES:
        by_directory: dict[Path, list[Path]] = {}
        for name in live_files.parquet_files(root, table):
            path = Path(name)
            if path.stem not in in_flight:
                by_directory.setdefault(path.parent, []).append(path)
        for directory, sources in sorted(by_directory.items()):
            if (partition_date(directory) or date.max) < closed_before and _worth_merging(sources):
                work.append((table, directory, sorted(sources)))
    return work


def _worth_merging(sources: list[Path]) -> bool:
    return len(sources) > 1 or not sources[0].name.startswith(COMPACTED_PREFIX)


def _compact_partition(root: Path, table: str, directory: Path, sources: list[Path], report: CompactionReport,
                       reader: StoreReader, read_partition: ReadPartition) -> None:
    merged, readable = read_partition(reader, table, sources, report)
    if not readable:
        return
    rows = pq.read_metadata(merged).num_rows if isinstance(merged, Path) else merged.num_rows
    replace_files(root, readable, [(new_target(directory), merged)], row_group_size=LOOKUP_ROW_GROUP)
    report.partitions += 1
    report.files_before += len(readable)
    report.files_after += 1
    report.rows += rows


def read_with_pyarrow(reader: StoreReader, table: str, sources: list[Path],
                      report: CompactionReport) -> tuple[pa.Table, list[Path]]:
    """A partition's rows read file by file with pyarrow (a file that fails is set aside), merged and sorted."""
    parts = []
    fitting = set(reader.fitting(table, [str(source) for source in sources]))
    readable = []
    for source in sources:
        try:
            if str(source) not in fitting:
                raise ValueError("unreadable, or not a file of its table")
            parts.append(pq.read_table(source, partitioning=None))
            readable.append(source)
        except (OSError, ValueError, pa.ArrowInvalid) as exc:
            live_files.set_aside(str(source), str(exc))
            report.skipped.append(str(source))
    if not readable:
        return pa.table({}), readable
    spec = TABLES[table]
    merged = in_current_schema(pa.concat_tables(parts, promote_options="default"), spec.schema)
    return merged.sort_by([(column, "ascending") for column in spec.sort_by if column in merged.column_names]), readable


@dataclass(frozen=True)
class CompactionEngine:
    """What compaction reads and writes with: by default DuckDB's reader (which files fit their table), pyarrow for
    the partitions' merges and DuckDB's COPY for the lineage index. Either way the files, their names and the
    order of the steps that keep a crash harmless are compaction's own."""

    reader: Callable[[Path], StoreReader] = StoreReader
    read_partition: ReadPartition = read_with_pyarrow
    write_index_file: lineage_index.WriteSorted = lineage_index.copy_sorted
    writes_lookup: bool = True  # the index's lookup database, which DuckDB writes on this machine


def in_current_schema(data: pa.Table, schema: pa.Schema) -> pa.Table:
    """The rows with the table's current columns, in order: columns older files lack become nulls."""
    columns = [data.column(f.name).cast(f.type) if f.name in data.column_names else pa.nulls(data.num_rows, f.type)
               for f in schema]
    return pa.Table.from_arrays(columns, schema=schema)


