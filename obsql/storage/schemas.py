"""The tables of a store: their columns, how they are partitioned on disk, and how compaction sorts them.

Every table is a Hive-partitioned Parquet dataset under `<root>/<table>/`. Partition columns (`component`, `date`)
live in the directory names, not in the files, so plain DuckDB reads them with `hive_partitioning=true`.
Times are UTC microseconds. Tables whose rows change (flags, components) are event logs: the latest `ts` wins.
docs/schema.md describes every column for people; a test keeps the two in step.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

STORE_FORMAT = "obsql-store"
STORE_VERSION = 2  # 2: a writer's flush is shown once it is committed (_commits/), in every table at once

# Column types, in DuckDB's words; `arrow_type` maps them for the writer (pyarrow loads only when writing).
TEXT, TIME, FLOAT, INT, BOOL = "VARCHAR", "TIMESTAMPTZ", "DOUBLE", "BIGINT", "BOOLEAN"
TEXTS, FLOATS = "VARCHAR[]", "DOUBLE[]"
TOP_VALUES = "STRUCT(value VARCHAR, count BIGINT)[]"


@dataclass(frozen=True)
class TableSpec:
    """One dataset of the store."""

    name: str
    fields: tuple[tuple[str, str], ...]  # (column, DuckDB type) stored in the files; partition columns excluded
    partition_by: tuple[str, ...]
    sort_by: tuple[str, ...]  # the order compaction writes, chosen for the lookups each table serves

    @property
    def columns(self) -> list[str]:
        return [name for name, _ in self.fields]

    @cached_property
    def schema(self):
        """The Arrow schema of the files."""
        import pyarrow as pa

        return pa.schema([(name, arrow_type(kind)) for name, kind in self.fields])


def arrow_type(kind: str):
    """The Arrow type of a column type."""
    import pyarrow as pa

    simple = {TEXT: pa.string(), TIME: pa.timestamp("us", tz="UTC"), FLOAT: pa.float64(), INT: pa.int64(),
              BOOL: pa.bool_(), TEXTS: pa.list_(pa.string()), FLOATS: pa.list_(pa.float64()),
              TOP_VALUES: pa.list_(pa.struct([("value", pa.string()), ("count", pa.int64())]))}
    return simple[kind]


def _spec(name: str, partition_by: tuple[str, ...], sort_by: tuple[str, ...], *fields: tuple[str, str]) -> TableSpec:
    return TableSpec(name, tuple(fields), partition_by, sort_by)


BY_RUN = ("component", "date")
BY_DATE = ("date",)

TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        _spec(
            "runs", BY_RUN, ("run_id",),
            ("run_id", TEXT), ("start_time", TIME), ("end_time", TIME), ("status", TEXT), ("error", TEXT),
            ("git_commit", TEXT), ("code_hash", TEXT), ("host", TEXT), ("pid", INT), ("notes", TEXT),
            ("stale", BOOL), ("stale_reasons", TEXTS),
        ),
        _spec(
            "io", BY_RUN, ("pointer", "end_time"),
            ("run_id", TEXT), ("start_time", TIME), ("end_time", TIME), ("direction", TEXT), ("pointer", TEXT),
            ("pointer_type", TEXT), ("value", FLOAT), ("content_hash", TEXT),
        ),
        _spec(
            "deps", BY_RUN, ("run_id",),
            ("run_id", TEXT), ("start_time", TIME), ("pointer", TEXT), ("dep_run_id", TEXT),
            ("dep_component", TEXT), ("dep_start_time", TIME), ("dep_end_time", TIME), ("stale", BOOL),
            ("reason", TEXT),
        ),
        _spec(
            "checks", BY_RUN, ("run_id",),
            ("run_id", TEXT), ("start_time", TIME), ("ts", TIME), ("name", TEXT), ("phase", TEXT),
            ("passed", BOOL), ("value", FLOAT), ("message", TEXT),
        ),
        _spec(
            "metrics", BY_RUN, ("name", "start_time"),
            ("run_id", TEXT), ("start_time", TIME), ("name", TEXT), ("value", FLOAT),
        ),
        _spec(
            "summaries", BY_RUN, ("pointer", "column_name"),
            ("run_id", TEXT), ("start_time", TIME), ("pointer", TEXT), ("column_name", TEXT), ("dtype", TEXT),
            ("kind", TEXT), ("count", INT), ("nulls", INT), ("min", FLOAT), ("max", FLOAT), ("mean", FLOAT),
            ("std", FLOAT), ("quantiles", FLOATS), ("distinct", INT), ("top_values", TOP_VALUES),
        ),
        _spec(
            "samples", BY_RUN, ("pointer", "row_index"),
            ("run_id", TEXT), ("start_time", TIME), ("pointer", TEXT), ("row_index", INT), ("column_name", TEXT),
            ("num_value", FLOAT), ("text_value", TEXT),
        ),
        _spec("flags", BY_DATE, ("pointer", "ts"), ("pointer", TEXT), ("flagged", BOOL), ("ts", TIME)),
        _spec(
            "feedback", BY_DATE, ("id", "ts"),
            ("id", TEXT), ("label", FLOAT), ("label_text", TEXT), ("ts", TIME),
        ),
        _spec(
            "components", BY_DATE, ("name", "ts"),
            ("name", TEXT), ("description", TEXT), ("owner", TEXT), ("tags", TEXTS), ("staleness_days", FLOAT),
            ("slas", TEXTS), ("ts", TIME), ("static", BOOL), ("correct", TEXT),
        ),
        _spec(  # tags added or removed after the fact (`tag`, `untag`): per component and tag the latest wins
            "tag_events", BY_DATE, ("component", "tag", "ts"),
            ("component", TEXT), ("tag", TEXT), ("tagged", BOOL), ("ts", TIME),
        ),
        _spec("run_notes", BY_DATE, ("run_id", "ts"), ("run_id", TEXT), ("note", TEXT), ("ts", TIME)),
        _spec("code", BY_DATE, ("code_hash",), ("code_hash", TEXT), ("source", TEXT), ("ts", TIME)),
        _spec(
            "alerts", BY_DATE, ("component", "metric", "ts"),
            ("component", TEXT), ("run_id", TEXT), ("ts", TIME), ("metric", TEXT), ("value", FLOAT), ("op", TEXT),
            ("bound", FLOAT), ("state", TEXT), ("message", TEXT), ("direction", TEXT),
        ),
        _spec(  # the audit of `forget` and `retain`: what was asked and how much went, never a removed value
            "redactions", BY_DATE, ("ts",),
            ("id", TEXT), ("ts", TIME), ("action", TEXT), ("requested_by", TEXT), ("pointer", TEXT),
            ("forward", BOOL), ("runs_removed", BOOL), ("pointers", INT), ("run_ids", TEXTS), ("policy", TEXT),
            ("rows", TEXT), ("files", INT), ("bytes_freed", INT),
        ),
    )
}

PARTITION_TYPES = {"component": "VARCHAR", "date": "DATE"}


def table(name: str) -> TableSpec:
    """The spec of a table, by name."""
    return TABLES[name]
