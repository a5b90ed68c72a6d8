"""Building the SparkSession the Spark engine runs on, or taking the one the caller already has.

pyspark is an optional extra: asking for the Spark engine without it is an `ObsqlError` that names the extra.
"""
from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any

from obsql.errors import ObsqlError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

DEFAULT_MASTER = "local[2]"
MASTER_VARIABLE = "OBSQL_SPARK_MASTER"
# Settings of a session obsql builds: a small local session answers in seconds, and prints only answers
_BUILT_WITH = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",  # its bar would land in csv and json output, as DuckDB's would
    "spark.sql.shuffle.partitions": "2",
    "spark.sql.session.timeZone": "UTC",
}


def require_pyspark() -> None:
    """Fail with the install line when pyspark is missing."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise ObsqlError("input", "the Spark engine needs pyspark, which is not installed",
                         suggestion="pip install 'obsql[spark]'") from None


def spark_session(spark: "SparkSession | str | None" = None) -> "SparkSession":
    """The session to run on: `spark` itself when it is one, else one built for the master URL `spark`, else for
    `$OBSQL_SPARK_MASTER`, else local[2]."""
    require_pyspark()
    from pyspark.sql import SparkSession

    quiet_query_errors()
    if isinstance(spark, SparkSession):
        return spark
    master = spark or os.environ.get(MASTER_VARIABLE) or DEFAULT_MASTER
    return build_session(master)


def build_session(master: str, settings: dict[str, Any] | None = None) -> "SparkSession":
    """A session on `master` with obsql's settings (and `settings` over them); Spark's own logging kept to fatal errors."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.master(master).appName("obsql")
    for key, value in {**_BUILT_WITH, **(settings or {})}.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("FATAL")  # obsql reports a failed query itself
    return session


def quiet_query_errors() -> None:
    """Keep pyspark from logging each failed query's stack to standard error: obsql reports the error itself.
    (Made by pyspark's own getLogger: its error reports pass arguments a plain logger refuses.)"""
    from pyspark.logger import PySparkLogger

    for name in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):
        PySparkLogger.getLogger(name).setLevel(logging.CRITICAL)
