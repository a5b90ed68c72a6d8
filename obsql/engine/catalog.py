"""The store's names as the compiler asks for them (components, metrics, columns, SLA bounds), read through the
engine's reader and kept for one statement."""
from __future__ import annotations

from typing import Any

from obsql.compiler.sql import latest
from obsql.monitor.correctness import Correctness, parse_correctness
from obsql.monitor.slas import parse_slas
from obsql.storage.reader import StoreReader

SLAS = latest("components", "slas", None, where="name = $c")
DECLARED = "SELECT name FROM components"  # one row per declaration: a table small enough to sort here (on Spark
#                                           a DISTINCT and an ORDER BY are two more stages, a second a statement)
CORRECT = latest("components", "correct", None, where="name = $c")


class StoreCatalog:
    """Component and metric names, read from the store once per statement."""

    def __init__(self, reader: StoreReader) -> None:
        self._reader = reader
        self._metrics: dict[str, list[str]] = {}
        self._logged: dict[tuple[str, str], bool] = {}
        self._components: list[str] | None = None

    def components(self) -> list[str]:
        """The components that have runs (the partitions of the runs table's live files), then those declared
        without any run yet (`obsql.mltrace.create_component`)."""
        if self._components is None:
            with_runs = self._reader.partition_values("runs", "component")
            declared = []
            if self._reader.files("components"):
                declared = sorted({name for (name,) in self._query(DECLARED, {})})
            self._components = list(dict.fromkeys([*with_runs, *declared]))
        return self._components

    def slas(self, component: str) -> dict[str, float]:
        """The SLA bounds the component declared most recently, by metric."""
        rows = self._query(SLAS, {"c": component})
        declared = rows[0][0] if rows else None
        parsed = parse_slas({text.split(" ", 1)[0]: text.split(" ", 1)[1] for text in declared or []})
        return {sla.metric: sla.bound for sla in parsed}

    def correctness(self, component: str) -> Correctness:
        """The rule the component declared most recently for when a prediction is right (binary at 0.5 if none)."""
        rows = self._query(CORRECT, {"c": component})
        return parse_correctness(rows[0][0] if rows else None)

    def columns(self, component: str) -> list[str]:
        return [name for (name,) in self._query(
            "SELECT DISTINCT column_name FROM summaries WHERE component = $c ORDER BY column_name", {"c": component})]

    def metrics(self, component: str) -> list[str]:
        if component not in self._metrics:
            rows = self._query("SELECT DISTINCT name FROM metrics WHERE component = $c ORDER BY name", {"c": component})
            self._metrics[component] = [name for (name,) in rows]
        return self._metrics[component]

    def logged(self, component: str, metric: str) -> bool:
        if component in self._metrics:
            return metric in self._metrics[component]
        if (component, metric) not in self._logged:
            self._logged[component, metric] = bool(self._query(
                "SELECT 1 FROM metrics WHERE component = $c AND name = $m LIMIT 1", {"c": component, "m": metric}))
        return self._logged[component, metric]

    def _query(self, sql: str, params: dict[str, Any]) -> list[tuple]:
        return self._reader.execute(sql, params).fetchall()
