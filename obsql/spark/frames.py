"""A Spark DataFrame logged as a run's input or output: summarised and sampled by Spark, never collected whole.

The client wraps it in a `SparkFrame` (`obsql.client.values.as_frame`, which recognises it by its module's name, so
pyspark is imported only when a Spark DataFrame is logged). What leaves the cluster is small and fixed in size:

- one aggregation job over every column: rows, present values (nulls and NaN left out), min, max, mean, sample
  std, approximate distinct count (HyperLogLog, 5% relative error) and 21 approximate quantiles
  (`percentile_approx`, 0.1% relative rank error, where the DuckDB path interpolates exactly);
- one job per column for its `top_k` most frequent values (ties by value);
- a sample of at most `max_rows` rows (`limit`), the only rows that reach the driver.

Its content hash is a hash of the schema and the order-independent statistics of that first job (rows, and per
column the present count, min, max and distinct count): cheap (the job the summaries need anyway) and stable,
since it never depends on how Spark partitions the rows; two frames with equal statistics share a name (a frame's
producer and its readers in one process are meant to).
"""
from __future__ import annotations

import hashlib
import json
import weakref
from functools import cached_property
from typing import TYPE_CHECKING

import polars as pl

from obsql.monitor.inputs import kind_of
from obsql.monitor.summaries import QUANTILE_LEVELS

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

QUANTILE_ACCURACY = 1000  # percentile_approx's accuracy: a relative rank error of 1/1000
DISTINCT_ERROR = 0.05  # approx_count_distinct's relative standard deviation
_HASHED = ("count", "min", "max", "distinct")
_WRAPPED: "weakref.WeakKeyDictionary[DataFrame, SparkFrame]" = weakref.WeakKeyDictionary()


def spark_frame(value: "DataFrame | SparkFrame") -> "SparkFrame":
    """`value` (a Spark DataFrame, or one already wrapped) as a `SparkFrame`: the same one while the DataFrame
    lives, so a frame one run writes and the next reads is summarised once."""
    if isinstance(value, SparkFrame):
        return value
    wrapped = _WRAPPED.get(value)
    if wrapped is None:
        wrapped = _WRAPPED[value] = SparkFrame(value)
    return wrapped


class SparkFrame:
    """A logged Spark DataFrame: its size, content hash, summaries and sample, each computed by Spark once."""

    def __init__(self, frame: "DataFrame") -> None:
        self.frame = frame
        self._summaries: dict[int, list[dict]] = {}  # by top_k

    @cached_property
    def dtypes(self) -> dict[str, pl.DataType]:
        """Each column's type as polars names it (from an empty Arrow answer), so kinds match the polars path."""
        return dict(pl.from_arrow(self.frame.limit(0).toArrow()).schema)

    @cached_property
    def statistics(self) -> dict:
        """Rows, then per column its present count and moments, from one aggregation job."""
        from pyspark.sql import functions as F

        columns = []
        for index, (name, dtype) in enumerate(self.dtypes.items()):
            column = F.col(f"`{name}`")
            columns += _column_statistics(index, _present(column, dtype), _numbers(column, dtype), kind_of(dtype))
        (row,) = self.frame.agg(F.count(F.lit(1)).alias("rows"), *columns).collect()
        return row.asDict()

    @property
    def height(self) -> int:
        return self.statistics["rows"]

    def content_hash(self) -> str:
        """A hash of the schema and the order-independent statistics (see the module docstring)."""
        stats = self.statistics
        described = [self.frame.schema.json(), stats["rows"]]
        described += [stats.get(f"{part}_{i}") for i in range(len(self.dtypes)) for part in _HASHED]
        return hashlib.blake2b(json.dumps(described, default=str).encode(), digest_size=16).hexdigest()

    def summaries(self, top_k: int = 10) -> list[dict]:
        """One summary per column, with the keys and meanings of `obsql.monitor.summaries.summarize`."""
        if top_k not in self._summaries:
            self._summaries[top_k] = [self._summary(i, name, dtype, top_k)
                                      for i, (name, dtype) in enumerate(self.dtypes.items())]
        return self._summaries[top_k]

    def _summary(self, index: int, name: str, dtype: pl.DataType, top_k: int) -> dict:
        stats, kind = self.statistics, kind_of(dtype)
        part = {key: stats.get(f"{key}_{index}") for key in ("min", "max", "mean", "std", "quantiles")}
        if part["quantiles"] is not None:
            part["quantiles"] = [float(q) for q in part["quantiles"]]
        count = stats[f"count_{index}"]
        return {"column": name, "dtype": str(dtype), "kind": kind, "count": count, "nulls": self.height - count,
                **part,
                "distinct": stats[f"distinct_{index}"], "top_values": self._top_values(name, dtype, top_k)}

    def _top_values(self, name: str, dtype: pl.DataType, top_k: int) -> list[list]:
        from pyspark.sql import functions as F

        value = _present(F.col(f"`{name}`"), dtype)
        counted = self.frame.where(value.isNotNull()).groupBy(value.alias("value")).count()
        counted = counted.orderBy(F.desc("count"), F.asc("value"))
        top = counted.limit(top_k).toArrow()  # Arrow, not Rows: times keep their zone, as polars' do
        return [[str(value), int(count)] for value, count in zip(*(top.column(i).to_pylist() for i in range(2)))]

    def sample(self, max_rows: int) -> pl.DataFrame:
        """At most `max_rows` rows, as polars (`limit`: the rest never leaves the cluster)."""
        return pl.from_arrow(self.frame.limit(max_rows).toArrow())


def _present(column: "Column", dtype: pl.DataType) -> "Column":
    """The column with NaN as null, and values of other kinds (lists, structs) as text, so they count and group."""
    from pyspark.sql import functions as F

    if dtype.is_float():
        return F.nanvl(column, F.lit(None))
    return column.cast("string") if kind_of(dtype) == "other" else column


def _numbers(column: "Column", dtype: pl.DataType) -> "Column | None":
    """A column as doubles for moments (times as epoch seconds, booleans as 0/1, NaN as null), None for text."""
    from pyspark.sql import functions as F

    kind = kind_of(dtype)
    if kind == "numeric":
        return _present(column, dtype).cast("double")
    if kind == "boolean":
        return column.cast("int").cast("double")
    if kind == "temporal":
        moment = column.cast("timestamp") if dtype == pl.Date else column
        return F.unix_micros(moment) / 1e6
    return None


def _column_statistics(index: int, present: "Column", numbers: "Column | None", kind: str) -> list["Column"]:
    """The aggregates of column `index`: its present count and approximate distinct count, then for numbers their
    min, max, mean, std and (but for booleans) quantiles."""
    from pyspark.sql import functions as F

    statistics = [F.count(present).alias(f"count_{index}"),
                  F.approx_count_distinct(present, DISTINCT_ERROR).alias(f"distinct_{index}")]
    if numbers is None:
        return statistics
    statistics += [F.min(numbers).alias(f"min_{index}"), F.max(numbers).alias(f"max_{index}"),
                   F.avg(numbers).alias(f"mean_{index}"), F.stddev_samp(numbers).alias(f"std_{index}")]
    if kind != "boolean":
        levels = F.array(*(F.lit(level) for level in QUANTILE_LEVELS))
        statistics.append(F.percentile_approx(numbers, levels, QUANTILE_ACCURACY).alias(f"quantiles_{index}"))
    return statistics
