"""obsql: observability for ML pipelines, as an embedded analytics engine over Parquet logs with a query language.

Decorate pipeline functions (or wrap blocks in `with obsql.run(...)`), and every run, with its inputs, outputs,
checks, metrics, dependencies and staleness, lands in a Hive-partitioned Parquet store that plain DuckDB can read.
Ask questions of it in OQL (`obsql.query("trace 'pred-42'")`), from the `obsql` command, or in SQL.

Names are imported on first use, so the `obsql` command starts without loading the logging client.
"""
from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_HOMES = {
    "Store": "obsql.api", "add_notes": "obsql.api", "connect": "obsql.api", "current": "obsql.api", "flag": "obsql.api",
    "forget": "obsql.api", "retain": "obsql.api", "log_feedback": "obsql.api", "query": "obsql.api",
    "import_openlineage": "obsql.api", "export_openlineage": "obsql.api",
    "register": "obsql.api", "run": "obsql.api",
    "sql": "obsql.api", "unflag": "obsql.api", "unflag_all": "obsql.api", "tag": "obsql.api", "untag": "obsql.api",
    "clock": "obsql.client.clock",
    "CheckFailed": "obsql.client.component", "Component": "obsql.client.component",
    "background": "obsql.client.component",
    "Result": "obsql.result",
    "ObsqlError": "obsql.errors",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        value = getattr(importlib.import_module(_HOMES[name]), name)
        globals()[name] = value
        return value
    if name == "load_ipython_extension":
        return getattr(importlib.import_module("obsql.notebook"), name)
    raise AttributeError(f"module 'obsql' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*__all__, "__version__"])
