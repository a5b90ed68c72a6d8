"""A Spark DataFrame logged as a value is summarised and sampled by Spark: the same summaries as the polars path
(quantiles and distinct counts approximate, exact at this size), a bounded sample, and a name by content, so the
component that reads it links to the one that wrote it."""
from __future__ import annotations

import math
from datetime import datetime, timezone

import polars as pl
import pytest

import obsql
from obsql.monitor.summaries import summarize
from obsql.spark.frames import spark_frame

pytestmark = pytest.mark.spark

ROWS = {
    "amount": [1.5, 2.0, None, float("nan"), 4.0, 2.0, 8.5, 2.0, -1.0, 3.25],
    "city": ["nyc", "sf", "sf", None, "la", "sf", "nyc", "la", "sf", "nyc"],
    "ok": [True, False, True, True, None, True, False, True, True, True],
    "at": [datetime(2020, 1, d, tzinfo=timezone.utc) for d in (1, 2, 3, 3, 5, 6, 7, 8, 9, 10)],
    "n": [3, 1, 4, 1, 5, 9, 2, 6, 5, 3],
}


@pytest.fixture(scope="module")
def frames(spark):
    polars_frame = pl.DataFrame(ROWS)
    return spark.createDataFrame(polars_frame.to_arrow()), polars_frame


def test_spark_summaries_are_the_polars_summaries(frames):
    frame, polars_frame = frames
    for ours, theirs in zip(summarize(spark_frame(frame)), summarize(polars_frame), strict=True):
        exact = {key: value for key, value in theirs.items() if key not in ("mean", "std", "quantiles")}
        assert {key: ours[key] for key in exact} == exact, theirs["column"]
        for key in ("mean", "std"):
            assert (ours[key] is None and theirs[key] is None) or math.isclose(ours[key], theirs[key])
        if theirs["quantiles"] is not None:  # approximate: actual values, never interpolated between them
            assert ours["quantiles"][0] == theirs["quantiles"][0] and ours["quantiles"][-1] == theirs["quantiles"][-1]
            assert ours["quantiles"] == sorted(ours["quantiles"]) and len(ours["quantiles"]) == 21


def test_a_logged_spark_frame_is_summarised_sampled_and_named_by_content(frames, tmp_path):
    frame, _ = frames
    store = obsql.connect(tmp_path / "store", sample_rows=4)
    try:
        with obsql.run("spark-job") as r:
            r.add_output(frame, "scored")
        with obsql.run("reader") as r:
            r.add_input(frame, "batch")
        store.flush()
        summarised = store.query("sql select component, count(*) from summaries where pointer = 'spark-job.scored' "
                                 "group by 1 order by 1").rows
        sampled = store.query("sql select column_name, count(*) from samples group by 1 order by 1").rows
        inputs = store.query("sql select pointer from io where component = 'reader'").rows
    finally:
        store.close()
    assert list(summarised) == [("reader", len(ROWS)), ("spark-job", len(ROWS))]  # a summary per column and run
    assert list(sampled) == [(name, 2 * 4) for name in sorted(ROWS)]  # 4 rows per run, of 10
    assert list(inputs) == [("spark-job.scored",)]  # the reader's input is the writer's output: lineage links them
