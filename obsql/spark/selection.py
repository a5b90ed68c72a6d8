"""Which engine runs a store's queries: DuckDB (the default) or Spark, from an argument or `$OBSQL_ENGINE`.

Choosing never imports pyspark unless Spark is chosen: `obsql -c` on DuckDB starts as fast as before.
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Callable

from obsql.errors import ObsqlError
from obsql.storage.reader import StoreReader

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from obsql.storage.compact import CompactionEngine

ENGINES = ("duckdb", "spark")
ENGINE_VARIABLE = "OBSQL_ENGINE"


def engine_name(engine: str | None = None) -> str:
    """`engine`, else `$OBSQL_ENGINE`, else duckdb; an `ObsqlError` for any other name."""
    name = (engine or os.environ.get(ENGINE_VARIABLE) or "duckdb").strip().lower()
    if name not in ENGINES:
        raise ObsqlError("input", f"unknown engine {name!r}", suggestion=f"one of: {', '.join(ENGINES)}")
    return name


def reader_factory(engine: str | None = None, spark: "SparkSession | str | None" = None) -> Callable[..., Any]:
    """What `Engine` builds its reader with: DuckDB's `StoreReader`, or a `SparkReader` on `spark` (a session, or
    a master URL; else `$OBSQL_SPARK_MASTER`, else local[2])."""
    if engine_name(engine) == "duckdb":
        return StoreReader
    from obsql.spark.session import spark_session

    session = spark_session(spark)
    from obsql.spark.reader import spark_reader_factory

    return spark_reader_factory(session)


def compaction_engine(engine: str | None = None, spark: "SparkSession | str | None" = None) -> "CompactionEngine | None":
    """What `compact` reads and writes with: None (DuckDB and pyarrow, its default), or Spark on `spark` (as for
    `reader_factory`)."""
    if engine_name(engine) == "duckdb":
        return None
    from obsql.spark.session import spark_session

    session = spark_session(spark)
    from obsql.spark.compaction import spark_compaction

    return spark_compaction(session)
