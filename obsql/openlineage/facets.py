"""Dataset facets and obsql's column summaries, each way.

A summary row (what `monitor.summarize` gives for a logged frame) is read from the `schema` facet (column names and
types) and the `dataQualityMetrics` facet (rowCount; per column nullCount, distinctCount, count, sum, min, max,
quantiles); obsql's own `obsql` dataset facet carries what those cannot (kind, mean, std, top values), so an obsql
run exported and imported again has the same summaries. Quantiles other than obsql's 21 (0, 0.05, ..., 1) are
interpolated onto them, with min and max as the 0 and 1 quantiles; without both ends they are left out. The `obsql`
facet also gives each pointer's type, value (a prediction's score) and content hash.
"""
from __future__ import annotations

import re
from typing import Any

import numpy as np

from obsql.monitor.summaries import QUANTILE_LEVELS

PRODUCER = "https://github.com/obsql/obsql"
OBSQL_FACET_URL = "https://github.com/obsql/obsql/blob/main/docs/openlineage.md#the-obsql-facets"
SCHEMA_URLS = {  # the facet versions openlineage-python 1.x writes
    "schema": "https://openlineage.io/spec/facets/1-2-0/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet",
    "dataQualityMetrics": "https://openlineage.io/spec/facets/1-0-1/DataQualityMetricsDatasetFacet.json"
                          "#/$defs/DataQualityMetricsDatasetFacet",
    "outputStatistics": "https://openlineage.io/spec/facets/1-0-2/OutputStatisticsOutputDatasetFacet.json"
                        "#/$defs/OutputStatisticsOutputDatasetFacet",
    "errorMessage": "https://openlineage.io/spec/facets/1-0-1/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet",
    "sourceCode": "https://openlineage.io/spec/facets/1-0-1/SourceCodeJobFacet.json#/$defs/SourceCodeJobFacet",
    "sourceCodeLocation": "https://openlineage.io/spec/facets/1-1-0/SourceCodeLocationJobFacet.json"
                          "#/$defs/SourceCodeLocationJobFacet",
    "documentation": "https://openlineage.io/spec/facets/1-1-0/DocumentationJobFacet.json"
                     "#/$defs/DocumentationJobFacet",
    "ownership": "https://openlineage.io/spec/facets/1-0-1/OwnershipJobFacet.json#/$defs/OwnershipJobFacet",
}
_KINDS = (  # a type's name, as SQL, Spark, pandas or polars spell it, to obsql's kind of column
    ("boolean", re.compile(r"bool", re.I)),
    ("temporal", re.compile(r"date|time|interval|duration", re.I)),
    ("numeric", re.compile(r"int|long|short|byte|float|double|decimal|numeric|number|real|money", re.I)),
    ("categorical", re.compile(r"str|char|text|utf8|categor|enum|object", re.I)),
)


def facet(name: str, fields: dict[str, Any]) -> dict[str, Any]:
    """A standard facet (or obsql's own), with the `_producer` and `_schemaURL` every facet carries; fields without a
    value are left out (the spec's optional fields are absent rather than null)."""
    return {"_producer": PRODUCER, "_schemaURL": SCHEMA_URLS.get(name, OBSQL_FACET_URL), **_present(fields)}


# -- facets -> summaries ------------------------------------------------------------------------------------------
def summaries_of(facets: dict[str, dict]) -> list[dict]:
    """One summary per column the dataset's facets describe (schema first, then any only its metrics name)."""
    types = {f["name"]: f.get("type") for f in facets.get("schema", {}).get("fields") or []}
    quality = facets.get("dataQualityMetrics", {})
    metrics = quality.get("columnMetrics") or {}
    extras = (facets.get("obsql") or {}).get("columns") or {}
    rows = quality.get("rowCount")
    return [_summary(column, types.get(column), metrics.get(column) or {}, extras.get(column) or {}, rows)
            for column in dict.fromkeys([*types, *metrics])]


def _summary(column: str, dtype: str | None, metrics: dict, extra: dict, rows: int | None) -> dict:
    nulls, count = metrics.get("nullCount"), metrics.get("count")
    if count is None and rows is not None and nulls is not None:
        count = rows - nulls
    total = metrics.get("sum")
    mean = extra.get("mean")
    if mean is None and total is not None and count:
        mean = total / count
    return {
        "column": column, "dtype": dtype, "kind": extra.get("kind") or _kind_of(dtype, metrics),
        "count": None if count is None else int(count), "nulls": nulls,
        "min": metrics.get("min"), "max": metrics.get("max"), "mean": mean, "std": extra.get("std"),
        "quantiles": _on_levels(metrics.get("quantiles") or {}, metrics.get("min"), metrics.get("max")),
        "distinct": metrics.get("distinctCount"),
        "top_values": [[top["value"], top["count"]] for top in extra.get("topValues") or []],
    }


def _kind_of(dtype: str | None, metrics: dict) -> str:
    for kind, pattern in _KINDS:
        if dtype and pattern.search(dtype):
            return kind
    return "numeric" if metrics.get("min") is not None or metrics.get("quantiles") else "other"


def _on_levels(quantiles: dict[str, float], low: float | None, high: float | None) -> list[float] | None:
    """Quantiles given at any levels, as obsql's 21 (linear between the given ones), or None when none are given or
    they (with min and max) do not reach both ends."""
    if not quantiles:
        return None
    knots = {}
    for level, value in quantiles.items():
        try:
            at = float(level)
        except ValueError:
            continue
        if 0 <= at <= 1:
            knots[at] = float(value)
    if low is not None:
        knots.setdefault(0.0, float(low))
    if high is not None:
        knots.setdefault(1.0, float(high))
    if len(knots) < 2 or min(knots) > 0 or max(knots) < 1:
        return None
    levels = sorted(knots)
    return [float(v) for v in np.interp(QUANTILE_LEVELS, levels, [knots[level] for level in levels])]


# -- summaries -> facets ------------------------------------------------------------------------------------------
def summary_facets(summaries: list[dict]) -> dict[str, dict]:
    """The schema, dataQualityMetrics and obsql facets of a dataset whose columns obsql summarised."""
    if not summaries:
        return {}
    first = summaries[0]
    rows = None if first["count"] is None or first["nulls"] is None else first["count"] + first["nulls"]
    return {
        "schema": facet("schema", {"fields": [_field(s) for s in summaries]}),
        "dataQualityMetrics": facet("dataQualityMetrics", {
            "rowCount": rows, "columnMetrics": {s["column"]: _column_metrics(s) for s in summaries}}),
        "obsql": facet("obsql", {"columns": {s["column"]: _column_extras(s) for s in summaries}}),
    }


def _field(summary: dict) -> dict:
    return {"name": summary["column"], "type": summary["dtype"]} if summary["dtype"] else {"name": summary["column"]}


def _column_metrics(summary: dict) -> dict:
    count, mean = summary["count"], summary["mean"]
    metrics = {"nullCount": summary["nulls"], "distinctCount": summary["distinct"], "count": count,
               "sum": None if mean is None or count is None else mean * count,
               "min": summary["min"], "max": summary["max"],
               "quantiles": None if summary["quantiles"] is None else
               {f"{level:g}": value for level, value in zip(QUANTILE_LEVELS, summary["quantiles"])}}
    return _present(metrics)


def _column_extras(summary: dict) -> dict:
    return _present({"kind": summary["kind"], "mean": summary["mean"], "std": summary["std"],
                     "topValues": [{"value": value, "count": count} for value, count in summary["top_values"] or []]})


def _present(fields: dict) -> dict:
    """The fields that have a value: the schema's optional fields are absent rather than null."""
    return {key: value for key, value in fields.items() if value is not None}
