"""The store's files as Spark DataFrames: a table's live files with the store's column types, or one index file.

A table's files are read with its full schema given (partition columns typed as the DuckDB reader types them), so
files written by older obsql versions, which lack newer columns, read those as nulls, as DuckDB's union by name
does. Component names cut short in directory names are put back (`layout.long_values`).
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from obsql.storage.schemas import BOOL, FLOAT, FLOATS, INT, PARTITION_TYPES, TABLES, TEXT, TEXTS, TIME, TOP_VALUES

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

# The store's column types (DuckDB's words) in Spark's: TIMESTAMP is Spark's instant, as TIMESTAMPTZ is DuckDB's
SPARK_TYPES = {TEXT: "STRING", TIME: "TIMESTAMP", FLOAT: "DOUBLE", INT: "BIGINT", BOOL: "BOOLEAN",
               TEXTS: "ARRAY<STRING>", FLOATS: "ARRAY<DOUBLE>", TOP_VALUES: "ARRAY<STRUCT<value: STRING, count: BIGINT>>",
               "VARCHAR": "STRING", "DATE": "DATE"}


def spark_schema(table: str, with_partitions: bool = True) -> str:
    """A table's columns, then its partition columns (unless left out: a file's own columns), as a Spark DDL
    schema."""
    spec = TABLES[table]
    partitions = spec.partition_by if with_partitions else ()
    columns = [*spec.fields, *((column, PARTITION_TYPES[column]) for column in partitions)]
    return ", ".join(f"`{name}` {SPARK_TYPES[kind]}" for name, kind in columns)


def table_frame(spark: "SparkSession", root: Path, table: str, paths: Sequence[str],
                long_names: dict[str, str]) -> "DataFrame":
    """The rows of `table` in just these files (typed and empty when there are none)."""
    schema = spark_schema(table)
    if not paths:
        return spark.createDataFrame([], schema)
    frame = spark.read.schema(schema).option("basePath", str(root / table)).parquet(*paths)
    if long_names and "component" in TABLES[table].partition_by:
        frame = frame.withColumn("component", _long_names(long_names))
    return frame


def file_frame(spark: "SparkSession", paths: Sequence[str]) -> "DataFrame":
    """The rows of files obsql wrote whole (the lineage index), typed as they were written."""
    return spark.read.parquet(*paths)


def store_table_of(root: Path, path: str) -> str:
    """The table a store file belongs to: the first directory under the root."""
    return Path(path).relative_to(root).parts[0]


def _long_names(long_names: dict[str, str]):
    from pyspark.sql import functions as F

    column, (first, *rest) = F.col("component"), long_names.items()
    mapped = F.when(column == first[0], F.lit(first[1]))
    for cut, name in rest:
        mapped = mapped.when(column == cut, F.lit(name))
    return mapped.otherwise(column)
