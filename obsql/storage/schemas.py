"""The tables of a store: their columns, how they are partitioned on disk, and how compaction sorts them.

Every table is a Hive-partitioned Parquet dataset under `<root>/<table>/`. Partition columns (`component`, `date`)
live in the directory names, not in the files, so plain DuckDB reads them with `hive_partitioning=true`.
Times are UTC microseconds. Tables whose rows change (flags, components) are event logs: the latest `ts` wins.
docs/schema.md describes every column for people; a test keeps the two in step.
"""
from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

STORE_FORMAT = "obsql-store"
STORE_VERSION = 1

TIME = pa.timestamp("us", tz="UTC")
TOP_VALUE = pa.struct([("value", pa.string()), ("count", pa.int64())])


@dataclass(frozen=True)
class TableSpec:
    """One dataset of the store."""

    name: str
    schema: pa.Schema  # the columns stored in the files (partition columns excluded)
    partition_by: tuple[str, ...]
    sort_by: tuple[str, ...]  # the order compaction writes, chosen for the lookups each table serves

    @property
    def columns(self) -> list[str]:
        return self.schema.names


def _spec(name: str, partition_by: tuple[str, ...], sort_by: tuple[str, ...], *fields: tuple) -> TableSpec:
    return TableSpec(name, pa.schema(list(fields)), partition_by, sort_by)


BY_RUN = ("component", "date")
BY_DATE = ("date",)

TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        _spec(
            "runs", BY_RUN, ("run_id",),
            ("run_id", pa.string()), ("start_time", TIME), ("end_time", TIME), ("status", pa.string()),
            ("error", pa.string()), ("git_commit", pa.string()), ("code_hash", pa.string()),
            ("host", pa.string()), ("pid", pa.int64()), ("notes", pa.string()), ("stale", pa.bool_()),
            ("stale_reasons", pa.list_(pa.string())),
        ),
        _spec(
            "io", BY_RUN, ("pointer", "end_time"),
            ("run_id", pa.string()), ("start_time", TIME), ("end_time", TIME), ("direction", pa.string()),
            ("pointer", pa.string()), ("pointer_type", pa.string()), ("value", pa.float64()),
            ("content_hash", pa.string()),
        ),
        _spec(
            "deps", BY_RUN, ("run_id",),
            ("run_id", pa.string()), ("start_time", TIME), ("pointer", pa.string()), ("dep_run_id", pa.string()),
            ("dep_component", pa.string()), ("dep_start_time", TIME), ("dep_end_time", TIME),
            ("stale", pa.bool_()), ("reason", pa.string()),
        ),
        _spec(
            "checks", BY_RUN, ("run_id",),
            ("run_id", pa.string()), ("start_time", TIME), ("ts", TIME), ("name", pa.string()), ("phase", pa.string()),
            ("passed", pa.bool_()), ("value", pa.float64()), ("message", pa.string()),
        ),
        _spec(
            "metrics", BY_RUN, ("name", "start_time"),
            ("run_id", pa.string()), ("start_time", TIME), ("name", pa.string()), ("value", pa.float64()),
        ),
        _spec(
            "summaries", BY_RUN, ("pointer", "column_name"),
            ("run_id", pa.string()), ("start_time", TIME), ("pointer", pa.string()), ("column_name", pa.string()),
            ("dtype", pa.string()), ("kind", pa.string()), ("count", pa.int64()), ("nulls", pa.int64()),
            ("min", pa.float64()), ("max", pa.float64()), ("mean", pa.float64()), ("std", pa.float64()),
            ("quantiles", pa.list_(pa.float64())), ("distinct", pa.int64()), ("top_values", pa.list_(TOP_VALUE)),
        ),
        _spec(
            "samples", BY_RUN, ("pointer", "row_index"),
            ("run_id", pa.string()), ("start_time", TIME), ("pointer", pa.string()), ("row_index", pa.int64()),
            ("column_name", pa.string()), ("num_value", pa.float64()), ("text_value", pa.string()),
        ),
        _spec(
            "flags", BY_DATE, ("pointer", "ts"),
            ("pointer", pa.string()), ("flagged", pa.bool_()), ("ts", TIME),
        ),
        _spec(
            "feedback", BY_DATE, ("id", "ts"),
            ("id", pa.string()), ("label", pa.float64()), ("label_text", pa.string()), ("ts", TIME),
        ),
        _spec(
            "components", BY_DATE, ("name", "ts"),
            ("name", pa.string()), ("description", pa.string()), ("owner", pa.string()),
            ("tags", pa.list_(pa.string())), ("staleness_days", pa.float64()), ("ts", TIME),
        ),
        _spec(
            "code", BY_DATE, ("code_hash",),
            ("code_hash", pa.string()), ("source", pa.string()), ("ts", TIME),
        ),
    )
}

PARTITION_TYPES = {"component": "VARCHAR", "date": "DATE"}


def table(name: str) -> TableSpec:
    """The spec of a table, by name."""
    return TABLES[name]
