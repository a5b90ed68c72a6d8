"""`obsql compact --engine spark`: compaction and the lineage index build done by Spark, writing the files the
DuckDB compactor writes (the same names, columns and types, sort order, row groups and manifest).

Compaction keeps its own steps (`obsql.storage.compact`): which partitions merge, the rewrite manifest around each
merge, the index files written under a temporary name and renamed, the index manifest last. Spark is handed two
parts of the work through `CompactionEngine`:

- a partition's merge: its files read by Spark with the table's schema (older files' missing columns as nulls),
  sorted by the table's key in one task (a partition is one component's day: a global sort's sampling job would
  double the time for nothing) and written by that task, on an executor, as one Parquet file at a
  `rewrite.staging_file` (out of every table: no reader sees it); the rewrite moves it into place between its
  uncommitted and committed manifests, as it writes the DuckDB compactor's rows, so its crash safety is unchanged
  and no row passes through the driver;
- each lineage index file: the index's DuckDB SQL transpiled (as for queries), sorted by Spark over the cluster and
  written by Spark's executors as one Parquet file (zstd, `ROW_GROUP` rows per row group, microsecond UTC times as
  DuckDB writes them) into a scratch directory beside it, then renamed to the temporary name the build renames.
"""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import pyarrow as pa

from obsql.spark.reader import SparkReader
from obsql.spark.tables import spark_schema
from obsql.storage import live_files
from obsql.storage.compact import LOOKUP_ROW_GROUP, CompactionEngine, CompactionReport
from obsql.storage.lineage_index import ROW_GROUP
from obsql.storage.rewrite import staging_file
from obsql.storage.schemas import TABLES

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

# How Spark must write Parquet for its files to be DuckDB's: times as microseconds since the epoch in UTC (Spark's
# default, INT96, is a legacy type), row groups cut by rows as DuckDB's ROW_GROUP_SIZE cuts them
WRITE_SETTINGS = {"spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS"}
PARQUET_OPTIONS = {"compression": "zstd", "parquet.block.row.count.limit": str(ROW_GROUP)}
PARTITION_OPTIONS = {**PARQUET_OPTIONS, "parquet.block.row.count.limit": str(LOOKUP_ROW_GROUP)}
SCRATCH_SUFFIX = ".spark"  # the directory Spark writes an index file into, removed once the file is out of it


def spark_compaction(spark: "SparkSession") -> CompactionEngine:
    """What `compact` takes to read and write with Spark on `spark`'s cluster."""
    return CompactionEngine(reader=_writing_reader(spark), read_partition=merge_with_spark,
                            write_index_file=write_sorted, writes_lookup=False)


def _writing_reader(spark: "SparkSession") -> Callable[[Path], SparkReader]:
    def reader(root: Path) -> SparkReader:
        opened = SparkReader(root, spark=spark)
        for key, value in WRITE_SETTINGS.items():
            opened.spark.conf.set(key, value)
        return opened

    return reader


def merge_with_spark(reader: SparkReader, table: str, sources: list[Path],
                     report: CompactionReport) -> tuple[pa.Table | Path, list[Path]]:
    """A partition's rows read, sorted and written by Spark in the table's current schema, as a staged file; files
    that do not fit their table (unreadable footers, others' columns) are set aside first, as the DuckDB compactor
    does."""
    fitting = set(reader.fitting(table, [str(source) for source in sources]))
    for source in sources:
        if str(source) not in fitting:
            live_files.set_aside(str(source), "unreadable, or not a file of its table")
            report.skipped.append(str(source))
    readable = [source for source in sources if str(source) in fitting]
    if not readable:
        return pa.table({}), readable
    frame = reader.spark.read.schema(spark_schema(table, with_partitions=False)).parquet(*map(str, readable))
    staged = staging_file(reader.root)
    _write_one_file(frame.coalesce(1).sortWithinPartitions(*TABLES[table].sort_by), PARTITION_OPTIONS, staged)
    return staged, readable


def write_sorted(reader: SparkReader, query: str, sort_by: str, path: Path) -> None:
    """The rows of `query` (DuckDB SQL) sorted by `sort_by` as one Parquet file at `path`, written by Spark."""
    _write_one_file(reader.frame(f"SELECT * FROM ({query}) AS rows ORDER BY {sort_by}").coalesce(1), PARQUET_OPTIONS,
                    path)


def _write_one_file(frame, options: dict[str, str], path: Path) -> None:
    """A frame of one partition written by Spark as the one Parquet file `path`, through a scratch directory
    beside it (Spark writes directories of parts)."""
    scratch = path.with_name(path.name + SCRATCH_SUFFIX)
    try:
        frame.write.mode("overwrite").options(**options).parquet(str(scratch))
        (written,) = scratch.glob("part-*.parquet")
        written.replace(path)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
