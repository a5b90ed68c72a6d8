"""obsql: observability for ML pipelines, as an embedded analytics engine over Parquet logs with a query language.

Decorate pipeline functions (or wrap blocks in `with obsql.run(...)`), and every run, with its inputs, outputs,
checks, metrics, dependencies and staleness, lands in a Hive-partitioned Parquet store that plain DuckDB can read.
Ask questions of it in OQL (`obsql.query("trace 'pred-42'")`), from the `obsql` command, or in SQL.
"""
from obsql.api import (
    Store,
    connect,
    current,
    flag,
    log_feedback,
    query,
    register,
    run,
    sql,
    unflag,
    unflag_all,
)
from obsql.client.clock import clock
from obsql.client.component import CheckFailed, Component, background
from obsql.engine.result import Result
from obsql.errors import ObsqlError

__version__ = "0.1.0"

__all__ = [
    "CheckFailed", "Component", "ObsqlError", "Result", "Store", "background", "clock", "connect", "current", "flag", "log_feedback",
    "query", "register", "run", "sql", "unflag", "unflag_all",
]
